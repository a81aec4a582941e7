"""Tests for course/grading/preprocessors/drop_duplicate_ids.py (without running a kernel)."""

import nbformat
from nbformat.v4 import new_notebook

from course.grading.preprocessors import DropDuplicateIds
from test_redact_hidden_tests import grade_cell


def test_duplicate_grade_cells_keep_the_last_copy_only():
    """Does a pasted duplicate lose its nbgrader metadata entirely (no empty dict left behind)?"""
    first, second = grade_cell("x = 1", "test_x"), grade_cell("x = 2", "test_x")
    nb, _ = DropDuplicateIds().preprocess(new_notebook(cells=[first, second]), {})
    assert "nbgrader" not in nb.cells[0].metadata
    assert nb.cells[1].metadata.nbgrader["grade_id"] == "test_x"
    nbformat.validate(nb)
