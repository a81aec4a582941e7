"""Tests of course.checks.setup: the hidden checks of assignment 00's warm-up functions."""

import numpy as np
import pytest

from course.checks import setup


def _message(check, function) -> str:
    with pytest.raises(AssertionError) as info:
        check(function)
    return str(info.value)


def test_correct_warm_up_functions_pass():
    """Do the intended solutions of the three warm-up functions pass their checks?"""
    setup.check_count_per_class(lambda labels: np.bincount(np.asarray(labels, dtype=np.int64), minlength=10))
    setup.check_scale_images(lambda x: (np.asarray(x, np.float32) / 255.0)[..., None])
    setup.check_positive_fraction(lambda labels: float(np.mean(labels)))


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda labels: np.bincount(labels), "10 counts"),  # misses digits that never occur
        (lambda labels: np.bincount(labels, minlength=10).astype(float), "integer"),
        (lambda labels: np.bincount(labels, minlength=10)[::-1], "wrong counts"),
    ],
)
def test_count_per_class_mistakes_are_named(wrong, words):
    """Does check_count_per_class say what is wrong with typical mistakes (short output, floats, wrong order)?"""
    assert words in _message(setup.check_count_per_class, wrong)


def test_scale_images_messages_name_the_students_function():
    """Does check_scale_images speak of scale_images (not assignment 02's preprocess) when the channel axis is missing?"""
    message = _message(setup.check_scale_images, lambda x: np.asarray(x, np.float32) / 255.0)
    assert message.startswith("scale_images must add a channel axis")


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda labels: [float(np.mean(labels))], "single number"),
        (lambda labels: float(np.sum(labels)), "wrong share"),
        (lambda labels: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_positive_fraction_mistakes_are_named(wrong, words):
    """Does check_positive_fraction reject a list, a count instead of a share, and a crash, with clear messages?"""
    assert words in _message(setup.check_positive_fraction, wrong)
