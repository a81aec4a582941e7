"""Tests for course/grading/preprocessors.py (without running a kernel)."""

import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.grading.preprocessors import DropDuplicateIds, RedactHiddenTests


def grade_cell(source, grade_id, outputs=()):
    cell = new_code_cell(source)
    cell.metadata.nbgrader = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1}
    cell.outputs = list(outputs)
    return cell


def error(ename, evalue, traceback):
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback)


HIDDEN = '''"""Is it right?"""
assert answer is not None
### BEGIN HIDDEN TESTS
check_choice(answer, {"B", "D"})
### END HIDDEN TESTS'''


def test_hidden_region_is_replaced_in_feedback():
    """Does feedback keep visible test lines but drop every hidden-test line?"""
    nb = new_notebook(cells=[grade_cell(HIDDEN, "test_q1")])
    nb, _ = RedactHiddenTests().preprocess(nb, {})
    source = nb.cells[0].source
    assert "assert answer is not None" in source
    assert "check_choice" not in source and "BEGIN HIDDEN" not in source
    assert "hidden tests: not shown" in source


def test_tracebacks_of_graded_cells_are_cut_to_the_message():
    """Does a failed hidden assert show only 'AssertionError: message', not the code line?"""
    tb = ["---", 'Cell In[3], line 4\n----> 4 check_choice(answer, {"B", "D"})', "AssertionError: q1 is not right yet"]
    nb = new_notebook(cells=[grade_cell(HIDDEN, "test_q1", [error("AssertionError", "q1 is not right yet", tb)])])
    nb, _ = RedactHiddenTests().preprocess(nb, {})
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: q1 is not right yet"]


def test_mark_scheme_is_removed():
    """Is a mark scheme (rubric) removed from feedback, the rest of the cell kept?"""
    cell = new_markdown_cell("Question 1\n### BEGIN MARK SCHEME\nFull marks: mentions pruning\n### END MARK SCHEME\nend")
    cell.metadata.nbgrader = {"grade": False, "solution": False, "locked": True, "task": True, "grade_id": "q1_task", "points": 0}
    nb, _ = RedactHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    assert "pruning" not in nb.cells[0].source and "Question 1" in nb.cells[0].source


def test_a_student_cell_with_region_markers_is_shown_as_written():
    """Item 13 of #19: does a student's cell holding 'BEGIN HIDDEN TESTS' (unbalanced) leave redaction working and the text as written?"""
    student = new_markdown_cell("My answer mentions ### BEGIN HIDDEN TESTS and ### BEGIN MARK SCHEME without an end")
    student.metadata.nbgrader = {"grade": True, "solution": True, "locked": False, "grade_id": "q1_written", "points": 3}
    added = new_code_cell("print('### BEGIN HIDDEN TESTS')\n### END HIDDEN TESTS")
    nb = new_notebook(cells=[student, added, grade_cell(HIDDEN, "test_q1")])
    nb, _ = RedactHiddenTests().preprocess(nb, {})
    assert nb.cells[0].source == student.source and nb.cells[1].source == added.source
    assert "check_choice" not in nb.cells[2].source and "hidden tests: not shown" in nb.cells[2].source


def test_instructor_cells_are_redacted_from_the_source_notebook(tmp_path):
    """Is a locked cell shown as the source's redacted version, whatever the autograded copy holds?"""
    from traitlets.config import Config

    folder = tmp_path / "source" / "a1"
    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[grade_cell(HIDDEN, "test_q1")]), str(folder / "nb.ipynb"))
    forged = grade_cell("### BEGIN HIDDEN TESTS\nnot parsed", "test_q1")  # the autograded copy, somehow changed
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    nb, _ = RedactHiddenTests(config=config).preprocess(
        new_notebook(cells=[forged]), {"nbgrader": {"assignment": "a1", "notebook": "nb"}}
    )
    assert "assert answer is not None" in nb.cells[0].source and "check_choice" not in nb.cells[0].source


def test_student_cells_keep_their_tracebacks():
    """Does a student's own (ungraded) cell keep its full traceback for debugging?"""
    cell = new_code_cell("1/0")
    cell.outputs = [error("ZeroDivisionError", "division by zero", ["a", "b", "c"])]
    nb, _ = RedactHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    assert nb.cells[0].outputs[0].traceback == ["a", "b", "c"]


def test_duplicate_grade_cells_keep_the_last_copy_only():
    """Does a pasted duplicate lose its nbgrader metadata entirely (no empty dict left behind)?"""
    first, second = grade_cell("x = 1", "test_x"), grade_cell("x = 2", "test_x")
    nb, _ = DropDuplicateIds().preprocess(new_notebook(cells=[first, second]), {})
    assert "nbgrader" not in nb.cells[0].metadata
    assert nb.cells[1].metadata.nbgrader["grade_id"] == "test_x"
    nbformat.validate(nb)


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
