"""Tests for course/grading/preprocessors/redact_hidden_tests.py (without running a kernel)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.grading.preprocessors import RedactHiddenTests


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
