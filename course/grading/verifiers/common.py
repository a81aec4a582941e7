"""What the verifiers share: Keras imported the course's way, a handed-in model loaded in safe mode, its layers flattened."""

import importlib

# The flattening the notebooks' own helpers use (kernel side, so it cannot import this package).
from course.compression import _layers as flat_layers

__all__ = ["keras_module", "load_safely", "flat_layers"]


def keras_module(hub: bool = False):
    """Keras, after ``course.runtime.import_tensorflow``; with ``hub``, keras-hub imported too (registers its layers for safe-mode loading)."""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    if hub:
        importlib.import_module("keras_hub")
    return keras


def load_safely(path: str, advice: str, hub: bool = False, compile: bool = True):
    """Loads a handed-in ``.keras`` file in Keras' safe mode (no custom classes, no Lambda code).

    Args:
        path: The ``.keras`` file.
        advice: What the student should build instead, appended to the message.
        hub: Register keras-hub's layers first.
        compile: Restore the compiled loss and optimizer.

    Returns:
        The model.

    Raises:
        AssertionError: It cannot be loaded; the message says why, for the student.
    """
    keras = keras_module(hub)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile)
    except Exception as err:  # Keras raises many kinds of errors for files it cannot load
        reason = (str(err).splitlines() or [""])[0][:200]
        raise AssertionError(f"The grader could not load the model you handed in ({type(err).__name__}: {reason}). {advice}") from None
