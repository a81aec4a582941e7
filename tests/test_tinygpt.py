"""Tests for course/tinygpt.py and the verifiers of assignment 05 (course/grading/verifiers/tinygpt.py).

Small untrained models only: a causal one passes the causality verifier, one
that peeks at later tokens fails it (and has no perplexity measured), and an
untrained one fails the bits-per-byte bound. The verifiers are called
in-process here; tests/test_grading.py runs them in the sandboxed process
through real grading.
"""

import numpy as np
import pytest

from course import tinygpt
from course_copy import load_key_module

CAUSAL = "course.grading.verifiers.tinygpt:verify_causal_gpt"
BITS = "course.grading.verifiers.tinygpt:verify_bits_per_byte"


def build(keras, d_model=32, causal=True, layers=2):
    """A tiny GPT as the notebook builds it; ``causal=False`` lets every position see the whole window."""
    import keras_hub

    tokens = keras.Input(shape=(None,), dtype="int32")
    x = keras_hub.layers.TokenAndPositionEmbedding(256, 64, d_model)(tokens)
    for _ in range(layers):
        x = keras_hub.layers.TransformerDecoder(intermediate_dim=2 * d_model, num_heads=4)(x, use_causal_mask=causal)
    return keras.Model(tokens, keras.layers.Dense(256)(x))


def test_bytes_round_trip_and_windows():
    """Do bytes round-trip for English and Chinese, and are targets the inputs shifted by one?"""
    text = "Great film<br />很好看"
    assert tinygpt.decode_bytes(tinygpt.encode_bytes(text)) == text
    stream = tinygpt.byte_stream(["abcdefgh", "ijklmnop"])
    x, y = tinygpt.training_windows(stream, 5, 7, np.random.default_rng(0))
    assert x.shape == y.shape == (7, 5) and np.array_equal(x[:, 1:], y[:, :-1])
    ex, ey = tinygpt.evaluation_windows(stream, 4, 100)
    assert ex.shape == (4, 4) and np.array_equal(ex.reshape(-1)[1:], ey.reshape(-1)[:-1])
    with pytest.raises(ValueError):
        tinygpt.training_windows(stream[:3], 5, 1, np.random.default_rng(0))


def test_bits_per_byte_of_a_uniform_model_is_eight():
    """Is a uniform distribution over 256 bytes exactly 8 bits per byte, and a sure one near 0?"""
    assert tinygpt.bits_per_byte(np.zeros((3, 4, 256)), np.ones((3, 4), dtype=int)) == pytest.approx(8.0)
    sure = np.full((1, 2, 256), -1e9)
    sure[..., 7] = 0
    assert tinygpt.bits_per_byte(sure, np.full((1, 2), 7)) == pytest.approx(0.0, abs=1e-9)


def test_gpt_weights_reproduce_the_keras_model(keras):
    """Do the weights gpt_weights extracts, run by the key's NumPy reference, give the Keras model's logits?"""
    key = load_key_module("05_tiny_gpt", "tiny_gpt", name="tiny_gpt_key_w")
    keras.utils.set_random_seed(0)
    model = build(keras)
    tokens = np.random.default_rng(0).integers(0, 256, size=20)
    expected = keras.ops.convert_to_numpy(model(tokens[None, :].astype("int32")))[0]
    logits, _ = key.gpt_run(tinygpt.gpt_weights(model), tokens)
    assert np.abs(logits - expected).max() < 1e-4


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """Three handed-in files: an untrained causal GPT, one that peeks at later tokens, one with a single block."""
    keras.utils.set_random_seed(1)
    folder = tmp_path_factory.mktemp("tinygpt")
    paths = {}
    for name, model in (("causal", build(keras)), ("peeking", build(keras, causal=False)), ("one_block", build(keras, layers=1))):
        paths[name] = str(folder / f"{name}.keras")
        model.save(paths[name])
    return paths


def _verify(spec, path):
    from course.grading.child import load_target as load_verifier

    return load_verifier(spec)(path)


def test_causal_model_passes_and_peeking_model_fails(saved, sample_data):
    """Does the verifier pass a causal GPT and fail, with its reason, one that sees later tokens?"""
    assert _verify(CAUSAL, saved["causal"]).passed
    verdict = _verify(CAUSAL, saved["peeking"])
    assert not verdict.passed and "not causal" in verdict.message
    verdict = _verify(BITS, saved["peeking"])
    assert not verdict.passed and "perplexity is not measured" in verdict.message


def test_one_block_fails_the_structure(saved, sample_data):
    """Is a model with a single decoder block refused?"""
    verdict = _verify(CAUSAL, saved["one_block"])
    assert not verdict.passed and "at least 2" in verdict.message


def test_untrained_model_fails_the_bits_per_byte_bound(saved, sample_data):
    """Does an untrained GPT (about 8 bits per byte) fail the bound on the held-out test reviews?"""
    verdict = _verify(BITS, saved["causal"])
    assert not verdict.passed and "bits per byte" in verdict.message
    assert verdict.metrics["bits_per_byte"] > 7
