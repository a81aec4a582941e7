"""Grading a class on Dask (course/grading/cluster.py): same grades in parallel, workers dying, resuming."""

import csv
import re
import glob
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import REAL_KERNELS, copy_course, scratch_course, tools_env
from course.grading import autograde, cluster, exports, nbgrader_api
from course.grading.worker import read_tree
from course.grading.instructor_lines import normalise_html
from course.grading.students import write_students, write_submission

ASSIGNMENT = "01_concepts"  # NumPy only: a few seconds per submission
CLASS = ["perfect", "untouched", "partial", "kernel-death"]

pytestmark = pytest.mark.slow


def _course(tmp_path, extra_config: str = "") -> str:
    return scratch_course(tmp_path, [ASSIGNMENT], extra_config)


def _grades(root) -> dict:
    api = nbgrader_api.make_api(root)
    path = exports.export_grades(api, os.path.join(root, "grades-check.csv"))
    with open(path, encoding="utf-8") as fh:
        return {row["student_id"]: row["score"] for row in csv.DictReader(fh) if row["assignment"] == ASSIGNMENT}


def _cell_grades(root, student) -> dict:
    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {(g.notebook.name, g.name): (g.auto_score, g.needs_manual_grade) for nb in submission.notebooks for g in nb.grades}


def _auto_max(root) -> float:
    """Autograded points of the assignment (what the perfect student earns)."""
    return autograde.autograded_points(nbgrader_api.make_api(root), ASSIGNMENT, "demo-perfect")[1]


def _text(html: bytes) -> str:
    """Feedback as text, without white space and execution counts (the count of the cell during
    which a kernel is killed depends on whether its reply raced the kill)."""
    text = re.sub(r"\s+", "", normalise_html(html.decode("utf-8")))
    return re.sub(r"In\[\d*\]:", "In[]:", text)


def _env(real_kernels: bool = False):
    """The grader's environment; ``real_kernels``: no execution cache, for a test that needs a notebook still running."""
    return dict(tools_env(), **REAL_KERNELS) if real_kernels else tools_env()


def _log_lines(root, word):
    path = os.path.join(root, "exports", "grading.log")
    if not os.path.exists(path):
        return []
    return [line for line in open(path, encoding="utf-8") if word in line]


def test_one_and_two_workers_give_identical_grades_and_feedback(tmp_path):
    """Does grading a class on 2 workers give exactly the grades, cell by cell, and the feedback of 1 worker?"""
    roots = {}
    for workers in (1, 2):
        root = _course(tmp_path / f"w{workers}")
        ids = write_students(root, ASSIGNMENT, CLASS)
        records = cluster.grade_class(root, ASSIGNMENT, workers=workers, progress=False)
        assert [r.student for r in records] == sorted(ids)
        roots[workers] = root
    assert _grades(roots[1]) == _grades(roots[2])
    for student in sorted(_grades(roots[1])):
        assert _cell_grades(roots[1], student) == _cell_grades(roots[2], student)
        if student == "demo-kernel-death":
            continue  # what a killed kernel flushed before dying is a race, with any number of workers
        one = read_tree(os.path.join(roots[1], "feedback", student, ASSIGNMENT))
        two = read_tree(os.path.join(roots[2], "feedback", student, ASSIGNMENT))
        # The same text; a kernel may split one print into several stream outputs (HTML blocks).
        assert one.keys() == two.keys() and one
        for name in one:
            assert _text(one[name]) == _text(two[name]), name
    assert float(_grades(roots[2])["demo-perfect"]) == _auto_max(roots[2])


def test_resume_grades_only_what_is_missing_or_changed(tmp_path):
    """After an interrupted batch, does the same command grade only the rest, and a changed submission again?"""
    root = _course(tmp_path)
    ids = write_students(root, ASSIGNMENT, ["perfect", "untouched", "partial"])
    ids += [write_submission(root, ASSIGNMENT, f"extra-{i}", "perfect") for i in range(3)]
    cmd = [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--workers", "1"]
    # Ctrl-C reaches the grader as in a terminal, also where this test runs in a background job
    # (whose children inherit SIGINT ignored, so Python would never raise KeyboardInterrupt).
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not _log_lines(root, " graded (") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    done = {line.split(" / ")[1].split(":")[0] for line in _log_lines(root, " graded (")}
    assert proc.returncode == 130 and 1 <= len(done) < len(ids), (out[-2000:], err[-2000:])
    # The gradebook is consistent: every submission it has is complete.
    for student in done:
        assert all(score is not None or manual for score, manual in _cell_grades(root, student).values())
    os.remove(os.path.join(root, "exports", "grading.log"))
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    regraded = {line.split(" / ")[1].split(":")[0] for line in _log_lines(root, " graded (")}
    skipped = {line.split(" / ")[1].split(":")[0] for line in _log_lines(root, "up to date")}
    assert regraded == set(ids) - done and skipped == done
    # A changed submission is graded again; the others are not.
    changed = sorted(done)[0]
    with open(os.path.join(root, "submitted", changed, ASSIGNMENT, "timestamp.txt"), "w") as fh:
        fh.write("2026-01-16 10:00:00.000000 UTC")
    os.remove(os.path.join(root, "exports", "grading.log"))
    subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600, check=True)
    assert {line.split(" / ")[1].split(":")[0] for line in _log_lines(root, " graded (")} == {changed}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_distributed_run_survives_a_killed_worker(tmp_path):
    """With a real scheduler and two worker processes, does SIGKILL on one worker mid-batch still end with every submission graded or explained?"""
    root = _course(tmp_path)
    ids = write_students(root, ASSIGNMENT, CLASS) + [write_submission(root, ASSIGNMENT, f"extra-{i}", "perfect") for i in range(4)]
    port = _free_port()
    bindir = os.path.dirname(sys.executable)
    env = _env(real_kernels=True)  # the worker must die in the middle of a running notebook
    scheduler = subprocess.Popen(
        [os.path.join(bindir, "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers = [
        subprocess.Popen(
            [os.path.join(bindir, "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--name", f"w{i}", "--local-directory", str(tmp_path / f"w{i}")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        grader = subprocess.Popen(
            [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--scheduler", f"tcp://127.0.0.1:{port}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 300
        while not _log_lines(root, " graded (") and time.monotonic() < deadline and grader.poll() is None:
            time.sleep(0.2)
        workers[0].send_signal(signal.SIGKILL)  # mid-batch: the other submissions are still being graded
        out, err = grader.communicate(timeout=900)
        assert grader.returncode == 0, (out[-2000:], err[-3000:])
    finally:
        for proc in workers + [scheduler]:
            proc.kill()
            proc.wait(timeout=30)
    with open(os.path.join(root, "exports", "grading_report.csv"), encoding="utf-8") as fh:
        report = {row["student"]: row for row in csv.DictReader(fh)}
    assert set(report) == set(ids)
    for row in report.values():
        assert row["status"] == "graded" or "Not graded" in row["notes"]
    grades = _grades(root)
    assert set(grades) == set(ids)
    assert float(grades["demo-perfect"]) == _auto_max(root) and float(grades["demo-untouched"]) == 0
    for student in ids:
        assert all(score is not None or manual for score, manual in _cell_grades(root, student).values())


def test_grading_an_assignment_that_was_never_released_says_what_to_run(tmp_path):
    """Is an unreleased assignment refused in one line naming the command to run first (not a MissingEntry traceback)?"""
    root = copy_course(str(tmp_path))
    nbgrader_api.generate_release(nbgrader_api.make_api(root), ["00_setup"])
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2
    assert f"python -m course release {ASSIGNMENT}" in proc.stderr and "Traceback" not in proc.stderr


def test_report_table_and_timeouts_come_from_the_gradebook(tmp_path):
    """Do the table, report and HTML page show the gradebook's scores after a later change, and name a cell that hit the cell time limit?"""
    from course.grading.report import write_html_report

    root = _course(tmp_path, "c.Execute.timeout = 10")
    write_students(root, ASSIGNMENT, ["perfect", "untouched"])
    slow = write_submission(root, ASSIGNMENT, "slow", "perfect")
    folder = os.path.join(root, "submitted", slow, ASSIGNMENT)
    import nbformat

    path = glob.glob(os.path.join(folder, "*.ipynb"))[0]
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(600)", id="student-sleeps"))
    nbformat.write(nb, path)
    records = cluster.grade_class(root, ASSIGNMENT, workers=1, progress=False)
    by_student = {r.student: r for r in records}
    assert any("hit the per-cell time limit of 10 s" in n for n in by_student[slow].notes)
    assert by_student[slow].auto_score == by_student[slow].auto_max  # the interrupted cell was the student's own; every test still ran
    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:  # e.g. an instructor's manual change in formgrader after the batch
        grade = gb.find_grade("test_transformer_params", "concepts", ASSIGNMENT, "demo-perfect")
        points = grade.max_score
        grade.manual_score = 0
        gb.db.commit()
    records = autograde.refresh_scores(api, records)
    expected = _auto_max(root) - points
    assert {r.student: r.score for r in records}["demo-perfect"] == float(_grades(root)["demo-perfect"]) == expected
    page = open(write_html_report(api, records, os.path.join(root, "exports", "report.html")), encoding="utf-8").read()
    assert page.count("data:image/png;base64,") == 1 and slow in page and "per-cell time limit" in page
