"""The instructor's batch job: release, autograde, feedback, export, summary table.

Everything runs in one Python process through nbgrader's ``NbGraderAPI``
(each ``nbgrader`` command would pay several seconds of start-up). Each
submission is graded on its own, so one that fails cannot stop the others,
and every submission ends with a recorded grade and an explanation.
"""

import csv
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

from traitlets.config import Config, PyFileConfigLoader

from course.grading import context, events
from course.grading.intake import expected_cells, inspect_submission
from course.grading.leaks import scan_batch
from course.grading.safeio import shown_name
from course.grading.sandbox import LIMIT_REACHED, UNSANDBOXED, Sandbox
from course.runtime import stderr_to

CONFIG_FILE = "nbgrader_config.py"


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


def list_assignments(course_root: str) -> List[str]:
    """Returns the assignment ids under ``source/`` (folders holding a notebook), sorted."""
    source = os.path.join(course_root, "source")
    found = []
    for name in sorted(os.listdir(source)):
        folder = os.path.join(source, name)
        if os.path.isdir(folder) and any(f.endswith(".ipynb") for f in os.listdir(folder)):
            found.append(name)
    return found


def load_config(course_root: str, **overrides) -> Config:
    """Reads the course's ``nbgrader_config.py`` and points it at ``course_root``.

    Args:
        course_root: The nbgrader course directory.
        **overrides: ``CourseDirectory`` traits to set (e.g. ``release_directory``).

    Returns:
        The configuration.
    """
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    config_dir = course_root if os.path.exists(os.path.join(course_root, CONFIG_FILE)) else here
    config = PyFileConfigLoader(CONFIG_FILE, path=config_dir).load_config()
    config.CourseDirectory.root = os.path.abspath(course_root)
    for key, value in overrides.items():
        setattr(config.CourseDirectory, key, value)
    return config


def tools_on_path() -> None:
    """Puts this interpreter's scripts on PATH.

    nbgrader runs ``alembic`` as a program, which a virtual environment that
    was not activated does not have on PATH.
    """
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def make_api(course_root: str, **overrides):
    """Creates an ``NbGraderAPI`` for the course directory.

    Args:
        course_root: The nbgrader course directory.
        **overrides: ``CourseDirectory`` traits to set.

    Returns:
        The API object.
    """
    tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_root, **overrides)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def generate_release(api, assignments: Iterable[str]) -> None:
    """Generates the student version of each assignment into ``release/``.

    nbgrader adds the course's header and footer cells; their placeholders are
    then filled with each notebook's own launch links and Colab pins
    (``course.links.fill_release_links``).

    Raises:
        RuntimeError: nbgrader could not generate one (its log is in the message).
    """
    from course.links import fill_release_links

    for assignment in assignments:
        _check(api.generate_assignment(assignment, force=True, create=True), f"generate_assignment {assignment}")
        folder = api.coursedir.format_path(api.coursedir.release_directory, ".", assignment)
        fill_release_links(folder, api.coursedir.root)


def _scores(api, assignment: str, student: str):
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        return submission.score, submission.max_score


def autograded_points(api, assignment: str, student: str):
    """Points of the autograded test cells only (manually graded answers left out).

    Returns:
        ``(score, max_score)``, or ``None`` when nothing is recorded.
    """
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        score = maximum = 0.0
        for notebook in submission.notebooks:
            manual = {c.name for c in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                if grade.cell_type == "code" and grade.name not in manual:
                    score += grade.auto_score or 0.0
                    maximum += grade.max_score
        return score, maximum


def _record_zero(api, assignment: str, student: str) -> None:
    """Records a zero for every cell of a submission nbgrader could not grade."""
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            gb.update_or_create_student(student)
            submission = gb.add_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def event_notes(recorded: List[dict], cell_timeout=None) -> List[str]:
    """The notes of one submission, from the events the grader recorded (``course.grading.events``).

    Notes are built from these structured records only, never from log
    text; every name a student controls (a cell id) is shown escaped.

    Args:
        recorded: The events of the submission, in order.
        cell_timeout: The per-cell time limit (``c.Execute.timeout``), for the note.

    Returns:
        One note per event (an unsandboxed run is noted once).
    """
    notes: List[str] = []
    for event in recorded:
        kind = event.get("kind")
        if kind == events.UNSANDBOXED:
            note = f"{UNSANDBOXED} (student code ran with the grader's rights): {str(event.get('why', '')).strip()}."
        elif kind == events.LIMIT:
            note = (
                f"{LIMIT_REACHED} in {shown_name(event['cell'])}: {event['reason']}; the kernel was stopped there, "
                "and that cell and every cell below it score zero."
            )
        elif kind == events.KERNEL_DIED:
            note = ("The kernel died while running the notebook (out of memory, or killed); cells after that point "
                    "were not run and score zero.")
        elif kind == events.CELL_TIMEOUT:
            seconds = f" of {cell_timeout} s" if cell_timeout else ""
            note = (f"{shown_name(event['cell'])} hit the per-cell time limit{seconds} (c.Execute.timeout) "
                    "and was interrupted; the cells after it still ran.")
        elif kind == events.FOREIGN_CELLS:
            ids = ", ".join(shown_name(i, 60) for i in event["ids"][:10])
            note = (f"{len(event['ids'])} cell(s) carried nbgrader metadata of another notebook ({ids}); it was "
                    "removed, those cells ran as the student's own, and the rest was graded as usual.")
        elif kind == events.CHANGED_DURING:
            note = ("Its code changed files the grader relies on (course, data or installed packages); its model "
                    "questions score zero. Restore those files (see the log) before grading further submissions.")
        elif kind == events.CHANGED_BEFORE:
            note = ("Files the grader relies on had been changed before this submission was graded; its model "
                    "questions score zero. Restore them and grade it again.")
        elif kind == events.RUNNER_STOPPED:
            note = (f"The grader's re-run of its functions was stopped ({str(event.get('why', ''))[:300]}); "
                    "every question that re-runs a function scores zero.")
        elif kind == events.CALLS_TOO_SLOW:
            note = (f"{event['calls']} call(s) of its functions ran past the per-call limit of {event['seconds']:g} s "
                    "and were stopped by the grader; those cases count as wrong.")
        elif kind == events.OUTPUT_CAPPED:
            note = str(event.get("note", ""))
        else:
            continue
        if note and note not in notes:
            notes.append(note)
    return notes


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
        scores = _scores(api, record.assignment, record.student)
        if scores:
            record.score, record.max_score = scores
            record.auto_score, record.auto_max = autograded_points(api, record.assignment, record.student)
    return records


ERROR_LINE = re.compile(r"^\s*([A-Za-z_.]*(?:Error|Exception)): (.+)$", re.MULTILINE)


def last_error(log: str) -> str:
    """The most telling error line of an nbgrader log (not its generic closing message)."""
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
        _record_zero(api, assignment, student)
    scores = _scores(api, assignment, student)
    if scores:
        record.score, record.max_score = scores
        record.auto_score, record.auto_max = autograded_points(api, assignment, student)
    record.seconds = time.monotonic() - started
    return record


def generate_feedback(api, assignment: str, student: str) -> Optional[str]:
    """Generates the HTML feedback of one graded submission.

    Returns:
        The feedback directory, or ``None`` when nbgrader made none.
    """
    folder, _ = feedback_with_cause(api, assignment, student)
    return folder


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


def export_grades(api, path: str) -> str:
    """Writes nbgrader's grade CSV (one row per student and assignment).

    Returns:
        The CSV path.
    """
    from nbgrader.plugins.export import CsvExportPlugin

    plugin = CsvExportPlugin()
    plugin.to = path
    with api.gradebook as gb:
        plugin.export(gb)
    return path


def write_report(records: List[GradeRecord], path: str) -> str:
    """Writes one row per graded submission, with status and notes.

    Returns:
        The CSV path.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "assignment", "score", "max_score", "status", "sandboxed", "seconds", "notes"])
        for r in records:
            writer.writerow(
                [
                    r.student,
                    r.assignment,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    r.status,
                    "yes" if r.sandboxed else "NO",
                    f"{r.seconds:.1f}",
                    " | ".join(r.notes),
                ]
            )
    return path


def format_table(records: List[GradeRecord]) -> str:
    """Formats points per student (rows) and assignment (columns), the manual points still open, then the notes.

    Returns:
        The table as text.
    """
    students = sorted({r.student for r in records})
    assignments = sorted({r.assignment for r in records})
    cells: Dict[tuple, str] = {}
    for r in records:
        mark = "" if r.status == "graded" else " !"
        cells[(r.student, r.assignment)] = f"{r.score:g}/{r.max_score:g}{mark}"
    width0 = max([len("student")] + [len(s) for s in students])
    widths = [max(len(a), 9) for a in assignments]
    lines = ["  ".join(["student".ljust(width0)] + [a.ljust(w) for a, w in zip(assignments, widths)])]
    lines.append("  ".join(["-" * width0] + ["-" * w for w in widths]))
    unsandboxed = {(r.student, r.assignment) for r in records if not r.sandboxed}
    for s in students:
        row = [s.ljust(width0)] + [cells.get((s, a), "-").ljust(w) for a, w in zip(assignments, widths)]
        lines.append("  ".join(row))
    if unsandboxed:
        lines.append("")
        lines.append(
            f"WARNING: {len(unsandboxed)} submission(s) were graded without the sandbox: their code ran "
            "with the grader's rights (see the notes; install bubblewrap, or grade with --require-sandbox)."
        )
    manual = {}
    for r in records:
        if r.status == "graded" and r.max_score > r.auto_max:
            manual[r.assignment] = r.max_score - r.auto_max
    if manual:
        lines.append("")
        listed = ", ".join(f"{a} {points:g} points" for a, points in sorted(manual.items()))
        lines.append(f"Still to grade by hand in formgrader (not in the totals yet): {listed}.")
    noted = [r for r in records if r.notes]
    if noted:
        lines.append("")
        lines.append("Notes:")
        for r in noted:
            for note in r.notes:
                lines.append(f"- {r.student} / {r.assignment}: {note}")
    return "\n".join(lines)


def grade_batch(
    api, assignment: str, students: Iterable[str], feedback: bool = True, kernel_log: str = os.devnull
) -> List[GradeRecord]:
    """Autogrades (and gives feedback to) each student's submission of one assignment.

    Args:
        api: ``NbGraderAPI``.
        assignment: Assignment id.
        students: Student ids.
        feedback: Also generate HTML feedback.
        kernel_log: Where the kernels' own stderr goes (it is not the student's output).

    Returns:
        One record per student, in the given order.
    """
    records = []
    # Grading context (issue 14): profile and data source resolved once, inherited by kernels and verifiers.
    previous = context.export_resolved()
    for student in students:
        with stderr_to(kernel_log):
            record = autograde_one(api, assignment, student)
            if feedback:
                _, why = feedback_with_cause(api, assignment, student)
                if why:
                    record.notes.append(why)
        records.append(record)
        print(f"  {assignment} / {student}: {record.score:g}/{record.max_score:g} ({record.seconds:.0f} s)", flush=True)
    context.restore(previous)
    withheld = scan_batch(api.coursedir.root, records)
    if withheld:
        print(f"  {assignment}: feedback of {withheld} submission(s) withheld (it showed instructor-only lines)", flush=True)
    return records


def reset_demo_state(course_root: str, prefix: str = "demo-") -> None:
    """Removes earlier demo students' submissions, grades and feedback."""
    for step in ("submitted", "autograded", "feedback"):
        folder = os.path.join(course_root, step)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.startswith(prefix):
                    shutil.rmtree(os.path.join(folder, name))
    from nbgrader.api import Gradebook

    db = os.path.join(course_root, "gradebook.db")
    if os.path.exists(db):
        with Gradebook(f"sqlite:///{db}") as gb:
            for student in list(gb.students):
                if student.id.startswith(prefix):
                    gb.remove_student(student.id)
