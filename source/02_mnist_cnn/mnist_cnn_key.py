"""Answer key of mnist_cnn.ipynb: loaded by the grader only (course.grading.judge)."""

import numpy as np

from course.grading.judge import FunctionQuestion, ModelQuestion
from course.grading.shared_judges import judge_pair, judge_scaling, scaling_cases

RUNNER_PRELUDE = "import numpy as np"
RUNNER_CELLS = ("preprocess", "most_confused_pair")


def _confusion_cases(rng):
    """Confusion matrices with a dominant diagonal, one largest off-diagonal count and its mirror as a decoy."""
    cases = []
    pairs = [(4, 9), (7, 2)] + [tuple(int(v) for v in rng.choice(10, size=2, replace=False)) for _ in range(2)]
    for true, predicted in pairs:
        matrix = rng.integers(0, 6, size=(10, 10))
        np.fill_diagonal(matrix, rng.integers(80, 120, size=10))  # the diagonal is the largest
        matrix[true, predicted] = 40
        matrix[predicted, true] = 20
        cases.append(((matrix,), (true, predicted), "for a confusion matrix"))
    return cases


QUESTIONS = {
    "test_preprocess": FunctionQuestion("preprocess", scaling_cases, judge=lambda r, c: judge_scaling(r, c, "preprocess")),
    "test_cnn_structure": ModelQuestion("course.grading.verifiers.mnist:verify_cnn_structure"),
    "test_cnn_accuracy": ModelQuestion("course.grading.verifiers.mnist:verify_cnn_accuracy"),
    "test_most_confused_pair": FunctionQuestion(
        "most_confused_pair", _confusion_cases, judge=lambda r, c: judge_pair(r, c, "most_confused_pair")
    ),
}
