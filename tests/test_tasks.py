"""Tests of assignment 00's answer key (``source/00_setup/check_environment_key.py``) with trusted functions.

The grader judges each warm-up function from the key: it calls the function
on the key's cases (fixed ones, and random ones drawn for each student), in
the function runner, and judges the records in its own process. Here the
calls are made in this process with ``course.grading.runner.call`` (the
record the sandboxed runner makes, sent through the same data format), then
judged with the question's judge, exactly as ``course.grading.judge`` does.

The helpers ``key_cases``, ``runner_records`` and ``judge_function`` are
shared with the tests of assignments 02 and 03 (tests/test_mnist.py,
tests/test_bert.py).
"""

import os

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course_copy import run_solution_cells
from course import codec
from course.checks.handin import hand_in
from course.grading import compare, judge, runner
from course.grading.artifacts import Verdict
from course.grading.students import fill_solutions

ASSIGNMENT = "00_setup"
NOTEBOOK = "check_environment"
SOURCE = os.path.join(ROOT, "source", ASSIGNMENT, f"{NOTEBOOK}.ipynb")
RELEASE = os.path.join(ROOT, "release", ASSIGNMENT, f"{NOTEBOOK}.ipynb")
KEY = judge.load_key(os.path.join(ROOT, "source", ASSIGNMENT, f"{NOTEBOOK}{judge.KEY_SUFFIX}"))

# ------------------------------------------------------------------ shared helpers


def key_cases(key, grade_id, notebook, student="student"):
    """The cases the grader makes for one student's question (random ones drawn as ``judge_notebook`` draws them)."""
    question = key.questions[grade_id]
    if callable(question.cases):
        return list(question.cases(judge.case_rng(student, notebook, grade_id)))
    return list(question.cases)


def runner_records(question, function, cases):
    """What the function runner records for ``function`` on each case, with the question's caller and adapter.

    An ``ok`` record crosses the data format (``course.codec``) as it does
    between the runner and the grader, so the judge sees what it would see.
    """
    adapter = runner.load_adapter(question.adapter)
    caller = runner.load_adapter(question.caller)
    if caller is not None and callable(function):
        function = caller(function)
    records = []
    for case in cases:
        record = runner.call(function, case[0], adapter=adapter)
        if record["status"] == "ok":
            record = {name: codec.decode(codec.encode(value)) for name, value in record.items()}
        records.append(record)
    return records


def judge_function(key, grade_id, function, notebook, student="student", cases=None) -> Verdict:
    """The grader's verdict on ``function`` for a FunctionQuestion of ``key`` (``None``: never defined)."""
    question = key.questions[grade_id]
    assert isinstance(question, judge.FunctionQuestion), grade_id
    cases = key_cases(key, grade_id, notebook, student) if cases is None else list(cases)
    records = runner_records(question, function, cases)
    if question.judge is not None:
        return judge.run_judge(question.judge, records, cases)
    return judge.run_judge(lambda r, c: compare.judge_cases(r, c, question.function, **question.options), records, cases)


def failure(key, grade_id, function, notebook, student="student", cases=None) -> str:
    """The message of a verdict that must fail (the test fails if it passed)."""
    verdict = judge_function(key, grade_id, function, notebook, student, cases)
    assert not verdict.passed and verdict.score == 0, f"{grade_id} passed a wrong function"
    return verdict.message


# ------------------------------------------------------------------ 00's key


def _cells(path=SOURCE):
    return nbformat.read(path, as_version=4).cells


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def reference(name):
    """The reference solution of one of 00's warm-up functions, from the source notebook."""
    return run_solution_cells(SOURCE, (name,), {"np": np})[name]


def _verdict(grade_id, function, student="student"):
    return judge_function(KEY, grade_id, function, NOTEBOOK, student)


def _failure(grade_id, function):
    return failure(KEY, grade_id, function, NOTEBOOK)


QUESTIONS = {"test_count_per_class": "count_per_class", "test_scale_images": "scale_images", "test_positive_fraction": "positive_fraction"}


def test_key_has_a_function_question_for_every_graded_cell():
    """Does 00's key judge every autograded cell as the function its hidden test hands in, re-running that function's cell?"""
    graded = {_grade_id(c): c for c in _cells() if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == set(KEY.questions) == set(QUESTIONS)
    for grade_id, name in QUESTIONS.items():
        question = KEY.questions[grade_id]
        assert isinstance(question, judge.FunctionQuestion) and question.function == name
        assert f'hand_in({name}, "{grade_id}")' in graded[grade_id].source
    assert KEY.runner_cells == tuple(QUESTIONS.values())
    solutions = {_grade_id(c) for c in _cells() if c.metadata.get("nbgrader", {}).get("solution")}
    assert set(KEY.runner_cells) <= solutions


@pytest.mark.parametrize("student", ["ada", "bob", "chen"])
@pytest.mark.parametrize("grade_id", sorted(QUESTIONS))
def test_reference_functions_pass_for_every_student(grade_id, student):
    """Does each reference warm-up function earn all points on the cases drawn for several students?"""
    verdict = _verdict(grade_id, reference(QUESTIONS[grade_id]), student)
    assert verdict.passed and verdict.score == 1.0, verdict.message


def test_random_cases_differ_between_students_and_repeat_for_one():
    """Are a student's random labels the same on every grading run, and different from another student's?"""
    def labels(student):
        return key_cases(KEY, "test_count_per_class", NOTEBOOK, student)[0][0][0]

    assert np.array_equal(labels("ada"), labels("ada"))
    assert not np.array_equal(labels("ada"), labels("bob"))


# ------------------------------------------------------------------ count_per_class


@pytest.mark.parametrize(
    "correct",
    [
        lambda labels: np.bincount(labels, minlength=10).tolist(),  # a list of ints
        lambda labels: np.bincount(labels, minlength=10).astype(np.int32),
        lambda labels: np.array([np.sum(np.asarray(labels) == d) for d in range(10)], dtype=np.uint16),
        lambda labels: np.bincount(labels, minlength=10).astype(float),  # whole numbers held as floats
    ],
)
def test_count_per_class_accepts_lists_and_any_integer_dtype(correct):
    """Does count_per_class earn its point as a list of ints, or an array of any integer dtype or of whole floats?"""
    verdict = _verdict("test_count_per_class", correct)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda labels: np.bincount(labels), "has shape"),  # misses digits above the largest label
        (lambda labels: np.unique(labels, return_counts=True)[1], "has shape"),  # misses digits that never occur
        (lambda labels: np.bincount(labels, minlength=10) / max(len(labels), 1), "not whole numbers"),  # shares
        (lambda labels: np.bincount(labels, minlength=10) > 0, "should hold integers"),
        (lambda labels: np.bincount(labels, minlength=10)[::-1], "has wrong values"),  # digits in the wrong order
        (lambda labels: int(np.size(labels)), "should be a NumPy array"),
    ],
)
def test_count_per_class_mistakes_are_named(wrong, words):
    """Does count_per_class fail short output, shares or bools instead of counts, the wrong order and a single number, saying which?"""
    message = _failure("test_count_per_class", wrong)
    assert message.startswith("count_per_class "), message
    assert words in message, message


def test_count_per_class_must_not_sort_the_callers_labels():
    """Does a count_per_class that sorts its input in place (right counts) fail for changing the caller's labels?"""
    def sorting(labels):
        labels.sort()
        return np.bincount(labels, minlength=10)

    assert "must not modify its input" in _failure("test_count_per_class", sorting)


def test_count_per_class_messages_do_not_quote_the_expected_counts():
    """Does the message for wrong counts say what is wrong without showing the counts the grader expected?"""
    cases = key_cases(KEY, "test_count_per_class", NOTEBOOK)
    message = _failure("test_count_per_class", lambda labels: np.bincount(labels, minlength=10)[::-1])
    assert str(cases[0][1].tolist()) not in message and str(cases[0][1]) not in message
    assert "(case 1 of 3)" in message


# ------------------------------------------------------------------ scale_images


def test_scale_images_messages_name_the_students_function():
    """Does a missing channel axis in scale_images get a message about scale_images (not assignment 02's preprocess)?"""
    message = _failure("test_scale_images", lambda x: np.asarray(x, np.float32) / 255.0)
    assert message == "scale_images must add a channel axis: (n, 28, 28) → (n, 28, 28, 1)."
    assert "preprocess" not in message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x: (np.asarray(x, np.float32) / 127.5 - 1)[..., None], "scale_images returns a wrong result for a batch of images"),
        (lambda x: np.asarray(x, np.float32)[..., None], "has wrong values"),  # not scaled at all
        (lambda x: (x / 256.0)[..., None], "has wrong values"),  # 255 is not 1.0
        (lambda x: x[..., None], "must return floating-point values (float32 or float64), not uint8"),
    ],
)
def test_scale_images_mistakes_are_named(wrong, words):
    """Do another range, unscaled pixels, a division by 256 and untouched uint8 fail scale_images with a message naming it?"""
    assert words in _failure("test_scale_images", wrong)


# ------------------------------------------------------------------ positive_fraction


@pytest.mark.parametrize(
    "correct",
    [
        lambda labels: np.mean(np.asarray(labels) == 1),  # a NumPy float
        lambda labels: np.count_nonzero(labels) / len(labels),
    ],
)
def test_positive_fraction_accepts_numpy_and_python_numbers(correct):
    """Does positive_fraction earn its point when it returns a NumPy float or a Python float?"""
    verdict = _verdict("test_positive_fraction", correct)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda labels: [float(np.mean(labels))], "should be a number but is a list"),
        (lambda labels: float(np.sum(labels)), "has a wrong value"),  # a count, not a share
        (lambda labels: 1 - float(np.mean(labels)), "has a wrong value"),  # the negative share
        (lambda labels: 1 / 0, "raised ZeroDivisionError: division by zero"),
    ],
)
def test_positive_fraction_mistakes_are_named(wrong, words):
    """Does positive_fraction reject a list, a count or the negative share instead of the share, and a crash, with clear messages?"""
    message = _failure("test_positive_fraction", wrong)
    assert message.startswith("positive_fraction "), message
    assert words in message, message


def test_a_wrong_share_is_reported_for_its_case_without_its_value():
    """Does the message name the situation of the first wrong case ("for four labels") without the expected share?"""
    message = _failure("test_positive_fraction", lambda labels: float(np.sum(labels)))
    assert message == "positive_fraction returns a wrong result for four labels: the result has a wrong value (case 1 of 4)."


# ------------------------------------------------------------------ any function of 00


@pytest.mark.parametrize("grade_id", sorted(QUESTIONS))
def test_missing_or_unfinished_functions_are_told_so(grade_id):
    """Is a function never defined, not a function, or still raising NotImplementedError failed with a message saying so?"""
    name = QUESTIONS[grade_id]

    def unfinished(*args):
        raise NotImplementedError

    assert _failure(grade_id, None) == f"{name} is not defined in the cell where the task asks for it."
    assert _failure(grade_id, 42) == f"{name} must be a function."
    assert _failure(grade_id, unfinished) == f"{name} is not implemented yet."


def _filled_notebook(**sources):
    """The release notebook with the reference solutions, some solution cells replaced by ``sources``."""
    nb = fill_solutions(nbformat.read(RELEASE, as_version=4), nbformat.read(SOURCE, as_version=4))
    for cell in nb.cells:
        if _grade_id(cell) in sources:
            cell.source = sources[_grade_id(cell)]
    return nb


def test_grader_judges_the_notebook_cells_not_the_kernel_function(tmp_path, monkeypatch):
    """Does the grader pass the perfect notebook's warm-ups by re-running their cells, and fail a wrong cell although a correct function was handed in?"""
    monkeypatch.chdir(tmp_path)
    for grade_id, name in QUESTIONS.items():
        hand_in(reference(name), grade_id)  # what the hidden test does: the grader reads only the name
    verdicts = judge.judge_notebook(_filled_notebook(), KEY, str(tmp_path), ("student", NOTEBOOK), sandbox=None)
    assert set(verdicts) == set(QUESTIONS)
    for grade_id, verdict in verdicts.items():
        assert verdict.passed and verdict.score == 1.0, (grade_id, verdict.message)
    wrong = _filled_notebook(positive_fraction="def positive_fraction(labels):\n    return float(np.sum(labels))")
    verdicts = judge.judge_notebook(wrong, KEY, str(tmp_path), ("student", NOTEBOOK), sandbox=None)
    assert verdicts["test_count_per_class"].passed and verdicts["test_scale_images"].passed
    assert not verdicts["test_positive_fraction"].passed
    assert "positive_fraction returns a wrong result" in verdicts["test_positive_fraction"].message
