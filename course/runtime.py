"""Quiet start-up of TensorFlow and of the kernels nbgrader runs.

TensorFlow prints CUDA and oneDNN notices from C++ before its logging is set
up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them; on a CPU machine they
are noise that looks like an error to a student.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def stderr_to(path: str = os.devnull):
    """Sends this process's file descriptor 2 (and child processes') to ``path`` for a while.

    Args:
        path: Where the output goes (appended).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as target:
        os.dup2(target.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow():
    """Imports TensorFlow without its start-up notices and returns the module.

    Python warnings and errors are not affected: only the C++ notices printed
    during the import are dropped, and those of the first device listing
    (on a machine without a GPU, CUDA's ``failed call to cuInit``), which
    TensorFlow then caches, so later listings print nothing.

    Returns:
        The ``tensorflow`` module.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with stderr_to(os.devnull):
        import tensorflow

        tensorflow.config.list_physical_devices()
    return tensorflow
