"""Reference sentence embeddings for assignment 06's answer key; grader-side, trusted code only.

The key compares a student's ``embed`` with the reference pooling on texts
the student never saw, and recomputes the notebook's recall tables on the
same benchmark. Both need MiniLM's embeddings, computed here with the preset
and sequence length the notebook uses (``course.presets.resolve_embedding_preset``, the profile in
force) in a separate process, so TensorFlow and keras-hub stay out of the
grader's own process. No student code runs here. Answers are cached for the
life of the grader process.

``python -m course.grading.embeddings OUT.npz`` reads a JSON list of texts on
standard input and writes three float32 arrays to ``OUT.npz``: ``mean``
(mean-pooled over real tokens, L2-normalised), ``cls`` (the ``[CLS]``
vector, L2-normalised) and ``raw`` (mean-pooled, not normalised).
"""

import functools
import json
import os
import subprocess
import sys
import tempfile
from typing import Dict, Optional, Tuple

import numpy as np

#: Seconds the embedding process may take (TensorFlow's start-up included).
TIMEOUT = 900


def mean_pool(vectors: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reference mean pooling over the real tokens: (n, L, d), (n, L) -> (n, d), float64."""
    weights = np.asarray(mask, dtype=np.float64)[..., None]
    return (np.asarray(vectors, dtype=np.float64) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Reference L2 normalisation of each row (rows of norm 0 stay 0), float64."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-300)


def _embed_here(texts) -> Dict[str, np.ndarray]:
    """The three poolings of ``texts`` with the configured preset and profile, in this process."""
    from course.presets import resolve_embedding_preset
    from course.profiles import get_profile
    from course.retrieval import TokenEncoder

    preset, _ = resolve_embedding_preset(verbose=False)
    encoder = TokenEncoder(preset, get_profile().rag_sequence_length)
    parts = {"mean": [], "cls": [], "raw": []}
    for start in range(0, len(texts), 64):
        vectors, mask = encoder(texts[start:start + 64])
        pooled = mean_pool(vectors, mask)
        parts["raw"].append(pooled)
        parts["mean"].append(l2_normalize(pooled))
        parts["cls"].append(l2_normalize(vectors[:, 0]))
    dim = encoder.dim
    return {k: (np.concatenate(v) if v else np.zeros((0, dim))).astype(np.float32) for k, v in parts.items()}


@functools.lru_cache(maxsize=4)
def reference_embeddings(texts: Tuple[str, ...]) -> Optional[Dict[str, np.ndarray]]:
    """MiniLM's reference embeddings of ``texts`` (three poolings), computed in a fresh process.

    Args:
        texts: The texts (a tuple, so that the answer can be cached).

    Returns:
        ``{"mean": ..., "cls": ..., "raw": ...}``, float32 arrays of shape
        ``(len(texts), hidden)``, or ``None`` when the model could not be
        loaded (the key then fails the question with a message for the
        instructor).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory(prefix="course-embeddings-") as folder:
        out = os.path.join(folder, "embeddings.npz")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "course.grading.embeddings", out],
                input=json.dumps(list(texts)), capture_output=True, text=True, timeout=TIMEOUT, env=env,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or not os.path.isfile(out):
            return None
        with np.load(out, allow_pickle=False) as data:
            arrays = {name: np.asarray(data[name]) for name in ("mean", "cls", "raw")}
    if any(a.shape[0] != len(texts) for a in arrays.values()):
        return None
    return arrays


def main() -> None:
    """Reads a JSON list of texts on standard input; writes their embeddings to the file named by argv[1]."""
    texts = [str(t) for t in json.loads(sys.stdin.read())]
    np.savez(sys.argv[1], **_embed_here(texts))


if __name__ == "__main__":
    main()
