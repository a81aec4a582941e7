"""A submission's notes for the instructor, built from the structured events the grader recorded, never from log text."""

from typing import List

from course.grading import events
from course.grading.safeio import shown_name
from course.grading.sandbox import LIMIT_REACHED, UNSANDBOXED


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
