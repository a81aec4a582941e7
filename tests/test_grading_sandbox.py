"""Grading entry points and the sandbox: plain nbgrader, the fallback without bubblewrap, --require-sandbox."""

import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import REAL_KERNELS, scratch_course, tools_env
from course.grading import autograde, nbgrader_api
from course.grading.sandbox import INSIDE_WORKDIR, check_bwrap
from course.grading.students import write_submission

ASSIGNMENT = "01_concepts"  # the fastest assignment to grade (NumPy only)

pytestmark = pytest.mark.slow


def _course(tmp_path, extra_config: str = "") -> str:
    return scratch_course(tmp_path, [ASSIGNMENT], extra_config)


def _with_cell(root: str, student: str, code: str) -> str:
    student_id = write_submission(root, ASSIGNMENT, student, "perfect")
    folder = os.path.join(root, "submitted", student_id, ASSIGNMENT)
    for name in os.listdir(folder):
        if name.endswith(".ipynb"):
            nb = nbformat.read(os.path.join(folder, name), as_version=4)
            nb.cells.insert(2, nbformat.v4.new_code_cell(code, id="student-cell"))
            nbformat.write(nb, os.path.join(folder, name))
    return student_id


def _env():
    """Every notebook runs in a real kernel here: what it can reach is the question."""
    return dict(tools_env(), **REAL_KERNELS)


def _report(root):
    with open(os.path.join(root, "exports", "grading_report.csv"), encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.skipif(not check_bwrap("bwrap")[0], reason="sandbox unavailable here")
def test_plain_nbgrader_autograde_runs_the_kernel_in_the_sandbox(tmp_path):
    """Does `nbgrader autograde` (as formgrader runs it) get the course's sandbox from nbgrader_config.py?"""
    root = _course(tmp_path)
    student = _with_cell(root, "cwd", "import os\nprint('WORKDIR', os.getcwd(), os.path.exists('../../../gradebook.db'))")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", ASSIGNMENT, "--student", student, "--create", "--force"],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    path = os.path.join(root, "autograded", student, ASSIGNMENT, "concepts.ipynb")
    printed = json.dumps([c.get("outputs", []) for c in nbformat.read(path, as_version=4).cells])
    assert f"WORKDIR {INSIDE_WORKDIR} False" in printed
    score, maximum = autograde.autograded_points(nbgrader_api.make_api(root), ASSIGNMENT, student)
    assert score == maximum > 0


def test_without_bubblewrap_grading_goes_on_and_says_so(tmp_path):
    """Without bubblewrap, is every submission still graded, flagged in the report and the table?"""
    root = _course(tmp_path, 'c.Sandbox.bwrap = "/nonexistent/bwrap"')
    write_submission(root, ASSIGNMENT, "perfect", "perfect")
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "WARNING: 1 submission(s) were graded without the sandbox" in proc.stdout
    (row,) = _report(root)
    assert row["sandboxed"] == "NO" and "WITHOUT the sandbox" in row["notes"] and "bubblewrap" in row["notes"]
    score, maximum = autograde.autograded_points(nbgrader_api.make_api(root), ASSIGNMENT, row["student"])
    assert score == maximum > 0


def test_require_sandbox_refuses_to_grade_without_it(tmp_path):
    """With --require-sandbox and no bubblewrap, does grading stop before running any student code?"""
    root = _course(tmp_path, 'c.Sandbox.bwrap = "/nonexistent/bwrap"')
    student = _with_cell(root, "canary", f"open({str(tmp_path / 'ran.txt')!r}, 'w').write('student code ran')")
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--require-sandbox"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2
    assert "Not grading" in proc.stderr and "bubblewrap" in proc.stderr
    assert not (tmp_path / "ran.txt").exists()
    assert not os.path.exists(os.path.join(root, "autograded", student))


def test_plain_nbgrader_refuses_links_and_special_files(tmp_path):
    """Item 3 of #19: do plain `nbgrader autograde` and `generate_feedback` refuse a key.txt link to the answer key,
    a notebook linked to the source notebook and a FIFO, without blocking, leaking or scoring the linked notebook?"""
    root = _course(tmp_path)
    linked = write_submission(root, ASSIGNMENT, "linked", "perfect")
    folder = os.path.join(root, "submitted", linked, ASSIGNMENT)
    os.remove(os.path.join(folder, "concepts.ipynb"))
    os.symlink(os.path.join(root, "source", ASSIGNMENT, "concepts.ipynb"), os.path.join(folder, "concepts.ipynb"))
    os.symlink(os.path.join(root, "source", ASSIGNMENT, "concepts_key.py"), os.path.join(folder, "key.txt"))
    os.mkfifo(os.path.join(folder, "pipe.txt"))
    honest = write_submission(root, ASSIGNMENT, "honest", "perfect")
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    logs = []
    for command in (["autograde", ASSIGNMENT, "--create", "--force"], ["generate_feedback", ASSIGNMENT, "--force"]):
        proc = subprocess.run([nbgrader] + command, cwd=root, env=_env(), capture_output=True, text=True, timeout=600)
        logs.append(proc.stdout + proc.stderr)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "not regular files and were neither opened nor graded" in logs[0]
    api = nbgrader_api.make_api(root)
    points = autograde.autograded_points(api, ASSIGNMENT, linked)
    assert points is None or points[0] == 0  # nothing of the source notebook is graded as the student's
    score, maximum = autograde.autograded_points(api, ASSIGNMENT, honest)
    assert score == maximum > 0
    key_text = open(os.path.join(root, "source", ASSIGNMENT, "concepts_key.py"), encoding="utf-8").read()
    needle = [line for line in key_text.splitlines() if len(line) > 40][0]
    for step in ("autograded", "feedback"):
        for dirpath, _, names in os.walk(os.path.join(root, step, linked)):
            for name in names:
                path = os.path.join(dirpath, name)
                assert not os.path.islink(path)
                assert needle not in open(path, encoding="utf-8", errors="replace").read(), path
    refused = os.path.join(root, "submitted", linked, f".refused-{ASSIGNMENT}")
    assert sorted(os.listdir(refused)) == ["concepts.ipynb", "key.txt", "pipe.txt"]
