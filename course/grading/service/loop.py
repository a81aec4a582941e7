"""The service's work: take in new submissions, grade them in batches, release their feedback.

One ``GradingLoop`` per course, run in one thread: it is the only writer of
the course's gradebook, ``submitted/``, ``autograded/``, ``feedback/`` and
``exports/`` (grading itself runs on Dask workers, ``cluster.grade_class``).
Each step:

1. **Intake**: new complete folders in the exchange's inbound folder are
   queued (``inbound.scan``), or refused with the reason.
2. **Batch**: queued submissions of one assignment, one per student, at most
   ``concurrency``; a student over the hourly limit is refused or held back
   (``over_limit``), with a page saying when the next one is graded.
3. **Grade**: each is copied into ``submitted/`` (``inbound.collect``) and the
   batch is graded with ``grade_class`` on the service's Dask cluster.
4. **Release**: each notebook's page goes to nbgrader's feedback exchange
   (``publish``): nbgrader's feedback, or before the due date what
   ``before_deadline`` allows; once the due date passes, full feedback
   replaces the earlier pages.
5. **Report**: ``exports/`` (grades, report.html) is written again.
"""

import logging
import os
import threading
import time
from dataclasses import asdict
from datetime import timezone
from typing import Dict, List, Optional

from course.grading import nbgrader_api
from course.grading.intake import expected_cells
from course.grading.autograde import GradeRecord
from course.grading.service import inbound, pages, publish
from course.grading.service.config import GradingService
from course.grading.service.queue import Submission, SubmissionQueue
from course.grading.service.ratelimit import WINDOW_SECONDS, next_slot

log = logging.getLogger("course.grading.service")


class GradingLoop:
    """Grades what students submit through the exchange, for one course.

    Args:
        course_root: The nbgrader course directory.
        settings: The service's settings (``c.GradingService``).
        exchange_root: nbgrader's ``Exchange.root``.
        course_id: The course id in the exchange.
        client: A Dask client to grade on (default: a local cluster of ``settings.concurrency`` workers,
            started at the first batch).
    """

    def __init__(self, course_root: str, settings: GradingService, exchange_root: str, course_id: str, client=None):
        self.root = os.path.abspath(course_root)
        self.settings = settings
        self.exchange_root = exchange_root
        self.course_id = course_id
        self.state_dir = settings.state_dir or os.path.join(self.root, "grading-service")
        self.queue = SubmissionQueue(os.path.join(self.state_dir, "queue.sqlite"))
        self.inbound = os.path.join(exchange_root, course_id, "inbound")
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self._client = client
        self._cluster = None
        self.last_error = ""

    # -- the course -----------------------------------------------------------------------------------------

    def _api(self):
        return nbgrader_api.make_api(self.root)

    def released(self) -> Dict[str, Optional[float]]:
        """Assignments in the gradebook, with their due dates (epoch seconds, or ``None``)."""
        with self._api().gradebook as gb:
            return {
                a.name: a.duedate.replace(tzinfo=timezone.utc).timestamp() if a.duedate else None
                for a in gb.assignments
            }

    def notebooks(self) -> Dict[str, List[str]]:
        """Notebook ids of each assignment in the gradebook (what a submission is graded on)."""
        with self._api().gradebook as gb:
            return {assignment: sorted(cells) for assignment, cells in
                    ((a.name, expected_cells(gb, a.name)) for a in gb.assignments)}

    def mode_for(self, due: Optional[float], now: float) -> str:
        """What feedback shows now: ``full`` after the due date, else ``before_deadline``."""
        if due is not None and now > due:
            return "full"
        return self.settings.before_deadline

    # -- 1. intake ------------------------------------------------------------------------------------------

    def intake(self) -> int:
        """Queues new complete submissions of the inbound folder; returns how many were queued or refused."""
        notebooks_of = self.notebooks()
        added = 0
        for found in inbound.scan(self.inbound, self.queue.known(), notebooks_of):
            submission = inbound.to_submission(found, "", [])
            try:
                if not inbound.owner_matches(found.path, found.student):
                    raise inbound.Refused(f"the folder is not owned by {found.student}'s account")
                submission.secret = inbound.read_secret(found.path)
                notebooks = notebooks_of[found.assignment]
                submission.notebooks = [
                    n for n in notebooks if os.path.isfile(os.path.join(found.path, f"{n}.ipynb"))
                    and not os.path.islink(os.path.join(found.path, f"{n}.ipynb"))
                ]
                if not submission.notebooks:
                    raise inbound.Refused(f"it holds none of the assignment's notebooks ({', '.join(notebooks)})")
                if self.queue.waiting(found.student) >= self.settings.max_waiting:
                    raise inbound.Refused(
                        f"{self.settings.max_waiting} of your submissions are already waiting to be graded"
                    )
            except inbound.Refused as why:
                submission.state, submission.note, submission.finished = "refused", f"Not graded: {why}.", time.time()
                if self.queue.add(submission):
                    added += 1
                    log.warning("refused %s: %s", found.name, why)
                    self._notice(submission, [submission.note])
                continue
            if self.queue.add(submission):
                added += 1
                log.info("queued %s (%s, %s)", found.name, found.student, found.assignment)
        return added

    # -- 2. batch -------------------------------------------------------------------------------------------

    def _over_limit(self, sub: Submission, now: float) -> bool:
        """Refuses or holds back a submission over the hourly limit; returns whether it was."""
        per_hour = self.settings.per_hour
        slot = next_slot(self.queue.started_since(sub.student, sub.assignment, now - WINDOW_SECONDS), now, per_hour)
        if slot is None:
            return False
        limit = f"{per_hour} graded submission{'s' if per_hour != 1 else ''} of {sub.assignment} per hour"
        if self.settings.over_limit == "refuse":
            note = (
                f"Not graded: the limit is {limit}, and you have reached it. "
                f"A submission made from {pages.utc(slot)} on is graded."
            )
            self.queue.update(sub.id, state="refused", note=note, finished=now, shown="notice")
            self._notice(sub, [note])
            log.info("refused %s: over the limit until %s", sub.inbound, pages.utc(slot))
        elif sub.not_before < slot:
            note = f"Queued: the limit is {limit}. This submission is graded at {pages.utc(slot)}."
            self.queue.update(sub.id, not_before=slot, note=note, shown="notice")
            self._notice(sub, [note])
            log.info("held back %s until %s", sub.inbound, pages.utc(slot))
        return True

    def next_batch(self, now: float) -> List[Submission]:
        """Picks the next batch: one assignment, one submission per student, at most ``concurrency``."""
        batch: List[Submission] = []
        busy = {(s.student, s.assignment) for s in self.queue.listing(("grading",))}
        for sub in self.queue.due(now):
            if len(batch) >= max(1, self.settings.concurrency):
                break
            if batch and sub.assignment != batch[0].assignment:
                continue
            if (sub.student, sub.assignment) in busy or any(b.student == sub.student for b in batch):
                continue
            if self._over_limit(sub, now):
                continue
            batch.append(sub)
        return batch

    # -- 3. grade -------------------------------------------------------------------------------------------

    def client(self):
        """The Dask client (a local cluster of ``concurrency`` workers, started once)."""
        if self._client is None:
            from course.grading import cluster

            self._client, self._cluster = cluster.start_client(max(1, self.settings.concurrency))
        return self._client

    def grade(self, batch: List[Submission]) -> List[Submission]:
        """Collects and grades one batch; returns the submissions as they ended."""
        from course.grading import cluster

        assignment = batch[0].assignment
        submitted = os.path.join(self.root, "submitted")
        ready: List[Submission] = []
        for sub in batch:
            path = os.path.join(self.inbound, sub.inbound)
            try:
                received = max(sub.received, inbound.last_change(path))
                left_out = inbound.collect(
                    inbound.Found(sub.inbound, path, sub.student, sub.assignment, received),
                    submitted,
                    received,
                    self.settings.max_submission_mb * 2**20,
                    self.settings.max_files,
                )
            except (inbound.Refused, OSError) as why:
                note = f"Not graded: {why}."
                self.queue.update(sub.id, state="refused", note=note, finished=time.time(), shown="notice")
                self._notice(sub, [note])
                continue
            sub.received = received
            sub.note = f"left out, unopened: {', '.join(left_out)}" if left_out else ""
            sub.started, sub.attempts = time.time(), sub.attempts + 1
            self.queue.update(
                sub.id, state="grading", started=sub.started, attempts=sub.attempts, received=received, note=sub.note
            )
            ready.append(sub)
        if not ready:
            return []
        log.info("grading %s: %s", assignment, ", ".join(s.student for s in ready))
        try:
            records = cluster.grade_class(
                self.root, assignment, [s.student for s in ready], client=self.client(), force=True, progress=False
            )
        except Exception as err:  # the batch is reported, the service goes on
            self.last_error = f"{type(err).__name__}: {err}"
            log.exception("grading %s failed", assignment)
            records = [
                GradeRecord(s.student, assignment, status="failed", notes=[f"grading raised {self.last_error}"])
                for s in ready
            ]
        by_student = {r.student: r for r in records}
        for sub in ready:
            record = by_student.get(sub.student) or GradeRecord(
                sub.student, assignment, status="failed", notes=["no grade came back"]
            )
            self._finish(sub, record)
        return [self.queue.get(s.id) for s in ready]

    # -- 4. release -----------------------------------------------------------------------------------------

    def _notice(self, sub: Submission, lines: List[str]) -> None:
        if not sub.secret:
            return
        for notebook in sub.notebooks:
            publish.publish(
                self.exchange_root,
                self.course_id,
                sub.secret,
                notebook,
                pages.notice(sub.assignment, notebook, sub.received, lines),
            )

    def _finish(self, sub: Submission, record: GradeRecord) -> None:
        now = time.time()
        notes = ([sub.note] if sub.note else []) + list(record.notes)
        if record.status != "graded":
            self.queue.update(
                sub.id, state="failed", note=" | ".join(notes), finished=now, shown="notice", record=asdict(record),
                score=record.score, max_score=record.max_score,
            )
            self._notice(
                sub,
                [
                    "This submission could not be graded automatically; your instructor has the grader's note "
                    "and will grade it. Nothing you need to do."
                ],
            )
            log.warning("failed %s: %s", sub.inbound, " | ".join(notes))
            return
        due = self.released().get(sub.assignment)
        shown = self.release(sub, self.mode_for(due, now), due)
        self.queue.update(
            sub.id, state="graded", note=" | ".join(notes), finished=now, shown=shown, record=asdict(record),
            score=record.auto_score, max_score=record.auto_max,
        )
        log.info("graded %s: %g/%g, feedback: %s", sub.inbound, record.auto_score, record.auto_max, shown)

    def release(self, sub: Submission, mode: str, due: Optional[float]) -> str:
        """Releases a graded submission's feedback as ``mode`` allows; returns what was shown."""
        if mode == "full":
            folder = os.path.join(self.root, "feedback", sub.student, sub.assignment)
            missing = [n for n in sub.notebooks if not os.path.isfile(os.path.join(folder, f"{n}.html"))]
            if not missing:
                for notebook in sub.notebooks:
                    with open(os.path.join(folder, f"{notebook}.html"), "rb") as fh:
                        publish.publish(self.exchange_root, self.course_id, sub.secret, notebook, fh.read())
                return "full"
            mode = "score"  # no HTML could be generated: the points, from the gradebook
        for notebook in sub.notebooks:
            cells, late = self.cell_results(sub, notebook)
            publish.publish(
                self.exchange_root,
                self.course_id,
                sub.secret,
                notebook,
                pages.results_page(mode, sub.assignment, notebook, sub.received, cells, due, late),
            )
        return mode

    def cell_results(self, sub: Submission, notebook: str):
        """The autograded cells of one graded notebook, and a line on its late penalty (or ``""``)."""
        import nbformat

        path = os.path.join(self.root, "autograded", sub.student, sub.assignment, f"{notebook}.ipynb")
        errors: Dict[str, str] = {}  # grade id of each test cell -> its error's name, in notebook order
        if os.path.isfile(path):
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                    error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
                    errors[meta.get("grade_id", "")] = str(error.get("ename", "Error")) if error else ""
        cells: List[pages.CellResult] = []
        late = ""
        with self._api().gradebook as gb:
            submitted = gb.find_submission_notebook(notebook, sub.assignment, sub.student)
            order = {grade_id: i for i, grade_id in enumerate(errors)}
            for grade in sorted(submitted.grades, key=lambda g: (order.get(g.name, len(order)), g.name)):
                if grade.auto_score is None or grade.cell_type != "code":
                    continue
                cells.append(
                    pages.CellResult(
                        grade.name,
                        grade.score,
                        grade.max_score,
                        passed=not errors.get(grade.name),
                        error=errors.get(grade.name, ""),
                    )
                )
            if submitted.late_submission_penalty:
                late = f"Submitted late: nbgrader's late penalty of {submitted.late_submission_penalty:g} points applies."
        return cells, late

    def deadline_sweep(self, now: float) -> int:
        """Gives full feedback to latest graded submissions whose due date has passed; returns how many."""
        if self.settings.before_deadline == "full":
            return 0
        released = self.released()
        done = 0
        for sub in self.queue.latest_graded(("graded", "failed")):  # feedback/ holds the latest grading's
            due = released.get(sub.assignment)
            if sub.state == "graded" and sub.shown != "full" and due is not None and now > due:
                shown = self.release(sub, "full", due)
                self.queue.update(sub.id, shown=shown)
                done += shown == "full"
        return done

    # -- 5. report ------------------------------------------------------------------------------------------

    def write_report(self) -> None:
        """Writes ``exports/`` for every student's latest graded (or failed) submission."""
        from course.grading.exports import write_exports

        records = [GradeRecord(**s.record) for s in self.queue.latest_graded(("graded", "failed")) if s.record]
        if records:
            write_exports(self._api(), records, self.root)

    # -- running --------------------------------------------------------------------------------------------

    def step(self, now: Optional[float] = None) -> int:
        """One round: intake, one batch graded and released, the due-date sweep; returns submissions graded."""
        now = time.time() if now is None else now
        self.intake()
        batch = self.next_batch(now)
        graded = self.grade(batch) if batch else []
        swept = self.deadline_sweep(now)
        if graded or swept:
            self.write_report()
        return len(graded)

    def idle(self) -> bool:
        """Whether nothing is due now (queued submissions held back by the limit do not count)."""
        return not self.queue.due(time.time())

    def run(self, once: bool = False) -> None:
        """Works until ``stopping`` is set (or, with ``once``, until nothing is due)."""
        recovered = self.queue.recover()
        if recovered:
            log.warning("%d submission(s) were being graded when the service stopped: queued again", recovered)
        while not self.stopping.is_set():
            try:
                graded = self.step()
            except Exception as err:  # one bad round must not stop the service; it is logged and shown
                self.last_error = f"{type(err).__name__}: {err}"
                log.exception("grading round failed")
                graded = 0
            if once and self.idle():
                break
            if not graded:
                self.wake.wait(self.settings.poll_seconds)
                self.wake.clear()

    def close(self) -> None:
        """Stops the Dask cluster the loop started."""
        if self._cluster is not None:
            self._client.close()
            self._cluster.close()
            self._client = self._cluster = None
