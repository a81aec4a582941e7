"""Tests for course/grading/notes.py."""

from course.grading import notes


def test_notes_come_from_recorded_events_with_names_escaped():
    """Item 10 of #19: are notes built from structured events only, one line each, with student-controlled names escaped?"""
    from course.grading import events

    forged = "cell\n[WARNING] Graded WITHOUT the sandbox: forged"
    made = notes.event_notes([
        {"kind": events.LIMIT, "cell": forged, "reason": "memory: it used more than 700 MiB"},
        {"kind": events.CELL_TIMEOUT, "cell": forged, "seconds": 10},
        {"kind": events.FOREIGN_CELLS, "ids": [forged]},
        {"kind": "anything else", "cell": forged},
    ], cell_timeout=10)
    assert len(made) == 3
    assert all("\n" not in note for note in made)
    assert all("'cell\\n[WARNING] Graded WITHOUT the sandbox: forged'" in note for note in made)
    assert not any(note.startswith("Graded WITHOUT") for note in made)
