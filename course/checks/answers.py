"""Forms of answers: what the visible tests check, in the student's kernel.

The visible tests of the concept questions call these ``expect_*`` checks:
an answer of the wrong form (a list where a set is asked, ``"True"`` where
``True`` is) fails with a message that says what form is expected. Nothing
here knows an answer and nothing here decides a grade: hidden tests only
hand answers in (``course.checks.handin``) and the grader compares them with
the expected answers in its own process (``course.grading.compare``, which
reuses these form checks on the handed-in copy).

Answer formats used by the notebooks:

* single choice: one option letter as a string, ``"B"``;
* multiple select: a set of option letters, ``{"A", "C"}``;
* true/false: ``True`` or ``False``;
* matching: a dict from the given keys to one option each;
* numbers: an ``int`` or ``float`` (a NumPy number or a 0-d array too; a
  whole number may be written as a float, ``5.0``).
"""

import math
import numbers
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from course import codec
from course.checks import expect

__all__ = [
    "expect_choice",
    "expect_choices",
    "expect_true_false",
    "expect_mapping",
    "expect_number",
    "expect_array",
    "describe",
]


def describe(value: Any) -> str:
    """Names the type of a value for a message (``'a list'``, ``'None'``), never the value itself."""
    if value is None:
        return "None"
    if isinstance(value, codec.Unsupported):
        return f"{value!r} (not a plain value)"
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
        integer: Whether it must be a whole number (an integer, or a float with a whole value such as ``5.0``).

    Returns:
        The answer as a float.
    """
    expect(_is_real(answer), f"{name} must be a number (int or float); it is {describe(answer)}.")
    value = float(answer)
    expect(not math.isnan(value), f"{name} is NaN (not a number).")
    if integer:
        expect(_is_integer(answer) or value.is_integer(), f"{name} must be a whole number.")
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
