"""Grading one submission away from the course directory: bytes in, data out.

A grading worker (a Dask worker, possibly on another machine) gets a
``GradingTask``: the course's ``nbgrader_config.py``, the assignment's source
files, a *template gradebook* (the course gradebook with every student
removed: assignment, notebooks, cells and due date only) and the files of one
submission. It builds a private course directory from them, autogrades the
submission there (sandboxed, like every grading) and generates its feedback,
and returns a ``GradingResult``: the grade record, every cell's grade and
comment, and the autograded and feedback files as bytes. It never sees the
instructor's gradebook, other students or the course directory.

The coordinator alone writes what comes back (``import_result``): the
gradebook, ``autograded/`` and ``feedback/``.
"""

import hashlib
import os
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from course.grading.safeio import UnsafeFile, read_regular

#: Largest single file sent between coordinator and worker (a notebook, an answer key).
MAX_TREE_FILE_BYTES = 512 * 2**20
#: Name of the file, in an autograded submission folder, that records what was graded.
MARKER = ".course-grading.json"


@dataclass
class GradingTask:
    """Everything a worker needs to grade one submission.

    Attributes:
        assignment: Assignment id.
        student: Student id.
        course_files: Course files by relative path (``nbgrader_config.py``, ``source/<assignment>/...``).
        gradebook: The template gradebook's bytes.
        submission_files: The submission's files by path relative to its folder.
        notes: Notes from the coordinator's intake (set-aside files, ...).
        feedback: Also generate HTML feedback.
        digest: ``submission_digest`` of the submission files.
        environment: ``COURSE_PROFILE``/``COURSE_DATA_SOURCE`` resolved by the
            coordinator (``course.grading.context``); empty: the worker resolves its own.
    """

    assignment: str
    student: str
    course_files: Dict[str, bytes]
    gradebook: bytes
    submission_files: Dict[str, bytes]
    notes: List[str] = field(default_factory=list)
    feedback: bool = True
    digest: str = ""
    environment: Dict[str, str] = field(default_factory=dict)


@dataclass
class GradingResult:
    """What a worker sends back for one submission.

    Attributes:
        record: The ``GradeRecord`` as a dict.
        timestamp: The submission's timestamp (ISO text) or ``None``.
        grades: One dict per grade cell: notebook, name, auto_score, needs_manual_grade.
        comments: One dict per solution cell: notebook, name, auto_comment.
        penalties: Late-submission penalty per notebook.
        autograded_files: Files of ``autograded/<student>/<assignment>/`` by relative path.
        feedback_files: Files of ``feedback/<student>/<assignment>/`` by relative path.
        worker: Which worker graded it.
    """

    record: dict
    timestamp: Optional[str]
    grades: List[dict]
    comments: List[dict]
    penalties: Dict[str, float]
    autograded_files: Dict[str, bytes]
    feedback_files: Dict[str, bytes]
    worker: str = ""


def read_tree(folder: str, max_bytes: int = MAX_TREE_FILE_BYTES) -> Dict[str, bytes]:
    """Every regular file under ``folder`` by relative path (links, special files and files over ``max_bytes`` are skipped)."""
    files = {}
    if not os.path.isdir(folder):
        return files
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
        for name in sorted(names):
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                try:  # no link, FIFO or device is followed or opened; a file too large is left out
                    files[os.path.relpath(path, folder)] = read_regular(path, limit=max_bytes)
                except UnsafeFile:
                    continue
    return files


def write_tree(folder: str, files: Dict[str, bytes]) -> None:
    """Writes ``files`` (relative path to bytes) under ``folder``; refuses paths that leave it."""
    base = os.path.realpath(folder)
    for rel, data in files.items():
        path = os.path.realpath(os.path.join(base, rel))
        if not path.startswith(base + os.sep):
            raise ValueError(f"refusing a path outside {folder}: {rel}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def submission_digest(files: Dict[str, bytes]) -> str:
    """A SHA-256 over a submission's file names and contents (what resuming compares)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return digest.hexdigest()


def template_gradebook(course_root: str, assignment: str, target: str) -> None:
    """Writes a copy of the course gradebook without any student (the template workers grade against).

    Args:
        course_root: The course directory.
        assignment: The assignment about to be graded (must be in the gradebook).
        target: Path of the new database file.
    """
    from nbgrader.api import Gradebook

    shutil.copy(os.path.join(course_root, "gradebook.db"), target)
    with Gradebook(f"sqlite:///{target}") as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
        for other in list(gb.assignments):
            if other.name != assignment:
                gb.remove_assignment(other.name)


def course_files(course_root: str, assignment: str) -> Dict[str, bytes]:
    """The course files a worker needs: ``nbgrader_config.py`` and the assignment's source folder."""
    files = {"nbgrader_config.py": open(os.path.join(course_root, "nbgrader_config.py"), "rb").read()}
    source = os.path.join(course_root, "source", assignment)
    for rel, data in read_tree(source).items():
        files[os.path.join("source", assignment, rel)] = data
    return files


def grade_task(task: GradingTask) -> GradingResult:
    """Grades one submission in a private course directory (runs on a worker).

    Args:
        task: The submission and what grading it needs.

    Returns:
        The result, as data.
    """
    from course.grading import context

    previous = {name: os.environ.get(name) for name in task.environment}
    os.environ.update(task.environment)
    try:
        return _grade_in_private_course(task)
    finally:
        context.restore(previous)


def _grade_in_private_course(task: GradingTask) -> GradingResult:
    """``grade_task`` once the worker's environment is set."""
    from nbgrader.api import MissingEntry

    from course.grading import autograde, nbgrader_api
    from course.runtime import stderr_to

    with tempfile.TemporaryDirectory(prefix="course-grade-") as root:
        write_tree(root, task.course_files)
        with open(os.path.join(root, "gradebook.db"), "wb") as fh:
            fh.write(task.gradebook)
        write_tree(os.path.join(root, "submitted", task.student, task.assignment), task.submission_files)
        api = nbgrader_api.make_api(root)
        with stderr_to(os.path.join(root, "kernels.log")):
            record = autograde.autograde_one(api, task.assignment, task.student, inspect=False)
            if task.feedback:
                _, why = autograde.feedback_with_cause(api, task.assignment, task.student)
                if why:
                    record.notes.append(why)
        record.notes = list(task.notes) + record.notes
        grades, comments, penalties, timestamp = [], [], {}, None
        with api.gradebook as gb:
            try:
                submission = gb.find_submission(task.assignment, task.student)
            except MissingEntry:
                submission = None
            if submission is not None:
                timestamp = submission.timestamp.isoformat() if submission.timestamp else None
                for notebook in submission.notebooks:
                    penalties[notebook.name] = notebook.late_submission_penalty or 0.0
                    for grade in notebook.grades:
                        grades.append(
                            {
                                "notebook": notebook.name,
                                "name": grade.name,
                                "auto_score": grade.auto_score,
                                "needs_manual_grade": grade.needs_manual_grade,
                                "max_score": grade.max_score,
                            }
                        )
                    for comment in notebook.comments:
                        comments.append({"notebook": notebook.name, "name": comment.name, "auto_comment": comment.auto_comment})
        return GradingResult(
            record=asdict(record),
            timestamp=timestamp,
            grades=grades,
            comments=comments,
            penalties=penalties,
            autograded_files=read_tree(os.path.join(root, "autograded", task.student, task.assignment)),
            feedback_files=read_tree(os.path.join(root, "feedback", task.student, task.assignment)),
            worker=os.uname().nodename,
        )


def import_result(api, task: GradingTask, result: GradingResult) -> None:
    """Writes a worker's result into the course: gradebook, ``autograded/``, ``feedback/`` (coordinator only).

    The gradebook is changed in one transaction; a ``manual_score`` already
    given by the instructor is kept, as nbgrader's own autograde does. The
    coordinator writes the resume marker (``MARKER``) after its leak scan.
    """
    from datetime import datetime

    student, assignment = task.student, task.assignment
    with api.gradebook as gb, warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy's autoflush warning; the rows are written all the same.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        gb.update_or_create_student(student)
        timestamp = datetime.fromisoformat(result.timestamp) if result.timestamp else None
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        for item in result.grades:
            grade = gb.find_grade(item["name"], item["notebook"], assignment, student)
            grade.auto_score = item["auto_score"]
            grade.needs_manual_grade = item["needs_manual_grade"]
        for item in result.comments:
            comment = gb.find_comment(item["name"], item["notebook"], assignment, student)
            comment.auto_comment = item["auto_comment"]
        for notebook_name, penalty in result.penalties.items():
            gb.find_submission_notebook(notebook_name, assignment, student).late_submission_penalty = penalty
        gb.db.commit()
    for step, files in (("autograded", result.autograded_files), ("feedback", result.feedback_files)):
        folder = api.coursedir.format_path(getattr(api.coursedir, f"{step}_directory"), student, assignment)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        if files or step == "autograded":
            os.makedirs(folder, exist_ok=True)
            write_tree(folder, files)
