"""Checks for the warm-up tasks of assignment 00 (environment check)."""

import numpy as np

from course.checks import call, expect
from course.checks.mnist import check_preprocess


def check_count_per_class(count_per_class) -> None:
    """Checks ``count_per_class(labels)``: how many labels of each digit 0–9.

    Args:
        count_per_class: The student's function.
    """
    rng = np.random.default_rng(7)
    cases = [
        rng.integers(0, 10, size=500).astype(np.uint8),
        np.array([3, 3, 9], dtype=np.int64),  # most digits absent
        np.array([], dtype=np.uint8),
    ]
    for labels in cases:
        got = call(count_per_class, labels.copy(), what="count_per_class")
        got = np.asarray(got)
        expect(got.shape == (10,), "count_per_class must return 10 counts, one per digit 0–9, even for digits that never occur.")
        expect(np.issubdtype(got.dtype, np.integer), "count_per_class must return integer counts.")
        expect(
            np.array_equal(got, np.bincount(labels, minlength=10)),
            "count_per_class returns wrong counts for some labels.",
        )


def check_scale_images(scale_images) -> None:
    """Checks ``scale_images(x)``: uint8 ``(n, 28, 28)`` → float32 ``(n, 28, 28, 1)`` in [0, 1].

    The same contract as ``preprocess`` in assignment 02, checked the same way.

    Args:
        scale_images: The student's function.
    """
    check_preprocess(scale_images, what="scale_images")


def check_positive_fraction(positive_fraction) -> None:
    """Checks ``positive_fraction(labels)``: the share of reviews labelled positive (1).

    Args:
        positive_fraction: The student's function.
    """
    cases = [
        (np.array([1, 0, 1, 1], dtype=np.int64), 0.75),
        (np.zeros(7, dtype=np.int64), 0.0),
        (np.ones(3, dtype=np.int64), 1.0),
    ]
    for labels, expected in cases:
        got = call(positive_fraction, labels, what="positive_fraction")
        expect(np.ndim(got) == 0, "positive_fraction must return a single number.")
        expect(abs(float(got) - expected) < 1e-9, "positive_fraction returns a wrong share for some labels.")
