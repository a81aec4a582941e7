"""The grading service end to end on a real exchange: submissions in, graded feedback out, SIGKILL mid-queue.

Students submit with nbgrader's own exchange classes (``exchange_students``),
the service runs as ``python -m course serve`` in its own process group, as
it runs under JupyterHub, and is killed with SIGKILL while it grades.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT, scratch_course
from course.grading import nbgrader_api
from course.grading.students import fill_solutions
from course.tools.studentlab import release_to_exchange
from exchange_students import ExchangeStudent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ASSIGNMENT, NOTEBOOK = "01_concepts", "concepts"


def _submit(root, exchange, course_id, tmp_path, student, fraction):
    """Fetches 01, answers ``fraction`` of it, submits; returns the student."""
    who = ExchangeStudent(student, str(tmp_path / "homes" / student), exchange, course_id)
    who.fetch(ASSIGNMENT)
    source = nbformat.read(os.path.join(root, "source", ASSIGNMENT, f"{NOTEBOOK}.ipynb"), as_version=4)
    who.save(ASSIGNMENT, NOTEBOOK, fill_solutions(who.notebook(ASSIGNMENT, NOTEBOOK), source, fraction))
    who.submit(ASSIGNMENT)
    return who


def _states(root):
    with sqlite3.connect(os.path.join(root, "grading-service", "queue.sqlite")) as db:
        return db.execute("SELECT student, state, attempts FROM submissions ORDER BY id").fetchall()


def _serve(root, log_path, *extra):
    log = open(log_path, "a")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("JUPYTERHUB_SERVICE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "course", "serve", "--course-dir", root, *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def test_sigkill_mid_queue_loses_no_submission(tmp_path):
    """Killed with SIGKILL while grading, does the service, started again, grade every submission, the one it was
    grading and one that arrived while it was down included, and release each student's feedback?"""
    exchange = str(tmp_path / "exchange")
    root = scratch_course(
        tmp_path / "course",
        [ASSIGNMENT],
        f"c.Exchange.root = {exchange!r}\nc.GradingService.concurrency = 1\nc.GradingService.poll_seconds = 0.5",
    )
    course_id, _ = release_to_exchange(root, exchange)
    students = {name: _submit(root, exchange, course_id, tmp_path, name, f) for name, f in
                (("alice", 1.0), ("bob", 0.5), ("carol", 0.2))}
    log_path = str(tmp_path / "service.log")
    service = _serve(root, log_path)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            states = _states(root) if os.path.exists(os.path.join(root, "grading-service", "queue.sqlite")) else []
            if any(state == "grading" for _, state, _ in states):
                break
            assert service.poll() is None, open(log_path).read()[-3000:]
            time.sleep(0.1)
        os.killpg(service.pid, signal.SIGKILL)
        service.wait()
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGKILL)
    before = _states(root)
    assert len(before) == 3, before
    assert [s for s in before if s[1] == "grading"], before
    assert [s for s in before if s[1] != "graded"], "the service was killed mid-queue"

    students["dave"] = _submit(root, exchange, course_id, tmp_path, "dave", 0.5)  # while the service is down
    started = time.monotonic()
    again = _serve(root, log_path, "--once")
    assert again.wait(timeout=600) == 0, open(log_path).read()[-3000:]
    print(f"\nqueue drained after the restart in {time.monotonic() - started:.0f} s")

    after = _states(root)
    assert [(s, state) for s, state, _ in after] == [(n, "graded") for n in ("alice", "bob", "carol", "dave")], after
    assert any(attempts == 2 for _, _, attempts in after), "the submission being graded was graded again"
    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        for name, who in students.items():
            score = gb.find_submission(ASSIGNMENT, name).score
            page = who.latest_feedback(ASSIGNMENT, NOTEBOOK)
            assert page is not None, f"{name} got no feedback"
            assert f"Autograded score: {score:g} / " in page, (name, page[:500])
        assert gb.find_submission(ASSIGNMENT, "alice").score > gb.find_submission(ASSIGNMENT, "carol").score
    with open(os.path.join(root, "exports", "report.html"), encoding="utf-8") as fh:
        assert "4 submissions in the gradebook; 4 in this batch; 0 failed" in fh.read()
    with open(os.path.join(root, "exports", "grading_report.csv"), encoding="utf-8") as fh:
        assert sorted(line.split(",")[0] for line in fh.read().splitlines()[1:]) == sorted(students)


def test_over_the_hourly_limit_a_submission_is_refused_or_held_back_with_a_page_saying_when(tmp_path):
    """Over N graded per hour, is a submission refused (or, set so, queued) and told in its feedback when the next
    one is graded, without being graded?"""
    from course.grading.service import pages
    from course.grading.service.serve import make_loop

    exchange = str(tmp_path / "exchange")
    root = scratch_course(tmp_path / "course", [ASSIGNMENT], f"c.Exchange.root = {exchange!r}\nc.GradingService.per_hour = 1")
    course_id, _ = release_to_exchange(root, exchange)
    loop = make_loop(root)
    alice = _submit(root, exchange, course_id, tmp_path, "alice", 1.0)
    assert loop.intake() == 1
    now = time.time()
    (first,) = loop.next_batch(now)
    loop.queue.update(first.id, state="graded", started=now)  # as if graded just now

    alice.submit(ASSIGNMENT)
    loop.intake()
    assert loop.next_batch(now + 1) == []
    refused = loop.queue.listing(("refused",))[0]
    page = alice.latest_feedback(ASSIGNMENT, NOTEBOOK)
    assert "Not graded: the limit is 1 graded submission of 01_concepts per hour" in page
    assert pages.utc(now + 3600) in page and refused.note in page

    loop.settings.over_limit = "queue"
    time.sleep(1.1)  # nbgrader's submission folder names have a timestamp: one per second and student
    alice.submit(ASSIGNMENT)
    loop.intake()
    assert loop.next_batch(now + 2) == []
    (held,) = loop.queue.listing(("queued",))
    assert held.not_before == pytest.approx(now + 3600)
    assert f"Queued: the limit is 1 graded submission of 01_concepts per hour. This submission is graded at " \
           f"{pages.utc(now + 3600)}" in alice.latest_feedback(ASSIGNMENT, NOTEBOOK)
    assert [s.id for s in loop.next_batch(now + 3601)] == [held.id]

    loop.settings.max_waiting = 1  # one is waiting (held back): a flood is refused on arrival, unread
    time.sleep(1.1)
    alice.submit(ASSIGNMENT)
    loop.intake()
    flooded = loop.queue.listing(("refused",))[0]
    assert "1 of your submissions are already waiting" in flooded.note
    assert loop.queue.counts()["queued"] == 1


def _set_due(root, due_seconds):
    from datetime import datetime, timezone

    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime.fromtimestamp(due_seconds, timezone.utc).replace(tzinfo=None))


def test_before_the_due_date_students_see_what_the_instructor_chose_and_after_it_everything(tmp_path):
    """With before_deadline 'visible', does a student see only the visible checks, then nbgrader's full feedback once
    the due date passes; and does a late submission get nbgrader's late penalty?"""
    exchange = str(tmp_path / "exchange")
    root = scratch_course(
        tmp_path / "course",
        [ASSIGNMENT],
        f"c.Exchange.root = {exchange!r}\nc.GradingService.before_deadline = 'visible'\n"
        "c.LateSubmissionPlugin.penalty_method = 'zero'",
    )
    course_id, _ = release_to_exchange(root, exchange)
    _set_due(root, time.time() + 3600)
    alice = _submit(root, exchange, course_id, tmp_path, "alice", 0.5)
    log_path = str(tmp_path / "service.log")
    assert _serve(root, log_path, "--once").wait(timeout=600) == 0, open(log_path).read()[-3000:]
    early = alice.latest_feedback(ASSIGNMENT, NOTEBOOK)
    assert "Visible checks" in early and "passed" in early and "failed" in early
    assert "Autograded score" not in early and " / 2<" not in early  # no points

    _set_due(root, time.time() - 60)
    bob = _submit(root, exchange, course_id, tmp_path, "bob", 1.0)  # after the due date
    assert _serve(root, log_path, "--once").wait(timeout=600) == 0, open(log_path).read()[-3000:]
    for who in ("alice", "bob"):
        with open(os.path.join(root, "feedback", who, ASSIGNMENT, f"{NOTEBOOK}.html"), encoding="utf-8") as fh:
            full = fh.read()
        assert (alice if who == "alice" else bob).latest_feedback(ASSIGNMENT, NOTEBOOK) == full
    api = nbgrader_api.make_api(root)
    with api.gradebook as gb:
        late = gb.find_submission(ASSIGNMENT, "bob")
        assert late.total_seconds_late > 0 and late.late_submission_penalty == late.score > 0  # 'zero': all of it
        assert gb.find_submission(ASSIGNMENT, "alice").late_submission_penalty == 0
