"""Tests for course/grading/events.py."""


def test_events_are_kept_per_submission():
    """Are the events of one submission taken once, and never mixed with another student's?"""
    from course.grading import events

    events.record({"nbgrader": {"assignment": "a", "student": "ann"}}, events.KERNEL_DIED, index=3)
    events.record({"nbgrader": {"assignment": "a", "student": "bob"}}, events.UNSANDBOXED, why="no bwrap")
    assert events.take("a", "ann") == [{"kind": events.KERNEL_DIED, "index": 3}]
    assert events.take("a", "ann") == []
    assert events.take("a", "bob")[0]["why"] == "no bwrap"
