"""Checks of assignment 02 (a CNN on MNIST): preprocessing, model structure, accuracy.

Two kinds of functions live here:

* ``check_*`` run in the student's kernel, called by hidden tests. They give
  early, clear messages (``AssertionError``), but a student's code could
  patch them, so they never decide a graded model question alone.
* ``verify_*`` are registered in ``nbgrader_config.py`` and run in a fresh,
  isolated process on the model a hidden test handed in (see
  ``course.grading.artifacts``). They load it with Keras' safe mode, check its
  structure again, and measure its test accuracy with their own data
  loading, preprocessing and arithmetic (``model(x, training=False)`` and an
  argmax, not the model's ``evaluate``/``predict`` or compiled metrics). The
  threshold comes from the grader's hardware profile (``required_accuracy``).

Nothing here knows a reference answer: the structure rules are the ones the
notebook states, and the accuracy threshold lives in ``course.profiles``.
"""

import time
from typing import List, Optional

import numpy as np

from course.checks import call, expect
from course.grading.artifacts import Verdict

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
#: Keras layer classes that count as convolutions and as pooling.
CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
POOLINGS = ("MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D")
#: Images per forward pass when the grader measures accuracy.
EVAL_BATCH = 1000
#: Training digits of the official MNIST training set.
FULL_TRAINING_SET = 60_000

HOW_TO_BUILD = (
    "Build it from standard Keras layers with keras.Sequential or the functional API "
    "(custom classes, custom losses and Lambda layers cannot be graded)."
)


def _keras():
    """Imports Keras after TensorFlow, without TensorFlow's start-up notices."""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def grader_preprocess(images) -> np.ndarray:
    """The grader's own preprocessing: uint8 ``(n, 28, 28)`` → float32 ``(n, 28, 28, 1)`` in [0, 1].

    Args:
        images: MNIST images as loaded.

    Returns:
        The scaled images with a channel axis.
    """
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def required_accuracy(profile, training_digits: int) -> float:
    """The test accuracy the hidden test requires.

    Args:
        profile: The hardware profile in force (``course.profiles``).
        training_digits: How many training digits the data source offers
            (before the profile's ``mnist_train_limit``).

    Returns:
        ``profile.mnist_min_accuracy`` with the full 60,000-digit training
        set, else ``profile.mnist_subset_min_accuracy`` (the 5,000-digit
        offline copy or embedded sample).
    """
    if training_digits >= FULL_TRAINING_SET:
        return profile.mnist_min_accuracy
    return profile.mnist_subset_min_accuracy


# ------------------------------------------------------------ preprocessing


def check_preprocess(preprocess, what: str = "preprocess") -> None:
    """Checks ``preprocess(images)``: uint8 ``(n, 28, 28)`` → float32 ``(n, 28, 28, 1)`` in [0, 1].

    Args:
        preprocess: The student's function.
        what: Its name in the notebook, for the messages.
    """
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    before = images.copy()
    got = call(preprocess, images, what=what)
    expect(isinstance(got, np.ndarray), f"{what} must return a NumPy array.")
    expect(np.array_equal(images, before), f"{what} must not change its input array.")
    expect(
        got.shape == (6,) + INPUT_SHAPE,
        f"{what} must add a channel axis: (n, 28, 28) → (n, 28, 28, 1); got {got.shape} for 6 images.",
    )
    expect(got.dtype == np.float32, f"{what} must return float32 values, not {got.dtype}.")
    expect(
        np.allclose(got[..., 0], before / 255.0, atol=1e-6),
        f"{what} must map pixel values 0–255 linearly onto 0.0–1.0.",
    )
    one = call(preprocess, images[:1], what=what)
    expect(np.shape(one) == (1,) + INPUT_SHAPE, f"{what} must work for any number of images, one included.")


# ---------------------------------------------------------------- structure


def _flat_layers(model) -> list:
    """The model's layers, nested models opened up, in order."""
    keras = _keras()
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_flat_layers(layer))
        else:
            layers.append(layer)
    return layers


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
    layers = _flat_layers(model)
    last = layers[-1] if layers else None
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", "linear") if activation is not None else "linear"
    return "logits" if name == "linear" else "other"


def _loss_fits(model, outputs: np.ndarray, kind: str) -> bool:
    """Does the compiled loss compute cross-entropy of integer labels for these outputs?"""
    keras = _keras()
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
    keras = _keras()
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
    layers = _flat_layers(model)
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
    return sum(type(layer).__name__ in kinds for layer in _flat_layers(model))


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


def check_cnn_structure(build_cnn):
    """Checks a fresh model from the student's ``build_cnn()``.

    Args:
        build_cnn: The student's function; it takes no argument and returns a
            compiled Keras model.

    Returns:
        The model it built (for ``hand_in``).
    """
    keras = _keras()
    model = call(build_cnn, what="build_cnn()")
    expect(
        isinstance(model, keras.Model),
        f"build_cnn() must return a Keras model (keras.Sequential or keras.Model), not {type(model).__name__}.",
    )
    check_model_structure(model)
    return model


def check_cnn_trained(model) -> None:
    """Checks, before hand-in, that ``model`` is a trained CNN of the required structure.

    Args:
        model: The student's trained model.
    """
    keras = _keras()
    expect(
        isinstance(model, keras.Model),
        f"`model` must be the Keras model you trained, not {type(model).__name__}.",
    )
    check_model_structure(model)
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    steps = int(keras.ops.convert_to_numpy(iterations)) if iterations is not None else 0
    expect(steps > 0, "`model` has not been trained yet: call model.fit(...) on it first.")


# ----------------------------------------------------------- confusion matrix


def check_most_confused_pair(most_confused_pair) -> None:
    """Checks ``most_confused_pair(matrix)``: the (true, predicted) pair of the largest off-diagonal count.

    Args:
        most_confused_pair: The student's function.
    """
    rng = np.random.default_rng(5)
    cases = []
    for true, predicted in ((4, 9), (7, 2), (0, 6)):
        matrix = rng.integers(0, 6, size=(10, 10))
        np.fill_diagonal(matrix, rng.integers(80, 120, size=10))  # the diagonal is the largest
        matrix[true, predicted] = 40
        matrix[predicted, true] = 20  # the mirror pair is a decoy
        cases.append((matrix, (true, predicted)))
    for matrix, (true, predicted) in cases:
        before = matrix.copy()
        got = call(most_confused_pair, matrix, what="most_confused_pair")
        expect(
            isinstance(got, (tuple, list, np.ndarray)) and len(got) == 2,
            "most_confused_pair must return two digits: (true digit, predicted digit).",
        )
        got = tuple(int(v) for v in got)
        expect(np.array_equal(matrix, before), "most_confused_pair must not change the matrix it is given.")
        expect(got[0] != got[1], "most_confused_pair must skip the diagonal: those are the correct predictions.")
        expect(
            got != (predicted, true),
            "most_confused_pair returns the pair the wrong way round: rows are true digits, columns predictions.",
        )
        expect(got == (true, predicted), "most_confused_pair does not return the largest off-diagonal count.")


# ---------------------------------------------------------------- verifiers


def load_handed_in(path: str):
    """Loads a handed-in model in Keras' safe mode, with no custom objects.

    Args:
        path: The ``.keras`` file.

    Returns:
        The model.

    Raises:
        AssertionError: It cannot be loaded; the message says why, for the student.
    """
    keras = _keras()
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as err:  # Keras raises many kinds of errors for files it cannot load
        reason = (str(err).splitlines() or [""])[0][:200]
        raise AssertionError(
            f"The grader could not load the model you handed in ({type(err).__name__}: {reason}). {HOW_TO_BUILD}"
        ) from None


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
    keras = _keras()
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
