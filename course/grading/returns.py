"""Adapters and callers: turn what a student's function returns into plain data, inside the function runner.

Some tasks ask for a function whose result is a library object (a
``tf.data.Dataset``, a Keras optimizer). The runner (``course.grading.runner``)
calls the function and hands the result to an adapter here (a
``FunctionQuestion``'s ``adapter``), which reads out what the grader judges
(the batches, the learning rate at every step) as data; a caller
(``FunctionQuestion.caller``) wraps the student's function to call it with a
stand-in object. They run in the student's process, so the grader trusts
their output no more than any returned value: the checks themselves run in
the grader's process (``course.grading.shared_judges``).
"""

from typing import Any, Callable

import numpy as np

#: Most dataset elements read (a dataset that repeats forever is cut here).
MAX_ELEMENTS = 100
#: Steps at which a learning-rate schedule is read.
SCHEDULE_STEPS = 201


def dataset_batches(dataset: Any) -> dict:
    """The elements of a ``tf.data.Dataset`` of ``(texts, labels)`` batches, as data.

    Returns:
        ``{"is_dataset", "elements": [{"pair", "texts", "labels", "string", "rank", "size"}], "endless"}``.
    """
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return {"is_dataset": False}
    elements, endless = [], False
    for number, element in enumerate(dataset):
        if number >= MAX_ELEMENTS:
            endless = True
            break
        if not (isinstance(element, tuple) and len(element) == 2):
            elements.append({"pair": False})
            continue
        texts, labels = element
        string = texts.dtype == tf.string
        rank = int(texts.shape.rank or 0)
        decoded = [t.decode("utf-8") for t in np.asarray(texts.numpy()).reshape(-1)] if string else []
        elements.append({
            "pair": True, "string": bool(string), "rank": rank, "size": int(texts.shape[0]) if rank else 1,
            "texts": decoded, "labels": [int(v) for v in np.asarray(labels).reshape(-1)],
        })
    return {"is_dataset": True, "elements": elements, "endless": endless}


def optimizer_summary(optimizer: Any) -> dict:
    """What the grader checks of an optimizer: its class, weight decay, and the learning rate at each step."""
    import keras

    summary = {
        "is_optimizer": isinstance(optimizer, keras.optimizers.Optimizer),
        "is_adamw": isinstance(optimizer, keras.optimizers.AdamW),
        "weight_decay": None,
        "is_schedule": False,
        "rates": None,
    }
    if not summary["is_optimizer"]:
        return summary
    decay = getattr(optimizer, "weight_decay", None)
    summary["weight_decay"] = None if decay is None else float(decay)
    schedule = optimizer._learning_rate
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        summary["is_schedule"] = True
        summary["rates"] = np.array(
            [float(keras.ops.convert_to_numpy(schedule(step))) for step in range(SCHEDULE_STEPS)], dtype=np.float64
        )
    else:
        summary["rates"] = np.array([float(optimizer.learning_rate)], dtype=np.float64)
    return summary


class LogitsClassifier:
    """Stands in for a trained classifier: ``predict`` (and calling it) returns the logits it was made with."""

    def __init__(self, logits):
        self._logits = np.asarray(logits, dtype=np.float32)

    def predict(self, texts, *args, **kwargs):
        return self._logits[: len(texts)]

    def __call__(self, texts, *args, **kwargs):
        return self.predict(texts)


def with_logits_classifier(function: Callable) -> Callable:
    """Makes ``predict_probabilities(classifier, texts)`` callable as ``f(logits)`` on a stand-in classifier."""

    def call(logits):
        logits = np.asarray(logits)
        return function(LogitsClassifier(logits), [f"review {i}" for i in range(len(logits))])

    return call
