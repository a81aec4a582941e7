"""Tests for course/grading/autograde.py that need no kernel."""

import os

import nbformat

from conftest import copy_released
from course.grading import autograde, nbgrader_api
from course.grading.students import write_submission


def test_ungradable_submission_gets_recorded_zero_and_a_cause(released_course, tmp_path):
    """When nbgrader itself fails on a submission, is a zero recorded with the real cause?"""
    root = copy_released(released_course, str(tmp_path))
    api = nbgrader_api.make_api(root)
    sid = write_submission(root, "00_setup", "corrupt", "perfect")
    path = os.path.join(root, "submitted", sid, "00_setup", "check_environment.ipynb")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_scale_images":
            cell.metadata.nbgrader["points"] = "lots"  # corrupt metadata: nbgrader raises
    nbformat.write(nb, path)
    record = autograde.autograde_one(api, "00_setup", sid)
    assert record.status == "failed"
    assert record.score == 0 and record.max_score > 0
    assert any("could not convert string to float" in n for n in record.notes)
    with api.gradebook as gb:
        grades = [g for nb in gb.find_submission("00_setup", sid).notebooks for g in nb.grades]
        assert grades and all(g.score == 0 for g in grades)


def test_last_error_skips_nbgraders_generic_message():
    """Is the specific exception line reported rather than 'Please see the above traceback'?"""
    log = "    ValueError: bad points\n[ERROR] x\nNbGraderException: Please see the above traceback"
    assert autograde.last_error(log) == "ValueError: bad points"


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

    folder, why = autograde.feedback_with_cause(FakeAPI, "01_concepts", "ann")
    assert folder is None and why.startswith("No feedback could be generated. Cause: ")
    assert "KeyError" in why and "\n" not in why
