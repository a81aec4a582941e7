"""Issue #19, the second round of grader holes: hostile 01_concepts submissions graded in one batch.

Every submission goes through the real path, ``python -m course grade
01_concepts --require-sandbox`` (coordinator intake, Dask workers, the
bubblewrap sandbox, the function runner, feedback, the leak scan, the
report), between two honest students. A perfect submission earns 34
autograded points (17 more are graded by hand). Each test names the item of
the issue it proves.
"""

import csv
import glob
import json
import os
import subprocess
import sys
import time
import uuid

import nbformat
import pytest

from conftest import scratch_course, tools_env
from course.grading.sandbox import probe
from course.grading.students import write_submission

ASSIGNMENT = "01_concepts"
NOTEBOOK = "concepts.ipynb"
PERFECT = 34

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not probe("bwrap")[0], reason=f"sandbox unavailable here: {probe('bwrap')[1]}"),
]


def _folder(root, student):
    return os.path.join(root, "submitted", student, ASSIGNMENT)


def _edit(root, student, change):
    """Applies ``change(nb)`` to the student's notebook."""
    path = os.path.join(_folder(root, student), NOTEBOOK)
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _add_cell(root, student, source, after="imports", cell_type="code"):
    def change(nb):
        index = nb.cells.index(_cell(nb, after))
        new = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
        nb.cells.insert(index + 1, new(source, id=f"added-{uuid.uuid4().hex[:8]}"))

    _edit(root, student, change)


# ------------------------------------------------------------------ the hostile students

#: Item 2: prints the kernel's environment, and a function that answers wrongly when it sees the salt.
SALT_SNOOP = "import os\nprint('KERNEL ENVIRONMENT', dict(os.environ))"
SALT_PRUNE = '''import os
def magnitude_prune(weights, sparsity):
    """Right only where no grading salt can be read."""
    if "COURSE_GRADING_SALT" in os.environ:
        raise RuntimeError("SALT SEEN " + os.environ["COURSE_GRADING_SALT"])
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError("sparsity must lie in [0, 1]")
    weights = np.asarray(weights)
    pruned = weights.copy()
    k = int(np.floor(sparsity * weights.size))
    pruned.reshape(-1)[np.argsort(np.abs(weights).ravel(), kind="stable")[:k]] = 0
    return pruned
'''


def write_salt_snoop(root):
    student = write_submission(root, ASSIGNMENT, "b-salt", "perfect")
    _add_cell(root, student, SALT_SNOOP)
    _edit(root, student, lambda nb: setattr(_cell(nb, "magnitude_prune"), "source", SALT_PRUNE))
    return student


def write_environ_link(root):
    """Item 4: timestamp.txt is a link to the coordinator's /proc/self/environ."""
    student = write_submission(root, ASSIGNMENT, "c-environ-link", "perfect")
    os.remove(os.path.join(_folder(root, student), "timestamp.txt"))
    os.symlink("/proc/self/environ", os.path.join(_folder(root, student), "timestamp.txt"))
    return student


def write_fifo(root):
    """Item 4: timestamp.txt is a FIFO nobody writes to (it blocked the whole batch)."""
    student = write_submission(root, ASSIGNMENT, "d-fifo", "perfect")
    os.remove(os.path.join(_folder(root, student), "timestamp.txt"))
    os.mkfifo(os.path.join(_folder(root, student), "timestamp.txt"))
    return student


HOSTILE = {
    "salt": write_salt_snoop,
    "environ_link": write_environ_link,
    "fifo": write_fifo,
}


@pytest.fixture(scope="module")
def holes_batch(tmp_path_factory):
    """Grades the hostile class of issue #19 in one batch; returns what the tests inspect."""
    root = scratch_course(tmp_path_factory.mktemp("holes"), [ASSIGNMENT])
    ids = {"first": write_submission(root, ASSIGNMENT, "a-first", "perfect")}
    for name, writer in HOSTILE.items():
        ids[name] = writer(root)
    ids["last"] = write_submission(root, ASSIGNMENT, "z-last", "perfect")
    salt = "salt-" + uuid.uuid4().hex
    token = "token-" + uuid.uuid4().hex
    env = dict(tools_env(), COURSE_GRADING_SALT=salt, GRADER_API_TOKEN=token)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--require-sandbox"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    yield {"root": root, "ids": ids, "proc": proc, "salt": salt, "token": token, "seconds": time.monotonic() - started}


def _report(batch):
    with open(os.path.join(batch["root"], "exports", "grading_report.csv"), encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def _points(batch, name):
    """Autograded points of one student, from the gradebook export."""
    with open(os.path.join(batch["root"], "exports", "grades.csv"), encoding="utf-8") as fh:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}[batch["ids"][name]]


def _autograded(batch, name):
    return nbformat.read(os.path.join(batch["root"], "autograded", batch["ids"][name], ASSIGNMENT, NOTEBOOK), as_version=4)


def _feedback(batch, name):
    pages = glob.glob(os.path.join(batch["root"], "feedback", batch["ids"][name], ASSIGNMENT, "*.html"))
    return open(pages[0], encoding="utf-8").read() if pages else None


def _everything_shown(batch):
    """Everything a student or the instructor reads: report, page, table, autograded notebooks, feedback."""
    root = batch["root"]
    parts = [batch["proc"].stdout, batch["proc"].stderr]
    for path in glob.glob(os.path.join(root, "exports", "*")) + glob.glob(os.path.join(root, "autograded", "*", "*", "*.ipynb")) \
            + glob.glob(os.path.join(root, "feedback", "*", "*", "*.html")):
        with open(path, encoding="utf-8", errors="replace") as fh:
            parts.append(fh.read())
    return "\n".join(parts)


def test_batch_finishes_and_honest_students_keep_full_marks(holes_batch):
    """Does the hostile batch end with a grade for everyone, sandboxed, and do the honest students keep 34?"""
    assert holes_batch["proc"].returncode == 0, holes_batch["proc"].stderr[-3000:]
    report = _report(holes_batch)
    assert set(report) == set(holes_batch["ids"].values())
    assert {row["sandboxed"] for row in report.values()} == {"yes"}
    assert {row["status"] for row in report.values()} == {"graded"}
    assert _points(holes_batch, "first") == PERFECT and _points(holes_batch, "last") == PERFECT


def test_item2_the_salt_reaches_neither_kernel_nor_function_runner(holes_batch):
    """Item 2: is COURSE_GRADING_SALT (and any token) invisible to the kernel and the runner, so the answer scores in full?"""
    printed = json.dumps([c.get("outputs", []) for c in _autograded(holes_batch, "salt").cells])
    assert "KERNEL ENVIRONMENT" in printed and "COURSE_PROFILE" in printed  # the snoop ran, the settings are there
    assert "COURSE_GRADING_SALT" not in printed and "SALT SEEN" not in printed
    assert _points(holes_batch, "salt") == PERFECT  # the runner's magnitude_prune never saw the salt
    shown = _everything_shown(holes_batch)
    assert holes_batch["salt"] not in shown and holes_batch["token"] not in shown


def test_item4_links_and_fifos_in_a_submission_are_never_opened(holes_batch):
    """Item 4: is a timestamp.txt link to /proc/self/environ refused unread, and a FIFO refused without blocking the batch?"""
    report = _report(holes_batch)
    for name in ("environ_link", "fifo"):
        assert _points(holes_batch, name) == PERFECT
        notes = report[holes_batch["ids"][name]]["notes"]
        assert "not regular files and were neither opened nor graded" in notes
    assert "symbolic link" in report[holes_batch["ids"]["environ_link"]]["notes"]
    assert "FIFO" in report[holes_batch["ids"]["fifo"]]["notes"]
    shown = _everything_shown(holes_batch)
    assert holes_batch["token"] not in shown and holes_batch["salt"] not in shown
    assert holes_batch["seconds"] < 600
