"""Tests for course/grading/exports.py."""

from course.grading import exports
from course.grading.autograde import GradeRecord


def test_table_marks_failed_submissions():
    """Does the table show points per student and flag a failed submission?"""
    records = [
        GradeRecord("ann", "00_setup", 3, 3, auto_score=3, auto_max=3),
        GradeRecord("bob", "00_setup", 0, 3, status="failed", notes=["broken"]),
    ]
    table = exports.format_table(records)
    assert "3/3" in table and "0/3 !" in table and "bob / 00_setup: broken" in table
    assert "by hand" not in table


def test_table_says_which_points_are_left_for_manual_grading():
    """Does the table explain that a perfect 35/51 means 16 manually graded points are still open (not lost)?"""
    records = [
        GradeRecord("ann", "01_concepts", 35, 51, auto_score=35, auto_max=35),
        GradeRecord("ann", "00_setup", 3, 3, auto_score=3, auto_max=3),
    ]
    table = exports.format_table(records)
    assert "35/51" in table
    assert "Still to grade by hand in formgrader (not in the totals yet): 01_concepts 16 points." in table
