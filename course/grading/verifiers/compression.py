"""Verifiers of assignment 04 (inference cost): the int8, pruned and distilled CNNs.

Each runs in a fresh, sandboxed process (``course.grading.artifacts``) on a
model a hidden test handed in. It loads the ``.keras`` file in Keras' safe
mode, reads what the file stores itself (the dtypes and bytes of the weights,
the share of exact zeros, the parameter count) and measures the test
accuracy on the MNIST test set it loads through the grader's own settings,
with its own preprocessing and arithmetic. Nothing the student's kernel
printed, reported or patched is read. Thresholds come from the grader's
hardware profile (``course.profiles``: ``compress_*``).
"""

import io
import time
import zipfile
from typing import List, Tuple

import numpy as np

from course.grading.verifiers.mnist import grader_accuracy, grader_preprocess, load_handed_in
from course.grading.artifacts import Verdict
from course.grading.verifiers.common import flat_layers, keras_module

#: Convolution layer classes (Keras 3.15 does not quantize them).
CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
#: Layer classes ``Model.quantize`` quantizes and that a dense CNN head uses.
DENSE = ("Dense", "EinsumDense")
#: Variables a quantized layer adds beside its kernel (not weights of the float model).
QUANTIZATION_AUXILIARIES = ("kernel_scale", "kernel_zero", "g_idx", "inputs_scale", "kernel_amax_history", "inputs_amax_history")
#: Slack on the claimed sparsity: per-kernel rounding of floor(sparsity * size).
SPARSITY_SLACK = 0.005


def _kinds(model, kinds) -> list:
    return [layer for layer in flat_layers(model) if type(layer).__name__ in kinds]


def stored_weights(artifact_path: str) -> List[Tuple[str, str, int]]:
    """What the ``.keras`` file stores as model weights: ``(path, dtype, bytes)`` per array, optimizer state left out.

    Args:
        artifact_path: A ``.keras`` file (a zip holding ``model.weights.h5``).

    Returns:
        One tuple per stored array under ``layers/`` (and the model's own variables).

    Raises:
        AssertionError: The file is not a ``.keras`` archive with weights.
    """
    import h5py

    try:
        with zipfile.ZipFile(artifact_path) as archive:
            data = archive.read("model.weights.h5")
    except (OSError, KeyError, zipfile.BadZipFile):
        raise AssertionError("The handed-in file is not a .keras model with weights.") from None
    found = []
    with h5py.File(io.BytesIO(data), "r") as store:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer"):
                found.append((name, str(obj.dtype), int(obj.size) * obj.dtype.itemsize))

        store.visititems(visit)
    return found


def float32_bytes(model) -> int:
    """Bytes the same model takes with every weight in float32 (quantization scales and zero points left out).

    For int8 the quantized kernel keeps the float kernel's shape; an int4
    kernel packs two values per byte along its last axis, so its float
    size is twice its stored entries.
    """
    total = 0
    for layer in flat_layers(model):
        mode = getattr(layer, "quantization_mode", None)
        for variable in layer.weights:
            name = variable.name
            if name in QUANTIZATION_AUXILIARIES:
                continue
            entries = int(np.prod(variable.shape, dtype=np.int64))
            if name == "kernel" and mode == "int4":
                entries *= 2
            total += 4 * entries
    return total


def _test_data():
    """The grader's MNIST test set, preprocessed by the grader, and the data source's name."""
    from course.data import load_mnist

    splits = load_mnist(verbose=False)
    x_test, y_test = splits[1]
    return grader_preprocess(x_test), np.asarray(y_test, dtype=np.int64), splits.source


def _cnn_problems(model) -> List[str]:
    """Form rules shared by the three questions: one (28, 28, 1) input, 10 outputs."""
    keras = keras_module()
    if not isinstance(model, keras.Model):
        return [f"Expected a Keras model, got {type(model).__name__}."]
    try:
        shape = tuple(model.input_shape)
    except (AttributeError, ValueError, RuntimeError):
        shape = None
    if shape is None or shape[1:] != (28, 28, 1):
        return [f"The model must take one input of shape (28, 28, 1); its input shape is {shape}."]
    probe = np.zeros((2, 28, 28, 1), dtype=np.float32)
    try:
        outputs = keras.ops.convert_to_numpy(model(probe, training=False))
    except Exception as err:  # a handed-in model may fail in many ways
        return [f"The model fails on a batch of (n, 28, 28, 1) images ({type(err).__name__})."]
    if outputs.shape != (2, 10):
        return [f"The model must output 10 numbers per image; its output shape is {tuple(outputs.shape)}."]
    return []


def _load_cnn(artifact_path: str):
    """What the int8 and pruning verifiers do first: the profile, the model loaded, its CNN structure checked.

    Returns:
        ``(profile, model, metrics, verdict)``; ``verdict`` is a failed one when the structure is wrong, else ``None``.
    """
    from course.profiles import get_profile

    profile = get_profile()
    model = load_handed_in(artifact_path)
    problems = _cnn_problems(model)
    metrics = {"profile": profile.name}
    return profile, model, metrics, (Verdict(False, " ".join(problems), metrics) if problems else None)


def _accuracy_verdict(model, metrics: dict, threshold: float, started: float, what: str, advice: str, passed: str) -> Verdict:
    """The verdict on the grader's own test accuracy of ``model`` against ``threshold``.

    Args:
        model: The loaded model (its other rules already checked).
        metrics: Measurements so far; accuracy, threshold and time are added.
        threshold: The accuracy required.
        started: ``time.monotonic()`` when the verification began.
        what: Names the model in a failure (``"The int8 model"``).
        advice: What to do when it fails.
        passed: What the model showed, for a pass (the accuracy is added).

    Returns:
        The verdict.
    """
    images, labels, source = _test_data()
    accuracy = grader_accuracy(model, images, labels)
    metrics.update(accuracy=round(accuracy, 4), test_digits=len(labels), data_source=source,
                   threshold=threshold, seconds=round(time.monotonic() - started, 1))
    if accuracy < threshold:
        return Verdict(
            False,
            f"{what} reaches a test accuracy of {accuracy:.4f}, measured by the grader; at least "
            f"{threshold:.3f} is required. {advice}",
            metrics,
        )
    return Verdict(True, f"{passed}; test accuracy {accuracy:.4f} measured by the grader (required: {threshold:.3f}).", metrics)


def verify_int8_model(artifact_path: str) -> Verdict:
    """Verifier of ``test_int8_model``: really int8, about a third of the float32 bytes, accurate.

    Rules: at least two convolution layers (the CNN, not another model);
    every Dense layer quantized in ``int8`` mode with its kernel stored as
    int8 in the file; the weights stored in the file at most
    ``compress_int8_max_weight_ratio`` of the same model's float32 bytes; a
    test accuracy of at least ``compress_int8_min_accuracy``.

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with the bytes, ratio and accuracy in its metrics.
    """
    started = time.monotonic()
    profile, model, metrics, failed = _load_cnn(artifact_path)
    if failed:
        return failed
    convolutions, dense = _kinds(model, CONVOLUTIONS), _kinds(model, DENSE)
    if len(convolutions) < 2:
        return Verdict(False, "Hand in the quantized reference CNN (two or more Conv2D layers), not another model.", metrics)
    not_int8 = [layer.name for layer in dense if getattr(layer, "quantization_mode", None) != "int8"]
    if not dense or not_int8:
        return Verdict(
            False,
            "The model handed in is not quantized to int8: its Dense layers "
            f"({', '.join(not_int8) or 'none found'}) are not in int8 mode. Call quantize('int8') on a copy of the model.",
            metrics,
        )
    stored = stored_weights(artifact_path)
    int8_kernels = [path for path, dtype, _ in stored if dtype == "int8"]
    if len(int8_kernels) < len(dense):
        return Verdict(False, "The file does not store the Dense kernels as int8.", metrics)
    file_bytes = sum(size for _, _, size in stored)
    reference = float32_bytes(model)
    ratio = file_bytes / reference if reference else float("inf")
    metrics.update(stored_weight_bytes=file_bytes, float32_bytes=reference, ratio=round(ratio, 4),
                   max_ratio=profile.compress_int8_max_weight_ratio)
    if ratio > profile.compress_int8_max_weight_ratio:
        return Verdict(
            False,
            f"The file stores {file_bytes:,} bytes of weights, {ratio:.2f} of the same model in float32 "
            f"(at most {profile.compress_int8_max_weight_ratio:.2f} is required).",
            metrics,
        )
    return _accuracy_verdict(
        model, metrics, profile.compress_int8_min_accuracy, started, "The int8 model",
        "Quantize the trained reference CNN.", f"int8 Dense kernels; {ratio:.3f} of the float32 bytes stored",
    )


def verify_pruned_model(artifact_path: str) -> Verdict:
    """Verifier of ``test_pruned_model``: the claimed sparsity really is in the weights, and the model is accurate.

    Rules: at least two convolution layers; a share of exact zeros among
    the Conv2D and Dense kernels of at least ``compress_pruned_sparsity``
    (less ``SPARSITY_SLACK``, for per-kernel rounding), counted in the
    loaded weights; a test accuracy of at least ``compress_pruned_min_accuracy``.

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with the sparsity and accuracy in its metrics.
    """
    from course.compression import sparsity
    started = time.monotonic()
    profile, model, metrics, failed = _load_cnn(artifact_path)
    if failed:
        return failed
    if len(_kinds(model, CONVOLUTIONS)) < 2:
        return Verdict(False, "Hand in the pruned reference CNN (two or more Conv2D layers), not another model.", metrics)
    share = sparsity(model)
    required = profile.compress_pruned_sparsity
    metrics.update(sparsity=round(share, 4), required_sparsity=required)
    if share < required - SPARSITY_SLACK:
        return Verdict(
            False,
            f"Only {share:.1%} of the Conv2D and Dense kernel weights of the model handed in are zero; "
            f"{required:.0%} is claimed. Keep the pruning masks applied while fine-tuning (KeepPruned).",
            metrics,
        )
    return _accuracy_verdict(
        model, metrics, profile.compress_pruned_min_accuracy, started, f"The pruned model ({share:.1%} zeros)",
        "Fine-tune it after pruning.", f"{share:.1%} of the kernel weights are zero",
    )


def verify_distilled_student(artifact_path: str) -> Verdict:
    """Verifier of ``test_distilled_student``: within the parameter budget and within a margin of the teacher.

    Rules: one (28, 28, 1) input, 10 outputs; at most
    ``compress_student_max_params`` parameters; a test accuracy of at least
    ``compress_student_min_accuracy`` (set from measured runs: the
    reference teacher's accuracy less the margin stated in the profile).

    Args:
        artifact_path: The handed-in ``.keras`` file.

    Returns:
        The verdict, with the parameter count and accuracy in its metrics.
    """
    from course.profiles import get_profile

    started = time.monotonic()
    profile = get_profile()
    model = load_handed_in(artifact_path)
    problems = _cnn_problems(model)
    params = int(model.count_params()) if not problems else 0
    metrics = {"profile": profile.name, "params": params, "max_params": profile.compress_student_max_params}
    if problems:
        return Verdict(False, " ".join(problems), metrics)
    if params > profile.compress_student_max_params:
        return Verdict(
            False,
            f"The student has {params:,} parameters, over the budget of {profile.compress_student_max_params:,} "
            "(a tenth of the teacher's).",
            metrics,
        )
    return _accuracy_verdict(
        model, metrics, profile.compress_student_min_accuracy, started, "The student",
        "Distil it from the trained teacher as the notebook says.",
        f"{params:,} parameters (budget {profile.compress_student_max_params:,})",
    )


__all__ = ["verify_int8_model", "verify_pruned_model", "verify_distilled_student", "stored_weights", "float32_bytes"]
