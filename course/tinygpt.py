"""Helpers of assignment 05 (a tiny GPT): byte-level text, training windows, the model's weights as NumPy arrays.

Kernel side: the notebook imports this module, and so does the grader's
verifier (``course.grading.verifiers.tinygpt``), so that both read text the
same way. It holds no expected answer and never imports ``course.grading``.

The tiny GPT of the assignment is **byte-level**: a review is its UTF-8
bytes, so the vocabulary is fixed at 256 symbols, no tokenizer has to be
trained or shipped, and every text (English, Chinese, ``<br />`` markup) can
be encoded. Quality is measured in bits per byte.
"""

import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

#: Symbols of the byte-level vocabulary.
BYTE_VOCAB = 256
#: Separates reviews when they are joined into one stream of bytes.
SEPARATOR = "\n"


def encode_bytes(text: str) -> np.ndarray:
    """The UTF-8 bytes of ``text`` as an int32 array of token ids (0-255)."""
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32)


def decode_bytes(ids: Sequence[int]) -> str:
    """Token ids (0-255) back to text; byte sequences that are not valid UTF-8 become U+FFFD."""
    return bytes(int(i) % BYTE_VOCAB for i in ids).decode("utf-8", errors="replace")


def byte_stream(texts: Sequence[str]) -> np.ndarray:
    """The reviews joined by ``SEPARATOR`` into one int32 array of bytes."""
    return encode_bytes(SEPARATOR.join(texts))


def training_windows(stream: np.ndarray, context: int, count: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """``count`` random windows of a byte stream for next-byte prediction.

    Args:
        stream: Token ids (``byte_stream``).
        context: Tokens per window.
        count: Windows drawn (with replacement).
        rng: The generator that chooses the windows' starts.

    Returns:
        ``(inputs, targets)``, each int32 of shape ``(count, context)``;
        ``targets`` is ``inputs`` shifted left by one byte.

    Raises:
        ValueError: The stream is shorter than ``context + 1`` bytes.
    """
    if len(stream) <= context:
        raise ValueError(f"the stream has {len(stream)} bytes; at least {context + 1} are needed")
    starts = rng.integers(0, len(stream) - context, size=count)
    index = starts[:, None] + np.arange(context + 1)[None, :]
    windows = stream[index]
    return windows[:, :-1].astype(np.int32), windows[:, 1:].astype(np.int32)


def evaluation_windows(stream: np.ndarray, context: int, count: int) -> Tuple[np.ndarray, np.ndarray]:
    """Up to ``count`` consecutive, non-overlapping windows from the start of a byte stream (no randomness).

    Returns:
        ``(inputs, targets)`` as in ``training_windows``.
    """
    usable = min(count, (len(stream) - 1) // context)
    if usable < 1:
        raise ValueError(f"the stream has {len(stream)} bytes; at least {context + 1} are needed")
    inputs = stream[: usable * context].reshape(usable, context)
    targets = stream[1: usable * context + 1].reshape(usable, context)
    return inputs.astype(np.int32), targets.astype(np.int32)


def bits_per_byte(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy of ``targets`` under ``logits`` (last axis: the vocabulary), in bits.

    Args:
        logits: Float array ``(..., vocabulary)``.
        targets: Integer array of the leading shape of ``logits``.

    Returns:
        Bits per predicted byte (natural-log cross-entropy divided by ln 2).
    """
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, np.asarray(targets)[..., None].astype(np.int64), axis=-1)
    return float(-picked.mean() / math.log(2.0))


def _numpy(variable) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def gpt_weights(model) -> Dict[str, object]:
    """The weights of a tiny GPT built from keras-hub layers, as plain NumPy arrays (float64).

    The model must be ``TokenAndPositionEmbedding`` -> ``TransformerDecoder``
    blocks (post-norm: ``normalize_first=False``, ReLU feed-forward, the
    defaults) -> ``Dense`` to the vocabulary, as the notebook builds it.

    Returns:
        ``{"token_embedding": (V, d), "position_embedding": (L, d),
        "epsilon": float, "blocks": [{"wq", "bq", "wk", "bk", "wv", "bv":
        (d, h, hd) / (h, hd); "wo": (h, hd, d), "bo": (d,); "ln1_gamma",
        "ln1_beta", "ln2_gamma", "ln2_beta": (d,); "w1": (d, f), "b1": (f,),
        "w2": (f, d), "b2": (d,)}, ...], "w_out": (d, V), "b_out": (V,)}``.

    Raises:
        ValueError: The model is not built from these layers.
    """
    import keras_hub

    embeddings = [layer for layer in model.layers if isinstance(layer, keras_hub.layers.TokenAndPositionEmbedding)]
    decoders = [layer for layer in model.layers if isinstance(layer, keras_hub.layers.TransformerDecoder)]
    heads = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    if len(embeddings) != 1 or not decoders or not heads:
        raise ValueError("expected TokenAndPositionEmbedding -> TransformerDecoder blocks -> Dense")
    embedding, head = embeddings[0], heads[-1]
    blocks: List[dict] = []
    epsilon = None
    for decoder in decoders:
        if decoder.normalize_first or decoder.activation is not keras_hub_relu():
            raise ValueError("the NumPy version expects the default TransformerDecoder (post-norm, ReLU)")
        attention = decoder._self_attention_layer
        epsilon = float(decoder.layer_norm_epsilon)
        blocks.append({
            "wq": _numpy(attention._query_dense.kernel), "bq": _numpy(attention._query_dense.bias),
            "wk": _numpy(attention._key_dense.kernel), "bk": _numpy(attention._key_dense.bias),
            "wv": _numpy(attention._value_dense.kernel), "bv": _numpy(attention._value_dense.bias),
            "wo": _numpy(attention._output_dense.kernel), "bo": _numpy(attention._output_dense.bias),
            "ln1_gamma": _numpy(decoder._self_attention_layer_norm.gamma),
            "ln1_beta": _numpy(decoder._self_attention_layer_norm.beta),
            "w1": _numpy(decoder._feedforward_intermediate_dense.kernel),
            "b1": _numpy(decoder._feedforward_intermediate_dense.bias),
            "w2": _numpy(decoder._feedforward_output_dense.kernel),
            "b2": _numpy(decoder._feedforward_output_dense.bias),
            "ln2_gamma": _numpy(decoder._feedforward_layer_norm.gamma),
            "ln2_beta": _numpy(decoder._feedforward_layer_norm.beta),
        })
    return {
        "token_embedding": _numpy(embedding.token_embedding.embeddings),
        "position_embedding": _numpy(embedding.position_embedding.position_embeddings),
        "epsilon": epsilon,
        "blocks": blocks,
        "w_out": _numpy(head.kernel),
        "b_out": _numpy(head.bias),
    }


def keras_hub_relu():
    """The activation function a default ``TransformerDecoder`` uses (``keras.activations.relu``)."""
    import keras

    return keras.activations.get("relu")


__all__ = [
    "BYTE_VOCAB", "encode_bytes", "decode_bytes", "byte_stream", "training_windows", "evaluation_windows",
    "bits_per_byte", "gpt_weights",
]
