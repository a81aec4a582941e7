"""Grader-side cases and judges shared by several answer keys (the same task in two assignments).

Runs in the grader's process only, like ``course.grading.compare``: the
expected values are computed here from the grader's own inputs.
"""

from typing import List, Sequence

import numpy as np

from course.checks import expect
from course.grading.compare import judge_cases


def scaling_cases(rng: np.random.Generator) -> List[tuple]:
    """Cases of "uint8 images (n, 28, 28) → float32 (n, 28, 28, 1) in [0, 1]" (00's scale_images, 02's preprocess)."""
    images = rng.integers(0, 256, size=(int(rng.integers(3, 9)), 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    cases = []
    for batch, hint in ((images, "for a batch of images"), (images[:1], "for a single image")):
        cases.append(((batch,), (batch.astype(np.float32) / np.float32(255.0))[..., np.newaxis], hint))
    return cases


def judge_scaling(results: Sequence[dict], cases: Sequence[tuple], name: str) -> None:
    """Judges an image-scaling function with messages that name the usual slips."""
    for result in results:
        value = result.get("value") if result.get("status") == "ok" else None
        if isinstance(value, np.ndarray) and value.ndim == 3:
            raise AssertionError(f"{name} must add a channel axis: (n, 28, 28) → (n, 28, 28, 1).")
        if isinstance(value, np.ndarray) and value.dtype != np.float32 and value.dtype.kind == "f":
            raise AssertionError(f"{name} must return float32 values, not {value.dtype}.")
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
            try:
                result["value"] = tuple(int(v) for v in value)
            except (TypeError, ValueError):
                raise AssertionError(f"{name} must return two whole numbers.") from None
        fixed.append(result)
    judge_cases(fixed, cases, name)
