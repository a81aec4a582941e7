"""Autograding one submission through nbgrader's API: never raises for a bad submission, always leaves a grade.

Each submission is graded on its own, so one that fails cannot stop the
others, and every submission ends with a recorded grade and an explanation
(``GradeRecord``). A grading worker (``course.grading.worker``) runs this.
"""

import os
import re
import time
from dataclasses import dataclass, field
from typing import List

from course.grading import events
from course.grading.intake import expected_cells, inspect_submission
from course.grading.notes import event_notes
from course.grading.safeio import shown_name
from course.grading.sandbox import UNSANDBOXED, Sandbox


@dataclass
class GradeRecord:
    """How one submission was graded.

    Attributes:
        student: Student id.
        assignment: Assignment id.
        score: Points awarded (autograded and, if any, manual).
        max_score: Points available.
        auto_score: Points awarded by autograded test cells.
        auto_max: Points available in autograded test cells.
        status: ``'graded'`` or ``'failed'``.
        notes: What was unusual and how it was handled.
        seconds: Wall time of autograding.
        sandboxed: Whether the student's code ran in the grading sandbox.
    """

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    auto_score: float = 0.0
    auto_max: float = 0.0
    status: str = "graded"
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0
    sandboxed: bool = True


def _submission(gb, assignment: str, student: str):
    """The gradebook's submission of ``student`` for ``assignment``, or ``None`` when there is none."""
    from nbgrader.api import MissingEntry

    try:
        return gb.find_submission(assignment, student)
    except MissingEntry:
        return None


def scores(api, assignment: str, student: str):
    """Points of a submission as the gradebook has them.

    Returns:
        ``(score, max_score)``, or ``None`` when nothing is recorded.
    """
    with api.gradebook as gb:
        submission = _submission(gb, assignment, student)
        return None if submission is None else (submission.score, submission.max_score)


def autograded_points(api, assignment: str, student: str):
    """Points of the autograded test cells only (manually graded answers left out).

    Returns:
        ``(score, max_score)``, or ``None`` when nothing is recorded.
    """
    with api.gradebook as gb:
        submission = _submission(gb, assignment, student)
        if submission is None:
            return None
        score = maximum = 0.0
        for notebook in submission.notebooks:
            manual = {c.name for c in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                if grade.cell_type == "code" and grade.name not in manual:
                    score += grade.auto_score or 0.0
                    maximum += grade.max_score
        return score, maximum


def record_zero(api, assignment: str, student: str) -> None:
    """Records a zero for every cell of a submission nbgrader could not grade."""
    with api.gradebook as gb:
        submission = _submission(gb, assignment, student)
        if submission is None:
            gb.update_or_create_student(student)
            submission = gb.add_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def require_sandbox(api) -> None:
    """Makes every later autograde of ``api`` refuse to run without the sandbox.

    Raises:
        SandboxUnavailable: The sandbox cannot be used here (the message says why).
    """
    api.config.Sandbox.required = True
    Sandbox(config=api.config).active()


def sandbox_status(api) -> str:
    """One line on whether this batch runs sandboxed (for the instructor)."""
    ok, why = Sandbox(config=api.config).status()
    return "student code runs in the bubblewrap sandbox" if ok else f"WARNING: {UNSANDBOXED.lower()}: {why}"


def refresh_scores(api, records: List[GradeRecord]) -> List[GradeRecord]:
    """Reads each record's points again from the gradebook (after the batch, as ``grades.csv`` does).

    Returns:
        The same records, updated in place.
    """
    for record in records:
        points = scores(api, record.assignment, record.student)
        if points:
            record.score, record.max_score = points
            record.auto_score, record.auto_max = autograded_points(api, record.assignment, record.student)
    return records


ERROR_LINE = re.compile(r"^\s*([A-Za-z_.]*(?:Error|Exception)): (.+)$", re.MULTILINE)


def last_error(log: str) -> str:
    """The most telling error line of an nbgrader log (not its generic closing message).

    The one place that reads log text: when nbgrader itself fails on a submission (unreadable
    notebook, invalid metadata) its converter logs the traceback and returns no structured
    cause. The line only explains a zero that is already decided, and it is shown escaped.
    Everything the course's preprocessors notice is recorded as data (``course.grading.events``).
    """
    found = [f"{m.group(1)}: {m.group(2)}" for m in ERROR_LINE.finditer(log) if "Please see" not in m.group(2)]
    return found[-1] if found else "unknown error (see the nbgrader log)"


def autograde_one(api, assignment: str, student: str, inspect: bool = True) -> GradeRecord:
    """Autogrades one submission; never raises for a bad submission.

    Args:
        api: ``NbGraderAPI``.
        assignment: Assignment id.
        student: Student id (``submitted/<student>/<assignment>`` must exist).
        inspect: Check the submission's files first (``course.grading.intake``);
            off when the coordinator of a distributed batch already did.

    Returns:
        The record of what happened.
    """
    record = GradeRecord(student=student, assignment=assignment)
    started = time.monotonic()
    submission_dir = api.coursedir.format_path(api.coursedir.submitted_directory, student, assignment)
    if inspect:
        with api.gradebook as gb:
            expected = expected_cells(gb, assignment)
        record.notes.extend(inspect_submission(submission_dir, expected))
    events.take(assignment, student)  # nothing left over from an earlier run
    result = api.autograde(assignment, student, force=True, create=True)
    log = result.get("log") or ""
    recorded = events.take(assignment, student)
    record.sandboxed = not any(e.get("kind") == events.UNSANDBOXED for e in recorded)
    record.notes.extend(event_notes(recorded, api.config.Execute.get("timeout", None)))
    if not result.get("success"):
        record.status = "failed"
        record.notes.append(
            "nbgrader could not grade this submission; every cell was given zero. "
            f"Cause: {shown_name(last_error(log + (result.get('error') or '')), 300)}"
        )
        record_zero(api, assignment, student)
    points = scores(api, assignment, student)
    if points:
        record.score, record.max_score = points
        record.auto_score, record.auto_max = autograded_points(api, assignment, student)
    record.seconds = time.monotonic() - started
    return record


def feedback_with_cause(api, assignment: str, student: str):
    """Generates the HTML feedback of one graded submission and says why when there is none.

    Returns:
        ``(feedback directory, None)``, or ``(None, note)`` where the note
        names the cause (the last error of nbgrader's log).
    """
    result = api.generate_feedback(assignment, student, force=True)
    folder = api.coursedir.format_path(api.coursedir.feedback_directory, student, assignment)
    if result.get("success") and os.path.isdir(folder):
        return folder, None
    cause = shown_name(last_error((result.get("log") or "") + "\n" + (result.get("error") or "")), 300)
    return None, f"No feedback could be generated. Cause: {cause}"
