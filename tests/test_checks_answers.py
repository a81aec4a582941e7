"""Tests of the answer forms (course/checks/answers.py) and the grader's comparisons (course/grading/compare.py)."""

import math

import numpy as np
import pytest

from course.checks.answers import (
    describe,
    expect_array,
    expect_choice,
    expect_choices,
    expect_mapping,
    expect_number,
    expect_true_false,
)
from course.codec import Unsupported
from course.grading.compare import (
    Raises,
    check_cases,
    check_choice,
    check_choices,
    check_mapping,
    check_number,
    check_text,
    check_true_false,
    judge_cases,
    score_choices,
    score_mapping,
    score_numbers,
)


def _message(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


def test_describe_names_the_type_never_the_value():
    """Does describe() say what kind of value a student gave without quoting it?"""
    assert describe("the secret answer") == "a str"
    assert describe(None) == "None"
    assert describe(True) == "a bool"
    assert describe([1, 2]) == "a list"
    assert describe(np.zeros((2, 3), dtype=np.int8)) == "a NumPy array (dtype int8, shape (2, 3))"


@pytest.mark.parametrize("answer", [None, 1, ["B"], {"B"}, b"B", 2.0])
def test_single_choice_of_the_wrong_type_fails_with_a_clear_message(answer):
    """Does a single-choice answer that is not a string fail with an AssertionError naming the variable?"""
    message = _message(check_choice, answer, "B", "ABCD", "q_demo")
    assert message.startswith("q_demo must be one option written as a string")


def test_single_choice_is_normalised_and_checked():
    """Is ' b ' read as 'B', an unknown letter refused, and a wrong answer failed without naming the right one?"""
    assert expect_choice(" b ", "ABCD", "q") == "B"
    check_choice(" b ", "B", "ABCD", "q")
    assert "exactly one of the options A, B, C, D" in _message(check_choice, "E", "B", "ABCD", "q")
    assert _message(check_choice, "C", "B", "ABCD", "q") == "q is not the correct option."


@pytest.mark.parametrize("answer", [None, "AB", 3, {"A": True}])
def test_multiple_select_of_the_wrong_type_fails_with_a_clear_message(answer):
    """Does a multiple-select answer that is not a set (or list, tuple) fail with a clear message?"""
    assert _message(check_choices, answer, "AB", "ABCD", "q_multi").startswith("q_multi must be a set of options")


def test_multiple_select_accepts_sets_lists_and_names():
    """Are sets, lists and tuples accepted, names matched without case, and exactly the right set required?"""
    check_choices({"a", "C"}, "AC", "ABCD", "q")
    check_choices(["C", "A"], "AC", "ABCD", "q")
    check_choices(("Contract_Review",), ["contract_review"], ["contract_review", "email"], "q")
    assert expect_choices(["b", "B"], "ABCD", "q") == frozenset({"B"})
    assert "not one of the options" in _message(check_choices, {"A", "Z"}, "AC", "ABCD", "q")
    assert "must contain options written as strings" in _message(check_choices, {1, 2}, "AC", "ABCD", "q")
    wrong = _message(check_choices, {"A"}, "AC", "ABCD", "q")
    assert wrong.startswith("q is not the correct set of options") and "C" not in wrong.replace("correct", "")


@pytest.mark.parametrize("answer", [1, 0, "True", None, "false"])
def test_true_false_requires_a_bool(answer):
    """Is 1, 'True' or None refused as a true/false answer with a clear message?"""
    assert _message(check_true_false, answer, True, "q_tf").startswith("q_tf must be True or False")


def test_true_false_accepts_numpy_bools():
    """Is a NumPy bool accepted and compared by value?"""
    assert expect_true_false(np.bool_(False), "q") is False
    check_true_false(np.bool_(True), True, "q")
    assert _message(check_true_false, False, True, "q") == "q is not correct."


def test_mapping_form_and_correctness():
    """Does a matching answer need exactly the keys, an allowed option each, and the right options?"""
    options = ["nlp", "vision"]
    expected = {"a": "nlp", "b": "vision"}
    check_mapping({"a": " NLP", "b": "vision"}, expected, options, "q")
    assert "must be a dict" in _message(check_mapping, ["nlp", "vision"], expected, options, "q")
    assert "has no answer for 'b'" in _message(check_mapping, {"a": "nlp"}, expected, options, "q")
    assert "not items of the question" in _message(check_mapping, {"a": "nlp", "b": "nlp", "c": "nlp"}, expected, options, "q")
    assert "q['b'] must be one of" in _message(check_mapping, {"a": "nlp", "b": 3}, expected, options, "q")
    wrong = _message(check_mapping, {"a": "vision", "b": "vision"}, expected, options, "q")
    assert wrong == "q is not correct: some items are matched with the wrong option."


def test_mapping_with_bool_options_refuses_strings():
    """In a true/false table, is the string 'True' refused rather than taken for True?"""
    expected = {"A": True, "B": False}
    check_mapping({"A": True, "B": np.bool_(False)}, expected, [True, False], "q")
    assert "q['A'] must be one of True, False" in _message(check_mapping, {"A": "True", "B": False}, expected, [True, False], "q")
    assert "q['B'] must be one of" in _message(check_mapping, {"A": True, "B": 0}, expected, [True, False], "q")
    assert expect_mapping({"A": True, "B": False}, "AB", [True, False], "q") == expected


@pytest.mark.parametrize("answer", [None, "3.5", True, [3.5], np.array([1.0, 2.0])])
def test_number_of_the_wrong_type_fails_with_a_clear_message(answer):
    """Does a numeric answer that is not one number fail with a clear message?"""
    assert _message(check_number, answer, 3.5, "q_num").startswith("q_num should be a number")
    assert _message(expect_number, answer, "q_num").startswith("q_num must be a number")


def test_number_tolerance_integers_and_infinity():
    """Are numbers compared with a tolerance, whole numbers exactly, and infinity only to infinity?"""
    check_number(0.1 + 0.2, 0.3, "q")
    check_number(np.float32(14.0), 14.0, "q")
    check_number(np.array(2.5), 2.5, "q")
    check_number(np.int64(5), 5, "q")
    for whole in (5.0, np.float32(5.0), np.float64(5.0), np.array(5.0), np.array(5)):
        check_number(whole, 5, "q")
    assert _message(check_number, 5.5, 5, "q") == "q has a wrong value (it should be a whole number)."
    assert _message(check_number, math.inf, 5, "q") == "q has a wrong value (it should be a whole number)."
    assert _message(check_number, math.nan, 5, "q") == "q is NaN (not a number)."
    assert _message(check_number, "5", 5, "q") == "q should be a whole number but is a str."
    assert _message(check_number, True, 1, "q") == "q should be a whole number but is a bool."
    assert _message(check_number, 6, 5, "q") == "q has a wrong value."
    assert _message(check_number, 3.6, 3.5, "q") == "q has a wrong value."
    check_number(math.inf, math.inf, "q")
    assert _message(check_number, 1e300, math.inf, "q") == "q has a wrong value."
    assert _message(check_number, math.nan, 1.0, "q") == "q is NaN (not a number)."


def test_expect_number_bounds_and_integers():
    """Are the range and the whole-number requirement of a visible test enforced?"""
    assert expect_number(3, "q", low=0, high=5, integer=True) == 3.0
    assert "at least 1" in _message(expect_number, 0, "q", low=1)
    assert "at most 1" in _message(expect_number, 1.5, "q", high=1)
    assert expect_number(3.0, "q", integer=True) == 3.0, "a whole number written as a float is a whole number"
    assert expect_number(np.float32(3.0), "q", integer=True) == 3.0
    assert "must be a whole number" in _message(expect_number, 3.5, "q", integer=True)
    assert "must be a whole number" in _message(expect_number, math.inf, "q", integer=True)
    assert "must be a number" in _message(expect_number, True, "q", integer=True)
    assert "NaN" in _message(expect_number, float("nan"), "q")


def test_expect_array_form():
    """Does expect_array check type, shape and dtype with clear messages?"""
    expect_array(np.zeros((2, 2), dtype=np.int8), "q", shape=(2, 2), dtype=np.int8)
    assert "must be a NumPy array; it is a list" in _message(expect_array, [[0, 0]], "q")
    assert "has shape (3,)" in _message(expect_array, np.zeros(3), "q", shape=(2,))
    assert "has dtype float64" in _message(expect_array, np.zeros(3), "q", dtype=np.float32)


def _not_done(*args):
    raise NotImplementedError()


def test_check_cases_reports_unimplemented_and_crashing_functions():
    """Do an untouched stub and a crashing function fail with an AssertionError that explains it?"""
    assert _message(check_cases, _not_done, [((1,), 1)], "f") == "f is not implemented yet."
    assert _message(check_cases, lambda x: 1 / x, [((0,), 1.0)], "f").startswith("f raised ZeroDivisionError")
    assert _message(check_cases, None, [((0,), 1.0)], "f") == "f must be a function."
    assert _message(check_cases, _not_done, [((1,), Raises(ValueError))], "f") == "f is not implemented yet."


def test_check_cases_compares_results_without_revealing_them():
    """Is a wrong result named by case and hint, but never by the expected value?"""
    cases = [((2,), 4.0), ((3,), 9.0, "for an odd number")]
    check_cases(lambda x: x * x, cases, "square")
    message = _message(check_cases, lambda x: x * 2, cases, "square")
    assert message == "square returns a wrong result for an odd number: the result has a wrong value (case 2 of 2)."
    assert "9" not in message.replace("case 2 of 2", "")


def test_check_cases_checks_arrays_strictly():
    """Are array type (when a dtype is asked), shape, integer dtype and (when asked) float dtype all required to match?"""
    expected = np.array([1, 2], dtype=np.int8)
    check_cases(lambda: np.array([1, 2], dtype=np.int8), [((), expected)], "f")
    assert "has dtype int64" in _message(check_cases, lambda: [1, 2], [((), expected)], "f")
    assert "should be a NumPy array but is a list" in _message(
        check_cases, lambda: [1, 2], [((), expected)], "f", strict_dtype=True
    )
    assert "should be a NumPy array but is a str" in _message(check_cases, lambda: "12", [((), expected)], "f")
    assert "has shape (3,)" in _message(check_cases, lambda: np.zeros(3, np.int8), [((), expected)], "f")
    assert "has dtype int64" in _message(check_cases, lambda: np.array([1, 2]), [((), expected)], "f")
    floats = np.array([0.5, 1.5], dtype=np.float32)
    check_cases(lambda: np.array([0.5, 1.5]), [((), floats)], "f")
    check_cases(lambda: [0.5, 1.5], [((), floats)], "f")
    check_cases(lambda: (np.float32(0.5), 1.5), [((), floats)], "f")
    assert "should be a NumPy array but is a list" in _message(check_cases, lambda: ["a", "b"], [((), floats)], "f")
    assert "has dtype float64" in _message(check_cases, lambda: np.array([0.5, 1.5]), [((), floats)], "f", strict_dtype=True)
    assert "has wrong values" in _message(check_cases, lambda: np.array([0.5, 1.6]), [((), floats)], "f")
    assert "should hold numbers" in _message(check_cases, lambda: np.array(["a", "b"]), [((), floats)], "f")


def test_check_cases_compares_nested_results():
    """Are tuples, lists and dicts compared item by item, lists and tuples interchangeably?"""
    expected = (["x", "[MASK]"], {1: "y"})
    check_cases(lambda: (["x", "[MASK]"], {np.int64(1): "y"}), [((), expected)], "f")
    check_cases(lambda: [("x", "[MASK]"), {1: "y"}], [((), expected)], "f")
    assert "has a wrong item at index 1 (it has the wrong keys" in _message(
        check_cases, lambda: (["x", "[MASK]"], {0: "x"}), [((), expected)], "f"
    )
    assert "has 1 items" in _message(check_cases, lambda: (["x"],), [((), expected)], "f")
    assert "should be a tuple of 2 items but is None" in _message(check_cases, lambda: None, [((), expected)], "f")


def test_check_cases_expects_errors_where_asked():
    """Is a required ValueError checked, and a missing or different error explained?"""

    def strict(x):
        if x < 0:
            raise ValueError("negative")
        return x

    check_cases(strict, [((-1,), Raises(ValueError))], "f")
    assert _message(check_cases, lambda x: x, [((-1,), Raises(ValueError), "for a negative x")], "f") == (
        "f should raise ValueError for a negative x, but returned normally."
    )
    assert _message(check_cases, lambda x: [][x], [((-1,), Raises(ValueError))], "f").startswith(
        "f should raise ValueError, but raised IndexError"
    )


def test_check_cases_catches_a_function_that_modifies_its_input():
    """Does a function that changes its argument in place fail, though its result is right?"""

    def zero_first(w):
        w[0] = 0.0
        return w

    data = np.array([1.0, 2.0])
    message = _message(check_cases, zero_first, [((data,), np.array([0.0, 2.0]))], "f")
    assert message == "f must not modify its input; work on a copy instead."
    assert np.array_equal(data, [1.0, 2.0]), "the caller's own array is never handed to the student"
    check_cases(zero_first, [((data,), np.array([0.0, 2.0]))], "f", keep_inputs=False)


def test_check_cases_passes_keyword_arguments_and_single_arguments():
    """Are a dict of keyword arguments and a bare single argument both accepted as args?"""
    check_cases(lambda a, b=1: a + b, [({"a": 1, "b": 2}, 3), (5, 6)], "f")


def test_check_cases_can_accept_any_integer_dtype_and_empty_results():
    """With any_integer_dtype, do int32 indices, whole floats, a list and an empty float array pass where int64 indices are expected?"""
    expected = np.array([3, 0], dtype=np.int64)
    check_cases(lambda: np.array([3, 0], dtype=np.int32), [((), expected)], "f", any_integer_dtype=True)
    check_cases(lambda: np.array([3.0, 0.0]), [((), expected)], "f", any_integer_dtype=True)
    check_cases(lambda: [3, 0], [((), expected)], "f", any_integer_dtype=True)
    check_cases(lambda: np.array([]), [((), np.array([], dtype=np.int64))], "f", any_integer_dtype=True)
    assert "not whole numbers" in _message(
        check_cases, lambda: np.array([3.5, 0.0]), [((), expected)], "f", any_integer_dtype=True
    )
    assert "not whole numbers" in _message(
        check_cases, lambda: np.array([np.nan, 0.0]), [((), expected)], "f", any_integer_dtype=True
    )
    assert "should hold integers" in _message(
        check_cases, lambda: np.array([True, False]), [((), expected)], "f", any_integer_dtype=True
    )
    assert "has wrong values" in _message(
        check_cases, lambda: np.array([0, 3], dtype=np.int32), [((), expected)], "f", any_integer_dtype=True
    )
    assert "has shape (1,)" in _message(check_cases, lambda: np.array([3]), [((), expected)], "f", any_integer_dtype=True)
    assert "has dtype int32" in _message(check_cases, lambda: np.array([3, 0], dtype=np.int32), [((), expected)], "f")


def test_check_text_ignores_spaces_and_case_only():
    """Is ' valueerror ' read as 'ValueError', and a wrong name or a non-string failed without the answer?"""
    check_text(" valueerror ", "ValueError", "split_error")
    assert _message(check_text, "TypeError", "ValueError", "split_error") == "split_error is not correct."
    assert _message(check_text, None, "ValueError", "split_error") == "split_error must be a string; it is None."


TRAITS = {"A": "x", "B": "y", "C": "z", "D": "x"}


def test_score_mapping_gives_a_share_per_right_item(capsys):
    """Does each right item earn 1/items of the points, full marks carry no note, and the note never name the right option?"""
    assert score_mapping(dict(TRAITS), TRAITS, "xyz", "q") == (1.0, "")
    one_wrong = {**TRAITS, "C": "x"}
    fraction, note = score_mapping(one_wrong, TRAITS, "xyz", "q")
    assert (fraction, note) == (0.75, "q: 3 of 4 items right")
    assert "z" not in note.replace("q: ", "")
    assert type(fraction) is float, "the grader multiplies a plain float by the cell's points"
    assert capsys.readouterr().out == "", "scores are returned, never printed in the grader's process"


def test_score_mapping_fails_on_a_wrong_form_or_nothing_right():
    """Is a wrong form (not a dict, a missing item) or an answer with no right item a failure, not a score?"""
    assert "must be a dict" in _message(score_mapping, "x", TRAITS, "xyz", "q")
    assert "has no answer for 'D'" in _message(score_mapping, {"A": "x", "B": "y", "C": "z"}, TRAITS, "xyz", "q")
    all_wrong = {"A": "y", "B": "z", "C": "x", "D": "z"}
    assert _message(score_mapping, all_wrong, TRAITS, "xyz", "q") == "q is not correct: none of its 4 items is right."


def test_score_mapping_with_bool_options():
    """Are True/False statements scored per statement (one of five wrong: 0.8), a NumPy bool counting as a bool?"""
    expected = {"A": True, "B": False, "C": True, "D": True, "E": False}
    assert score_mapping({**expected, "E": True}, expected, [True, False], "q5") == (0.8, "q5: 4 of 5 items right")
    assert score_mapping({**expected, "B": np.bool_(False)}, expected, [True, False], "q5") == (1.0, "")


def test_score_choices_rewards_hits_and_charges_false_alarms():
    """Does each correct option earn 1/k and each wrong one cost as much, so choosing everything is not full marks?"""
    options, right = list("ABCDEFG"), ["A", "B", "C", "D"]
    assert score_choices({"A", "B", "C", "D"}, right, options, "q") == (1.0, "")
    assert score_choices({"A", "B", "C"}, right, options, "q") == (
        0.75, "q: 3 of the 4 correct options chosen, 0 wrong option(s) chosen"
    )
    assert score_choices({"A", "B", "C", "D", "E"}, right, options, "q")[0] == 0.75
    assert score_choices(set(options), right, options, "q") == (
        0.25, "q: 4 of the 4 correct options chosen, 3 wrong option(s) chosen"
    )
    assert score_choices(["a", "B"], right, options, "q")[0] == 0.5, "lists and any case are accepted"
    assert "is not correct" in _message(score_choices, set(), right, options, "q")
    assert "is not correct" in _message(score_choices, {"A", "E"}, right, options, "q")
    assert "must be a set of options" in _message(score_choices, "A", right, options, "q")


def test_score_numbers_scores_each_number_on_its_own():
    """Does each right number earn its share, a missing one cost only its own, and the note name what is wrong?"""
    assert score_numbers([(1.0, 1.0, "a"), (2, 2.0, "b")]) == (1.0, "")
    fraction, note = score_numbers([(1.0, 1.0, "a"), (None, 2.0, "b"), (3.0, 3.0, "c"), (5.0, 4.0, "d")])
    assert fraction == 0.5
    assert note == "b should be a number but is None; d has a wrong value; 2 of 4 numbers right"
    assert "4.0" not in note and not note.endswith(".")
    assert _message(score_numbers, [(0.0, 1.0, "a")]) == "a has a wrong value."
    assert _message(score_numbers, [(Unsupported("Cheat"), 1.0, "a")]).startswith("a should be a number but is <Cheat object>")


def test_score_numbers_tolerance_accepts_rounded_break_even_points():
    """With abs_tol=1, do the unrounded N*, its ceil, its floor and int() all earn full marks?"""
    n_star = 434782.60869565216
    for answer in (n_star, math.ceil(n_star), math.floor(n_star), int(n_star), round(n_star), np.int64(434783)):
        assert score_numbers([(answer, n_star, "n")], abs_tol=1.0) == (1.0, "")
    assert "has a wrong value" in _message(score_numbers, [(n_star + 2, n_star, "n")], abs_tol=1.0)


def test_raises_counts_subclasses_by_name():
    """Does Raises(ArithmeticError) accept a ZeroDivisionError (a subclass) by name, and not a ValueError?"""
    names = Raises(ArithmeticError).names()
    assert {"ArithmeticError", "ZeroDivisionError", "OverflowError"} <= names and "ValueError" not in names
    check_cases(lambda x: 1 / x, [((0,), Raises(ArithmeticError))], "f")
    assert repr(Raises(KeyError)) == "Raises(KeyError)"


def test_judge_cases_explains_each_runner_status():
    """Does judge_cases turn the runner's missing, not_callable, timeout and short result lists into clear failures?"""
    cases = [((1,), 1), ((2,), 4, "for two")]
    ok = {"status": "ok", "value": 1, "args": (1,), "kwargs": {}}
    assert _message(judge_cases, [{"status": "missing"}, ok], cases, "f") == (
        "f is not defined in the cell where the task asks for it."
    )
    assert _message(judge_cases, [{"status": "not_callable"}, ok], cases, "f") == "f must be a function."
    assert _message(judge_cases, [ok, {"status": "timeout"}], cases, "f") == "f took too long for two (case 2 of 2)."
    assert _message(judge_cases, [ok], cases, "f") == "f could not be run on all of the grader's cases."
    assert _message(judge_cases, [ok, "garbage"], cases, "f") == "f could not be run on the grader's cases."


def test_judge_cases_uses_the_arguments_as_they_were_after_the_call():
    """Is a modified argument reported from the runner's 'args' record, and a value the codec could not carry refused?"""
    cases = [((np.array([1.0, 2.0]),), 3.0)]
    changed = {"status": "ok", "value": 3.0, "args": (np.array([0.0, 2.0]),), "kwargs": {}}
    same = {"status": "ok", "value": 3.0, "args": (np.array([1.0, 2.0]),), "kwargs": {}}
    assert _message(judge_cases, [changed], cases, "f") == "f must not modify its input; work on a copy instead."
    judge_cases([same], cases, "f")
    judge_cases([changed], cases, "f", keep_inputs=False)
    cheat = {"status": "ok", "value": Unsupported("AlwaysEqual"), "args": same["args"], "kwargs": {}}
    assert "should be a number but is <AlwaysEqual object>" in _message(judge_cases, [cheat], cases, "f")


def test_a_huge_integer_answer_is_wrong_not_a_crash():
    """Is an int answer of 10**400 (a student's, or a function's result) a wrong value rather than an OverflowError?"""
    assert _message(check_number, 10**400, 1.5, "q") == "q has a wrong value."
    assert score_numbers([(1.5, 1.5, "a"), (-(10**400), 2.0, "b")])[0] == 0.5
