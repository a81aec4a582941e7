"""Hostile submissions graded in one batch through `python -m course grade`, sandboxed.

Each attack of tests/hostile_students.py is a cell added to an otherwise
perfect 01_concepts submission (NumPy only: its kernel starts in seconds, so the batch
takes the time of its attacks), graded in one batch between two honest students.
"""

import compileall
import csv
import glob
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import nbformat
import psutil
import pytest

from conftest import REAL_KERNELS, copy_course
from course.grading import autograde, nbgrader_api
from course.grading.instructor_lines import course_secret_lines, normalise_html
from course.grading.leaks import find_leaks, own_lines, source_notebooks
from course.grading.sandbox import check_bwrap
from hostile_students import SUCCESS_WORDS, write_hostile_class

ASSIGNMENT = "01_concepts"
LIMIT_SECONDS = 30
LIMIT_MB = 2500

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not check_bwrap("bwrap")[0], reason=f"sandbox unavailable here: {check_bwrap('bwrap')[1]}"),
]


class Listener:
    """A TCP server on the host's loopback that records every connection (the network attack's target)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def _course_files():
    """Every file of the ``course`` package (bytecode included), with its size and modification time."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(nbgrader_api.__file__)))
    compileall.compile_dir(package, quiet=2)  # the grader's own imports write no bytecode during the batch
    found = {}
    for folder, _, files in os.walk(package):
        for name in files:
            st = os.stat(os.path.join(folder, name))
            found[os.path.join(folder, name)] = (st.st_size, st.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grades the hostile class in one batch; returns what the tests inspect."""
    root = copy_course(str(tmp_path_factory.mktemp("hostile")))
    with open(os.path.join(root, "nbgrader_config.py"), "a") as fh:
        fh.write(f'\nc.Sandbox.limits = {{"{ASSIGNMENT}": {{"seconds": {LIMIT_SECONDS}, "memory_mb": {LIMIT_MB}}}}}\n')
    home = str(tmp_path_factory.mktemp("grader-home"))
    with open(os.path.join(home, ".bashrc"), "w") as fh:
        fh.write("# the grader's own\n")
    marker = f"course-daemon-{uuid.uuid4().hex}"
    marker_file = os.path.join(str(tmp_path_factory.mktemp("outside")), "daemon.txt")
    api = nbgrader_api.make_api(root)
    nbgrader_api.generate_release(api, [ASSIGNMENT])
    listener = Listener()
    ids = write_hostile_class(root, ASSIGNMENT, home, listener.port, marker_file, marker)
    secret = "token-" + uuid.uuid4().hex
    env = dict(os.environ, HOME=home, GRADER_API_TOKEN=secret, **REAL_KERNELS)  # what the attacks reach is the question
    course_files = _course_files()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--require-sandbox"],
        capture_output=True,
        text=True,
        env=env,
        timeout=6 * LIMIT_SECONDS + 300,
    )
    seconds = time.monotonic() - started
    time.sleep(1)
    listener.close()
    yield {
        "root": root,
        "ids": ids,
        "proc": proc,
        "seconds": seconds,
        "home": home,
        "secret": secret,
        "marker": marker,
        "marker_file": marker_file,
        "connections": listener.connections,
        "course_files": course_files,
    }


def _report(batch):
    with open(os.path.join(batch["root"], "exports", "grading_report.csv"), encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _grades(batch):
    with open(os.path.join(batch["root"], "exports", "grades.csv"), encoding="utf-8") as fh:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}


def _full_marks(batch) -> float:
    """The autograded points of the assignment (what an honest perfect submission earns; manual ones are not graded)."""
    api = nbgrader_api.make_api(batch["root"])
    return autograde.autograded_points(api, ASSIGNMENT, batch["ids"]["first"])[1]


def _outputs(batch, name):
    """Everything the student's code printed (the autograded notebook, which only the instructor sees)."""
    path = glob.glob(os.path.join(batch["root"], "autograded", batch["ids"][name], ASSIGNMENT, "*.ipynb"))[0]
    return json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])


def test_batch_finishes_and_every_submission_is_graded_sandboxed(batch):
    """Does the whole hostile batch end with a grade for everyone, sandboxed, within the sum of its limits?"""
    assert batch["proc"].returncode == 0, batch["proc"].stderr[-3000:]
    report = _report(batch)
    assert set(report) == set(batch["ids"].values())
    assert {row["sandboxed"] for row in report.values()} == {"yes"}
    assert batch["seconds"] < len(batch["ids"]) * LIMIT_SECONDS


def test_honest_students_before_and_after_the_attacks_keep_full_marks(batch):
    """Do the attacks leave the honest students' grades (in the gradebook export) intact?"""
    grades = _grades(batch)
    full = _full_marks(batch)
    assert grades[batch["ids"]["first"]] == full and grades[batch["ids"]["last"]] == full


def test_attacks_that_only_snoop_get_the_points_of_their_correct_answers(batch):
    """Do the snooping and daemon submissions (otherwise perfect) still score exactly what their answers earn?"""
    grades = _grades(batch)
    full = _full_marks(batch)
    assert grades[batch["ids"]["snoop"]] == full and grades[batch["ids"]["daemon"]] == full


def test_no_attack_reaches_files_gradebook_home_network_or_secrets(batch):
    """Did any attack read source/, another student, the gradebook, the grader's home, the network or env secrets?"""
    printed = _outputs(batch, "snoop")
    assert "ENVIRONMENT" in printed and "CELL SOURCE" in printed  # the attack did run
    for word in SUCCESS_WORDS:
        assert word not in printed
    assert batch["secret"] not in printed
    assert open(os.path.join(batch["home"], ".bashrc")).read() == "# the grader's own\n"
    assert batch["connections"] == 0


def test_environment_and_course_package_are_unchanged(batch):
    """Are the course's Python files exactly as before the batch (no forged bytecode, no edits)?"""
    assert _course_files() == batch["course_files"]


def test_daemon_did_not_survive_its_submission(batch):
    """Is the process the daemon submission started gone, and did it never write outside its sandbox?"""
    alive = [p.pid for p in psutil.process_iter(["cmdline"]) if batch["marker"] in " ".join(p.info["cmdline"] or [])]
    assert alive == []
    assert not os.path.exists(batch["marker_file"])


def test_memory_bomb_and_endless_loop_fail_with_a_note_naming_the_limit(batch):
    """Do the memory bomb and the endless loop score zero with a note that names which limit stopped them?"""
    report, grades = _report(batch), _grades(batch)
    bomb, loop = report[batch["ids"]["bomb"]], report[batch["ids"]["loop"]]
    assert grades[batch["ids"]["bomb"]] == 0 and grades[batch["ids"]["loop"]] == 0
    assert "Sandbox limit reached" in bomb["notes"] and f"{LIMIT_MB:,} MiB" in bomb["notes"]
    assert "Sandbox limit reached" in loop["notes"] and f"{LIMIT_SECONDS} s" in loop["notes"]
    assert float(loop["seconds"]) < LIMIT_SECONDS + 30


def test_feedback_shows_active_content_as_text(batch):
    """Is script, event-handler and javascript: content from student output and markdown inert in feedback?"""
    assert _grades(batch)[batch["ids"]["xss"]] == _full_marks(batch)
    pages = glob.glob(os.path.join(batch["root"], "feedback", batch["ids"]["xss"], ASSIGNMENT, "*.html"))
    assert pages
    html = open(pages[0], encoding="utf-8").read()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.DOTALL | re.IGNORECASE)
    assert scripts and not [body for body in scripts if "xss" in body]  # the page's own scripts only
    assert not re.search(r"<img[^>]*onerror", html, re.IGNORECASE)
    assert not re.search(r"<a[^>]*href=[\"']?javascript:", html, re.IGNORECASE)
    assert not re.search(r"<svg[^>]*>", html, re.IGNORECASE)
    assert "xss-md" in html  # the markdown is still there, as text


def test_no_student_visible_output_holds_an_instructor_only_line(batch):
    """Do feedback, report and printed table show no line that only the source notebooks hold (hidden tests)?"""
    root = batch["root"]
    secrets = course_secret_lines(source_notebooks(root))
    for student in batch["ids"].values():
        own = own_lines(os.path.join(root, "submitted", student, ASSIGNMENT))
        for page in glob.glob(os.path.join(root, "feedback", student, ASSIGNMENT, "*.html")):
            assert find_leaks(normalise_html(open(page, encoding="utf-8").read()), secrets, own) == []
    with open(os.path.join(root, "exports", "grading_report.csv"), encoding="utf-8") as fh:
        assert find_leaks(fh.read(), secrets) == []
    assert find_leaks(batch["proc"].stdout, secrets) == []
    # The hook did print the hidden tests' source into the outputs; feedback shows the placeholder instead.
    feedback = glob.glob(os.path.join(root, "feedback", batch["ids"]["snoop"], ASSIGNMENT, "*.html"))
    assert feedback and "line removed from feedback" in open(feedback[0], encoding="utf-8").read()
