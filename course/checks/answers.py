"""Generic, answer-free checks for concept questions and small computations.

The notebooks call these from their hidden tests and pass the expected values
themselves (they live only in the hidden-test region of the source notebook,
which nbgrader strips from the student version). Nothing in this module knows
an answer. Every check raises ``AssertionError`` with a message that says what
is wrong (wrong type, not implemented, wrong value) without quoting the
expected answer or the test's inputs.

Two families:

* ``expect_*``: the form of an answer (what the visible tests check);
* ``check_*``: form first, then correctness against caller-supplied values.

Answer formats used by the notebooks:

* single choice: one option letter as a string, ``"B"``;
* multiple select: a set of option letters, ``{"A", "C"}``;
* true/false: ``True`` or ``False``;
* matching: a dict from the given keys to one option each;
* numbers: an ``int`` or ``float``;
* functions: checked on ``(args, expected)`` cases by ``check_cases``.

A third family, ``score_*``, grades a cell of several independent items with
partial credit: it checks the form like ``expect_*`` (a wrong form still
fails the whole cell), then returns the points earned as a Python ``float``.
A hidden test that ends with such a call makes that number the cell's
``execute_result``, which nbgrader takes as the cell's score
(``nbgrader.utils.determine_grade``). It prints how many items are right,
never which answer is expected, and raises when none is.
"""

import copy
import math
import numbers
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from course.checks import call, expect

__all__ = [
    "Raises",
    "expect_choice",
    "expect_choices",
    "expect_true_false",
    "expect_mapping",
    "expect_number",
    "expect_array",
    "check_choice",
    "check_choices",
    "check_true_false",
    "check_mapping",
    "check_number",
    "check_text",
    "check_cases",
    "score_mapping",
    "score_choices",
    "score_numbers",
    "describe",
]


class Raises:
    """An expected outcome of ``check_cases``: the call must raise ``error``.

    Args:
        error: The exception class the student's function must raise.
    """

    def __init__(self, error: type = ValueError):
        self.error = error

    def __repr__(self) -> str:
        return f"Raises({self.error.__name__})"


def describe(value: Any) -> str:
    """Names the type of a value for a message (``'a list'``, ``'None'``), never the value itself."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, np.ndarray):
        return f"a NumPy array (dtype {value.dtype}, shape {value.shape})"
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def _options(options: Iterable) -> list:
    return [str(o) for o in options]


def _canonical(value: Any, options: Sequence[str]) -> Optional[str]:
    """The option a student meant (``' b '`` → ``'B'``), matched without spaces and case; ``None`` if none.

    Non-strings never match, so ``1`` is not taken for ``"1"``.
    """
    if not isinstance(value, str):
        return None
    wanted = value.strip().lower()
    for option in options:
        if option.strip().lower() == wanted:
            return option
    return None


def _is_real(value: Any) -> bool:
    """Whether a value is a real number (not a bool, not a string, not an array of several values)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real)


def _is_integer(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, numbers.Integral)


# --------------------------------------------------------------------------- forms


def expect_choice(answer: Any, options: Iterable, name: str) -> str:
    """Checks that ``answer`` is one of the options (a string; spaces and case do not matter).

    Args:
        answer: The student's answer.
        options: The options, e.g. ``"ABCD"`` (each character is one option).
        name: The variable's name, for the message.

    Returns:
        The option as spelt in ``options``.
    """
    options = _options(options)
    shown = ", ".join(options)
    expect(
        isinstance(answer, str),
        f"{name} must be one option written as a string, such as \"{options[0]}\"; it is {describe(answer)}.",
    )
    chosen = _canonical(answer, options)
    expect(chosen is not None, f"{name} must be exactly one of the options {shown}.")
    return chosen


def expect_choices(answer: Any, options: Iterable, name: str) -> frozenset:
    """Checks that ``answer`` is a set of options (a list or tuple is accepted too).

    Args:
        answer: The student's answer.
        options: The options, e.g. ``"ABCDEFG"`` or a list of names.
        name: The variable's name, for the message.

    Returns:
        The chosen options as spelt in ``options``.
    """
    options = _options(options)
    example = "{\"" + options[0] + "\", \"" + options[-1] + "\"}"
    expect(
        isinstance(answer, (set, frozenset, list, tuple)),
        f"{name} must be a set of options, such as {example}; it is {describe(answer)}.",
    )
    expect(
        all(isinstance(item, str) for item in answer),
        f"{name} must contain options written as strings, such as \"{options[0]}\".",
    )
    unknown = sorted(item for item in answer if _canonical(item, options) is None)
    expect(not unknown, f"{name} contains {', '.join(repr(u) for u in unknown)}, which is not one of the options {', '.join(options)}.")
    return frozenset(_canonical(item, options) for item in answer)


def expect_true_false(answer: Any, name: str) -> bool:
    """Checks that ``answer`` is ``True`` or ``False`` (not ``1``, not ``"True"``).

    Returns:
        The answer as a Python bool.
    """
    expect(isinstance(answer, (bool, np.bool_)), f"{name} must be True or False; it is {describe(answer)}.")
    return bool(answer)


def expect_mapping(answer: Any, keys: Iterable, options: Iterable, name: str) -> dict:
    """Checks that ``answer`` maps exactly the given keys to one of the options each.

    String values are compared without surrounding spaces and case
    (``" NLP "`` counts as ``"nlp"`` when ``"nlp"`` is an option); other
    option values (``True``, ``False``) must match exactly.

    Args:
        answer: The student's dict.
        keys: The keys it must have, no more, no less.
        options: The values allowed.
        name: The variable's name, for the message.

    Returns:
        The answer with normalised values.
    """
    keys = list(keys)
    options = list(options)
    expect(isinstance(answer, dict), f"{name} must be a dict from each item to your answer; it is {describe(answer)}.")
    missing = [k for k in keys if k not in answer]
    extra = [k for k in answer if k not in keys]
    expect(not missing, f"{name} has no answer for {', '.join(repr(k) for k in missing)}.")
    expect(not extra, f"{name} has keys that are not items of the question: {', '.join(repr(k) for k in extra)}.")
    by_text = {o.strip().lower(): o for o in options if isinstance(o, str)}
    shown = ", ".join(repr(o) for o in options)
    normalised = {}
    for key in keys:
        value = answer[key]
        if isinstance(value, str) and by_text:
            value = by_text.get(value.strip().lower(), value)
        if isinstance(value, np.bool_):
            value = bool(value)
        valid = any(type(value) is type(o) and value == o for o in options)
        expect(valid, f"{name}[{key!r}] must be one of {shown}; it is {describe(answer[key])}.")
        normalised[key] = value
    return normalised


def expect_number(answer: Any, name: str, low: Optional[float] = None, high: Optional[float] = None, integer: bool = False) -> float:
    """Checks that ``answer`` is one real number, optionally whole and within ``[low, high]``.

    Args:
        answer: The student's answer.
        name: The variable's name, for the message.
        low: Smallest allowed value (``None``: no bound).
        high: Largest allowed value (``None``: no bound).
        integer: Whether it must be a whole number of an integer type.

    Returns:
        The answer as a float.
    """
    if integer:
        expect(_is_integer(answer), f"{name} must be a whole number (an int); it is {describe(answer)}.")
    else:
        expect(_is_real(answer), f"{name} must be a number (int or float); it is {describe(answer)}.")
    value = float(answer)
    expect(not math.isnan(value), f"{name} is NaN (not a number).")
    if low is not None:
        expect(value >= low, f"{name} must be at least {low:g}.")
    if high is not None:
        expect(value <= high, f"{name} must be at most {high:g}.")
    return value


def expect_array(value: Any, name: str, shape: Optional[Sequence[int]] = None, dtype: Any = None) -> np.ndarray:
    """Checks that ``value`` is a NumPy array, optionally of a shape and dtype.

    Args:
        value: What the student's code returned.
        name: How to name it in the message.
        shape: The shape it must have.
        dtype: The dtype it must have.

    Returns:
        The array.
    """
    expect(isinstance(value, np.ndarray), f"{name} must be a NumPy array; it is {describe(value)}.")
    if shape is not None:
        expect(value.shape == tuple(shape), f"{name} has shape {value.shape}; it should have shape {tuple(shape)}.")
    if dtype is not None:
        expect(value.dtype == np.dtype(dtype), f"{name} has dtype {value.dtype}; it should have dtype {np.dtype(dtype)}.")
    return value


# --------------------------------------------------------------------------- correctness


def check_choice(answer: Any, expected: str, options: Iterable, name: str) -> None:
    """Checks a single-choice answer.

    Args:
        answer: The student's answer.
        expected: The correct option (written in the hidden test).
        options: All options.
        name: The variable's name, for the message.
    """
    options = _options(options)
    chosen = expect_choice(answer, options, name)
    expect(chosen == _canonical(expected, options), f"{name} is not the correct option.")


def check_choices(answer: Any, expected: Iterable, options: Iterable, name: str) -> None:
    """Checks a multiple-select answer: exactly the correct options, no more, no fewer.

    Args:
        answer: The student's answer.
        expected: The correct options (written in the hidden test).
        options: All options.
        name: The variable's name, for the message.
    """
    options = _options(options)
    chosen = expect_choices(answer, options, name)
    correct = frozenset(_canonical(e, options) for e in expected)
    expect(chosen == correct, f"{name} is not the correct set of options: some correct options are missing or some wrong ones are chosen.")


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

    A whole-number ``expected`` (a Python ``int``) requires an integer answer
    with exactly that value.

    Args:
        answer: The student's answer.
        expected: The correct value (written in the hidden test).
        name: The variable's name, for the message.
        rel_tol: Relative tolerance.
        abs_tol: Absolute tolerance.
    """
    problem = _difference(answer, expected, rel_tol, abs_tol, strict_dtype=False)
    expect(problem is None, f"{name} {problem}.")


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

    The sentence continues a subject (``"<name> ..."``).
    """
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"should be a NumPy array but is {describe(got)}"
        if got.shape != expected.shape:
            return f"has shape {got.shape}, which is not the shape it should have"
        if any_integer_dtype and expected.dtype.kind in "iu":
            if expected.size == 0:
                return None  # an empty result means "none", whatever its dtype
            if got.dtype.kind not in "iu":
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
        if not _is_integer(got):
            return f"should be a whole number (an int) but is {describe(got)}"
        return None if int(got) == int(expected) else "has a wrong value"
    if isinstance(expected, numbers.Real):
        if not _is_real(got):
            return f"should be a number but is {describe(got)}"
        value, target = float(got), float(expected)
        if math.isnan(value):
            return "is NaN (not a number)"
        if math.isinf(target) or math.isinf(value):
            return None if value == target else "has a wrong value"
        return None if math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol) else "has a wrong value"
    if isinstance(expected, (tuple, list)):
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


def check_cases(
    function: Any,
    cases: Sequence[tuple],
    name: str,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    strict_dtype: bool = False,
    keep_inputs: bool = True,
    any_integer_dtype: bool = False,
) -> None:
    """Runs a student's function on caller-supplied cases and compares the results.

    Args:
        function: The student's function.
        cases: ``(args, expected)`` or ``(args, expected, hint)`` tuples. ``args``
            is a tuple of positional arguments (a dict is taken as keyword
            arguments); ``expected`` is a value, or ``Raises(SomeError)`` when the
            call must raise; ``hint`` is a short phrase naming the situation
            (``"for an all-zero input"``) added to the message.
        name: The function's name, for the message.
        rel_tol: Relative tolerance for floating-point results.
        abs_tol: Absolute tolerance for floating-point results.
        strict_dtype: Also require float arrays to have exactly the expected dtype
            (integer and bool arrays always must).
        keep_inputs: Require that the function does not modify its arguments.
        any_integer_dtype: Accept an integer array of any integer dtype where
            the expected one is an integer array, and an empty array of any
            dtype where the expected one is empty (for tasks that ask for
            "indices" rather than a specific dtype).
    """
    expect(callable(function), f"{name} must be a function.")
    for number, case in enumerate(cases, start=1):
        args, expected = case[0], case[1]
        hint = f" {case[2]}" if len(case) > 2 and case[2] else ""
        kwargs = args if isinstance(args, dict) else {}
        positional = () if isinstance(args, dict) else (args if isinstance(args, tuple) else (args,))
        passed_args, passed_kwargs = copy.deepcopy(positional), copy.deepcopy(kwargs)
        if isinstance(expected, Raises):
            try:
                function(*passed_args, **passed_kwargs)
            except expected.error:
                continue
            except NotImplementedError:
                raise AssertionError(f"{name} is not implemented yet.") from None
            except Exception as err:  # the student's code may raise anything
                raise AssertionError(
                    f"{name} should raise {expected.error.__name__}{hint}, but raised {type(err).__name__}: {err}"
                ) from None
            raise AssertionError(f"{name} should raise {expected.error.__name__}{hint}, but returned normally.")
        got = call(lambda: function(*passed_args, **passed_kwargs), what=name)
        problem = _difference(got, expected, rel_tol, abs_tol, strict_dtype, any_integer_dtype)
        expect(problem is None, f"{name} returns a wrong result{hint}: the result {problem} (case {number} of {len(cases)}).")
        if keep_inputs:
            same = all(_unchanged(b, a) for b, a in zip(positional, passed_args)) and all(
                _unchanged(kwargs[k], passed_kwargs[k]) for k in kwargs
            )
            expect(same, f"{name} must not modify its input{hint}; work on a copy instead.")


# --------------------------------------------------------------------------- partial credit


def _points(points: float, right: float, total: float) -> float:
    """The share ``right / total`` of ``points``, as a plain float (what nbgrader reads as a score)."""
    return float(round(points * max(0.0, right) / total, 4))


def _report(name: str, right: int, total: int, earned: float, points: float, what: str) -> float:
    """Prints the partial score, fails when nothing is right, and returns the points earned."""
    expect(right > 0, f"{name} is not correct: none of its {total} {what} is right.")
    if earned < points:
        print(f"{name}: {right} of {total} {what} right, {earned:g} of {points:g} points.")
    return earned


def score_mapping(answer: Any, expected: dict, options: Iterable, name: str, points: float) -> float:
    """Scores a matching answer item by item: each correctly matched key earns ``points / len(expected)``.

    Args:
        answer: The student's dict.
        expected: The correct mapping (written in the hidden test).
        options: The values allowed.
        name: The variable's name, for the message.
        points: The points of the whole cell.

    Returns:
        The points earned, a Python float in ``(0, points]``.

    Raises:
        AssertionError: The answer has the wrong form, or no item is right.
    """
    normalised = expect_mapping(answer, list(expected), options, name)
    right = sum(1 for k, v in expected.items() if normalised[k] == v and type(normalised[k]) is type(v))
    earned = _points(points, right, len(expected))
    return _report(name, right, len(expected), earned, points, "items")


def score_choices(answer: Any, expected: Iterable, options: Iterable, name: str, points: float) -> float:
    """Scores a multiple-select answer: each correct option chosen earns a share, each wrong one costs one.

    With ``k`` correct options, a chosen correct option earns ``points / k`` and
    a chosen wrong option takes ``points / k`` away (never below zero), so
    choosing every option does not earn full points and choosing none earns none.

    Args:
        answer: The student's set.
        expected: The correct options (written in the hidden test).
        options: All options.
        name: The variable's name, for the message.
        points: The points of the whole cell.

    Returns:
        The points earned, a Python float in ``(0, points]``.

    Raises:
        AssertionError: The answer has the wrong form, or it earns nothing.
    """
    options = _options(options)
    chosen = expect_choices(answer, options, name)
    correct = frozenset(_canonical(e, options) for e in expected)
    hits, false_alarms = len(chosen & correct), len(chosen - correct)
    earned = _points(points, hits - false_alarms, len(correct))
    expect(
        earned > 0,
        f"{name} is not correct: it misses the correct options or chooses as many wrong ones as right ones.",
    )
    if earned < points:
        print(
            f"{name}: {hits} of the {len(correct)} correct options chosen, {false_alarms} wrong option(s) chosen; "
            f"{earned:g} of {points:g} points."
        )
    return earned


def score_numbers(answers: Sequence[tuple], points: float, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> float:
    """Scores several numeric answers one by one: each right number earns ``points / len(answers)``.

    Args:
        answers: ``(answer, expected, name)`` tuples (expected values written in the hidden test).
        points: The points of the whole cell.
        rel_tol: Relative tolerance.
        abs_tol: Absolute tolerance.

    Returns:
        The points earned, a Python float in ``(0, points]``.

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
    earned = _points(points, right, len(answers))
    if problems:
        print("; ".join(problems) + f". {right} of {len(answers)} numbers right, {earned:g} of {points:g} points.")
    return earned
