"""The grading service's parts, without grading: queue, hourly limit, inbound submissions, pages, publishing.

The service end to end (exchange in, feedback out, SIGKILL mid-queue) is in
tests/test_service_restart.py; with a real hub and browser in tests/test_hub.py.
"""

import os
import time

import pytest

from course.grading.service import inbound, pages, publish
from course.grading.service.config import GradingService
from course.grading.service.queue import Submission, SubmissionQueue
from course.grading.service.ratelimit import next_slot
from exchange_students import ExchangeStudent

NOW = 1_800_000_000.0
SECRET = "ab" * 64


def test_next_slot_counts_a_sliding_hour():
    """Is a submission allowed while fewer than N started in the last hour, and else when the oldest of them leaves it?"""
    assert next_slot([], NOW, 2) is None
    assert next_slot([NOW - 10], NOW, 2) is None
    assert next_slot([NOW - 3000, NOW - 10], NOW, 2) == NOW - 3000 + 3600
    assert next_slot([NOW - 3700, NOW - 10], NOW, 2) is None  # the first left the window
    assert next_slot([NOW - 3000, NOW - 2000, NOW - 10], NOW, 2) == NOW - 2000 + 3600
    assert next_slot([NOW - 1] * 50, NOW, 0) is None  # 0: no limit


def _submission(name="alice+01_concepts+t+r", **values):
    fields = dict(inbound=name, student="alice", assignment="01_concepts", received=NOW)
    fields.update(values)
    return Submission(**fields)


def test_queue_keeps_each_inbound_folder_once(tmp_path):
    """Does a submission seen again (after a restart) stay one row, with its fields intact?"""
    queue = SubmissionQueue(str(tmp_path / "q.sqlite"))
    assert queue.add(_submission(secret=SECRET, notebooks=["concepts"]))
    assert not queue.add(_submission(student="mallory"))
    (row,) = queue.due(NOW)
    assert (row.student, row.secret, row.notebooks, row.state) == ("alice", SECRET, ["concepts"], "queued")
    assert queue.known() == {"alice+01_concepts+t+r"}


def test_queue_recovers_what_a_dead_service_was_grading(tmp_path):
    """After a crash, is a submission left 'grading' queued again, and one held back by the limit still held?"""
    path = str(tmp_path / "q.sqlite")
    queue = SubmissionQueue(path)
    queue.add(_submission("a+01+t+1"))
    queue.add(_submission("b+01+t+2", student="bob", not_before=NOW + 600))
    first = queue.due(NOW)[0]
    queue.update(first.id, state="grading", started=NOW, attempts=1)
    assert queue.due(NOW) == []
    again = SubmissionQueue(path)  # a new process opens the same file
    assert again.recover() == 1
    assert [s.inbound for s in again.due(NOW)] == ["a+01+t+1"]
    assert [s.inbound for s in again.due(NOW + 601)] == ["a+01+t+1", "b+01+t+2"]
    assert again.counts()["queued"] == 2


def test_queue_counts_started_gradings_per_student_and_assignment(tmp_path):
    """Does the limit count this student's gradings of this assignment only, refused ones excluded?"""
    queue = SubmissionQueue(str(tmp_path / "q.sqlite"))
    for i, (student, assignment, state) in enumerate(
        [("alice", "01", "graded"), ("alice", "01", "refused"), ("alice", "00", "graded"), ("bob", "01", "graded"),
         ("alice", "01", "failed")]
    ):
        queue.add(_submission(f"{student}+{assignment}+t+{i}", student=student, assignment=assignment))
        row = [s for s in queue.due(NOW) if s.inbound.endswith(f"+{i}")][0]
        queue.update(row.id, state=state, started=NOW - i)
    assert sorted(queue.started_since("alice", "01", NOW - 3600)) == [NOW - 4, NOW]
    with pytest.raises(ValueError):
        queue.update(1, state="done")


@pytest.mark.parametrize(
    "name", ["../x+01_concepts+t", "alice+01_concepts", "a+b+c+d+e", "al ice+01_concepts+t", "+01_concepts+t", ".x+01+t"]
)
def test_parse_name_refuses_what_nbgrader_does_not_write(name):
    """Are folder names with odd student ids or the wrong shape skipped?"""
    assert inbound.parse_name(name) is None


def _inbound_folder(exchange, name, secret=SECRET, files=None):
    folder = os.path.join(exchange, name)
    os.makedirs(folder)
    for rel, text in (files or {"concepts.ipynb": "{}", "timestamp.txt": "2020-01-01 00:00:00.000000 UTC"}).items():
        with open(os.path.join(folder, rel), "w") as fh:
            fh.write(text)
    if secret is not None:
        with open(os.path.join(folder, inbound.SECRET_FILE), "w") as fh:
            fh.write(secret)
    return folder


def test_scan_finds_complete_submissions_of_released_assignments(tmp_path):
    """Are only complete folders (secret written) of released assignments, not yet queued, found?"""
    box = str(tmp_path)
    _inbound_folder(box, "alice+01_concepts+t+1")
    _inbound_folder(box, "bob+01_concepts+t+2", secret=None)  # nbgrader is still copying
    _inbound_folder(box, "carol+99_unknown+t+3")
    _inbound_folder(box, "dave+01_concepts+t+4")
    os.symlink(os.path.join(box, "alice+01_concepts+t+1"), os.path.join(box, "eve+01_concepts+t+5"))
    found = inbound.scan(box, known={"dave+01_concepts+t+4"}, assignments={"01_concepts"})
    assert [(f.student, f.assignment) for f in found] == [("alice", "01_concepts")]
    assert abs(found[0].received - time.time()) < 60


def test_read_secret_accepts_only_nbgrader_secrets(tmp_path):
    """Is a secret that is not hex, or a link to a file of the grader's, refused?"""
    assert inbound.read_secret(_inbound_folder(str(tmp_path), "a+01+t+1")) == SECRET
    with pytest.raises(inbound.Refused):
        inbound.read_secret(_inbound_folder(str(tmp_path), "b+01+t+2", secret="../../etc/passwd"))
    folder = _inbound_folder(str(tmp_path), "c+01+t+3", secret=None)
    os.symlink("/etc/hostname", os.path.join(folder, inbound.SECRET_FILE))
    with pytest.raises(inbound.Refused):
        inbound.read_secret(folder)


def test_collect_copies_files_only_and_uses_the_services_time(tmp_path):
    """Does collecting copy regular files, leave links and FIFOs behind unopened, and write the service's time?"""
    folder = _inbound_folder(str(tmp_path / "inbound"), "alice+01_concepts+t+1")
    os.symlink("/etc/hostname", os.path.join(folder, "stolen.txt"))
    os.mkfifo(os.path.join(folder, "pipe"))
    os.makedirs(os.path.join(folder, "data"))
    with open(os.path.join(folder, "data", "x.csv"), "w") as fh:
        fh.write("1,2")
    submitted = str(tmp_path / "submitted")
    old = os.path.join(submitted, "alice", "01_concepts")
    os.makedirs(old)
    open(os.path.join(old, "previous.ipynb"), "w").close()
    found = inbound.Found("alice+01_concepts+t+1", folder, "alice", "01_concepts", NOW)
    left_out = inbound.collect(found, submitted, NOW, max_bytes=2**20, max_files=50)
    assert sorted(left_out) == ["pipe", "stolen.txt"]
    assert sorted(os.listdir(old)) == ["concepts.ipynb", "data", "submission_secret.txt", "timestamp.txt"]
    with open(os.path.join(old, "timestamp.txt")) as fh:
        assert fh.read() == time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime(NOW))
    assert not any(n.startswith(".incoming") for n in os.listdir(os.path.join(submitted, "alice")))


def test_collect_refuses_large_submissions_unread(tmp_path):
    """Is a submission over the size or file-count bound refused, leaving the earlier copy in place?"""
    folder = _inbound_folder(str(tmp_path / "inbound"), "alice+01_concepts+t+1", files={"big.bin": "x" * 5000})
    found = inbound.Found("alice+01_concepts+t+1", folder, "alice", "01_concepts", NOW)
    submitted = str(tmp_path / "submitted")
    earlier = os.path.join(submitted, "alice", "01_concepts")
    os.makedirs(earlier)
    open(os.path.join(earlier, "concepts.ipynb"), "w").close()
    with pytest.raises(inbound.Refused, match="larger than"):
        inbound.collect(found, submitted, NOW, max_bytes=1000, max_files=50)
    with pytest.raises(inbound.Refused, match="more than 1 files"):
        inbound.collect(found, submitted, NOW, max_bytes=10**6, max_files=1)
    assert os.listdir(os.path.join(submitted, "alice")) == ["01_concepts"]
    assert os.listdir(earlier) == ["concepts.ipynb"]


def test_published_page_is_what_nbgrader_fetch_feedback_finds(tmp_path):
    """Does nbgrader's own Fetch Feedback find a page the service published, for that submission's student only?"""
    exchange, course = str(tmp_path / "exchange"), "course101"
    os.makedirs(os.path.join(exchange, course))
    for name, secret in (("alice", SECRET), ("bob", "cd" * 64)):
        cache = tmp_path / name / ".nbgrader_cache" / course / f"{name}+hw1+2026-12-03 10:00:00.000000 UTC"
        cache.mkdir(parents=True)
        (cache / "answers.ipynb").write_text("{}")
        (cache / "submission_secret.txt").write_text(secret)
    publish.publish(exchange, course, SECRET, "answers", pages.notice("hw1", "answers", NOW, ["graded: 3/4"]))
    alice = ExchangeStudent("alice", str(tmp_path / "alice"), exchange, course)
    bob = ExchangeStudent("bob", str(tmp_path / "bob"), exchange, course)
    assert "graded: 3/4" in alice.latest_feedback("hw1", "answers")
    assert bob.latest_feedback("hw1", "answers") is None
    mode = os.stat(publish.page_path(exchange, course, SECRET, "answers")).st_mode & 0o777
    assert mode == publish.PAGE_MODE


def test_pages_show_student_text_as_text():
    """Is markup in anything a page shows (ids, notes, error names) escaped?"""
    attack = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    notice = pages.notice("01", attack, NOW, [attack]).decode()
    cells = [pages.CellResult(attack, 1, 2, passed=False, error=attack)]
    visible = pages.results_page("visible", "01", "nb", NOW, cells, None).decode()
    score = pages.results_page("score", "01", "nb", NOW, cells, NOW + 60, late_note=attack).decode()
    for page in (notice, visible, score):
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page
    assert "1 / 2" not in visible and "failed" in visible  # no points before the due date in 'visible'
    assert "Autograded score: 1 / 2" in score and pages.utc(NOW + 60) in score


def test_status_page_escapes_queue_notes(tmp_path):
    """Does the instructor's status page show notes and ids from the queue as text?"""
    from course.grading.service.web import status_page

    class Loop:
        course_id = "course<b>"
        settings = GradingService(instructors=["instructor"])
        last_error = "<iframe>"
        queue = SubmissionQueue(str(tmp_path / "q.sqlite"))

    Loop.queue.add(_submission("x+01+t+1", student="<svg onload=alert(1)>", state="refused", note="<script>x</script>"))
    page = status_page(Loop, "/services/grading/")
    assert "<script>" not in page and "<svg" not in page and "<iframe>" not in page
    assert "&lt;svg onload=alert(1)&gt;" in page and "exports/report.html" in page


def test_settings_come_from_the_course_config(tmp_path):
    """Are the service's settings read from the course's nbgrader_config.py, with the exchange and course id?"""
    from conftest import ROOT
    from course.grading.service.serve import make_loop

    with open(os.path.join(ROOT, "nbgrader_config.py")) as fh:
        config = fh.read()
    (tmp_path / "nbgrader_config.py").write_text(
        config + "\nc.GradingService.per_hour = 7\nc.GradingService.before_deadline = 'visible'\n"
        "c.Exchange.root = '/srv/exchange-test'\n"
    )
    loop = make_loop(str(tmp_path))
    assert (loop.settings.per_hour, loop.settings.before_deadline) == (7, "visible")
    assert loop.inbound == "/srv/exchange-test/llm-interview/inbound"
    assert loop.queue.path == str(tmp_path / "grading-service" / "queue.sqlite")
    assert "instructor" in loop.settings.instructors
