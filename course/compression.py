"""Measuring compressed models: size, sparsity, latency, and the accuracy/cost trade-off.

Kernel-side helpers of assignment 04 (inference cost). They measure; they
know no answer. Where Keras 3 has a tool (``Model.quantize``,
``keras.distillation``, keras-hub's ``enable_lora``), the notebook uses it;
magnitude pruning has none in Keras 3, so the one piece it needs beyond the
student's own ``magnitude_prune`` from assignment 01 lives here: a callback
that keeps pruned weights at zero while the model is fine-tuned.

The grader never trusts these numbers: its verifiers
(``course.grading.verifiers.compression``) load the handed-in models in
their own process and measure again.
"""

import gzip
import os
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

#: Layer classes whose ``kernel`` magnitude pruning zeroes (biases are left dense).
PRUNABLE = ("Conv2D", "Dense")


def _keras():
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _layers(model) -> list:
    """The model's layers, nested models opened up, in order."""
    keras = _keras()
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layers.extend(_layers(layer))
        else:
            layers.append(layer)
    return layers


def prunable_kernels(model) -> list:
    """The kernels that magnitude pruning acts on: those of ``Conv2D`` and ``Dense`` layers.

    Args:
        model: A built Keras model.

    Returns:
        The kernel variables (``keras.Variable``), in layer order.
    """
    return [layer.kernel for layer in _layers(model) if type(layer).__name__ in PRUNABLE]


def sparsity(model) -> float:
    """The share of exact zeros among the prunable kernels' entries.

    Args:
        model: A built Keras model.

    Returns:
        A number in ``[0, 1]``; 0.0 when the model has no prunable kernel.
    """
    keras = _keras()
    zeros = total = 0
    for kernel in prunable_kernels(model):
        values = keras.ops.convert_to_numpy(kernel)
        zeros += int(np.count_nonzero(values == 0))
        total += values.size
    return zeros / total if total else 0.0


class KeepPruned:
    """Keeps pruned weights at zero during fine-tuning (re-applies the masks after every batch).

    Keras 3 has no pruning API (the TensorFlow Model Optimization Toolkit
    supports Keras 2 only). Without this, an optimizer step gives every
    pruned weight a small non-zero value again and the sparsity is lost.

    Use ``callbacks=[KeepPruned(masks).callback()]`` in ``model.fit``.

    Args:
        masks: ``{variable path: boolean array}``, ``True`` where the weight
            is kept; each array has the variable's shape.
        model: The model whose variables the paths name.
    """

    def __init__(self, model, masks: Dict[str, np.ndarray]):
        variables = {v.path: v for v in model.weights}
        missing = [path for path in masks if path not in variables]
        if missing:
            raise ValueError(f"no weight of the model has the path {missing[0]!r}")
        self.pairs = []
        for path, mask in masks.items():
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != tuple(variables[path].shape):
                raise ValueError(f"the mask of {path!r} has shape {mask.shape}, the weight {tuple(variables[path].shape)}")
            self.pairs.append((variables[path], mask))

    def apply(self) -> None:
        """Sets every masked-out weight to zero."""
        keras = _keras()
        for variable, mask in self.pairs:
            variable.assign(keras.ops.where(mask, variable, keras.ops.zeros_like(variable)))

    def callback(self):
        """A Keras callback that calls ``apply()`` after every training batch."""
        keras = _keras()
        owner = self

        class _KeepPruned(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                owner.apply()

        return _KeepPruned()


# -------------------------------------------------------------------- size


def saved_size(model, directory: Optional[str] = None) -> int:
    """Bytes of the model saved as a ``.keras`` file (configuration, weights, and optimizer state if any).

    Args:
        model: A Keras model.
        directory: Where to write the temporary file (default: a temporary folder).

    Returns:
        The file size in bytes.
    """
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        return os.path.getsize(path)


def weight_bytes(model) -> int:
    """Bytes of the model's weights as stored: each variable's size times its dtype's item size.

    It counts what inference needs (an optimizer's state is not part of it).
    An int8-quantized kernel counts 1 byte per entry, its float32 scales 4.

    Args:
        model: A built Keras model.

    Returns:
        Bytes.
    """
    keras = _keras()
    total = 0
    for variable in model.weights:
        total += int(np.prod(variable.shape, dtype=np.int64)) * np.dtype(keras.backend.standardize_dtype(variable.dtype)).itemsize
    return int(total)


def gzip_size(model) -> int:
    """Bytes of the model's weights after gzip: the zeros of a pruned model compress.

    Only what inference needs is compressed: the raw bytes of every weight
    variable, in order. An optimizer's state (Adam's two moments, each as
    large as the weights, which ``save_weights`` writes for a compiled and
    trained model) is not part of it.

    Args:
        model: A built Keras model.

    Returns:
        Bytes of the gzip-compressed weights.
    """
    keras = _keras()
    raw = b"".join(np.ascontiguousarray(keras.ops.convert_to_numpy(v)).tobytes() for v in model.weights)
    return len(gzip.compress(raw, compresslevel=6, mtime=0))


def sparse_bytes(model, value_bytes: int = 4, index_bytes: int = 4) -> int:
    """Bytes of the prunable kernels in a coordinate (COO-style) sparse format, the rest dense.

    Each non-zero kernel entry costs its value plus one flat index; all
    other weights (biases, kernels of other layers) stay dense.

    Args:
        model: A built Keras model.
        value_bytes: Bytes per stored value (4 for float32).
        index_bytes: Bytes per stored index (4 for int32).

    Returns:
        Bytes.
    """
    keras = _keras()
    kernels = {id(k) for k in prunable_kernels(model)}
    total = 0
    for variable in model.weights:
        values = keras.ops.convert_to_numpy(variable)
        if id(variable) in kernels:
            total += int(np.count_nonzero(values)) * (value_bytes + index_bytes)
        else:
            total += values.nbytes
    return int(total)


# ----------------------------------------------------------------- latency


def latency_ms(model, batch, repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time of one forward pass on ``batch`` (``predict_on_batch``, compiled), in milliseconds.

    Args:
        model: A Keras model.
        batch: One input batch.
        repeats: Timed passes.
        warmup: Untimed passes first (tracing, caches).

    Returns:
        The median time per batch in ms.
    """
    for _ in range(warmup):
        model.predict_on_batch(batch)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.predict_on_batch(batch)
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000.0)


def accuracy(model, images, labels, batch_size: int = 1000) -> float:
    """Share of examples whose largest output is the label (``predict_on_batch`` and argmax).

    Args:
        model: A classifier.
        images: Inputs.
        labels: Integer labels.
        batch_size: Examples per forward pass.

    Returns:
        The accuracy.
    """
    labels = np.asarray(labels)
    correct = 0
    for start in range(0, len(labels), batch_size):
        outputs = np.asarray(model.predict_on_batch(images[start:start + batch_size]))
        correct += int(np.sum(np.argmax(outputs, axis=-1) == labels[start:start + batch_size]))
    return correct / len(labels)


# ------------------------------------------------------------- trade-offs


def pareto_front(costs: Sequence[float], accuracies: Sequence[float]) -> List[int]:
    """Indices of the variants no other variant beats: none is at least as cheap and as accurate, and better in one.

    Args:
        costs: Cost of each variant (lower is better).
        accuracies: Accuracy of each variant (higher is better).

    Returns:
        The indices on the Pareto front, cheapest first.
    """
    costs = [float(c) for c in costs]
    accuracies = [float(a) for a in accuracies]
    if len(costs) != len(accuracies):
        raise ValueError("costs and accuracies must have the same length")
    front = []
    for i, (c, a) in enumerate(zip(costs, accuracies)):
        dominated = any(
            (c2 <= c and a2 >= a) and (c2 < c or a2 > a) for j, (c2, a2) in enumerate(zip(costs, accuracies)) if j != i
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (costs[i], -accuracies[i]))


def plot_tradeoff(names: Sequence[str], costs: Sequence[float], accuracies: Sequence[float], title: str = ""):
    """Accuracy against cost per million predictions (log scale), the Pareto front joined and marked.

    Args:
        names: Variant names.
        costs: Cost per million predictions of each.
        accuracies: Accuracy of each.
        title: Figure title.

    Returns:
        ``(figure, front)``: the matplotlib figure and ``pareto_front(costs, accuracies)``.
    """
    import matplotlib.pyplot as plt

    front = pareto_front(costs, accuracies)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, name in enumerate(names):
        on_front = i in front
        ax.scatter(costs[i], accuracies[i], s=60 if on_front else 30, color="C3" if on_front else "C0", zorder=3)
        ax.annotate(name, (costs[i], accuracies[i]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.plot([costs[i] for i in front], [accuracies[i] for i in front], "--", color="C3", label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("cost per million predictions (USD, log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title or "accuracy vs cost per million predictions")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, front
