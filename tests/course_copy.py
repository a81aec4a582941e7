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
