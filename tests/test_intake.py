"""Tests for course/grading/intake.py: what is set aside and explained before nbgrader runs."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course.grading.intake import inspect_submission


def write_notebook(path, grade_ids):
    cells = []
    for gid in grade_ids:
        cell = new_code_cell("pass")
        cell.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": gid, "points": 1, "locked": True}
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), str(path))


def test_clean_submission_has_no_notes(tmp_path):
    """Does a well-formed submission pass without notes or renames?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a", "test_b"])
    (tmp_path / "timestamp.txt").write_text("2026-01-15 09:00:00.000000 UTC")
    assert inspect_submission(str(tmp_path), {"nb": ["test_a", "test_b"]}) == []
    assert (tmp_path / "timestamp.txt").exists()


def test_malformed_timestamp_is_set_aside(tmp_path):
    """Is a timestamp that is not a date renamed (nbgrader would crash) and explained?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a"])
    (tmp_path / "timestamp.txt").write_text("handed in on Monday")
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a"]})
    assert not (tmp_path / "timestamp.txt").exists() and (tmp_path / "timestamp.txt.invalid").exists()
    assert len(notes) == 1 and "timestamp" in notes[0]


def test_unreadable_notebook_is_set_aside(tmp_path):
    """Is a notebook that is not JSON renamed, so nbgrader scores it zero instead of failing?"""
    (tmp_path / "nb.ipynb").write_text("{not json")
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a"]})
    assert (tmp_path / "nb.ipynb.unreadable").exists()
    assert "not a readable notebook" in notes[0]


def test_duplicates_missing_and_absent_notebooks_are_explained(tmp_path):
    """Are duplicated cells, deleted cells and missing notebooks each named in a note?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a", "test_a"])
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a", "test_b"], "other": ["test_c"]})
    text = " ".join(notes)
    assert "duplicated" in text and "test_b" in text and "other.ipynb was not submitted" in text
