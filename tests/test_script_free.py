"""Issue 19 items 5 and 6: no script from a submission runs in formgrader or in feedback, in a real browser.

A perfect 01_concepts submission with active content (a ``<script>`` and a
JavaScript output, an image whose width metadata smuggles an ``onload``
handler, ``<img onerror>`` and ``javascript:`` links in its manually graded
answer and in a new markdown cell, a MathJax ``\\href``) is graded with an
honest one through ``python -m course grade`` (sandboxed). Then formgrader,
started as an instructor starts it, serves the hostile submission to
headless Chromium, and the student's feedback page is opened too: no dialog
may open, no beacon request may leave, and no element of a cell may carry an
event handler or a script link. A control page, the same autograded notebook
with one unsanitized markdown cell written back, shows that the detector sees
script when formgrader renders it.
"""

import base64
import csv
import glob
import json
import os
import subprocess
import sys

import nbformat
import pytest

from browser_tools import CHROMIUM, CHROMIUM_FLAGS, active_tags, free_port, stop_server, wait_for_server
from conftest import copy_course, tools_env
from course.grading import nbgrader_api
from course.grading.sandbox import check_bwrap
from course.grading.students import first_code_index, write_changed_submission, write_submission

ASSIGNMENT, NOTEBOOK = "01_concepts", "concepts"
TOKEN = "course-xss-test"
SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not check_bwrap("bwrap")[0], reason=f"sandbox unavailable here: {check_bwrap('bwrap')[1]}"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed (.ci/run installs it)"),
]

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)).decode()

#: A code cell whose outputs try to run script when rendered.
ATTACK_CODE = f'''
import base64
from IPython.display import HTML, Image, Javascript, Markdown, display
display(HTML("<script>alert('xss-html'); fetch('/xss-beacon-html')</script><b>bold</b>"))
display(Javascript("alert('xss-js'); fetch('/xss-beacon-js')"))
display(Image(data=base64.b64decode("{PNG}"), width="1 onload=alert('xss-width')"))
display(Markdown("[click](javascript:alert('xss-md-output')) <img src=x onerror=alert('xss-md-img')>"))
display({{"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload=alert('xss-svg')></svg>", "text/plain": "svg"}}, raw=True)
'''
#: Markup a student can write in a markdown cell (and in a manually graded answer).
ATTACK_MARKDOWN = (
    "Answer <img src=x onerror=\"alert('xss-onerror')\"> [link](javascript:alert('xss-link')) "
    "[encoded](java&#115;cript:alert('xss-encoded')) $\\href{javascript:alert('xss-mathjax')}{math}$"
)


def _write_hostile(root: str) -> str:
    """The perfect 01 submission with the attacks in a new code cell, a new markdown cell and a written answer."""
    def edit(nb):
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(ATTACK_MARKDOWN, id="attack-markdown"))
        nb.cells.insert(first_code_index(nb) + 1, nbformat.v4.new_code_cell(ATTACK_CODE))

    written = {"economics_written": lambda source: source + "\n\n" + ATTACK_MARKDOWN}
    return write_changed_submission(root, ASSIGNMENT, "xss", "perfect", written, edit=edit)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course where the hostile and an honest 01 submission were graded by `python -m course grade`."""
    root = copy_course(str(tmp_path_factory.mktemp("xss")))
    nbgrader_api.generate_release(nbgrader_api.make_api(root), [ASSIGNMENT])
    honest = write_submission(root, ASSIGNMENT, "honest", "perfect")
    hostile = _write_hostile(root)
    proc = subprocess.run([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--require-sandbox"],
                          capture_output=True, text=True, env=tools_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return root, honest, hostile


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """formgrader, as an instructor starts it in the course directory; yields its base URL."""
    root = graded[0]
    port = free_port()
    log_path = str(tmp_path_factory.mktemp("formgrader") / "server.log")
    command = [sys.executable, "-m", "jupyter", "server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
               f"--IdentityProvider.token={TOKEN}", "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=root, env=tools_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/formgrader?token={TOKEN}", proc, log_path, seconds=120, what="formgrader")
        yield base
    finally:
        stop_server(proc)


#: Elements of the rendered cells that carry an event handler or a script URL.
ACTIVE_ELEMENTS_JS = """(root) => Array.from(document.querySelectorAll(root + ' *')).filter(e =>
    Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith('on')
        || /^\\s*(javascript|vbscript|data:text)/i.test(a.value.replace(/[\\u0000-\\u0020]/g, '')))
).map(e => e.outerHTML.slice(0, 200))"""


def _visit(browser, url: str, cells_selector: str, screenshot: str):
    """Opens ``url``; returns (dialogs, beacon requests, active elements in the cells)."""
    dialogs, beacons = [], []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: beacons.append(r.url) if "xss-beacon" in r.url else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(3000)  # MathJax, images and deferred handlers
    assert page.locator(cells_selector).count() > 10, "the page shows no notebook cells to check"
    active = page.evaluate(ACTIVE_ELEMENTS_JS, cells_selector)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, screenshot), full_page=False)
    page.close()
    return dialogs, beacons, active


def _submission_id(root: str, student: str) -> str:
    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        return gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).id


def test_the_hostile_submission_keeps_the_points_of_its_answers(graded):
    """Is the hostile submission graded like the honest one (its answers are perfect), and the stored outputs inert?"""
    root, honest, hostile = graded
    with open(os.path.join(root, "exports", "grades.csv"), encoding="utf-8") as fh:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}
    assert scores[hostile] == scores[honest] > 0
    from nbconvert.filters.markdown import markdown2html

    nb = nbformat.read(glob.glob(os.path.join(root, "autograded", hostile, ASSIGNMENT, "*.ipynb"))[0], as_version=4)
    # What renderers turn into markup: markdown cells and HTML outputs (code sources are shown escaped)
    markup = [markdown2html(c.source) for c in nb.cells if c.cell_type == "markdown"]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert not {"application/javascript", "image/svg+xml", "text/latex"} & set(data)
            markup.append("".join(data.get("text/html", "")))
            assert set(output.get("metadata", {})) <= {"width", "height", "image/png", "image/jpeg"}
    assert [found for page in markup for found in active_tags(page)] == []


def test_formgrader_runs_no_script_from_a_submission(graded, formgrader):
    """In formgrader, does the hostile submission's page open no dialog, send no beacon and hold no handler or
    script link in its cells, while the same page with one unsanitized cell written back does run script?"""
    from playwright.sync_api import sync_playwright

    root, _, hostile = graded
    url = f"{formgrader}/formgrader/submissions/{_submission_id(root, hostile)}/?token={TOKEN}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            dialogs, beacons, active = _visit(browser, url, ".cell", "formgrader-hostile.png")
            assert (dialogs, beacons, active) == ([], [], [])
            # Control: formgrader itself renders a stored markdown cell unsanitized.
            path = glob.glob(os.path.join(root, "autograded", hostile, ASSIGNMENT, "*.ipynb"))[0]
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(1, nbformat.v4.new_markdown_cell("<img src=x onerror=\"alert('control')\">"))
            nbformat.write(nb, path)
            dialogs, _, active = _visit(browser, url, ".cell", "formgrader-control.png")
            assert dialogs == ["control"] and active
        finally:
            browser.close()


def test_feedback_runs_no_script_from_a_submission(graded):
    """Does the hostile student's feedback page, opened in Chromium, open no dialog and hold no handler or script link?"""
    from playwright.sync_api import sync_playwright

    root, _, hostile = graded
    pages = glob.glob(os.path.join(root, "feedback", hostile, ASSIGNMENT, "*.html"))
    assert pages, "no feedback was generated"
    html = open(pages[0], encoding="utf-8").read()
    assert "bold" in html  # the harmless part of the HTML output is still shown
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            dialogs, beacons, active = _visit(browser, "file://" + pages[0], ".cell", "feedback-hostile.png")
        finally:
            browser.close()
    assert (dialogs, beacons, active) == ([], [], []), json.dumps(active)[:2000]
