"""A student's session in a real browser: the JupyterLab of `make lab`, driven in headless Chromium.

Starts JupyterLab on localhost exactly as ``make lab`` does (``course.tools.studentlab``:
the student's copy of release/, a local nbgrader exchange, the student-side
nbgrader extensions only), opens release/00_setup in Debian's Chromium through
Playwright, validates the untouched notebook, types the answers, runs every
cell, validates again and asserts on the dialogs a student reads. Screenshots
go to ``build/browser/``. Skips where ``/usr/bin/chromium`` or Playwright is
missing (``.ci/run`` installs Chromium).
"""

import os
import subprocess
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from browser_tools import CHROMIUM, CHROMIUM_FLAGS, free_port, stop_server, type_answers, wait_for_server
from conftest import ROOT
from course.grading.students import solved_source
from course.tools.links import colab_url
from course.tools.studentlab import LabPaths, lab_command, prepare

ASSIGNMENT, NOTEBOOK = "00_setup", "check_environment.ipynb"
SCREENSHOTS = os.path.join(ROOT, "build", "browser")
TOKEN = "course-browser-test"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def student_lab(tmp_path):
    """A running student JupyterLab (as `make lab` starts it); yields (base URL, paths)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (.ci/run installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api")
    paths = LabPaths.under(str(tmp_path / "lab"))
    prepare(paths)
    port = free_port()
    extra = [f"--port={port}", "--ip=127.0.0.1", "--no-browser", f"--IdentityProvider.token={TOKEN}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # CI runs as root
    command, env = lab_command(paths, extra)
    env.update(COURSE_DATA_SOURCE="sample", TF_CPP_MIN_LOG_LEVEL="3")
    log_path = str(tmp_path / "jupyterlab.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={TOKEN}", proc, log_path)
        yield base, paths
    finally:
        stop_server(proc)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def _validate(page) -> str:
    """Clicks nbgrader's Validate button; returns the dialog's text once the result is shown, then closes it."""
    page.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("Validation Results").wait_for(timeout=300_000)
    return dialog.inner_text()


def _close_dialog(page) -> None:
    page.locator(".jp-Dialog").get_by_role("button", name="Ok").click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def test_student_validates_a_release_notebook_in_jupyterlab(student_lab):
    """In the `make lab` JupyterLab, does a student see Validate fail on the untouched notebook and pass once answered?"""
    from playwright.sync_api import sync_playwright

    base, paths = student_lab
    started = time.monotonic()
    # The instructor's server extensions are off; the student's are on.
    assert _status(f"{base}/formgrader?token={TOKEN}") == 404
    assert _status(f"{base}/assignments?course_id=llm-interview&token={TOKEN}") == 200
    source = nbformat.read(os.path.join(ROOT, "source", ASSIGNMENT, NOTEBOOK), as_version=4)
    answers = [solved_source(c) for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers, "the source notebook should have answer cells"
    os.makedirs(SCREENSHOTS, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"{base}/lab/tree/{ASSIGNMENT}/{NOTEBOOK}?token={TOKEN}")
            notebook = page.locator(".jp-NotebookPanel .jp-Notebook")
            notebook.locator(".jp-Cell").first.wait_for()

            # The header: the Colab badge opens this very notebook.
            badge = notebook.locator("a", has=page.locator("img[alt='Open In Colab']")).first
            assert badge.get_attribute("href") == colab_url(f"release/{ASSIGNMENT}/{NOTEBOOK}")

            # Student-side panels only: Assignment List yes; Formgrader, Create Assignment, Courses no.
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            menu = [t.strip() for t in page.locator(".lm-Menu-itemLabel").all_inner_texts() if t.strip()]
            page.keyboard.press("Escape")
            assert "Assignment List" in menu
            assert not {"Formgrader", "Course List"} & set(menu), menu
            assert page.locator(".lm-TabBar-tab[title*='Create Assignment']").count() == 0

            # Untouched: Validate names the failing tests.
            untouched = _validate(page)
            assert "The following cell failed" in untouched and "NotImplementedError" in untouched, untouched
            page.screenshot(path=os.path.join(SCREENSHOTS, "untouched.png"))
            _close_dialog(page)

            # Type each answer into its cell, as a student would.
            type_answers(page, notebook, answers)

            # Run every cell in the student's kernel; the visible tests print their results.
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
            page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
            outputs = notebook.locator(".jp-OutputArea-output")
            outputs.filter(has_text="positive reviews in the training split:").wait_for(timeout=300_000)
            assert outputs.filter(has_text="counts per digit:").count() == 1
            assert notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", has_text="Error").count() == 0
            page.keyboard.press("Control+S")
            page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached", timeout=30_000)

            validated = _validate(page)
            path = os.path.join(SCREENSHOTS, "validated.png")
            page.screenshot(path=path)
            assert "Success! Your notebook passes all the tests." in validated, validated
            _close_dialog(page)
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(f"\nbrowser session: {elapsed:.0f} s; screenshot: {path}")
    # The student's work is saved in the workspace, not in the repository's release/.
    answer_line = answers[0].strip().splitlines()[-1].strip()
    saved = nbformat.read(os.path.join(paths.workspace, ASSIGNMENT, NOTEBOOK), as_version=4)
    assert any(answer_line in c.source for c in saved.cells)
    with open(os.path.join(ROOT, "release", ASSIGNMENT, NOTEBOOK), encoding="utf-8") as fh:
        assert answer_line not in fh.read()

