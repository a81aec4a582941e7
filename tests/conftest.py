"""Shared fixtures: the repository, the offline data copies, a scratch course directory."""

import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("COURSE_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
SHARED_MNIST = os.path.join(SHARED_DATA, "mnist", "mnist.npz")
SHARED_IMDB = os.path.join(SHARED_DATA, "imdb", "aclImdb_sup.tar.gz")


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
