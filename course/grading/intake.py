"""Checks a submission before nbgrader sees it, so that one bad file cannot break a batch.

nbgrader 0.9.6 crashes or gives up on some submissions that a real class
produces: a ``timestamp.txt`` that is not a date (AttributeError for the
whole batch), a notebook that is not valid JSON. ``inspect_submission``
sets such files aside under a telling name, and returns notes that explain,
for the instructor and the student, what was found and how it was graded.
"""

import os
from typing import List, Sequence

import nbformat
from nbgrader.utils import parse_utc


def _grade_ids(nb) -> List[str]:
    ids = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("solution") or meta.get("task"):
            ids.append(meta.get("grade_id"))
    return ids


def inspect_submission(submission_dir: str, expected: dict) -> List[str]:
    """Repairs what nbgrader cannot read and describes what it will handle itself.

    Args:
        submission_dir: ``submitted/<student>/<assignment>``.
        expected: ``{notebook name: [grade ids of its graded cells]}`` from the gradebook.

    Returns:
        Notes, one sentence each; empty when the submission is clean.
    """
    notes = []
    timestamp = os.path.join(submission_dir, "timestamp.txt")
    if os.path.exists(timestamp):
        with open(timestamp, encoding="utf-8", errors="replace") as fh:
            text = fh.read().strip()
        try:
            if text:
                parse_utc(text)
        except (ValueError, OverflowError):
            os.replace(timestamp, timestamp + ".invalid")
            notes.append(
                f"timestamp.txt is not a date ({text[:40]!r}); it was renamed to "
                f"timestamp.txt.invalid and the submission graded without a late check."
            )
    for name, grade_ids in sorted(expected.items()):
        path = os.path.join(submission_dir, f"{name}.ipynb")
        if not os.path.exists(path):
            notes.append(f"{name}.ipynb was not submitted: its cells score zero.")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # nbformat raises many kinds of errors on bad files
            os.replace(path, path + ".unreadable")
            notes.append(
                f"{name}.ipynb is not a readable notebook ({type(err).__name__}); it was renamed "
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


def expected_cells(gradebook, assignment: str) -> dict:
    """Returns ``{notebook name: [grade ids]}`` of one assignment in the gradebook."""
    result = {}
    for notebook in gradebook.find_assignment(assignment).notebooks:
        ids: Sequence[str] = [c.name for c in notebook.grade_cells]
        ids = list(ids) + [c.name for c in notebook.task_cells]
        result[notebook.name] = ids
    return result
