"""Answer key of check_environment.ipynb: loaded by the grader only (course.grading.judge)."""

import numpy as np

from course.grading.compare import judge_cases
from course.grading.judge import FunctionQuestion
from course.grading.shared_judges import as_arrays, judge_scaling, scaling_cases

RUNNER_PRELUDE = "import numpy as np"  # the notebook's imports cell also writes an environment report
RUNNER_CELLS = ("count_per_class", "scale_images", "positive_fraction")


def _count_cases(rng):
    labels = [rng.integers(0, 10, size=int(rng.integers(50, 500))).astype(np.uint8),
              np.array([3, 3, 9], dtype=np.int64), np.array([], dtype=np.uint8)]
    hints = ["for random labels", "when most digits are absent", "for no labels at all"]
    return [((y,), np.bincount(y, minlength=10), hint) for y, hint in zip(labels, hints)]


def _fraction_cases(rng):
    labels = rng.integers(0, 2, size=int(rng.integers(5, 60))).astype(np.int64)
    return [
        ((np.array([1, 0, 1, 1], dtype=np.int64),), 0.75, "for four labels"),
        ((np.zeros(7, dtype=np.int64),), 0.0, "when no review is positive"),
        ((np.ones(3, dtype=np.int64),), 1.0, "when every review is positive"),
        ((labels,), float(np.mean(labels == 1)), "for random labels"),
    ]


QUESTIONS = {
    "test_count_per_class": FunctionQuestion(
        "count_per_class", _count_cases,
        judge=lambda r, c: judge_cases(as_arrays(r), c, "count_per_class", any_integer_dtype=True),
    ),
    "test_scale_images": FunctionQuestion(
        "scale_images", scaling_cases, judge=lambda r, c: judge_scaling(r, c, "scale_images", any_float=True)
    ),
    "test_positive_fraction": FunctionQuestion("positive_fraction", _fraction_cases, {"abs_tol": 1e-9}),
}
