"""Shared fixtures: the repository, the offline data copies, a scratch course directory."""

import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("COURSE_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
SHARED_MNIST = os.path.join(SHARED_DATA, "mnist", "mnist.npz")
SHARED_IMDB = os.path.join(SHARED_DATA, "imdb", "aclImdb_sup.tar.gz")


@pytest.fixture(scope="session", autouse=True)
def offline_data_copies():
    """Points the course (and the kernels nbgrader starts) at the full offline copies, when present.

    This is what CI and an air-gapped grading server do; where the copies are
    absent the course falls back to its embedded sample.
    """
    saved = {k: os.environ.get(k) for k in ("COURSE_MNIST_PATH", "COURSE_IMDB_PATH")}
    if os.path.exists(SHARED_MNIST):
        os.environ.setdefault("COURSE_MNIST_PATH", SHARED_MNIST)
    if os.path.exists(SHARED_IMDB):
        os.environ.setdefault("COURSE_IMDB_PATH", SHARED_IMDB)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def shared_mnist():
    """Path of the full offline MNIST copy; skips where it is not present."""
    if not os.path.exists(SHARED_MNIST):
        pytest.skip(f"offline MNIST copy not found at {SHARED_MNIST} (set COURSE_SHARED_DATA)")
    return SHARED_MNIST


@pytest.fixture
def shared_imdb():
    """Path of the full offline IMDB archive; skips where it is not present."""
    if not os.path.exists(SHARED_IMDB):
        pytest.skip(f"offline IMDB copy not found at {SHARED_IMDB} (set COURSE_SHARED_DATA)")
    return SHARED_IMDB


@pytest.fixture
def course_env(monkeypatch):
    """Clears every COURSE_* variable, so a test sets exactly what it needs."""
    for name in list(os.environ):
        if name.startswith("COURSE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def copy_course(target: str) -> str:
    """Copies what nbgrader needs of the course (source/, config) into ``target``."""
    shutil.copytree(os.path.join(ROOT, "source"), os.path.join(target, "source"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), target)
    return target


def pytest_collection_modifyitems(config, items):
    """Skips tests marked ``gpu`` cleanly where no GPU is visible."""
    from course.profiles import gpu_visible

    if gpu_visible():
        return
    skip = pytest.mark.skip(reason="needs a visible GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def scratch_course(target, assignments, extra_config: str = "") -> str:
    """A scratch course directory with ``assignments`` released into its gradebook.

    Args:
        target: An empty folder.
        assignments: Assignment ids to release.
        extra_config: Lines appended to the copy's ``nbgrader_config.py``.

    Returns:
        The course directory.
    """
    from course.grading import pipeline

    root = copy_course(str(target))
    if extra_config:
        with open(os.path.join(root, "nbgrader_config.py"), "a") as fh:
            fh.write("\n" + extra_config + "\n")
    pipeline.generate_release(pipeline.make_api(root), list(assignments))
    return root


def tools_env() -> dict:
    """The environment with this interpreter's scripts (nbgrader, alembic, dask) first on PATH."""
    import sys

    bindir = os.path.dirname(sys.executable)
    return dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
