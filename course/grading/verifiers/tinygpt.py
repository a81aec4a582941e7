"""Verifiers of assignment 05 (a tiny GPT): causality and bits per byte on held-out reviews. Grader-only.

Each runs in a fresh, sandboxed process (``course.grading.artifacts``) on the
model a hidden test handed in, loaded in Keras' safe mode (keras-hub is
imported first, so its registered layers load; no custom class or Lambda
code does). They check what the model computes, with their own inputs and
arithmetic: the model's structure and size, that changing future tokens never
changes earlier logits, and the cross-entropy of next-byte prediction on
IMDB **test** reviews that the notebook never trains or validates on
(``course.tinygpt``: byte-level, 256 symbols). Thresholds come from the
grader's profile (``course.profiles``: ``gpt_*``).
"""

import time
from typing import List, Optional

import numpy as np

from course.grading.artifacts import Verdict
from course.grading.verifiers.common import keras_module, load_safely
from course.tinygpt import BYTE_VOCAB, bits_per_byte, byte_stream, evaluation_windows

#: Layer classes that count as a decoder block.
DECODER_BLOCKS = ("TransformerDecoder", "MultiHeadAttention", "CachedMultiHeadAttention")
#: Random sequences and cut points of the causality check.
CAUSALITY_SEQUENCES = 4
#: Largest change an earlier logit may show when only later tokens change (float32 round-off).
CAUSALITY_TOLERANCE = 1e-4
#: Windows of held-out bytes scored per batch.
EVAL_BATCH = 64


def load_gpt(path: str):
    """Loads a handed-in model in safe mode, keras-hub's layers registered.

    Raises:
        AssertionError: It cannot be loaded; the message says why.
    """
    return load_safely(path, "Build it from keras_hub.layers.TokenAndPositionEmbedding, TransformerDecoder and Dense, "
                             "with no Lambda layers.", hub=True)


def _blocks(model) -> List[str]:
    """Class names of the decoder blocks (nested models opened up, a block's own attention not counted twice)."""
    keras = keras_module(hub=True)
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _blocks(layer)
        elif type(layer).__name__ in DECODER_BLOCKS:
            found.append(type(layer).__name__)
    return found


def _logits(model, tokens: np.ndarray) -> np.ndarray:
    keras = keras_module(hub=True)
    return np.asarray(keras.ops.convert_to_numpy(model(tokens.astype("int32"), training=False)), dtype=np.float64)


def structure_problems(model, context: int, min_params: int, max_params: int) -> List[str]:
    """What is wrong with the model's form: token ids in, one logit per byte out, decoder blocks, size."""
    keras = keras_module(hub=True)
    if not isinstance(model, keras.Model):
        return [f"Expected a Keras model, got {type(model).__name__}."]
    blocks = _blocks(model)
    if len(blocks) < 2:
        return [f"The model has {len(blocks)} decoder block(s) (TransformerDecoder or self-attention); at least 2 are required."]
    params = int(model.count_params())
    if not min_params <= params <= max_params:
        return [f"The model has {params:,} parameters; between {min_params:,} and {max_params:,} are required."]
    probe = np.zeros((2, context), dtype=np.int32)
    try:
        out = _logits(model, probe)
    except Exception as err:  # a handed-in model may fail in many ways
        return [f"The model fails on a batch of (2, {context}) token ids ({type(err).__name__})."]
    if out.shape != (2, context, BYTE_VOCAB):
        return [f"For (2, {context}) token ids the model must return (2, {context}, {BYTE_VOCAB}) logits; it returns {out.shape}."]
    if not np.all(np.isfinite(out)):
        return ["The model returns logits that are not finite numbers."]
    return []


def causality_problem(model, context: int, seed: int = 0) -> Optional[str]:
    """Changes the tokens after a cut point and checks that no logit up to the cut point moves."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, BYTE_VOCAB, size=(CAUSALITY_SEQUENCES, context))
    changed = tokens.copy()
    cuts = rng.integers(0, context - 1, size=CAUSALITY_SEQUENCES)
    for row, cut in enumerate(cuts):
        changed[row, cut + 1:] = rng.integers(0, BYTE_VOCAB, size=context - cut - 1)
    before, after = _logits(model, tokens), _logits(model, changed)
    for row, cut in enumerate(cuts):
        moved = float(np.max(np.abs(before[row, : cut + 1] - after[row, : cut + 1])))
        if moved > CAUSALITY_TOLERANCE:
            return (f"The model is not causal: changing the tokens after position {int(cut)} changed the logits at or "
                    f"before it (by up to {moved:.3g}). A language model may only look at earlier tokens: keep the "
                    "causal mask of its self-attention.")
    return None


def _load_causal(artifact_path: str, seed: int, counted: bool = False, not_causal: str = ""):
    """What both verifiers do first: the profile, the model loaded, its structure and its causality checked.

    Args:
        artifact_path: The handed-in ``.keras`` file.
        seed: Seed of the causality check's random tokens.
        counted: Whether a model of the right structure gets its parameters and decoder blocks, and the
            seconds the checks took, in its metrics.
        not_causal: Text added to the message when the model is not causal.

    Returns:
        ``(profile, model, metrics, verdict)``; ``verdict`` is a failed one when the structure is wrong or the
        model is not causal, else ``None``.
    """
    from course.profiles import get_profile

    started = time.monotonic()
    profile = get_profile()
    model = load_gpt(artifact_path)
    metrics = {"profile": profile.name}
    problems = structure_problems(model, profile.gpt_context, profile.gpt_min_params, profile.gpt_max_params)
    if problems:
        return profile, model, metrics, Verdict(False, " ".join(problems), metrics)
    if counted:
        metrics.update(params=int(model.count_params()), blocks=len(_blocks(model)))
    problem = causality_problem(model, profile.gpt_context, seed=seed)
    if counted:
        metrics["seconds"] = round(time.monotonic() - started, 1)
    return profile, model, metrics, (Verdict(False, problem + not_causal, metrics) if problem else None)


def verify_causal_gpt(artifact_path: str) -> Verdict:
    """Verifier of ``test_gpt_causal``: a decoder-only model of the right size whose earlier logits ignore later tokens.

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with the parameter count and blocks in its metrics.
    """
    _, _, metrics, failed = _load_causal(artifact_path, seed=0, counted=True)
    if failed:
        return failed
    return Verdict(True, f"{metrics['blocks']} decoder blocks, {metrics['params']:,} parameters; changing later tokens "
                         "never changed an earlier logit (checked by the grader).", metrics)


def held_out_windows(context: int, reviews: int):
    """The grader's held-out bytes: the first ``reviews`` IMDB **test** reviews, cut into windows."""
    from course.data import load_imdb_arrays

    splits = load_imdb_arrays(("test",), verbose=False)
    texts = splits[0][0][:reviews]
    inputs, targets = evaluation_windows(byte_stream(texts), context, 100_000)
    return inputs, targets, splits.source


def grader_bits_per_byte(model, inputs: np.ndarray, targets: np.ndarray) -> float:
    """Bits per byte of the model on the windows, computed batch by batch with the grader's own arithmetic."""
    total, count = 0.0, 0
    for start in range(0, len(inputs), EVAL_BATCH):
        logits = _logits(model, inputs[start:start + EVAL_BATCH])
        part = targets[start:start + EVAL_BATCH]
        total += bits_per_byte(logits, part) * part.size
        count += part.size
    return total / count


def verify_bits_per_byte(artifact_path: str) -> Verdict:
    """Verifier of ``test_gpt_bits_per_byte``: next-byte cross-entropy on held-out test reviews below the bound.

    Rules: the structure of ``verify_causal_gpt`` and causality (a model that
    sees the future has no meaningful perplexity); then at most
    ``gpt_max_bits_per_byte`` on the first ``gpt_eval_reviews`` test reviews.

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with bits per byte and perplexity in its metrics.
    """
    started = time.monotonic()
    profile, model, metrics, failed = _load_causal(artifact_path, seed=1, not_causal=" Its perplexity is not measured.")
    if failed:
        return failed
    inputs, targets, source = held_out_windows(profile.gpt_context, profile.gpt_eval_reviews)
    bits = grader_bits_per_byte(model, inputs, targets)
    bound = profile.gpt_max_bits_per_byte
    metrics.update(bits_per_byte=round(bits, 4), perplexity_per_byte=round(float(2 ** bits), 3), bound=bound,
                   held_out_bytes=int(targets.size), data_source=source, seconds=round(time.monotonic() - started, 1))
    if not bits <= bound:
        return Verdict(False, f"On held-out test reviews the grader measured {bits:.3f} bits per byte; at most {bound:.2f} "
                              "is required. Train longer or check the training windows and the loss (from logits).", metrics)
    return Verdict(True, f"{bits:.3f} bits per byte on {targets.size:,} held-out bytes measured by the grader "
                         f"(required: at most {bound:.2f}).", metrics)


__all__ = ["verify_causal_gpt", "verify_bits_per_byte", "structure_problems", "causality_problem", "grader_bits_per_byte"]
