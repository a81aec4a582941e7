"""Structured records of what happened while one submission was graded, for its notes.

The grader's preprocessors (``course.grading.preprocessors``) run in the
grading worker's own process (nbgrader's API runs its apps in-process). Where
something unusual happens (graded unsandboxed, a limit stopped the kernel,
the kernel died, a cell timed out, foreign metadata was stripped, files
changed) they ``record`` an event here, keyed by assignment and student;
``course.grading.autograde.autograde_one`` ``take``s them after autograding
and writes the notes from them (``course.grading.notes.event_notes``). Nothing is read back from log
text, which holds student-controlled strings (file names, cell output).
"""

import threading
from typing import Dict, List, Tuple

_lock = threading.Lock()
_events: Dict[Tuple[str, str], List[dict]] = {}

UNSANDBOXED = "unsandboxed"
LIMIT = "limit"
KERNEL_DIED = "kernel_died"
CELL_TIMEOUT = "cell_timeout"
FOREIGN_CELLS = "foreign_cells"
CHANGED_BEFORE = "changed_before"
CHANGED_DURING = "changed_during"
OUTPUT_CAPPED = "output_capped"
RUNNER_STOPPED = "runner_stopped"
CALLS_TOO_SLOW = "calls_too_slow"


def _key(resources) -> Tuple[str, str]:
    info = (resources or {}).get("nbgrader") or {}
    return str(info.get("assignment") or ""), str(info.get("student") or "")


def record(resources, kind: str, **data) -> None:
    """Records one event of the submission that ``resources`` (nbgrader's) belongs to.

    Args:
        resources: The resources dict a preprocessor gets.
        kind: One of the kinds above.
        **data: What the note needs (plain values).
    """
    with _lock:
        _events.setdefault(_key(resources), []).append(dict(data, kind=kind))


def peek(resources) -> List[dict]:
    """The events recorded so far for the submission that ``resources`` belongs to (a copy; nothing is forgotten)."""
    with _lock:
        return list(_events.get(_key(resources), []))


def take(assignment: str, student: str) -> List[dict]:
    """Every event recorded for one submission since the last ``take``, in order; forgets them."""
    with _lock:
        return _events.pop((assignment, student), [])
