"""What assignment 03's notebook uses in the student's kernel: the balanced evaluation sample.

The grader's side (structure and pretrained-weight checks, verifiers that
load a handed-in classifier in a fresh process and measure it) is
``course.grading.verifiers.bert``.
"""

from typing import Sequence

import numpy as np


#: Seed of the balanced sample of test reviews the notebook and the grader evaluate on.
EVAL_SEED = 2024


def balanced_indices(labels, n: int, seed: int = EVAL_SEED) -> np.ndarray:
    """Picks ``n`` indices, half of each class (0 and 1), in a random but fixed order.

    Args:
        labels: 0/1 labels.
        n: How many indices (``n // 2`` negative, the rest positive).
        seed: Seed of the choice.

    Returns:
        An int64 array of ``n`` distinct indices into ``labels``.

    Raises:
        ValueError: One class has fewer examples than its half of ``n``.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for label, count in ((0, n // 2), (1, n - n // 2)):
        pool = np.flatnonzero(labels == label)
        if len(pool) < count:
            raise ValueError(f"only {len(pool)} examples of class {label}, {count} needed")
        chosen.append(rng.choice(pool, size=count, replace=False))
    return rng.permutation(np.concatenate(chosen)).astype(np.int64)


# ------------------------------------------------------------------- in the kernel


# ------------------------------------------------------- in the grader's process


def evaluation_sample(texts: Sequence[str], labels, size: int):
    """The balanced sample of test reviews that the notebook and the grader evaluate on.

    Args:
        texts: Test reviews.
        labels: Their labels.
        size: How many (capped at what the split holds, keeping it balanced).

    Returns:
        ``(texts, labels)``: a list of strings and an int64 array.
    """
    labels = np.asarray(labels)
    size = min(size, 2 * int(min(np.sum(labels == 0), np.sum(labels == 1))))
    index = balanced_indices(labels, size, seed=EVAL_SEED)
    return [texts[i] for i in index], labels[index].astype(np.int64)


