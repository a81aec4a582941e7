"""Verifiers of assignment 02 (a CNN on MNIST). Grader-only: run in a fresh, sandboxed process.

The answer key (``source/02_mnist_cnn/mnist_cnn_key.py``) names them for the
model questions; ``course.grading.artifacts`` runs them on the model a hidden
test handed in. They load it with Keras' safe mode, check its structure, and
measure its test accuracy with their own data loading, preprocessing and
arithmetic (``model(x, training=False)`` and an argmax, not the model's
``evaluate``/``predict`` or compiled metrics). The threshold comes from the
grader's hardware profile (``course.checks.mnist.required_accuracy``).
"""

import time
from typing import List, Optional

import numpy as np

from course.checks import expect
from course.checks.mnist import (
    CONVOLUTIONS,
    EVAL_BATCH,
    HOW_TO_BUILD,
    INPUT_SHAPE,
    NUM_CLASSES,
    POOLINGS,
    required_accuracy,
)
from course.grading.artifacts import Verdict
from course.grading.verifiers.common import flat_layers, keras_module, load_safely


def _shape(getter) -> Optional[tuple]:
    """Reads ``model.input_shape``-like attributes that raise on models not yet built."""
    try:
        shape = getter()
    except (AttributeError, ValueError, RuntimeError):
        return None
    return tuple(shape) if isinstance(shape, (tuple, list)) else None


def _output_kind(model, outputs: np.ndarray) -> str:
    """``'probabilities'`` (softmax), ``'logits'`` (no activation), or ``'other'``."""
    if np.all(outputs >= -1e-6) and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3):
        return "probabilities"
    layers = flat_layers(model)
    last = layers[-1] if layers else None
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", "linear") if activation is not None else "linear"
    return "logits" if name == "linear" else "other"


def _loss_fits(model, outputs: np.ndarray, kind: str) -> bool:
    """Does the compiled loss compute cross-entropy of integer labels for these outputs?"""
    keras = keras_module()
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except ValueError:
            return False
    if not callable(loss):
        return False
    # A fixed, confident prediction (not the untrained model's near-uniform one,
    # for which a double softmax gives almost the same loss): 0.91 on one class.
    n = NUM_CLASSES
    labels = np.arange(n) % NUM_CLASSES
    probabilities = np.full((n, NUM_CLASSES), 0.01, dtype=np.float32)
    probabilities[np.arange(n), (3 * np.arange(n) + 1) % NUM_CLASSES] = 0.91
    fed = probabilities if kind == "probabilities" else np.log(probabilities)
    expected = float(np.mean(-np.log(probabilities[np.arange(n), labels])))
    try:
        value = float(np.mean(keras.ops.convert_to_numpy(loss(labels, fed))))
    except Exception:  # a loss that does not fit these labels may raise anything
        return False
    return bool(np.isfinite(value) and abs(value - expected) <= 1e-3 * max(1.0, expected))


def structure_problems(model, max_params: int) -> List[str]:
    """Lists what is wrong with a model's structure for this assignment.

    Rules: one input of shape (28, 28, 1); at least two convolution layers and
    at least one pooling layer; a 10-way output that is a softmax, or logits
    with a loss computed ``from_logits``; a compiled loss that fits integer
    labels 0–9 (sparse categorical cross-entropy); at most ``max_params``
    parameters.

    Args:
        model: A Keras model.
        max_params: Parameter budget of the hardware profile.

    Returns:
        One sentence per problem, for the student; empty when the model is fine.
    """
    keras = keras_module()
    if not isinstance(model, keras.Model):
        return [f"Expected a Keras model (keras.Sequential or keras.Model), got {type(model).__name__}."]
    problems = []
    input_shape = _shape(lambda: model.input_shape)
    if input_shape is None:
        problems.append(
            "The model has no defined input shape: start it with keras.Input(shape=(28, 28, 1))."
        )
    elif input_shape[1:] != INPUT_SHAPE or len(model.inputs) != 1:
        problems.append(f"The model must take one input of shape (28, 28, 1); its input shape is {input_shape}.")
    layers = flat_layers(model)
    names = [type(layer).__name__ for layer in layers]
    n_conv = sum(name in CONVOLUTIONS for name in names)
    n_pool = sum(name in POOLINGS for name in names)
    if n_conv < 2:
        problems.append(f"A CNN here needs at least two convolution layers (Conv2D); the model has {n_conv}.")
    if n_pool < 1:
        problems.append("The model needs pooling (e.g. MaxPooling2D) after its convolutions; it has none.")
    n_params = model.count_params() if input_shape is not None else 0
    if n_params > max_params:
        problems.append(
            f"The model has {n_params:,} parameters, over the budget of {max_params:,}: "
            "use fewer filters or a smaller Dense layer."
        )
    if problems:  # the output checks below need a model that takes (n, 28, 28, 1)
        return problems
    probe = np.random.default_rng(0).random((NUM_CLASSES,) + INPUT_SHAPE).astype(np.float32)
    try:
        outputs = keras.ops.convert_to_numpy(model(probe, training=False))
    except Exception as err:  # the student's model may fail in many ways
        return problems + [f"The model fails on a batch of (n, 28, 28, 1) images ({type(err).__name__}: {err})."]
    if outputs.ndim != 2 or outputs.shape[1] != NUM_CLASSES:
        return problems + [
            f"The model must output 10 numbers per image (one per digit); its output shape is {tuple(outputs.shape)}."
        ]
    if not np.all(np.isfinite(outputs)):
        return problems + ["The model outputs NaN or infinite values."]
    kind = _output_kind(model, outputs)
    if kind == "other":
        problems.append(
            "The last layer must be a 10-way softmax (Dense(10, activation='softmax')), "
            "or output raw logits (no activation) with a loss computed from_logits."
        )
    elif getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        problems.append("The model is not compiled: call model.compile(optimizer=..., loss=..., metrics=[...]).")
    elif not _loss_fits(model, outputs, kind):
        if kind == "probabilities":
            problems.append(
                "The loss does not fit this model: labels are integers 0–9 and the output is a softmax, "
                "so use sparse_categorical_crossentropy (without from_logits=True)."
            )
        else:
            problems.append(
                "The loss does not fit this model: labels are integers 0–9 and the output is raw logits, "
                "so use keras.losses.SparseCategoricalCrossentropy(from_logits=True)."
            )
    return problems


def _count(model, kinds) -> int:
    return sum(type(layer).__name__ in kinds for layer in flat_layers(model))


def check_model_structure(model, max_params: Optional[int] = None) -> None:
    """Raises ``AssertionError`` naming every structural problem of ``model``.

    Args:
        model: A Keras model.
        max_params: Parameter budget (default: the profile's ``mnist_max_params``).
    """
    if max_params is None:
        from course.profiles import get_profile

        max_params = get_profile().mnist_max_params
    problems = structure_problems(model, max_params)
    expect(not problems, " ".join(problems))


def load_handed_in(path: str):
    """Loads a handed-in model in Keras' safe mode, with no custom objects.

    Args:
        path: The ``.keras`` file.

    Returns:
        The model.

    Raises:
        AssertionError: It cannot be loaded; the message says why, for the student.
    """
    return load_safely(path, HOW_TO_BUILD)


def grader_preprocess(images) -> np.ndarray:
    """The grader's own preprocessing: uint8 ``(n, 28, 28)`` → float32 ``(n, 28, 28, 1)`` in [0, 1].

    Args:
        images: MNIST images as loaded.

    Returns:
        The scaled images with a channel axis.
    """
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def grader_accuracy(model, images: np.ndarray, labels: np.ndarray, batch_size: int = EVAL_BATCH) -> float:
    """Accuracy computed by the grader: argmax of ``model(x, training=False)``, batch by batch.

    Args:
        model: A Keras model that maps ``(n, 28, 28, 1)`` to ``(n, 10)``.
        images: Preprocessed images.
        labels: Integer labels.
        batch_size: Images per forward pass.

    Returns:
        The share of images whose largest output is the true label.

    Raises:
        AssertionError: The model's output has the wrong shape.
    """
    keras = keras_module()
    correct = 0
    for start in range(0, len(images), batch_size):
        outputs = keras.ops.convert_to_numpy(model(images[start:start + batch_size], training=False))
        expect(
            outputs.shape == (len(images[start:start + batch_size]), NUM_CLASSES),
            f"The model must output 10 numbers per image; it output shape {tuple(outputs.shape)}.",
        )
        correct += int(np.sum(np.argmax(outputs, axis=1) == labels[start:start + batch_size]))
    return correct / len(images)


def _load_and_inspect(artifact_path: str):
    """Loads a handed-in model in safe mode and lists its structure problems under the grader's profile.

    Returns:
        ``(profile, model, metrics, problems)``: metrics hold the parameter
        count and the profile's name; problems is empty for a good structure.
    """
    from course.profiles import get_profile

    profile = get_profile()
    model = load_handed_in(artifact_path)
    problems = structure_problems(model, profile.mnist_max_params)
    return profile, model, {"params": int(model.count_params()), "profile": profile.name}, problems


def verify_cnn_structure(artifact_path: str) -> Verdict:
    """Verifier of ``test_cnn_structure``: the structure of the model ``build_cnn()`` returned.

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict.
    """
    profile, model, metrics, problems = _load_and_inspect(artifact_path)
    if problems:
        return Verdict(False, " ".join(problems), metrics)
    return Verdict(
        True,
        f"the model has the required structure ({_count(model, CONVOLUTIONS)} convolution layers, "
        f"{_count(model, POOLINGS)} pooling layers, {metrics['params']:,} parameters).",
        metrics,
    )


def verify_cnn_accuracy(artifact_path: str) -> Verdict:
    """Verifier of ``test_cnn_accuracy``: the trained model's accuracy, measured by the grader.

    The model is loaded in safe mode, its structure is checked again, and its
    accuracy is computed on the test set that the grader's own settings load
    (``course.data.load_mnist``), preprocessed here, and compared with what
    the grader's profile requires for that data (``required_accuracy``).

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with the accuracy in its metrics.
    """
    from course.data import load_mnist

    started = time.monotonic()
    profile, model, metrics, problems = _load_and_inspect(artifact_path)
    if problems:
        return Verdict(False, " ".join(problems), metrics)
    splits = load_mnist(verbose=False)
    x_test, y_test = splits[1]
    accuracy = grader_accuracy(model, grader_preprocess(x_test), np.asarray(y_test, dtype=np.int64))
    threshold = required_accuracy(profile, len(splits[0][0]))
    metrics.update(
        accuracy=round(accuracy, 4),
        threshold=threshold,
        test_digits=len(y_test),
        data_source=splits.source,
        seconds=round(time.monotonic() - started, 1),
    )
    measured = f"test accuracy {accuracy:.4f} on {len(y_test):,} test digits, measured by the grader"
    if accuracy < threshold:
        return Verdict(
            False,
            f"Your trained model reaches a {measured} on the model you handed in; the {profile.name} "
            f"profile requires at least {threshold:.3f}. Train it as the notebook says, on images "
            "scaled to [0, 1] with shape (28, 28, 1).",
            metrics,
        )
    return Verdict(True, f"{measured} (required: {threshold:.3f}, {profile.name} profile).", metrics)
