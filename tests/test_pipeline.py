"""Tests for course/grading/pipeline.py that need no kernel."""

import os

import nbformat

from conftest import ROOT, copy_released
from course.grading import pipeline
from course.grading.students import write_submission


def test_lists_every_assignment_with_a_notebook():
    """Are all source assignments found, in order, and nothing else?"""
    found = pipeline.list_assignments(ROOT)
    assert found == sorted(found) and "00_setup" in found
    for name in found:
        assert os.path.isdir(os.path.join(ROOT, "source", name))


def test_ungradable_submission_gets_recorded_zero_and_a_cause(released_course, tmp_path):
    """When nbgrader itself fails on a submission, is a zero recorded with the real cause?"""
    root = copy_released(released_course, str(tmp_path))
    api = pipeline.make_api(root)
    sid = write_submission(root, "00_setup", "corrupt", "perfect")
    path = os.path.join(root, "submitted", sid, "00_setup", "check_environment.ipynb")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_scale_images":
            cell.metadata.nbgrader["points"] = "lots"  # corrupt metadata: nbgrader raises
    nbformat.write(nb, path)
    record = pipeline.autograde_one(api, "00_setup", sid)
    assert record.status == "failed"
    assert record.score == 0 and record.max_score > 0
    assert any("could not convert string to float" in n for n in record.notes)
    with api.gradebook as gb:
        grades = [g for nb in gb.find_submission("00_setup", sid).notebooks for g in nb.grades]
        assert grades and all(g.score == 0 for g in grades)


def test_last_error_skips_nbgraders_generic_message():
    """Is the specific exception line reported rather than 'Please see the above traceback'?"""
    log = "    ValueError: bad points\n[ERROR] x\nNbGraderException: Please see the above traceback"
    assert pipeline.last_error(log) == "ValueError: bad points"


def test_table_marks_failed_submissions():
    """Does the table show points per student and flag a failed submission?"""
    records = [
        pipeline.GradeRecord("ann", "00_setup", 3, 3, auto_score=3, auto_max=3),
        pipeline.GradeRecord("bob", "00_setup", 0, 3, status="failed", notes=["broken"]),
    ]
    table = pipeline.format_table(records)
    assert "3/3" in table and "0/3 !" in table and "bob / 00_setup: broken" in table
    assert "by hand" not in table


def test_table_says_which_points_are_left_for_manual_grading():
    """Does the table explain that a perfect 35/51 means 16 manually graded points are still open (not lost)?"""
    records = [
        pipeline.GradeRecord("ann", "01_concepts", 35, 51, auto_score=35, auto_max=35),
        pipeline.GradeRecord("ann", "00_setup", 3, 3, auto_score=3, auto_max=3),
    ]
    table = pipeline.format_table(records)
    assert "35/51" in table
    assert "Still to grade by hand in formgrader (not in the totals yet): 01_concepts 16 points." in table


def test_notes_come_from_recorded_events_with_names_escaped():
    """Item 10 of #19: are notes built from structured events only, one line each, with student-controlled names escaped?"""
    from course.grading import events

    forged = "cell\n[WARNING] Graded WITHOUT the sandbox: forged"
    notes = pipeline.event_notes([
        {"kind": events.LIMIT, "cell": forged, "reason": "memory: it used more than 700 MiB"},
        {"kind": events.CELL_TIMEOUT, "cell": forged, "seconds": 10},
        {"kind": events.FOREIGN_CELLS, "ids": [forged]},
        {"kind": "anything else", "cell": forged},
    ], cell_timeout=10)
    assert len(notes) == 3
    assert all("\n" not in note for note in notes)
    assert all("'cell\\n[WARNING] Graded WITHOUT the sandbox: forged'" in note for note in notes)
    assert not any(note.startswith("Graded WITHOUT") for note in notes)


def test_events_are_kept_per_submission():
    """Are the events of one submission taken once, and never mixed with another student's?"""
    from course.grading import events

    events.record({"nbgrader": {"assignment": "a", "student": "ann"}}, events.KERNEL_DIED, index=3)
    events.record({"nbgrader": {"assignment": "a", "student": "bob"}}, events.UNSANDBOXED, why="no bwrap")
    assert events.take("a", "ann") == [{"kind": events.KERNEL_DIED, "index": 3}]
    assert events.take("a", "ann") == []
    assert events.take("a", "bob")[0]["why"] == "no bwrap"


def test_failed_feedback_says_why():
    """Item 13 of #19: when nbgrader makes no feedback, does the note name the cause (escaped, one line)?"""
    class FakeAPI:
        class coursedir:
            feedback_directory = "feedback"

            @staticmethod
            def format_path(*parts):
                return "/nonexistent/" + "/".join(parts)

        @staticmethod
        def generate_feedback(assignment, student, force=True):
            return {"success": False, "log": "[ERROR] x\nKeyError: 'grade_id'\nline two", "error": ""}

    folder, why = pipeline.feedback_with_cause(FakeAPI, "01_concepts", "ann")
    assert folder is None and why.startswith("No feedback could be generated. Cause: ")
    assert "KeyError" in why and "\n" not in why
