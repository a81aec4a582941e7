"""Checks of assignment 03 (fine-tuning a pretrained BERT on IMDB reviews).

Two kinds of functions live here:

* ``check_*``: called by hidden tests inside the student's kernel. They give
  quick, clear messages but could in principle be tampered with by code in
  the same kernel, so nothing that earns points rests on them alone.
* ``verify_*``: verifiers registered in ``nbgrader_config.py``
  (``c.VerifyArtifacts.verifiers``). The grader runs them in a fresh process
  on the model the hidden test handed in (``course.grading.artifacts``): they
  load it with Keras' safe mode, check its structure again, compare its
  weights with the pretrained preset they load themselves, and compute the
  test accuracy on held-out reviews they load themselves.

Nothing here knows an answer: thresholds and budgets come from
``course.profiles``.
"""

import time
from typing import Sequence

import numpy as np

from course.checks import call, expect

#: Seed of the balanced sample of test reviews the notebook and the grader evaluate on.
EVAL_SEED = 2024
#: Below this correlation with the pretrained weights, a backbone counts as not pretrained.
MIN_PRETRAINED_CORRELATION = 0.9
#: Below this relative change of the encoder weights, a backbone counts as not fine-tuned.
MIN_ENCODER_CHANGE = 1e-3
#: The BERT configuration entries a fine-tuned model must share with its preset.
ARCHITECTURE_KEYS = ("vocabulary_size", "num_layers", "num_heads", "hidden_dim", "intermediate_dim")


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


def check_make_dataset(make_dataset) -> None:
    """Checks ``make_dataset(texts, labels, batch_size, shuffle=False, seed=None)``.

    It must return a finite ``tf.data.Dataset`` of ``(texts, labels)``
    batches that keeps every review with its own label, keeps the order when
    ``shuffle`` is false, and mixes it (reproducibly for a seed) when true.

    Args:
        make_dataset: The student's function.
    """
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    texts = [f"review number {i} " + "good " * (i % 3) for i in range(50)]
    labels = np.array([i % 2 for i in range(50)], dtype=np.int64)

    def collect(ds, what):
        expect(isinstance(ds, tf.data.Dataset), f"make_dataset must return a tf.data.Dataset ({what}).")
        got_texts, got_labels, sizes = [], [], []
        for number, element in enumerate(ds):
            expect(number < 100, f"make_dataset returns an endless dataset ({what}); do not repeat() it.")
            expect(
                isinstance(element, tuple) and len(element) == 2,
                f"each element must be a (texts, labels) pair ({what}).",
            )
            batch_texts, batch_labels = element
            expect(batch_texts.dtype == tf.string, f"the first part of each batch must be the review texts (tf.string) ({what}).")
            expect(batch_texts.shape.rank == 1, f"each batch must hold a 1-D vector of texts: batch the data ({what}).")
            sizes.append(int(batch_texts.shape[0]))
            got_texts += [t.decode("utf-8") for t in batch_texts.numpy()]
            got_labels += [int(v) for v in np.asarray(batch_labels).reshape(-1)]
        return got_texts, got_labels, sizes

    ds = call(make_dataset, texts, labels, 8, False, None, what="make_dataset")
    got_texts, got_labels, sizes = collect(ds, "shuffle=False")
    expect(sizes == [8] * 6 + [2], "make_dataset must cut the data into batches of batch_size (the last one may be smaller).")
    expect(got_texts == texts, "with shuffle=False, make_dataset must keep every review, in its order.")
    expect(got_labels == labels.tolist(), "make_dataset must keep each review together with its own label.")

    first = collect(call(make_dataset, texts, labels, 8, True, 1, what="make_dataset"), "shuffle=True")
    again = collect(call(make_dataset, texts, labels, 8, True, 1, what="make_dataset"), "shuffle=True")
    expect(sorted(first[0]) == sorted(texts), "with shuffle=True, make_dataset must still return every review exactly once.")
    expect(first[0] != texts, "with shuffle=True, make_dataset must mix the order of the reviews.")
    pairs = dict(zip(texts, labels.tolist()))
    expect(all(pairs[t] == y for t, y in zip(*first[:2])), "shuffling must move each label together with its review.")
    expect(first[0] == again[0], "with the same seed, make_dataset must shuffle the same way (pass seed to shuffle()).")


def _schedule_rates(schedule, steps) -> np.ndarray:
    import keras

    try:
        return np.array([float(keras.ops.convert_to_numpy(schedule(int(s)))) for s in steps])
    except Exception as err:  # a student's schedule may raise anything
        raise AssertionError(f"the learning-rate schedule could not be evaluated ({type(err).__name__}: {err}).") from None


def check_make_optimizer(make_optimizer, peak: float = 5e-5, total_steps: int = 200) -> None:
    """Checks ``make_optimizer(total_steps, peak_learning_rate)`` against the task.

    The task asks for ``keras.optimizers.AdamW`` with ``weight_decay=0.01``
    and a learning rate that warms up linearly from 0 over 10 % of the steps
    (at least one), reaches the peak, never exceeds it, and decays to (nearly)
    0 by the last step. The end of the warm-up may be off by one step
    (``int``, ``round`` and ``ceil`` of 10 % all pass). ``total_steps=1``
    must work too.

    Args:
        make_optimizer: The student's function.
        peak: Peak learning rate to ask for.
        total_steps: Number of training steps to ask for.
    """
    import keras

    optimizer = call(make_optimizer, total_steps, peak, what="make_optimizer")
    expect(isinstance(optimizer, keras.optimizers.Optimizer), "make_optimizer must return a Keras optimizer (keras.optimizers.AdamW).")
    expect(
        isinstance(optimizer, keras.optimizers.AdamW),
        "make_optimizer must return keras.optimizers.AdamW (Adam with decoupled weight decay), as the task asks.",
    )
    decay = getattr(optimizer, "weight_decay", None)
    expect(
        decay is not None and abs(float(decay) - 0.01) <= 1e-9,
        "the AdamW optimizer must use weight_decay=0.01, as the task asks.",
    )
    schedule = optimizer._learning_rate
    expect(
        isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule),
        "the optimizer's learning_rate must be a schedule (keras.optimizers.schedules), not a fixed number.",
    )
    rates = _schedule_rates(schedule, np.arange(total_steps + 1))
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
    expect(
        abs(rates[middle] - peak * middle / end) <= 0.1 * peak,
        "during the warm-up the learning rate must rise linearly from 0 to the peak.",
    )
    expect(rates[-1] <= 0.1 * peak, "after the warm-up the learning rate must decay to (nearly) zero by total_steps.")
    short = call(make_optimizer, 1, peak, what="make_optimizer (with total_steps=1)")
    expect(isinstance(short, keras.optimizers.Optimizer), "make_optimizer(1, ...) must return a Keras optimizer too.")
    short_rates = _schedule_rates(short._learning_rate, (0, 1)) if isinstance(
        short._learning_rate, keras.optimizers.schedules.LearningRateSchedule
    ) else np.array([float(short.learning_rate)])
    expect(
        bool(np.all(np.isfinite(short_rates))) and short_rates.max() <= 1.01 * peak,
        "with total_steps=1 the learning rate must still be a finite number no larger than the peak.",
    )


def check_classifier(model, sequence_length: int) -> None:
    """Checks the structure of a keras-hub BERT text classifier with its preprocessor.

    Args:
        model: The student's classifier.
        sequence_length: Tokens per review the preprocessor must produce.
    """
    import keras
    import keras_hub

    expect(isinstance(model, keras.Model), "the classifier must be a Keras model built by keras_hub.")
    expect(
        isinstance(model, keras_hub.models.TextClassifier),
        "the classifier must be a keras_hub text classifier: keras_hub.models.BertTextClassifier.from_preset(...).",
    )
    expect(
        isinstance(getattr(model, "backbone", None), keras_hub.models.BertBackbone),
        "the classifier's backbone must be a BERT backbone (keras_hub.models.BertBackbone).",
    )
    outputs = getattr(model, "outputs", None) or [None]
    width = outputs[0].shape[-1] if outputs[0] is not None else None
    expect(width == 2, "the classifier must have exactly two classes (num_classes=2: negative and positive).")
    preprocessor = getattr(model, "preprocessor", None)
    expect(
        isinstance(preprocessor, keras_hub.models.TextClassifierPreprocessor),
        "the classifier must include its preprocessor (pass preprocessor=... to from_preset), so that it takes raw review texts.",
    )
    expect(
        isinstance(getattr(preprocessor, "tokenizer", None), keras_hub.tokenizers.BertTokenizer),
        "the preprocessor must use BERT's WordPiece tokenizer (keras_hub.models.BertTextClassifierPreprocessor).",
    )
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


def check_probabilities(got, expected) -> None:
    """Checks class probabilities against the softmax of the model's logits.

    Args:
        got: What the student's ``predict_probabilities`` returned.
        expected: The probabilities computed by the hidden test.
    """
    expected = np.asarray(expected)
    expect(isinstance(got, np.ndarray), "predict_probabilities must return a NumPy array.")
    expect(got.shape == expected.shape, f"predict_probabilities must return shape (number of texts, 2); got {got.shape}.")
    expect(got.dtype.kind == "f", f"predict_probabilities must return floating-point probabilities, not {got.dtype}.")
    expect(bool(np.all((got >= 0) & (got <= 1))), "probabilities must lie between 0 and 1.")
    expect(
        np.allclose(got, expected, atol=2e-3),
        "predict_probabilities does not return the softmax of the classifier's logits for each review.",
    )


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


# ------------------------------------------------------- in the grader's process


def _load_handed_in(path: str):
    """Loads a handed-in model with Keras' safe mode (no custom code can run)."""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras
    import keras_hub  # noqa: F401  (registers keras-hub's classes for deserialisation)

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:  # a bad file can fail in many ways
        raise AssertionError(
            f"the handed-in model could not be loaded safely ({type(err).__name__}: {str(err)[:200]}); "
            "hand in the keras_hub classifier itself, without custom layers or Lambda code."
        ) from None


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
