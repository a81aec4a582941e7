"""Answer key of bert_imdb.ipynb: loaded by the grader only (course.grading.judge)."""

import numpy as np

from course.grading.shared_judges import check_own_reviews
from course.grading.compare import check_choice, check_text
from course.grading.judge import FunctionQuestion, ModelQuestion, ValueQuestion
from course.grading.shared_judges import (
    dataset_cases,
    judge_make_dataset,
    judge_make_optimizer,
    judge_probabilities,
    optimizer_cases,
    probability_cases,
)

RUNNER_CELLS = ("imports", "make_dataset", "make_optimizer", "predict_probabilities", "most_confident_mistakes")


def _mistake_cases(rng):
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95], [0.7, 0.3], [0.45, 0.55]])
    y = np.array([1, 1, 0, 0, 0, 1])
    cases = [
        ((p, y, 2), np.array([3, 0]), "for two mistakes asked"),
        ((p, y, 10), np.array([3, 0, 2]), "when k exceeds the number of mistakes"),
        ((p[[1, 4, 5]], y[[1, 4, 5]], 3), np.array([], dtype=np.int64), "when there is no mistake"),
    ]
    first = rng.permutation(np.linspace(0.01, 0.99, 12))  # distinct confidences: one right order
    probabilities = np.stack([first, 1 - first], axis=1)
    labels = rng.integers(0, 2, size=12)
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != labels)
    expected = wrong[np.argsort(-probabilities.max(axis=1)[wrong])][:4]
    cases.append(((probabilities, labels, 4), expected.astype(np.int64), "for other predictions"))
    return cases


def _own_reviews(values):
    check_own_reviews(values.get("my_reviews"), values.get("my_labels"), values.get("my_predictions"))


QUESTIONS = {
    "test_split_answer": ValueQuestion(lambda v: check_choice(v.get("split_answer"), "B", "ABCD", "split_answer")),
    "test_split_error": ValueQuestion(lambda v: check_text(v.get("split_error"), "ValueError", "split_error")),
    "test_make_dataset": FunctionQuestion(
        "make_dataset", dataset_cases, adapter="course.grading.returns:dataset_batches", judge=judge_make_dataset
    ),
    "test_build_classifier": ModelQuestion("course.grading.verifiers.bert:verify_built_classifier"),
    "test_make_optimizer": FunctionQuestion(
        "make_optimizer", optimizer_cases, adapter="course.grading.returns:optimizer_summary", judge=judge_make_optimizer
    ),
    "test_predict_probabilities": FunctionQuestion(
        "predict_probabilities", probability_cases, caller="course.grading.returns:with_logits_classifier",
        judge=judge_probabilities,
    ),
    "test_bert_fine_tuned": ModelQuestion("course.grading.verifiers.bert:verify_fine_tuned"),
    "test_bert_accuracy": ModelQuestion("course.grading.verifiers.bert:verify_accuracy"),
    "test_most_confident_mistakes": FunctionQuestion(
        "most_confident_mistakes", _mistake_cases, {"any_integer_dtype": True}
    ),
    "test_my_reviews": ValueQuestion(_own_reviews),
}
