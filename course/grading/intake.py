"""Checks a submission before nbgrader sees it, so that one bad file cannot break a batch.

nbgrader 0.9.6 crashes or gives up on some submissions that a real class
produces: a ``timestamp.txt`` that is not a date (AttributeError for the
whole batch), a notebook that is not valid JSON. ``inspect_submission``
sets such files aside under a telling name, and returns notes that explain,
for the instructor and the student, what was found and how it was graded.

Nothing in a submission is followed or opened unless it is a regular file:
symbolic links, FIFOs, sockets and device files are moved out of the
submission (into ``submitted/<student>/.refused-<assignment>/``, never
opened) before anything reads it, and every file is read with
``course.grading.safeio`` (no links, size cap, timeout). Notes name files
escaped (``safeio.shown_name``) and never quote what a file holds.
"""

import os
from typing import List, Sequence

import nbformat
from nbgrader.utils import is_grade, is_solution, is_task, parse_utc

from course import regions

from course.grading.safeio import UnsafeFile, read_text, shown_name, special_entries

#: Largest timestamp.txt read (a date is about 30 bytes).
MAX_TIMESTAMP_BYTES = 4096


def _grade_ids(nb) -> List[str]:
    ids = []
    for cell in nb.cells:
        if is_grade(cell) or is_solution(cell) or is_task(cell):
            ids.append(regions.grade_id(cell))
    return ids


def inspect_submission(submission_dir: str, expected: dict) -> List[str]:
    """Repairs what nbgrader cannot read and describes what it will handle itself.

    Args:
        submission_dir: ``submitted/<student>/<assignment>``.
        expected: ``{notebook name: [grade ids of its graded cells]}`` from the gradebook.

    Returns:
        Notes, one sentence each; empty when the submission is clean.
    """
    notes = refuse_special_files(submission_dir)
    timestamp = os.path.join(submission_dir, "timestamp.txt")
    if os.path.lexists(timestamp):
        try:
            text = read_text(timestamp, limit=MAX_TIMESTAMP_BYTES).strip()
            if text:
                parse_utc(text)
        except UnsafeFile as err:
            os.replace(timestamp, timestamp + ".invalid")
            notes.append(
                f"timestamp.txt was not read ({err.why}); it was renamed to timestamp.txt.invalid "
                "and the submission graded without a late check."
            )
        except (ValueError, OverflowError):
            os.replace(timestamp, timestamp + ".invalid")
            notes.append(
                "timestamp.txt is not a date; it was renamed to "
                "timestamp.txt.invalid and the submission graded without a late check."
            )
    for name, grade_ids in sorted(expected.items()):
        path = os.path.join(submission_dir, f"{name}.ipynb")
        if not os.path.lexists(path):
            notes.append(f"{name}.ipynb was not submitted: its cells score zero.")
            continue
        try:
            nb = nbformat.reads(read_text(path), as_version=4)
        except Exception as err:  # nbformat raises many kinds of errors on bad files
            os.replace(path, path + ".unreadable")
            why = err.why if isinstance(err, UnsafeFile) else type(err).__name__
            notes.append(
                f"{name}.ipynb is not a readable notebook ({why}); it was renamed "
                f"to {name}.ipynb.unreadable and scores zero."
            )
            continue
        found = _grade_ids(nb)
        duplicated = sorted({g for g in found if found.count(g) > 1})
        if duplicated:
            notes.append(
                f"{name}.ipynb has duplicated graded cells ({', '.join(duplicated)}); "
                f"only the last copy of each was graded."
            )
        missing = [g for g in grade_ids if g not in found]
        if missing:
            notes.append(
                f"{name}.ipynb was missing cells ({', '.join(missing)}); the course's "
                f"versions were put back and graded."
            )
    return notes


def refuse_special_files(submission_dir: str) -> List[str]:
    """Moves links, FIFOs, sockets and device files out of a submission, unopened.

    They go to ``<submission_dir>/../.refused-<assignment>/`` (same file
    system, renamed, never followed), where neither nbgrader nor the grader
    looks.

    Returns:
        One note naming them (escaped), or none.
    """
    found = special_entries(submission_dir)
    if not found:
        return []
    parent, assignment = os.path.split(os.path.normpath(submission_dir))
    refused = os.path.join(parent, f".refused-{assignment}")
    for rel, _ in found:
        target = os.path.join(refused, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(os.path.join(submission_dir, rel), target)
    listed = ", ".join(f"{shown_name(rel)} ({what})" for rel, what in found[:10])
    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
    return [
        f"{len(found)} file(s) of the submission are not regular files and were neither opened nor "
        f"graded: {listed}{more}. Hand in the files themselves."
    ]


def expected_cells(gradebook, assignment: str) -> dict:
    """Returns ``{notebook name: [grade ids]}`` of one assignment in the gradebook."""
    result = {}
    for notebook in gradebook.find_assignment(assignment).notebooks:
        ids: Sequence[str] = [c.name for c in notebook.grade_cells]
        ids = list(ids) + [c.name for c in notebook.task_cells]
        result[notebook.name] = ids
    return result
