"""The course on a real JupyterHub, driven in a real browser: submit in the Assignments panel, get graded feedback.

``hub/jupyterhub_config.py`` as ``make hub`` starts it (``course.tools.hub``):
JupyterHub from PyPI, its proxy from npm (``hub/package-lock.json``),
DummyAuthenticator with student1, student2 and instructor, local-process
spawners, nbgrader's exchange in a temporary folder, and the grading service
(``python -m course serve``) as a managed service, on a scratch course with
00 and 01 and a limit of one graded submission per student, assignment and
hour. Debian's Chromium (Playwright) logs in as a student, fetches 01,
answers part of it, submits and fetches the graded feedback; a second,
hostile student submits in the same minute; a second submission is refused.
Screenshots go to ``build/browser/hub-*.png``, measured times to
``build/browser/hub-timings.json``. Skips where Chromium, Playwright or npm is missing.
"""

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import nbformat
import pytest

from browser_tools import CHROMIUM, CHROMIUM_FLAGS, free_port, stop_server, type_answers, wait_until
from conftest import ROOT, scratch_course
from course.grading.students import fill_solutions, solved_source
from exchange_students import ExchangeStudent
from hostile_students import SUCCESS_WORDS, XSS_CODE, XSS_MARKDOWN, snoop

SCREENSHOTS = os.path.join(ROOT, "build", "browser")
PREFIX = "/services/grading/"
COURSE_CONFIG = "c.GradingService.per_hour = 1\nc.GradingService.poll_seconds = 0.5"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _request(url: str, method: str = "GET", headers=None):
    """``(status, Location header, body)`` of one request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=b"" if method == "POST" else None)
    try:
        with opener.open(request, timeout=20) as reply:
            return reply.status, reply.headers.get("Location", ""), reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running JupyterHub with the grading service; yields (settings, course root, timings dict)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (.ci/run installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api")
    if shutil.which("npm") is None:
        pytest.skip("npm not installed: JupyterHub's proxy (configurable-http-proxy) comes from npm")
    from course.tools.hub import HubSettings, hub_command, prepare

    base = tmp_path_factory.mktemp("hub")
    root = scratch_course(base / "course", ["00_setup", "01_concepts"], COURSE_CONFIG)
    ports = []
    while len(ports) < 4:  # four different free ports
        port = free_port()
        ports += [port] if port not in ports else []
    settings = HubSettings(hub_dir=str(base / "hub"), course_dir=root, port=ports[0], api_port=ports[1],
                           proxy_api_port=ports[2], service_port=ports[3])
    prepare(settings)
    command, env = hub_command(settings)
    env.update(COURSE_DATA_SOURCE="sample", TF_CPP_MIN_LOG_LEVEL="3")
    log_path = str(base / "jupyterhub.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=settings.hub_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    timings = {}
    try:
        started = time.monotonic()
        wait_until(lambda: _request(f"{settings.url}/hub/api/")[0] == 200, proc, log_path, 240, "JupyterHub")
        wait_until(lambda: _request(settings.url + PREFIX)[0] == 302, proc, log_path, 240, "the grading service")
        timings["hub_start_seconds"] = round(time.monotonic() - started, 1)
        yield settings, root, timings, log_path
    finally:
        stop_server(proc)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        with open(os.path.join(SCREENSHOTS, "hub-timings.json"), "w") as fh:
            json.dump(timings, fh, indent=2)
        print(f"\nhub timings: {timings}")


def test_nothing_of_the_service_answers_without_a_hub_login(hub):
    """Through the proxy and straight at its port, is every page of the service a redirect to the hub's login (and
    the API a 403) for a request without hub authentication?"""
    settings, _, _, _ = hub
    direct = f"http://127.0.0.1:{settings.service_port}"
    for origin in (settings.url, direct):
        for path in ("", "exports/report.html", "exports/grades.csv", "feedback/student1/01_concepts/concepts.html",
                     "anything/else", "api/scan"):
            status, location, body = _request(origin + PREFIX + path)
            assert status == 302 and "/hub/api/oauth2/authorize" in location, (origin, path, status, location)
            assert "student1" not in body
        status, _, _ = _request(origin + PREFIX + "api/scan", method="POST")
        assert status == 403
        status, _, _ = _request(origin + PREFIX, headers={"Authorization": "token not-a-hub-token"})
        assert status in (302, 403)


def _login(browser, settings, user):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{settings.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", settings.password)
    page.click("#login_submit")
    return page


def _assignments_panel(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Assignment List", exact=True).click()
    page.locator("#released_assignments_list").wait_for()


def _fetch(page, assignment):
    page.locator("#released_assignments_list .list_item", has_text=assignment).get_by_role("button", name="Fetch").click()
    page.locator("#fetched_assignments_list .list_item", has_text=assignment).first.wait_for()


def _submit_and_wait_for_feedback(page, assignment, submissions_before, seconds=600):
    """Clicks Submit, then the panel's refresh until the new submission has feedback; fetches it.

    Returns:
        (seconds from Submit until the panel offers the feedback, the new submission's timestamp).
    """
    page.locator("#fetched_assignments_list .list_item", has_text=assignment).first.get_by_role("button", name="Submit").click()
    clicked = time.monotonic()
    deadline = clicked + seconds
    waited = None
    while time.monotonic() < deadline:
        page.locator("button[title='Refresh assignments list']").click()
        page.wait_for_timeout(1000)
        text = page.locator("#submitted_assignments_list").inner_text()
        if text.count("UTC") > submissions_before and text.count("feedback available to fetch") >= 1:
            waited = time.monotonic() - clicked
            break
    assert waited is not None, f"no feedback for {assignment} within {seconds} s"
    page.locator("#submitted_assignments_list .list_item", has_text=assignment).first.get_by_role(
        "button", name="Fetch Feedback").click()
    page.get_by_text("feedback available to fetch").wait_for(state="detached")
    stamps = [line.split(" UTC")[0] + " UTC" for line in page.locator("#submitted_assignments_list").inner_text().splitlines()
              if " UTC" in line]
    return waited, max(stamps)


def _show_feedback(page, settings, user, assignment, notebook, timestamp, shot):
    url = (f"{settings.url}/user/{user}/files/{assignment}/feedback/{urllib.parse.quote(timestamp)}/{notebook}.html")
    page.goto(url)
    page.screenshot(path=os.path.join(SCREENSHOTS, shot), full_page=False)
    return page.content()


def _hostile_submission(settings, root, course_id):
    """student2 submits 01: every answer right, plus attacks on the grader, the exchange and the feedback."""
    exchange = settings.exchange
    who = ExchangeStudent("student2", os.path.join(os.path.dirname(settings.hub_dir), "student2-cli"), exchange, course_id)
    who.fetch("01_concepts")
    source = nbformat.read(os.path.join(root, "source", "01_concepts", "concepts.ipynb"), as_version=4)
    nb = fill_solutions(who.notebook("01_concepts", "concepts"), source)
    exchange_attack = (
        "import glob\n"
        f"for path in glob.glob({exchange!r} + '/*/inbound/student1+*/*'):\n"
        "    print('OTHER-STUDENT', path, open(path, errors='replace').read()[:200])\n"
        "try:\n"
        f"    open({exchange!r} + '/llm-interview/feedback/forged.html', 'w').write('forged')\n"
        "    print('WRITABLE feedback')\n"
        "except OSError as err:\n"
        "    print('feedback', err)\n"
    )
    with open(os.path.join(settings.hub_dir, ".bashrc"), "w") as fh:  # a file of the grader's, outside the sandbox
        fh.write("# the grader's own\n")
    for i, code in enumerate((snoop(root, settings.hub_dir, settings.port), exchange_attack, XSS_CODE)):
        nb.cells.insert(3 + i, nbformat.v4.new_code_cell(code, id=f"attack-{i}"))
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(XSS_MARKDOWN, id="attack-markdown"))
    who.save("01_concepts", "concepts", nb)
    who.submit("01_concepts")
    return who


def test_student_submits_in_jupyterlab_and_fetches_graded_feedback(hub):
    """Does a student who fetches 01, answers part of it and submits in the Assignments panel get graded feedback
    within minutes, while a hostile student submitting in the same minute changes nothing for either; does 00 come
    back too; and is a submission over the hourly limit answered with the refusal and when the next is graded?"""
    from playwright.sync_api import sync_playwright

    settings, root, timings, log_path = hub
    os.makedirs(SCREENSHOTS, exist_ok=True)
    source = nbformat.read(os.path.join(root, "source", "01_concepts", "concepts.ipynb"), as_version=4)
    answers = [solved_source(c) for c in source.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")][:2]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = _login(browser, settings, "student1")
            page.wait_for_url("**/user/student1/lab**", timeout=240_000)
            _assignments_panel(page)
            _fetch(page, "01_concepts")
            page.goto(f"{settings.url}/user/student1/lab/tree/01_concepts/concepts.ipynb")
            notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
            notebook.locator(".jp-Cell").first.wait_for()
            type_answers(page, notebook, answers)  # part of it: the first two answers
            page.keyboard.press("Control+S")
            page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached", timeout=30_000)
            page.screenshot(path=os.path.join(SCREENSHOTS, "hub-1-answered.png"))

            _assignments_panel(page)
            page.locator("#fetched_assignments_list .list_item", has_text="01_concepts").first.wait_for()
            # The hostile student submits in the same minute, right before the honest one.
            hostile = _hostile_submission(settings, root, "llm-interview")
            seconds_01, stamp_01 = _submit_and_wait_for_feedback(page, "01_concepts", 0)
            timings["submit_to_feedback_01_seconds"] = round(seconds_01, 1)
            page.screenshot(path=os.path.join(SCREENSHOTS, "hub-2-feedback-fetched.png"))
            shown = _show_feedback(page, settings, "student1", "01_concepts", "concepts", stamp_01, "hub-3-feedback-01.png")
            assert "Autograded score:" in shown and "test_transformer_params" in shown

            page.goto(f"{settings.url}/user/student1/lab")
            _assignments_panel(page)
            _fetch(page, "00_setup")
            seconds_00, stamp_00 = _submit_and_wait_for_feedback(page, "00_setup", 1)
            timings["submit_to_feedback_00_seconds"] = round(seconds_00, 1)
            shown_00 = _show_feedback(page, settings, "student1", "00_setup", "check_environment", stamp_00,
                                      "hub-4-feedback-00.png")
            assert "Autograded score:" in shown_00

            # A second 01 within the hour: over the limit of one.
            page.goto(f"{settings.url}/user/student1/lab")
            _assignments_panel(page)
            _, stamp_again = _submit_and_wait_for_feedback(page, "01_concepts", 2)
            refused = _show_feedback(page, settings, "student1", "01_concepts", "concepts", stamp_again,
                                     "hub-5-over-the-limit.png")
            assert "Not graded: the limit is 1 graded submission of 01_concepts per hour" in refused
            assert "A submission made from" in refused
        finally:
            browser.close()

    from course.grading import nbgrader_api

    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        honest = gb.find_submission_notebook("concepts", "01_concepts", "student1")
        points = {g.name: g.score for g in honest.grades}
        assert points["test_transformer_params"] == 2 and points["test_weight_memory_gb"] == 2
        assert f"Autograded score: {honest.score:g} / " in shown
        attacker = gb.find_submission("01_concepts", "student2")
        assert attacker.score == attacker.max_score - sum(  # every autograded point; manual ones wait
            g.max_score for g in gb.find_submission_notebook("concepts", "01_concepts", "student2").grades
            if g.auto_score is None)
    autograded = nbformat.read(os.path.join(root, "autograded", "student2", "01_concepts", "concepts.ipynb"), 4)
    printed = [line for cell in autograded.cells for out in cell.get("outputs", [])
               for line in "".join(out.get("text", "")).splitlines()]
    assert any(line.startswith("ENVIRONMENT") for line in printed), "the attacks ran"
    # The snoop's hook prints every later cell's source, attack code included: only the attacks' results count.
    sources = {line.strip() for cell in autograded.cells for line in cell.source.splitlines()}
    results = [line for line in printed if line.replace("CELL SOURCE:", "").strip() not in sources]
    assert not [w for w in SUCCESS_WORDS if any(w in line for line in results)], "an attack got through"
    with open(os.path.join(settings.hub_dir, ".bashrc")) as fh:
        assert fh.read() == "# the grader's own\n"
    assert not os.path.exists(os.path.join(settings.exchange, "llm-interview", "feedback", "forged.html"))
    page_2 = hostile.latest_feedback("01_concepts", "concepts")
    assert page_2 is not None and "Autograded score:" in page_2 and "<script>" not in page_2


def test_students_cannot_open_the_status_page_or_others_feedback_and_instructors_can(hub):
    """Logged in, is a student refused the status page, the report and another student's feedback (and finds no one
    else's with Fetch Feedback), while the instructor sees the queue, both students and the report?"""
    from playwright.sync_api import sync_playwright

    settings, root, timings, _ = hub
    outsider = ExchangeStudent("student2", os.path.join(os.path.dirname(settings.hub_dir), "student2-cli"),
                               settings.exchange, "llm-interview")
    own = outsider.fetch_feedback("01_concepts")
    assert len(own) == 1 and all("Autograded score" in p["concepts"] for p in own.values())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            student = _login(browser, settings, "student2")
            student.wait_for_url("**/user/student2/**", timeout=240_000)
            for path in ("", "exports/report.html", "feedback/student1/01_concepts/concepts.html"):
                reply = student.goto(settings.url + PREFIX + path)
                assert reply.status == 403, (path, reply.status)
                assert "for the course's instructors only" in student.content()
                assert "student1" not in student.content()
            student.screenshot(path=os.path.join(SCREENSHOTS, "hub-6-student-refused.png"))
            scan = settings.url + PREFIX + "api/scan"
            assert student.request.post(scan).status == 403  # a cross-site form cannot call it (no XSRF token)
            # With a hub API token of their own (what a script of the student's would use), the call is allowed.
            student.goto(f"{settings.url}/hub/token")
            xsrf = [c["value"] for c in student.context.cookies() if c["name"] == "_xsrf" and c["path"] == "/hub/"]
            made = student.request.post(f"{settings.url}/hub/api/users/student2/tokens", headers={"X-XSRFToken": xsrf[0]},
                                        data={"note": "scan test", "expires_in": 600})
            assert made.status in (200, 201), made.text()
            token = made.json()["token"]
            reply = student.request.post(scan, headers={"Authorization": f"token {token}"})
            assert reply.status == 200 and reply.json()["user"] == "student2", reply.text()  # it grants nothing
            assert _request(settings.url + PREFIX, headers={"Authorization": f"token {token}"})[0] == 403

            instructor = _login(browser, settings, "instructor")
            instructor.wait_for_url("**/user/instructor/**", timeout=240_000)
            reply = instructor.goto(settings.url + PREFIX)
            assert reply.status == 200
            assert "Content-Security-Policy" in {k.title(): v for k, v in reply.headers.items()}
            status = instructor.content()
            for word in ("student1", "student2", "00_setup", "01_concepts", "Not graded: the limit is 1"):
                assert word in status, word
            instructor.screenshot(path=os.path.join(SCREENSHOTS, "hub-7-instructor-status.png"), full_page=True)
            instructor.get_by_text("Grading report (exports/report.html)").click()
            instructor.wait_for_load_state()
            assert "Grading report" in instructor.content()
        finally:
            browser.close()
