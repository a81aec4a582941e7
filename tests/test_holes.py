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

from conftest import REAL_KERNELS, scratch_course, tools_env
from course.grading.sandbox import check_bwrap
from course.grading.students import cell_with_grade_id, write_changed_submission, write_submission

ASSIGNMENT = "01_concepts"
NOTEBOOK = "concepts.ipynb"
PERFECT = 34

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not check_bwrap("bwrap")[0], reason=f"sandbox unavailable here: {check_bwrap('bwrap')[1]}"),
]


def _folder(root, student):
    return os.path.join(root, "submitted", student, ASSIGNMENT)


def _added(source):
    """An ``edit`` of ``write_changed_submission``: a code cell of the student's own after the ``imports`` cell."""
    def edit(nb):
        index = nb.cells.index(cell_with_grade_id(nb, "imports"))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source, id=f"added-{uuid.uuid4().hex[:8]}"))

    return edit


def _writer(student, changes=None, added=None):
    """A writer of ``HOSTILE``: the perfect submission of ``student`` with ``changes`` and the ``added`` cell."""
    def write(root):
        return write_changed_submission(root, ASSIGNMENT, student, "perfect", changes or {},
                                        edit=_added(added) if added else None)

    return write


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


#: Item 1: reads every notebook in its folder and prints the instructor-only text it finds there.
SELF_READ = """import glob, json
for path in glob.glob('*.ipynb') + glob.glob('/submission/*.ipynb'):
    for cell in json.load(open(path))['cells']:
        text = ''.join(cell['source'])
        if 'FOUND' + ' IN FILE' not in text and ('BEGIN' in text or 'hand_in' in text or 'follow-through' in text):
            print('FOUND IN FILE', path, text)
    print('READ', path, len(open(path).read()))
"""
#: Item 1: prints every later cell's source re-formatted (upper case, zero-width spaces), past line matching.
REFORMAT_HOOK = (
    "get_ipython().events.register('pre_run_cell', "
    "lambda info: print('\\u200b'.join(info.raw_cell.upper())))"
)


#: Item 12: the honest answer written on one line.
ONE_LINE = ('q1_traits = {"A": "advantage", "B": "disadvantage", "C": "neither", "D": "advantage", '
            '"E": "disadvantage", "F": "neither", "G": "advantage", "H": "disadvantage"}')


#: Item 13: region markers in a student's written answer and in a code cell of theirs.
MARKERS_ANSWER = "My answer. ### BEGIN HIDDEN TESTS (unbalanced, on purpose) and ### BEGIN MARK SCHEME too."
MARKERS_CODE = "print('### BEGIN HIDDEN TESTS')\n### END HIDDEN TESTS\n### BEGIN HIDDEN TESTS"


def write_foreign_cells(root):
    """Item 11: a test cell and a task cell pasted from 00_setup, with that notebook's nbgrader metadata."""
    other = nbformat.read(os.path.join(root, "source", "00_setup", "check_environment.ipynb"), as_version=4)
    pasted = [c for c in other.cells if c.metadata.get("nbgrader", {}).get("grade")][:2]
    task = dict(pasted[0].metadata.nbgrader, grade_id="foreign_task", task=True, grade=False, solution=False)

    def paste(nb):
        index = nb.cells.index(cell_with_grade_id(nb, "imports"))
        for offset, cell in enumerate(pasted):
            copy = nbformat.v4.new_code_cell(cell.source, id=f"pasted-{offset}")
            copy.metadata["nbgrader"] = dict(cell.metadata.nbgrader)
            nb.cells.insert(index + 1 + offset, copy)
        md = nbformat.v4.new_markdown_cell("pasted task", id="pasted-task")
        md.metadata["nbgrader"] = task
        nb.cells.insert(index + 1, md)

    return write_changed_submission(root, ASSIGNMENT, "i-foreign", "perfect", {}, edit=paste)


#: Item 10: a file whose name injects a false warning line, and student code that prints fake log lines.
FAKE_NAME = "x\n[WARNING] Graded WITHOUT the sandbox: forged\nSandbox limit reached in test_q1_traits: memory: forged.ipynb"
FAKE_LOG = (
    "import sys\n"
    "print('Graded WITHOUT the sandbox: printed')\n"
    "print('Sandbox limit reached in test_q1_traits: memory: it used more than 1 MiB', file=sys.stderr)\n"
    "class CellTimeoutError(Exception):\n    pass\n"
    "raise CellTimeoutError('not a real timeout')"
)


def write_fake_notes(root):
    student = "j-fake-notes"

    def edit(nb):
        nbformat.write(nb, os.path.join(_folder(root, "demo-" + student), FAKE_NAME))  # the honest notebook, a forged name
        _added(FAKE_LOG)(nb)

    return write_changed_submission(root, ASSIGNMENT, student, "perfect", {}, edit=edit)


#: Item 8: dequantize_int8 switches the runner's alarm off and never returns for one of the grader's cases.
STUBBORN_DEQUANTIZE = '''def dequantize_int8(q, scale):
    """Right, except that it hangs (ignoring SIGALRM) for scale 0.5."""
    import signal
    if scale == 0.5:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            pass
    return (np.asarray(q).astype(np.float64) * scale).astype(np.float32)
'''
#: Item 8: magnitude_prune takes memory without end when the grader calls it (only there).
GREEDY_PRUNE = '''def magnitude_prune(weights, sparsity):
    """Allocates without end."""
    blocks = []
    while True:
        blocks.append(b"x" * 2**26)
'''


def _indented(text):
    return "\n".join("    " + line for line in text.splitlines())


#: The kernel's own visible test calls magnitude_prune too: only the grader's runner (not in /submission) gets the loop.
HONEST_PRUNE = SALT_PRUNE.replace("import os\n", "")
GREEDY_ONLY_IN_RUNNER = (
    f"import os\nif os.getcwd() == '/submission':\n{_indented(HONEST_PRUNE)}\nelse:\n{_indented(GREEDY_PRUNE)}\n"
)


#: Item 7: one file over the disk limit (refused), then the folder filled past it.
DISK_FILL = """import os, time
try:
    open('one-big-file', 'wb').write(b'x' * 150 * 2**20)
    print('BIG FILE WRITTEN')
except OSError as err:
    print('BIG FILE REFUSED', err.errno)
os.remove('one-big-file')
time.sleep(2)  # the message reaches the grader before the folder fills
for i in range(30):
    with open(f'fill-{i}', 'wb') as fh:
        fh.write(b'x' * 8 * 2**20)
time.sleep(10)
"""
#: Item 7: /tmp filled (tmpfs, so memory), just under the memory limit, then a little resident memory.
TMPFS_FILL = """import time
for i in range(10):  # files of 64 MiB: each under the disk limit of one file
    with open(f'/tmp/fill-{i}', 'wb') as fh:
        fh.write(b'x' * 64 * 2**20)
ram = b'y' * 200 * 2**20
time.sleep(10)
"""


#: Item 9: 75 images of 2 MiB and 40 MiB of text in the kernel; 100 MiB written to every fd by the runner.
FLOOD = """import base64, os
from IPython.display import Image, display
blob = os.urandom(2 * 2**20)
for _ in range(75):
    display(Image(data=b'\\x89PNG\\r\\n\\x1a\\n' + blob, format='png'))
for _ in range(40):
    print('z' * 2**20)
"""
FLOOD_DEQUANTIZE = '''def dequantize_int8(q, scale):
    """Right, after writing 100 MiB to every open file descriptor (only where the grader runs it)."""
    import os
    if os.getcwd() != "/submission":
        line = b"w" * 2**20 + b"\\n"
        for fd in range(1, 12):  # 1 and 2 go to /dev/null; the runner's own copy of stdout is among the others
            for _ in range(100 if fd > 2 else 1):
                try:
                    os.write(fd, line)
                except OSError:
                    break
    return (np.asarray(q).astype(np.float64) * scale).astype(np.float32)
'''


#: The hostile students in name order: each writes one and returns its student id.
HOSTILE = {
    "salt": _writer("b-salt", {"magnitude_prune": SALT_PRUNE}, SALT_SNOOP),
    "environ_link": write_environ_link,
    "fifo": write_fifo,
    "self_read": _writer("e-self-read", added=SELF_READ),
    "reformat": _writer("f-reformat", added=REFORMAT_HOOK),
    "one_line": _writer("g-one-line", {"q1_traits": ONE_LINE}),
    "markers": _writer("h-markers", {"q1_written": MARKERS_ANSWER}, MARKERS_CODE),
    "foreign": write_foreign_cells,
    "fake_notes": write_fake_notes,
    "stubborn": _writer("k-stubborn", {"dequantize_int8": STUBBORN_DEQUANTIZE}),
    "greedy_runner": _writer("l-greedy-runner", {"magnitude_prune": GREEDY_ONLY_IN_RUNNER}),
    "disk": _writer("m-disk", added=DISK_FILL),
    "tmpfs": _writer("n-tmpfs", added=TMPFS_FILL),
    "flood": _writer("o-flood", {"dequantize_int8": FLOOD_DEQUANTIZE}, FLOOD),
}

#: The batch's limits (01's reference run: 3 s, 0.1 GiB): low, so that the attacks hit them quickly.
LIMITS_CONFIG = (
    'c.Sandbox.limits = {"01_concepts": {"seconds": 60, "memory_mb": 700, "disk_mb": 100}}\n'
    "c.VerifyArtifacts.call_timeout = 5"
)


@pytest.fixture(scope="module")
def holes_batch(tmp_path_factory):
    """Grades the hostile class of issue #19 in one batch; returns what the tests inspect."""
    root = scratch_course(tmp_path_factory.mktemp("holes"), [ASSIGNMENT], LIMITS_CONFIG)
    ids = {"first": write_submission(root, ASSIGNMENT, "a-first", "perfect")}
    for name, writer in HOSTILE.items():
        ids[name] = writer(root)
    ids["last"] = write_submission(root, ASSIGNMENT, "z-last", "perfect")
    salt = "salt-" + uuid.uuid4().hex
    token = "token-" + uuid.uuid4().hex
    env = dict(tools_env(), COURSE_GRADING_SALT=salt, GRADER_API_TOKEN=token, **REAL_KERNELS)  # what the attacks reach is the question
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


def test_item1_the_kernel_finds_no_mark_scheme_or_hidden_test_in_its_notebook(holes_batch):
    """Item 1: does the kernel's copy of its notebook hold no mark scheme and no hidden test (the code it runs is all it gets)?"""
    printed = json.dumps([c.get("outputs", []) for c in _autograded(holes_batch, "self_read").cells], ensure_ascii=False)
    assert "READ /submission/concepts.ipynb" in printed  # the attack read its notebook
    assert "FOUND IN FILE" not in printed
    assert "BEGIN MARK SCHEME" not in printed and "follow-through" not in printed
    assert "BEGIN HIDDEN TESTS" not in printed and "hand_in({" not in printed
    assert _points(holes_batch, "self_read") == PERFECT
    assert _feedback(holes_batch, "self_read") is not None


def test_item1_re_formatted_hidden_tests_in_output_withhold_the_feedback(holes_batch):
    """Item 1: are hidden tests printed upper-cased with zero-width spaces caught (feedback withheld, with a note)?"""
    assert _points(holes_batch, "reformat") == PERFECT
    assert _feedback(holes_batch, "reformat") is None
    assert "Feedback withheld" in _report(holes_batch)[holes_batch["ids"]["reformat"]]["notes"]


def test_item12_an_honest_one_line_answer_keeps_its_feedback(holes_batch):
    """Item 12: does a student who writes q1_traits on one line keep full marks and their feedback?"""
    assert _points(holes_batch, "one_line") == PERFECT
    page = _feedback(holes_batch, "one_line")
    assert page is not None and "disadvantage" in page
    assert "withheld" not in _report(holes_batch)[holes_batch["ids"]["one_line"]]["notes"]


def test_item13_region_markers_in_student_cells_do_not_stop_feedback(holes_batch):
    """Item 13: does a student whose answer contains 'BEGIN HIDDEN TESTS' get feedback, with their text and no hidden test?"""
    assert _points(holes_batch, "markers") == PERFECT
    page = _feedback(holes_batch, "markers")
    assert page is not None, _report(holes_batch)[holes_batch["ids"]["markers"]]["notes"]
    assert "My answer." in page and "hidden tests: not shown" in page
    assert "hand_in(" not in page
    assert _report(holes_batch)[holes_batch["ids"]["markers"]]["notes"] == ""


def test_no_feedback_page_quotes_a_hidden_test_or_mark_scheme(holes_batch):
    """Does no feedback page of the batch show a hidden test or a mark scheme, however re-formatted?"""
    from course.grading.leaks import own_text, scan_secrets
    from course.grading.instructor_lines import LeakIndex, normalise_html

    root = holes_batch["root"]
    index = LeakIndex(*scan_secrets(root))
    for student in holes_batch["ids"].values():
        own = own_text(_folder(root, student))
        for page in glob.glob(os.path.join(root, "feedback", student, ASSIGNMENT, "*.html")):
            assert index.leaks(normalise_html(open(page, encoding="utf-8").read()), own) == [], student


def test_item11_cells_pasted_from_another_notebook_are_graded_as_the_students_own(holes_batch):
    """Item 11: does a submission with cells pasted from 00_setup (their nbgrader metadata kept) still score 34, with a note?"""
    row = _report(holes_batch)[holes_batch["ids"]["foreign"]]
    assert row["status"] == "graded" and _points(holes_batch, "foreign") == PERFECT
    assert "nbgrader metadata of another notebook" in row["notes"] and "'foreign_task'" in row["notes"]
    assert _feedback(holes_batch, "foreign") is not None


def test_item10_notes_come_from_records_not_from_text_the_student_controls(holes_batch):
    """Item 10: do a forged file name and printed fake log lines leave the report without false warnings?"""
    row = _report(holes_batch)[holes_batch["ids"]["fake_notes"]]
    assert _points(holes_batch, "fake_notes") == PERFECT and row["sandboxed"] == "yes"
    assert "WITHOUT" not in row["notes"] and "Sandbox limit reached" not in row["notes"]
    assert "per-cell time limit" not in row["notes"]
    table = holes_batch["proc"].stdout
    assert "graded without the sandbox" not in table.lower()
    for line in table.splitlines():  # every note is one line of the table, names escaped
        assert not line.startswith("[WARNING]") and not line.startswith("Sandbox limit reached")
        if holes_batch["ids"]["fake_notes"] in line:
            assert "Sandbox limit reached" not in line


def _printed(batch, name):
    return json.dumps([c.get("outputs", []) for c in _autograded(batch, name).cells], ensure_ascii=False)


def test_item8_a_call_that_ignores_the_alarm_is_stopped_from_outside(holes_batch):
    """Item 8: does a function that switches the runner's alarm off lose only its own point, stopped from outside?"""
    assert _points(holes_batch, "stubborn") == PERFECT - 1
    assert "dequantize_int8 took too long" in _printed(holes_batch, "stubborn")
    assert "ran past the per-call limit of 5 s" in _report(holes_batch)[holes_batch["ids"]["stubborn"]]["notes"]
    assert float(_report(holes_batch)[holes_batch["ids"]["stubborn"]]["seconds"]) < 60


def test_item8_the_runner_gets_the_assignments_limits(holes_batch):
    """Item 8: is the function runner stopped at the assignment's memory limit (700 MiB here), not a verifier's 8 GiB?"""
    printed = _printed(holes_batch, "greedy_runner")
    assert "Re-running your functions was stopped: memory: it used more than 700 MiB" in printed
    assert "re-run of its functions was stopped" in _report(holes_batch)[holes_batch["ids"]["greedy_runner"]]["notes"]
    assert _points(holes_batch, "greedy_runner") < PERFECT


def test_item7_disk_and_tmpfs_count_against_the_limits(holes_batch):
    """Item 7: is one file over the disk limit refused, a folder filled past it stopped, and /tmp counted as memory?"""
    report = _report(holes_batch)
    disk, tmpfs = report[holes_batch["ids"]["disk"]], report[holes_batch["ids"]["tmpfs"]]
    assert "BIG FILE REFUSED 27" in _printed(holes_batch, "disk")
    assert "Sandbox limit reached" in disk["notes"] and "disk: it wrote more than 100 MiB" in disk["notes"]
    assert "Sandbox limit reached" in tmpfs["notes"] and "memory: it used more than 700 MiB" in tmpfs["notes"]
    assert _points(holes_batch, "disk") == 0 and _points(holes_batch, "tmpfs") == 0
    for name in ("disk", "tmpfs"):
        assert float(report[holes_batch["ids"][name]]["seconds"]) < 60


def test_item9_output_kept_by_the_grader_is_capped_with_a_note(holes_batch):
    """Item 9: are 75 2-MiB images and 40 MiB of text cut to the caps, with a note, and the runner's flood ignored?"""
    path = os.path.join(holes_batch["root"], "autograded", holes_batch["ids"]["flood"], ASSIGNMENT, NOTEBOOK)
    assert os.path.getsize(path) < 30 * 2**20
    nb = _autograded(holes_batch, "flood")
    images = sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert images <= 20
    assert "output removed by the grader" in _printed(holes_batch, "flood")
    assert "output passed the grader's limit" in _report(holes_batch)[holes_batch["ids"]["flood"]]["notes"]
    assert _points(holes_batch, "flood") == PERFECT
    page = _feedback(holes_batch, "flood")
    assert page is None or len(page) < 40 * 2**20
