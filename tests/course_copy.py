"""Paths and copies the tests and the benchmark scripts share; plain Python, no pytest.

``tests/conftest.py`` builds its fixtures on these; ``scripts/bench_*.py``
import them too, so the scripts run in the environment ``make demo`` builds
(which has no pytest).
"""

import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("COURSE_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
SHARED_MNIST = os.path.join(SHARED_DATA, "mnist", "mnist.npz")
SHARED_IMDB = os.path.join(SHARED_DATA, "imdb", "aclImdb_sup.tar.gz")


#: The execution cache the suite uses unless COURSE_EXECUTION_CACHE says otherwise: outside any
#: checkout, so that it outlives clean clones (``course.grading.execution_cache``).
DEFAULT_EXECUTION_CACHE = os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "llm-course", "executions"
)
#: Environment entries that make a grading run execute every notebook for real.
REAL_KERNELS = {"COURSE_EXECUTION_CACHE": "off"}


def use_shared_data() -> None:
    """Sets ``COURSE_MNIST_PATH`` / ``COURSE_IMDB_PATH`` to the full offline copies, where present and not set."""
    for name, path in (("COURSE_MNIST_PATH", SHARED_MNIST), ("COURSE_IMDB_PATH", SHARED_IMDB)):
        if os.path.exists(path):
            os.environ.setdefault(name, path)


def copy_course(target: str) -> str:
    """Copies what nbgrader needs of the course (source/, config) into ``target``."""
    shutil.copytree(os.path.join(ROOT, "source"), os.path.join(target, "source"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), target)
    return target
