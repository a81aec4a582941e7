"""Compares handed-in answers with the expected ones. Runs in the grader's process only.

It stays one module (one job, comparing): every judge here, ``check_*``, ``score_*`` and ``judge_cases`` over
a function's cases, rests on the same comparison of a value with its expected one (``_difference``:
equivalent forms match, the expected value is never quoted).

The expected answers live in the answer keys (``source/<assignment>/<notebook>_key.py``, loaded by
``course.grading.judge.load_key``); the
answers arrive as data (``course.codec``) from a hand-in or from a student's
function re-run in a sandbox (``course.grading.runner``). Nothing here calls
student code except ``check_cases``, which is for the tests of the keys
themselves (it calls a trusted function in-process and judges the results
like the grader does).

Two families:

* ``check_*`` raise ``AssertionError`` with a message for the student that
  never quotes the expected answer or the test's inputs;
* ``score_*`` grade a question of several independent items: they check the
  form like ``check_*`` (a wrong form fails the whole question) and return
  ``(fraction, note)``: the share of the points earned and, when it is not
  all of them, a sentence saying how many items are right.
"""

import math
import numbers
from typing import Any, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from course.checks import expect
from course.checks.answers import (
    _canonical,
    _is_integer,
    _is_real,
    _options,
    describe,
    expect_choice,
    expect_choices,
    expect_mapping,
    expect_true_false,
)

class Raises:
    """An expected outcome of a case: the call must raise ``error`` (or a subclass of it).

    Args:
        error: The exception class the student's function must raise.
    """

    def __init__(self, error: type = ValueError):
        self.error = error

    def names(self) -> set:
        """Names of the exception classes that count (``error`` and its built-in subclasses)."""
        found, todo = set(), [self.error]
        while todo:
            cls = todo.pop()
            found.add(cls.__name__)
            todo.extend(cls.__subclasses__())
        return found

    def __repr__(self) -> str:
        return f"Raises({self.error.__name__})"


# --------------------------------------------------------------------------- correctness


def _check_options(answer: Any, expected: Any, options: Iterable, name: str, multiple: bool, wrong: str) -> None:
    """Checks a single-choice or multiple-select answer against the correct option or options.

    Args:
        answer: The student's answer.
        expected: The correct option, or (``multiple``) the correct options, as the hidden test writes them.
        options: All options.
        name: The variable's name, for the message.
        multiple: Whether several options are chosen (``expect_choices``) or one (``expect_choice``).
        wrong: The end of the message when the answer is well formed but not correct.
    """
    options = _options(options)
    if multiple:
        chosen = expect_choices(answer, options, name)
        correct = frozenset(_canonical(e, options) for e in expected)
    else:
        chosen = expect_choice(answer, options, name)
        correct = _canonical(expected, options)
    expect(chosen == correct, f"{name} {wrong}")


def check_choice(answer: Any, expected: str, options: Iterable, name: str) -> None:
    """Checks a single-choice answer (``_check_options``: the correct option is ``expected``)."""
    _check_options(answer, expected, options, name, False, "is not the correct option.")


def check_choices(answer: Any, expected: Iterable, options: Iterable, name: str) -> None:
    """Checks a multiple-select answer: exactly the ``expected`` options, no more, no fewer (``_check_options``)."""
    _check_options(answer, expected, options, name, True, "is not the correct set of options: some correct options "
                   "are missing or some wrong ones are chosen.")


def check_true_false(answer: Any, expected: bool, name: str) -> None:
    """Checks a true/false answer.

    Args:
        answer: The student's answer.
        expected: The correct truth value (written in the hidden test).
        name: The variable's name, for the message.
    """
    value = expect_true_false(answer, name)
    expect(value == bool(expected), f"{name} is not correct.")


def check_mapping(answer: Any, expected: dict, options: Iterable, name: str) -> None:
    """Checks a matching answer: every key mapped to its correct option.

    Args:
        answer: The student's dict.
        expected: The correct mapping (written in the hidden test).
        options: The values allowed.
        name: The variable's name, for the message.
    """
    normalised = expect_mapping(answer, list(expected), options, name)
    wrong = [k for k, v in expected.items() if normalised[k] != v or type(normalised[k]) is not type(v)]
    expect(not wrong, f"{name} is not correct: some items are matched with the wrong option.")


def check_number(answer: Any, expected: float, name: str, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> None:
    """Checks a numeric answer within a tolerance (``math.inf`` must be answered exactly).

    Any real number is accepted: ``int``, ``float``, a NumPy scalar or a 0-d
    array. A whole-number ``expected`` (a Python ``int``) requires exactly
    that value: an integer, or a float whose value is that whole number
    (``5.0`` for ``5``).

    Args:
        answer: The student's answer.
        expected: The correct value (written in the hidden test).
        name: The variable's name, for the message.
        rel_tol: Relative tolerance.
        abs_tol: Absolute tolerance.
    """
    problem = _difference(answer, expected, rel_tol, abs_tol, strict_dtype=False)
    expect(problem is None, f"{name} {problem}.")


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` is one finite real number in any valid form: int, float, NumPy scalar or 0-d array (no bool).

    For keys that check a handed-in table's form before judging it.
    """
    if not _is_real(value):
        return False
    try:
        return math.isfinite(float(value))
    except (OverflowError, TypeError, ValueError):
        return False


def check_text(answer: Any, expected: str, name: str) -> None:
    """Checks a short free-text answer such as a class name (spaces and case do not matter).

    Args:
        answer: The student's answer.
        expected: The correct text (written in the hidden test).
        name: The variable's name, for the message.
    """
    expect(isinstance(answer, str), f"{name} must be a string; it is {describe(answer)}.")
    expect(answer.strip().lower() == expected.strip().lower(), f"{name} is not correct.")


def _difference(
    got: Any, expected: Any, rel_tol: float, abs_tol: float, strict_dtype: bool, any_integer_dtype: bool = False
) -> Optional[str]:
    """Says how ``got`` differs from ``expected`` without quoting ``expected``; ``None`` when it matches.

    The sentence continues a subject (``"<name> ..."``). Equivalent forms of a
    right answer match: a NumPy scalar or a 0-d array for a number, a float
    with a whole value for an integer, a list, tuple or 1-D array for a list
    or tuple, and (unless ``strict_dtype``) a list or tuple of numbers for an
    array.
    """
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray) and not strict_dtype:
            got = _as_array(got, expected)
        if not isinstance(got, np.ndarray):
            return f"should be a NumPy array but is {describe(got)}"
        if got.shape != expected.shape:
            return f"has shape {got.shape}, which is not the shape it should have"
        if any_integer_dtype and expected.dtype.kind in "iu":
            if expected.size == 0:
                return None  # an empty result means "none", whatever its dtype
            if got.dtype.kind == "f":  # whole numbers held as floats
                if not bool(np.all(np.isfinite(got))) or not np.array_equal(got, np.round(got)):
                    return "has values that are not whole numbers"
            elif got.dtype.kind not in "iu":
                return f"has dtype {got.dtype}; it should hold integers (any integer dtype)"
            return None if np.array_equal(got, expected) else "has wrong values"
        exact = expected.dtype.kind in "iub" or strict_dtype
        if exact and got.dtype != expected.dtype:
            return f"has dtype {got.dtype}, which is not the dtype the task asks for"
        if expected.dtype.kind in "iub":
            same = np.array_equal(got, expected)
        else:
            if got.dtype.kind not in "iuf":
                return f"has dtype {got.dtype}; it should hold numbers"
            same = bool(np.allclose(got.astype(np.float64), expected, rtol=rel_tol, atol=abs_tol, equal_nan=False))
        return None if same else "has wrong values"
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"should be True or False but is {describe(got)}"
        return None if bool(got) == bool(expected) else "is not correct"
    if isinstance(expected, numbers.Integral):
        if _is_integer(got):
            return None if int(got) == int(expected) else "has a wrong value"
        if not _is_real(got):
            return f"should be a whole number but is {describe(got)}"
        value = float(got)
        if math.isnan(value):
            return "is NaN (not a number)"
        if math.isinf(value) or not value.is_integer():
            return "has a wrong value (it should be a whole number)"
        return None if int(value) == int(expected) else "has a wrong value"
    if isinstance(expected, numbers.Real):
        if not _is_real(got):
            return f"should be a number but is {describe(got)}"
        try:
            value, target = float(got), float(expected)
        except OverflowError:  # an integer beyond any float
            return "has a wrong value"
        if math.isnan(value):
            return "is NaN (not a number)"
        if math.isinf(target) or math.isinf(value):
            return None if value == target else "has a wrong value"
        return None if math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol) else "has a wrong value"
    if isinstance(expected, (tuple, list)):
        if isinstance(got, np.ndarray) and got.ndim == 1:
            got = list(got)  # its items are NumPy scalars
        if not isinstance(got, (tuple, list)):
            return f"should be a {type(expected).__name__} of {len(expected)} items but is {describe(got)}"
        if len(got) != len(expected):
            return f"has {len(got)} items, which is not the number it should have"
        for index, (g, e) in enumerate(zip(got, expected)):
            problem = _difference(g, e, rel_tol, abs_tol, strict_dtype, any_integer_dtype)
            if problem is not None:
                return f"has a wrong item at index {index} (it {problem})"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"should be a dict but is {describe(got)}"
        try:
            same_keys = set(got) == set(expected)
        except TypeError:  # unhashable keys cannot be a dict's keys, but be safe
            same_keys = False
        if not same_keys:
            return "has the wrong keys (missing, extra or of the wrong kind)"
        for key, e in expected.items():
            problem = _difference(got[key], e, rel_tol, abs_tol, strict_dtype, any_integer_dtype)
            if problem is not None:
                return f"has a wrong value for key {key!r} (it {problem})"
        return None
    if isinstance(expected, str):
        if not isinstance(got, str):
            return f"should be a string but is {describe(got)}"
        return None if got == expected else "has a wrong value"
    try:
        same = bool(got == expected)
    except Exception:  # a student's object may define == any way it likes
        same = False
    return None if same else "has a wrong value"


def _as_array(got: Any, expected: np.ndarray) -> Any:
    """``got`` as a NumPy array when it is a list or tuple of numbers (or, for a 0-d ``expected``, one number).

    Anything else comes back unchanged, so the caller says it is not an array.
    """
    if isinstance(got, (list, tuple)) or (expected.ndim == 0 and _is_real(got)):
        try:
            array = np.asarray(got)
        except (ValueError, TypeError, OverflowError):
            return got
        if array.dtype.kind in "biuf":
            return array
    return got


def _unchanged(before: Any, after: Any) -> bool:
    """Whether an argument is the same after the call as before (arrays compared by value)."""
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.dtype == after.dtype and np.array_equal(before, after, equal_nan=True)
    if isinstance(before, (list, tuple)):
        return isinstance(after, type(before)) and len(before) == len(after) and all(
            _unchanged(b, a) for b, a in zip(before, after)
        )
    if isinstance(before, dict):
        return isinstance(after, dict) and set(before) == set(after) and all(_unchanged(before[k], after[k]) for k in before)
    try:
        return bool(before == after)
    except Exception:  # objects with an unusual ==; assume unchanged
        return True


def call_locally(function: Any, cases: Sequence[tuple]) -> List[dict]:
    """Calls a *trusted* function on the cases in this process, recording results as the runner does.

    For the tests of the answer keys and the instructor's checks; the grader
    re-runs student functions in a sandbox instead (``course.grading.runner``).

    Args:
        function: The function.
        cases: ``(args, expected[, hint])`` tuples.

    Returns:
        One result record per case (see ``course.grading.runner.call``).
    """
    from course.grading.runner import call

    return [call(function, case[0]) for case in cases]


def judge_cases(
    results: Sequence[dict],
    cases: Sequence[tuple],
    name: str,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    strict_dtype: bool = False,
    keep_inputs: bool = True,
    any_integer_dtype: bool = False,
) -> None:
    """Judges what a student's function returned on the grader's cases.

    Args:
        results: One record per case from the runner: ``{"status": "ok",
            "value": ..., "args": ..., "kwargs": ...}`` (arguments as they
            were after the call), ``{"status": "raised", "error": name,
            "message": text}``, ``{"status": "missing"}`` (not defined),
            ``{"status": "timeout"}``.
        cases: ``(args, expected)`` or ``(args, expected, hint)`` tuples. ``args``
            is a tuple of positional arguments (a dict is taken as keyword
            arguments); ``expected`` is a value, or ``Raises(SomeError)`` when the
            call must raise; ``hint`` is a short phrase naming the situation
            (``"for an all-zero input"``) added to the message.
        name: The function's name, for the message.
        rel_tol: Relative tolerance for floating-point results.
        abs_tol: Absolute tolerance for floating-point results.
        strict_dtype: Also require float arrays to have exactly the expected dtype
            (integer and bool arrays always must), and an array to be a NumPy
            array (otherwise a list or tuple of the right numbers is accepted).
        keep_inputs: Require that the function does not modify its arguments.
        any_integer_dtype: Accept an array of any integer dtype, or of floats
            holding whole numbers, where the expected one is an integer array,
            and an empty array of any dtype where the expected one is empty.

    Raises:
        AssertionError: The first case that is wrong, said without its values.
    """
    expect(len(results) == len(cases), f"{name} could not be run on all of the grader's cases.")
    for number, (case, result) in enumerate(zip(cases, results), start=1):
        args, expected = case[0], case[1]
        hint = f" {case[2]}" if len(case) > 2 and case[2] else ""
        status = result.get("status") if isinstance(result, dict) else None
        if status == "missing":
            raise AssertionError(f"{name} is not defined in the cell where the task asks for it.")
        if status == "not_callable":
            raise AssertionError(f"{name} must be a function.")
        if status == "timeout":
            raise AssertionError(f"{name} took too long{hint} (case {number} of {len(cases)}).")
        if status == "raised" and result.get("error") == "NotImplementedError":
            raise AssertionError(f"{name} is not implemented yet.")
        if isinstance(expected, Raises):
            if status == "raised":
                if str(result.get("error")) in expected.names():
                    continue
                raise AssertionError(
                    f"{name} should raise {expected.error.__name__}{hint}, but raised "
                    f"{result.get('error')}: {str(result.get('message', ''))[:300]}"
                )
            if status == "ok":
                raise AssertionError(f"{name} should raise {expected.error.__name__}{hint}, but returned normally.")
        if status == "raised":
            raise AssertionError(f"{name} raised {result.get('error')}: {str(result.get('message', ''))[:300]}")
        if status != "ok":
            raise AssertionError(f"{name} could not be run on the grader's cases.")
        problem = _difference(result.get("value"), expected, rel_tol, abs_tol, strict_dtype, any_integer_dtype)
        expect(problem is None, f"{name} returns a wrong result{hint}: the result {problem} (case {number} of {len(cases)}).")
        if keep_inputs:
            kwargs = args if isinstance(args, dict) else {}
            positional = () if isinstance(args, dict) else (args if isinstance(args, tuple) else (args,))
            after_args, after_kwargs = result.get("args", ()), result.get("kwargs", {})
            same = (
                isinstance(after_args, (tuple, list))
                and len(after_args) == len(positional)
                and all(_unchanged(b, a) for b, a in zip(positional, after_args))
                and isinstance(after_kwargs, dict)
                and all(k in after_kwargs and _unchanged(kwargs[k], after_kwargs[k]) for k in kwargs)
            )
            expect(same, f"{name} must not modify its input{hint}; work on a copy instead.")


def check_cases(function: Any, cases: Sequence[tuple], name: str, **options) -> None:
    """``judge_cases`` on a trusted function called in this process (tests of the keys).

    Args:
        function: The function.
        cases: As in ``judge_cases``.
        name: The function's name, for the message.
        **options: Tolerances and flags of ``judge_cases``.
    """
    expect(callable(function), f"{name} must be a function.")
    judge_cases(call_locally(function, cases), cases, name, **options)


# --------------------------------------------------------------------------- partial credit


def _report(name: str, right: int, total: int, what: str) -> Tuple[float, str]:
    """``(fraction, note)``; fails when nothing is right."""
    expect(right > 0, f"{name} is not correct: none of its {total} {what} is right.")
    fraction = round(right / total, 4)
    note = "" if right == total else f"{name}: {right} of {total} {what} right"
    return fraction, note


def score_mapping(answer: Any, expected: dict, options: Iterable, name: str) -> Tuple[float, str]:
    """Scores a matching answer item by item: each correctly matched key earns an equal share.

    Args:
        answer: The student's dict.
        expected: The correct mapping (from the answer key).
        options: The values allowed.
        name: The variable's name, for the message.

    Returns:
        ``(fraction of the points, note)``, the fraction in ``(0, 1]``.

    Raises:
        AssertionError: The answer has the wrong form, or no item is right.
    """
    normalised = expect_mapping(answer, list(expected), options, name)
    right = sum(1 for k, v in expected.items() if normalised[k] == v and type(normalised[k]) is type(v))
    return _report(name, right, len(expected), "items")


def score_choices(answer: Any, expected: Iterable, options: Iterable, name: str) -> Tuple[float, str]:
    """Scores a multiple-select answer: each correct option chosen earns a share, each wrong one costs one.

    With ``k`` correct options, a chosen correct option earns ``1/k`` and a
    chosen wrong option takes ``1/k`` away (never below zero), so choosing
    every option does not earn full points and choosing none earns none.

    Args:
        answer: The student's set.
        expected: The correct options (from the answer key).
        options: All options.
        name: The variable's name, for the message.

    Returns:
        ``(fraction of the points, note)``, the fraction in ``(0, 1]``.

    Raises:
        AssertionError: The answer has the wrong form, or it earns nothing.
    """
    options = _options(options)
    chosen = expect_choices(answer, options, name)
    correct = frozenset(_canonical(e, options) for e in expected)
    hits, false_alarms = len(chosen & correct), len(chosen - correct)
    fraction = round(max(0, hits - false_alarms) / len(correct), 4)
    expect(
        fraction > 0,
        f"{name} is not correct: it misses the correct options or chooses as many wrong ones as right ones.",
    )
    note = "" if fraction >= 1 else (
        f"{name}: {hits} of the {len(correct)} correct options chosen, {false_alarms} wrong option(s) chosen"
    )
    return fraction, note


def score_numbers(answers: Sequence[tuple], rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> Tuple[float, str]:
    """Scores several numeric answers one by one: each right number earns an equal share.

    Args:
        answers: ``(answer, expected, name)`` tuples (expected values from the answer key).
        rel_tol: Relative tolerance.
        abs_tol: Absolute tolerance.

    Returns:
        ``(fraction of the points, note)``, the fraction in ``(0, 1]``.

    Raises:
        AssertionError: No number is right.
    """
    problems = []
    for answer, expected, name in answers:
        problem = _difference(answer, expected, rel_tol, abs_tol, strict_dtype=False)
        if problem is not None:
            problems.append(f"{name} {problem}")
    right = len(answers) - len(problems)
    expect(right > 0, "; ".join(problems) + ".")
    note = "" if not problems else "; ".join(problems) + f"; {right} of {len(answers)} numbers right"
    return round(right / len(answers), 4), note
