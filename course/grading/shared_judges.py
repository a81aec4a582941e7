"""Grader-side cases and judges shared by several answer keys (the same task in two assignments).

Runs in the grader's process only, like ``course.grading.compare``: the
expected values are computed here from the grader's own inputs.
"""

import math
from typing import List, Sequence

import numpy as np

from course.checks import expect
from course.checks.answers import _is_real
from course.grading.compare import judge_cases


def scaling_cases(rng: np.random.Generator) -> List[tuple]:
    """Cases of "uint8 images (n, 28, 28) → float32 (n, 28, 28, 1) in [0, 1]" (00's scale_images, 02's preprocess)."""
    images = rng.integers(0, 256, size=(int(rng.integers(3, 9)), 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    cases = []
    for batch, hint in ((images, "for a batch of images"), (images[:1], "for a single image")):
        cases.append(((batch,), (batch.astype(np.float32) / np.float32(255.0))[..., np.newaxis], hint))
    return cases


def judge_scaling(results: Sequence[dict], cases: Sequence[tuple], name: str, any_float: bool = False) -> None:
    """Judges an image-scaling function with messages that name the usual slips.

    Args:
        results: The runner's records.
        cases: ``scaling_cases``.
        name: The function's name, for the message.
        any_float: Accept any floating dtype (float16, float32, float64), each
            within the rounding of its own precision; otherwise the result must
            be float32, as a task that asks for float32 and checks it says.
    """
    tolerance = 1e-6
    for result in results:
        value = result.get("value") if result.get("status") == "ok" else None
        if isinstance(value, np.ndarray) and value.ndim == 3:
            if value.shape == (28, 28, 1):
                raise AssertionError(f"{name} must keep the batch axis for a single image: (1, 28, 28) → (1, 28, 28, 1).")
            raise AssertionError(f"{name} must add a channel axis: (n, 28, 28) → (n, 28, 28, 1).")
        if not isinstance(value, np.ndarray):
            continue
        if any_float:
            if value.dtype.kind != "f":
                raise AssertionError(f"{name} must return floating-point values (float32 or float64), not {value.dtype}.")
            tolerance = max(tolerance, float(np.finfo(value.dtype).eps))
        elif value.dtype != np.float32 and value.dtype.kind == "f":
            raise AssertionError(f"{name} must return float32 values, not {value.dtype}.")
    if any_float:
        judge_cases(results, cases, name, abs_tol=tolerance)
    else:
        judge_cases(results, cases, name, strict_dtype=True, abs_tol=1e-6)


def as_arrays(results: Sequence[dict]) -> List[dict]:
    """The results with each returned list or tuple of numbers turned into a NumPy array."""
    converted = []
    for result in results:
        result = dict(result)
        if result.get("status") == "ok" and isinstance(result.get("value"), (list, tuple)):
            try:
                result["value"] = np.asarray(result["value"])
            except (ValueError, TypeError):
                pass
        converted.append(result)
    return converted


def judge_pair(results: Sequence[dict], cases: Sequence[tuple], name: str) -> None:
    """Judges a function that returns two whole numbers (a pair), as a tuple, list or array."""
    fixed = []
    for result in results:
        result = dict(result)
        value = result.get("value")
        if result.get("status") == "ok":
            expect(
                isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2,
                f"{name} must return two numbers: (true digit, predicted digit).",
            )
            # ints, NumPy integers, or floats with a whole value (4.0); never bools or strings
            numbers = [float(v) if _is_real(v) else math.nan for v in value]
            expect(all(math.isfinite(v) and v.is_integer() for v in numbers), f"{name} must return two whole numbers.")
            result["value"] = tuple(int(v) for v in numbers)
        fixed.append(result)
    for result, case in zip(fixed, cases):
        got = result.get("value") if result.get("status") == "ok" else None
        if got is not None and got[0] == got[1]:
            raise AssertionError(f"{name} must skip the diagonal: those are the correct predictions.")
        if got is not None and got == tuple(reversed(case[1])):
            raise AssertionError(f"{name} returns the pair the wrong way round: rows are true digits, columns predictions.")
    judge_cases(fixed, cases, name)


# ----------------------------------------------------- 03: input pipeline


def dataset_cases(rng: np.random.Generator) -> List[tuple]:
    """Calls of ``make_dataset``: in order, shuffled with a seed, and shuffled again with the same seed."""
    n = int(rng.integers(40, 60))
    texts = [f"review number {i} " + "good " * (i % 3) for i in range(n)]
    labels = rng.integers(0, 2, size=n).astype(np.int64)
    return [((texts, labels, 8, False, None), None), ((texts, labels, 8, True, 1), None), ((texts, labels, 8, True, 1), None)]


def _collect(result: dict, what: str):
    expect(result.get("status") != "missing", "make_dataset is not defined in the cell where the task asks for it.")
    if result.get("status") == "raised" and result.get("error") == "NotImplementedError":
        raise AssertionError("make_dataset is not implemented yet.")
    expect(result.get("status") == "ok", f"make_dataset raised {result.get('error')}: {str(result.get('message', ''))[:300]}")
    data = result.get("value")
    expect(isinstance(data, dict) and data.get("is_dataset") is True, f"make_dataset must return a tf.data.Dataset ({what}).")
    expect(not data.get("endless"), f"make_dataset returns an endless dataset ({what}); do not repeat() it.")
    texts, labels, sizes = [], [], []
    for element in data.get("elements", []):
        expect(element.get("pair") is True, f"each element must be a (texts, labels) pair ({what}).")
        expect(element.get("string") is True, f"the first part of each batch must be the review texts (tf.string) ({what}).")
        expect(element.get("rank") == 1, f"each batch must hold a 1-D vector of texts: batch the data ({what}).")
        sizes.append(element.get("size"))
        texts += list(element.get("texts", []))
        labels += list(element.get("labels", []))
    return texts, labels, sizes


def judge_make_dataset(results: Sequence[dict], cases: Sequence[tuple]) -> None:
    """Judges ``make_dataset`` from the batches its datasets yielded in the runner (``returns.dataset_batches``)."""
    expect(len(results) == 3, "make_dataset could not be run on the grader's cases.")
    texts, labels = cases[0][0][0], [int(v) for v in cases[0][0][1]]
    got_texts, got_labels, sizes = _collect(results[0], "shuffle=False")
    expected_sizes = [8] * (len(texts) // 8) + ([len(texts) % 8] if len(texts) % 8 else [])
    expect(sizes == expected_sizes, "make_dataset must cut the data into batches of batch_size (the last one may be smaller).")
    expect(got_texts == texts, "with shuffle=False, make_dataset must keep every review, in its order.")
    expect(got_labels == labels, "make_dataset must keep each review together with its own label.")
    first = _collect(results[1], "shuffle=True")
    again = _collect(results[2], "shuffle=True")
    expect(sorted(first[0]) == sorted(texts), "with shuffle=True, make_dataset must still return every review exactly once.")
    expect(first[0] != texts, "with shuffle=True, make_dataset must mix the order of the reviews.")
    pairs = dict(zip(texts, labels))
    expect(all(pairs.get(t) == y for t, y in zip(*first[:2])), "shuffling must move each label together with its review.")
    expect(first[0] == again[0], "with the same seed, make_dataset must shuffle the same way (pass seed to shuffle()).")


# ------------------------------------------------------------ 03: optimizer


def optimizer_cases(rng: np.random.Generator) -> List[tuple]:
    """Calls of ``make_optimizer``: a run of 100–200 steps at a peak of 2e-5–5e-5, and a one-step run."""
    total, peak = int(rng.integers(100, 201)), float(rng.choice([2e-5, 3e-5, 5e-5]))
    return [((total, peak), None), ((1, peak), None)]


def judge_make_optimizer(results: Sequence[dict], cases: Sequence[tuple]) -> None:
    """Judges ``make_optimizer`` from what ``returns.optimizer_summary`` read of its optimizers."""
    expect(len(results) == 2, "make_optimizer could not be run on the grader's cases.")
    (total_steps, peak), _ = cases[0][0], None
    summaries = []
    for result, what in zip(results, ("make_optimizer", "make_optimizer (with total_steps=1)")):
        expect(result.get("status") != "missing", "make_optimizer is not defined in the cell where the task asks for it.")
        if result.get("status") == "raised" and result.get("error") == "NotImplementedError":
            raise AssertionError("make_optimizer is not implemented yet.")
        expect(result.get("status") == "ok", f"{what} raised {result.get('error')}: {str(result.get('message', ''))[:300]}")
        summary = result.get("value")
        expect(isinstance(summary, dict) and summary.get("is_optimizer") is True,
               f"{what} must return a Keras optimizer (keras.optimizers.AdamW).")
        summaries.append(summary)
    summary = summaries[0]
    expect(summary.get("is_adamw") is True,
           "make_optimizer must return keras.optimizers.AdamW (Adam with decoupled weight decay), as the task asks.")
    decay = summary.get("weight_decay")
    expect(_is_real(decay) and abs(float(decay) - 0.01) <= 1e-9, "the AdamW optimizer must use weight_decay=0.01, as the task asks.")
    expect(summary.get("is_schedule") is True,
           "the optimizer's learning_rate must be a schedule (keras.optimizers.schedules), not a fixed number.")
    rates = np.asarray(summary.get("rates"), dtype=np.float64)[: total_steps + 1]
    expect(rates.shape == (total_steps + 1,), "the learning-rate schedule could not be read at every step.")
    expect(bool(np.all(np.isfinite(rates))), "the learning rate must be a finite number at every step.")
    expect(rates[0] <= 0.05 * peak, "the learning rate must start at 0 and warm up (rise) during the first steps.")
    expect(rates.max() <= 1.01 * peak, "the learning rate must never exceed peak_learning_rate.")
    expect(rates.max() >= 0.95 * peak, "the learning rate must reach peak_learning_rate after the warm-up.")
    warmup = 0.1 * total_steps
    end = int(np.argmax(rates >= 0.99 * rates.max()))
    expect(
        np.floor(warmup) - 1 <= end <= np.ceil(warmup) + 1,
        "the warm-up must last 10% of total_steps: the learning rate should reach its peak after 10% of the steps, not sooner or later.",
    )
    middle = int(end // 2)
    expect(abs(rates[middle] - peak * middle / max(end, 1)) <= 0.1 * peak,
           "during the warm-up the learning rate must rise linearly from 0 to the peak.")
    expect(rates[-1] <= 0.1 * peak, "after the warm-up the learning rate must decay to (nearly) zero by total_steps.")
    short = np.asarray(summaries[1].get("rates"), dtype=np.float64)[:2]
    expect(bool(np.all(np.isfinite(short))) and short.size > 0 and short.max() <= 1.01 * peak,
           "with total_steps=1 the learning rate must still be a finite number no larger than the peak.")


# ------------------------------------------------------ 03: probabilities


def probability_cases(rng: np.random.Generator) -> List[tuple]:
    """Logits a stand-in classifier returns, and the softmax the grader expects for them."""
    cases = []
    for rows, scale in ((8, 3.0), (5, 30.0)):
        logits = (rng.standard_normal((rows, 2)) * scale).astype(np.float32)
        z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        cases.append(((logits,), np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "for a batch of logits"))
    return cases


def judge_probabilities(results: Sequence[dict], cases: Sequence[tuple]) -> None:
    """Judges ``predict_probabilities`` on a stand-in classifier: the softmax of its logits, row by row."""
    for result, case in zip(results, cases):
        if result.get("status") == "ok":
            got, expected = result.get("value"), case[1]
            expect(isinstance(got, np.ndarray), "predict_probabilities must return a NumPy array.")
            expect(got.shape == expected.shape, f"predict_probabilities must return shape (number of texts, 2); got {got.shape}.")
            expect(got.dtype.kind == "f", f"predict_probabilities must return floating-point probabilities, not {got.dtype}.")
            expect(bool(np.all((got >= 0) & (got <= 1))), "probabilities must lie between 0 and 1.")
    judge_cases(results, cases, "predict_probabilities", abs_tol=2e-3, rel_tol=0)


# --------------------------------------------------------- 03: own reviews


def check_own_reviews(reviews, labels, predictions=None) -> None:
    """Checks the reviews a student wrote to try the classifier.

    Args:
        reviews: The student's sentences.
        labels: The label (0 negative, 1 positive) the student means for each.
        predictions: What the classifier predicted for each, if computed.
    """
    expect(isinstance(reviews, (list, tuple)), "my_reviews must be a list of strings.")
    expect(len(reviews) >= 4, "write at least four reviews of your own in my_reviews.")
    expect(all(isinstance(r, str) and len(r.split()) >= 3 for r in reviews), "each review must be a sentence of at least three words.")
    expect(len(set(r.strip().lower() for r in reviews)) == len(reviews), "write different reviews, not the same one twice.")
    expect(isinstance(labels, (list, tuple, np.ndarray)) and len(labels) == len(reviews), "my_labels must give one label per review.")
    expect(all(int(v) in (0, 1) for v in labels), "each label must be 0 (negative) or 1 (positive).")
    expect({int(v) for v in labels} == {0, 1}, "write both positive and negative reviews.")
    if predictions is not None:
        expect(len(predictions) == len(reviews), "predict one label for each of your reviews.")
