"""Small plotting helpers shared by the notebooks."""

from typing import Optional, Sequence

import numpy as np


def show_digits(images, labels, predictions: Optional[Sequence[int]] = None, n: int = 16, title: str = ""):
    """Shows a grid of digit images with their labels (and predictions, if given).

    Args:
        images: Array of shape ``(N, 28, 28)`` or ``(N, 28, 28, 1)``.
        labels: True labels.
        predictions: Predicted labels; wrong ones are titled in red.
        n: How many images to show (the first ``n``).
        title: Title of the figure.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    n = min(n, len(images))
    cols = min(8, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.6 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(np.asarray(images[i]).reshape(28, 28), cmap="gray_r")
        text = str(int(labels[i]))
        color = "black"
        if predictions is not None:
            text = f"{int(labels[i])}→{int(predictions[i])}"
            color = "red" if int(predictions[i]) != int(labels[i]) else "black"
        ax.set_title(text, fontsize=9, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history, metrics=("loss", "accuracy")):
    """Plots Keras training curves (training and, if present, validation).

    Args:
        history: ``keras.callbacks.History`` or its ``history`` dict.
        metrics: Which metrics to plot, one panel each.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for key in (metric, f"val_{metric}"):
            if key in logs:
                ax.plot(range(1, len(logs[key]) + 1), logs[key], marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(labels, predictions, class_names: Sequence[str]):
    """Plots a confusion matrix with counts in each cell.

    Args:
        labels: True class indices.
        predictions: Predicted class indices.
        class_names: Name of each class.

    Returns:
        ``(figure, matrix)``; ``matrix[i, j]`` counts true class ``i`` predicted as ``j``.
    """
    import matplotlib.pyplot as plt

    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, int), np.asarray(predictions, int)), 1)
    fig, ax = plt.subplots(figsize=(0.6 * k + 2, 0.6 * k + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(k), class_names)
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8, color=color)
    fig.tight_layout()
    return fig, matrix
