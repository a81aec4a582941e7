"""Tests for course/grading/preprocessors/restore_missing_cells.py (without running a kernel)."""

import os

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def test_deleted_test_cell_after_a_locked_cell_is_put_back_where_it_was(tmp_path, monkeypatch):
    """Is a test cell deleted after a locked, non-graded cell restored after it (nbgrader 0.9.6 raises KeyError)?"""
    import copy
    import sys

    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import OverwriteCells

    from course.grading.preprocessors import RestoreMissingCells

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])  # nbgrader runs alembic
    gb = Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}")
    gb.add_assignment("a")
    gb.add_notebook("nb", "a")

    def source(name, kind, text, locked):
        gb.add_source_cell(name, "nb", "a", cell_type=kind, locked=locked, source=text, checksum=None)

    def meta(name, **flags):
        return {"nbgrader": dict(grade_id=name, schema_version=3, grade=False, solution=False, locked=False, **flags)}

    source("intro", "markdown", "Intro", True)
    gb.add_solution_cell("answer", "nb", "a")
    source("answer", "code", "x = 1", False)
    source("explain", "markdown", "Now the test", True)
    gb.add_grade_cell("test_x", "nb", "a", max_score=1, cell_type="code")
    source("test_x", "code", "assert x == 1", True)
    submitted = new_notebook(
        cells=[
            new_markdown_cell("Intro", metadata={"nbgrader": {**meta("intro")["nbgrader"], "locked": True}}),
            new_code_cell("x = 1", metadata={"nbgrader": {**meta("answer")["nbgrader"], "solution": True}}),
            new_markdown_cell("Now the test", metadata={"nbgrader": {**meta("explain")["nbgrader"], "locked": True}}),
        ]
    )
    results = {}
    for cls in (OverwriteCells, RestoreMissingCells):
        pre = cls()
        pre.gradebook, pre.notebook_id, pre.assignment_id = gb, "nb", "a"
        try:
            nb, _ = pre.add_missing_grade_cells(copy.deepcopy(submitted), {})
            results[cls.__name__] = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
        except KeyError:
            results[cls.__name__] = "KeyError"
    assert results == {"OverwriteCells": "KeyError", "RestoreMissingCells": ["intro", "answer", "explain", "test_x"]}
