"""Verifiers of assignment 03 (fine-tuning a pretrained BERT). Grader-only: run in a fresh, sandboxed process.

The answer key (``source/03_bert_imdb/bert_imdb_key.py``) names them for the
model questions; ``course.grading.artifacts`` runs them on the classifier a
hidden test handed in. They load it with Keras' safe mode, check its
structure, compare its weights with the pretrained preset they load
themselves, and compute the test accuracy on held-out reviews they load
themselves. Thresholds and budgets come from ``course.profiles``.
"""

import time

import numpy as np

from course.checks import expect
from course.checks.bert import evaluation_sample
from course.grading.verifiers.common import load_safely


#: Below this correlation with the pretrained weights, a backbone counts as not pretrained.
MIN_PRETRAINED_CORRELATION = 0.9


#: Below this relative change of the encoder weights, a backbone counts as not fine-tuned.
MIN_ENCODER_CHANGE = 1e-3


#: The BERT configuration entries a fine-tuned model must share with its preset.
ARCHITECTURE_KEYS = ("vocabulary_size", "num_layers", "num_heads", "hidden_dim", "intermediate_dim")


def _expect_instance(value, cls, message: str) -> None:
    """Fails with ``message`` unless ``value`` is an instance of ``cls``.

    Args:
        value: A part of the student's classifier.
        cls: The class it must be an instance of.
        message: What the student is told otherwise.

    Raises:
        AssertionError: ``value`` is not a ``cls``.
    """
    expect(isinstance(value, cls), message)


def check_classifier(model, sequence_length: int) -> None:
    """Checks the structure of a keras-hub BERT text classifier with its preprocessor.

    Args:
        model: The student's classifier.
        sequence_length: Tokens per review the preprocessor must produce.
    """
    import keras
    import keras_hub

    _expect_instance(model, keras.Model, "the classifier must be a Keras model built by keras_hub.")
    _expect_instance(model, keras_hub.models.TextClassifier,
                     "the classifier must be a keras_hub text classifier: keras_hub.models.BertTextClassifier.from_preset(...).")
    _expect_instance(getattr(model, "backbone", None), keras_hub.models.BertBackbone,
                     "the classifier's backbone must be a BERT backbone (keras_hub.models.BertBackbone).")
    outputs = getattr(model, "outputs", None) or [None]
    width = outputs[0].shape[-1] if outputs[0] is not None else None
    expect(width == 2, "the classifier must have exactly two classes (num_classes=2: negative and positive).")
    preprocessor = getattr(model, "preprocessor", None)
    _expect_instance(preprocessor, keras_hub.models.TextClassifierPreprocessor,
                     "the classifier must include its preprocessor (pass preprocessor=... to from_preset), "
                     "so that it takes raw review texts.")
    _expect_instance(getattr(preprocessor, "tokenizer", None), keras_hub.tokenizers.BertTokenizer,
                     "the preprocessor must use BERT's WordPiece tokenizer (keras_hub.models.BertTextClassifierPreprocessor).")
    expect(
        getattr(preprocessor, "sequence_length", None) == sequence_length,
        f"the preprocessor must cut or pad every review to the profile's sequence_length={sequence_length} tokens.",
    )


def _flat(weights) -> np.ndarray:
    import keras

    return np.concatenate([np.ravel(keras.ops.convert_to_numpy(w)).astype(np.float64) for w in weights])


def _encoder_weights(backbone):
    return [w for i in range(backbone.num_layers) for w in backbone.get_layer(f"transformer_layer_{i}").weights]


def compare_with_pretrained(backbone, pretrained) -> dict:
    """Measures how a BERT backbone's weights relate to its pretrained preset's.

    Args:
        backbone: The classifier's ``BertBackbone``.
        pretrained: The ``BertBackbone`` of the preset, freshly loaded.

    Returns:
        ``{'same_architecture': bool, 'embedding_correlation': float,
        'encoder_correlation': float, 'encoder_change': float}``: Pearson
        correlations of the token embeddings and of all encoder weights with
        the pretrained ones, and ``||W - W0|| / ||W0||`` over the encoder.
    """
    same = all(backbone.get_config().get(k) == pretrained.get_config().get(k) for k in ARCHITECTURE_KEYS)
    result = {"same_architecture": bool(same)}
    if not same:
        return result
    embedding = _flat([backbone.get_layer("token_embedding").embeddings])
    embedding0 = _flat([pretrained.get_layer("token_embedding").embeddings])
    encoder, encoder0 = _flat(_encoder_weights(backbone)), _flat(_encoder_weights(pretrained))
    result["embedding_correlation"] = float(np.corrcoef(embedding, embedding0)[0, 1])
    result["encoder_correlation"] = float(np.corrcoef(encoder, encoder0)[0, 1])
    result["encoder_change"] = float(np.linalg.norm(encoder - encoder0) / np.linalg.norm(encoder0))
    return result


def check_pretrained(model, preset: str, fine_tuned: bool = False) -> dict:
    """Checks that a classifier's backbone starts from (and, optionally, was fine-tuned from) a preset.

    Args:
        model: The classifier (its structure already checked).
        preset: The preset the assignment uses.
        fine_tuned: Also require that the encoder's weights have changed.

    Returns:
        The measurements of ``compare_with_pretrained``.
    """
    import keras_hub

    pretrained = keras_hub.models.Backbone.from_preset(preset)
    found = compare_with_pretrained(model.backbone, pretrained)
    expect(
        found["same_architecture"],
        "the classifier's BERT does not have the size of the course's preset: build it with from_preset(preset).",
    )
    not_random = min(found["embedding_correlation"], found["encoder_correlation"]) >= MIN_PRETRAINED_CORRELATION
    expect(
        not_random,
        "the classifier's BERT weights are not the pretrained ones: load them with from_preset(preset) "
        "instead of building a randomly initialised model.",
    )
    if fine_tuned:
        expect(
            found["encoder_change"] >= MIN_ENCODER_CHANGE,
            "the BERT encoder's weights are (almost) exactly the pretrained ones: fine-tune the whole model "
            "with fit() and do not freeze the backbone.",
        )
    return found


def _load_handed_in(path: str):
    """Loads a handed-in model with Keras' safe mode (no custom code can run), keras-hub's classes registered."""
    return load_safely(path, "Hand in the keras_hub classifier itself, without custom layers or Lambda code.",
                       hub=True, compile=False)


def _settings_and_profile():
    from course.config import get_settings
    from course.profiles import get_profile

    settings = get_settings()
    return settings, get_profile(settings)


def _load_checked_classifier(path: str):
    """Loads a handed-in classifier and checks its structure under the grader's settings.

    Returns:
        ``(settings, profile, model)``.

    Raises:
        AssertionError: The file is not a classifier of the required form.
    """
    settings, profile = _settings_and_profile()
    model = _load_handed_in(path)
    check_classifier(model, profile.bert_sequence_length)
    return settings, profile, model


def verify_built_classifier(path: str):
    """Verifier of ``test_build_classifier``: structure, preset vocabulary and pretrained (not yet fine-tuned) weights.

    Args:
        path: The handed-in ``.keras`` file (the classifier ``build_classifier`` returned).

    Returns:
        A ``course.grading.artifacts.Verdict``.
    """
    return _verify_from_preset(path, fine_tuned=False)


def verify_fine_tuned(path: str):
    """Verifier of the structure and fine-tuning test, run by the grader in a fresh process.

    Args:
        path: The handed-in ``.keras`` file.

    Returns:
        A ``course.grading.artifacts.Verdict``.
    """
    return _verify_from_preset(path, fine_tuned=True)


def _verify_from_preset(path: str, fine_tuned: bool):
    from course.grading.artifacts import Verdict
    from course.presets import resolve_bert_preset

    started = time.monotonic()
    settings, profile, model = _load_checked_classifier(path)
    preset, source = resolve_bert_preset(settings, profile, verbose=False)
    import keras_hub

    vocabulary = keras_hub.tokenizers.BertTokenizer.from_preset(preset).get_vocabulary()
    expect(
        model.preprocessor.tokenizer.get_vocabulary() == vocabulary,
        "the preprocessor's vocabulary is not the preset's: build the preprocessor with from_preset(preset).",
    )
    found = check_pretrained(model, preset, fine_tuned=fine_tuned)
    metrics = {k: round(v, 5) for k, v in found.items() if isinstance(v, float)}
    metrics.update(preset_source=source, seconds=round(time.monotonic() - started, 1))
    what = "fine-tuned from" if fine_tuned else "built on"
    return Verdict(True, f"a BERT text classifier {what} the pretrained preset.", metrics)


def verify_accuracy(path: str):
    """Verifier of the accuracy test, run by the grader in a fresh process.

    It loads the test reviews itself, through the same configured source as
    the notebook, and evaluates the handed-in model on the balanced sample of
    ``bert_eval_size`` reviews; the test passes at ``bert_min_accuracy``.

    Args:
        path: The handed-in ``.keras`` file.

    Returns:
        A ``course.grading.artifacts.Verdict``.
    """
    from course.data import load_imdb_arrays
    from course.grading.artifacts import Verdict

    started = time.monotonic()
    settings, profile, model = _load_checked_classifier(path)
    _, (test_texts, test_labels) = load_imdb_arrays(settings=settings, verbose=False)
    texts, labels = evaluation_sample(test_texts, test_labels, profile.bert_eval_size)
    logits = np.asarray(model.predict(texts, batch_size=32, verbose=0))
    expect(logits.shape == (len(texts), 2), "the classifier must return two scores per review.")
    accuracy = float(np.mean(np.argmax(logits, axis=-1) == labels))
    metrics = {
        "accuracy": round(accuracy, 4),
        "reviews": len(texts),
        "predicted_positive": round(float(np.mean(np.argmax(logits, axis=-1))), 3),
        "seconds": round(time.monotonic() - started, 1),
    }
    passed = accuracy >= profile.bert_min_accuracy
    if passed:
        message = f"test accuracy {accuracy:.3f} on {len(texts):,} held-out reviews (required: {profile.bert_min_accuracy:.2f})."
    else:
        message = (
            f"the test accuracy measured by the grader on {len(texts):,} held-out reviews is {accuracy:.3f}, "
            f"below the {profile.bert_min_accuracy:.2f} the {profile.name} profile requires."
        )
    return Verdict(passed, message, metrics)
