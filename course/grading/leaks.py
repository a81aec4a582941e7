"""After each batch: no student-visible output may hold a line that only the instructor has.

The sandbox keeps a kernel away from ``source/``, but hidden-test code is
sent to the kernel to be run, and student code can print it (an IPython hook
sees every cell's source). ``RedactHiddenTests`` removes such lines from the
feedback of the notebook they belong to; this scan is the second line of
defence, over everything a student can see: every feedback page, and the
notes of the grading report and the table. A line counts as a leak when it
stands only inside a solution, hidden-test or mark-scheme region of the
course's source notebooks and the student did not write it in their own
submission. A feedback page with a leak is withheld (removed, so it cannot be
released) and the submission gets a note; a note with a leak is cut.
"""

import glob
import os
from typing import Iterable, List, Set

import nbformat

from course.grading.safeio import read_text
from course.grading.secrets import course_secret_lines, normalise_html

WITHHELD = "Feedback withheld"


def source_notebooks(course_root: str) -> List[str]:
    """Every source notebook of the course."""
    return sorted(glob.glob(os.path.join(course_root, "source", "*", "*.ipynb")))


def own_lines(submission_dir: str) -> Set[str]:
    """Stripped source lines of the notebooks a student handed in (what they wrote or were given)."""
    lines = set()
    for path in glob.glob(os.path.join(submission_dir, "*.ipynb")):
        try:  # never through a link (a link to the source notebook would make every secret "own")
            nb = nbformat.reads(read_text(path), as_version=4)
        except (OSError, ValueError, KeyError):  # unreadable: nothing counts as their own
            continue
        for cell in nb.cells:
            lines.update(line.strip() for line in str(cell.get("source", "")).splitlines())
    return lines


def find_leaks(text: str, secrets: Iterable[str], own: Set[str] = frozenset()) -> List[str]:
    """The secret lines that occur in ``text`` and are not the student's own.

    Args:
        text: What the student sees (plain text; HTML is normalised first by the caller).
        secrets: Lines only the instructor's notebooks hold.
        own: Lines of the student's own submission.

    Returns:
        The leaked lines, sorted.
    """
    return sorted(line for line in secrets if line not in own and line in text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replaces every secret line in ``text`` by ``[removed]``."""
    for line in sorted(secrets, key=len, reverse=True):
        if line in text:
            text = text.replace(line, "[removed]")
    return text


def scan_batch(course_root: str, records: list, feedback_dir: str = "feedback", submitted_dir: str = "submitted") -> int:
    """Scans what the students of a batch can see; withholds and notes every leak.

    Args:
        course_root: The course directory.
        records: ``GradeRecord``s of the batch (their notes are redacted and extended in place).
        feedback_dir: The feedback folder, relative to the course root.
        submitted_dir: The submissions folder, relative to the course root.

    Returns:
        How many submissions had a leak in their feedback.
    """
    secrets = course_secret_lines(source_notebooks(course_root))
    withheld = 0
    for record in records:
        record.notes = [redact(note, secrets) for note in record.notes]
        own = own_lines(os.path.join(course_root, submitted_dir, record.student, record.assignment))
        pages = glob.glob(os.path.join(course_root, feedback_dir, record.student, record.assignment, "*.html"))
        leaked = set()
        for page in pages:
            with open(page, encoding="utf-8", errors="replace") as fh:
                leaked.update(find_leaks(normalise_html(fh.read()), secrets, own))
        if leaked:
            withheld += 1
            for page in pages:
                os.remove(page)
            record.notes.append(
                f"{WITHHELD}: it showed {len(leaked)} line(s) that only the instructor's notebooks hold "
                "(hidden tests, solutions or mark schemes), printed by code in the notebook; the HTML was "
                "removed so that it cannot be released. Review the submission."
            )
    return withheld
