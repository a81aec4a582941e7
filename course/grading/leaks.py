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

Matching survives re-formatting: both sides are normalised (NFKC, case-folded,
zero-width characters and all whitespace removed) and a secret line counts
as quoted when any shingle of it (``course.grading.instructor_lines.SHINGLE``
characters) appears, so a partial, re-indented or upper-cased quote is
found. What the student wrote is matched the same way: a secret that is a
piece of their own submission (an honest answer written on one line) is
theirs, never a leak. Short solution lines (an answer's value) are not
secrets here: the kernel never sees the source's solutions, and a student
who prints their own answer must not lose their feedback.
"""

import glob
import os
from typing import Iterable, List, Set, Tuple, Union

import nbformat

from course.grading.instructor_lines import LeakIndex, normalise_html, scan_lines
from course.grading.safeio import read_text

WITHHELD = "Feedback withheld"


def source_notebooks(course_root: str) -> List[str]:
    """Every source notebook of the course."""
    return sorted(glob.glob(os.path.join(course_root, "source", "*", "*.ipynb")))


def _own_sources(submission_dir: str) -> List[str]:
    """Cell sources of the notebooks a student handed in (regular files only, never through a link)."""
    sources = []
    for path in sorted(glob.glob(os.path.join(submission_dir, "*.ipynb"))):
        try:  # a link to the source notebook would make every secret "own"
            nb = nbformat.reads(read_text(path), as_version=4)
        except (OSError, ValueError, KeyError):  # unreadable: nothing counts as their own
            continue
        sources.extend(str(cell.get("source", "")) for cell in nb.cells)
    return sources


def own_lines(submission_dir: str) -> Set[str]:
    """Stripped source lines of the notebooks a student handed in (what they wrote or were given)."""
    return {line.strip() for source in _own_sources(submission_dir) for line in source.splitlines()}


def own_text(submission_dir: str) -> str:
    """Everything a student handed in, as one text (what ``find_leaks`` matches their quotes against)."""
    return "\n".join(_own_sources(submission_dir))


def scan_secrets(course_root: str) -> Tuple[Set[str], str]:
    """What the scan looks for: ``(secret lines, public text)`` of the course's source notebooks
    (``course.grading.instructor_lines.scan_lines``)."""
    return scan_lines(source_notebooks(course_root))


def find_leaks(text: str, secrets, own: Union[str, Iterable[str]] = "", public: str = "") -> List[str]:
    """The secret lines quoted in ``text`` (in part or re-formatted) that are not the student's own.

    Args:
        text: What the student sees (plain text; HTML is normalised first by the caller).
        secrets: Lines only the instructor's notebooks hold, or a ready ``LeakIndex``.
        own: The student's own submission: its text, or its lines.
        public: Text students see anyway (ignored when ``secrets`` is a ``LeakIndex``).

    Returns:
        The leaked lines, sorted.
    """
    index = secrets if isinstance(secrets, LeakIndex) else LeakIndex(secrets, public)
    return index.leaks(text, own if isinstance(own, str) else "\n".join(own))


def redact(text: str, secrets, public: str = "") -> str:
    """``text`` with every secret line replaced by ``[removed]``, or all of it when a quote is only found normalised."""
    lines = list(secrets.lines() if isinstance(secrets, LeakIndex) else secrets)
    for line in sorted(lines, key=len, reverse=True):
        if line in text:
            text = text.replace(line, "[removed]")
    if find_leaks(text, secrets if isinstance(secrets, LeakIndex) else LeakIndex(lines, public)):
        return "[removed: it quoted instructor-only lines]"
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
    secrets, public = scan_secrets(course_root)
    index = LeakIndex(secrets, public)
    withheld = 0
    for record in records:
        record.notes = [redact(note, index) for note in record.notes]
        own = own_text(os.path.join(course_root, submitted_dir, record.student, record.assignment))
        pages = glob.glob(os.path.join(course_root, feedback_dir, record.student, record.assignment, "*.html"))
        leaked = set()
        for page in pages:
            with open(page, encoding="utf-8", errors="replace") as fh:
                leaked.update(index.leaks(normalise_html(fh.read()), own))
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
