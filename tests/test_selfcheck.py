"""Tests for course/selfcheck.py: the Colab self-check runs visible tests only and reports per question."""

import os

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course import selfcheck

RELEASE_NB = os.path.join(ROOT, "release", "00_setup", "check_environment.ipynb")
SOURCE_NB = os.path.join(ROOT, "source", "00_setup", "check_environment.ipynb")


def _cell(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = dict(schema_version=3, locked=True, **nbgrader)
    return cell


def _toy_notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("def double(x):\n    return 2 * x", grade=False, solution=True, grade_id="double"),
        _cell(
            '"""Does double return a number?"""\nprint("visible output")\nassert double(2) == 4, "double(2) should be 4"\n'
            "### BEGIN HIDDEN TESTS\nraise RuntimeError('hidden secret 42')\n### END HIDDEN TESTS\n",
            grade=True, solution=False, grade_id="test_double", points=2,
        ),
        _cell('"""Does triple exist?"""\nassert triple(1) == 3', grade=True, solution=False, grade_id="test_triple", points=1),
        _cell('"""Is double odd?"""\nassert double(1) == 3, "double(1) should be odd"', grade=True, solution=False, grade_id="test_odd", points=1),
        _cell("x = 1"),
    ]
    nbformat.write(nb, str(path))
    return str(path)


def test_reports_pass_and_fail_per_question_without_hidden_tests(tmp_path, capsys):
    """Does the self-check report each visible test, give the failure message, and never run or print a hidden test?"""
    path = _toy_notebook(tmp_path / "toy.ipynb")
    results = selfcheck.run_visible_tests(path, namespace={"double": lambda x: 2 * x})
    assert [(r.grade_id, r.passed, r.points) for r in results] == [
        ("test_double", True, 2.0),
        ("test_triple", False, 1.0),
        ("test_odd", False, 1.0),
    ]
    assert "run every cell above first" in results[1].message
    assert results[2].message == "AssertionError: double(1) should be odd"
    out = capsys.readouterr().out
    assert "PASS  test_double (2 pts)" in out and "FAIL  test_odd (1 pt): AssertionError" in out
    assert "1 of 3 visible tests pass." in out
    assert "hidden secret" not in out and "visible output" not in out


def test_release_notebook_passes_with_the_solutions_and_fails_untouched(tmp_path):
    """On the real 00_setup release notebook, do the visible tests pass for correct answers and fail for the stubs?"""
    from course.grading.students import solved_source

    rng = np.random.default_rng(0)
    data = {
        "np": np,
        "y_train": rng.integers(0, 10, size=200),
        "x_train": rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 2, size=50),
    }
    source = nbformat.read(SOURCE_NB, as_version=4)
    solved = dict(data)
    for cell in source.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(solved_source(cell), solved)  # noqa: S102 (the course's own reference solution)
    results = selfcheck.run_visible_tests(RELEASE_NB, namespace=solved, show=False)
    assert results and all(r.passed for r in results), results

    release = nbformat.read(RELEASE_NB, as_version=4)
    stubs = dict(data)
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, stubs)  # noqa: S102 (the release stubs: raise NotImplementedError)
    results = selfcheck.run_visible_tests(RELEASE_NB, namespace=stubs, show=False)
    assert results and not any(r.passed for r in results)
    assert all(r.message.startswith("NotImplementedError") for r in results)


def test_hidden_tests_are_dropped_from_a_source_notebook():
    """Given an instructor's notebook by mistake, does the self-check still leave its hidden tests out?"""
    tests = selfcheck.visible_tests(nbformat.read(SOURCE_NB, as_version=4))
    assert tests
    for test in tests:
        assert "HIDDEN TESTS" not in test["source"] and "course.checks" not in test["source"]


def test_finds_the_notebook_of_the_running_kernel(tmp_path, monkeypatch):
    """Does it find the notebook Jupyter names in JPY_SESSION_NAME, else the only notebook in the folder?"""
    path = _toy_notebook(tmp_path / "a.ipynb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert selfcheck.find_notebook({}) == "a.ipynb"
    _toy_notebook(tmp_path / "b.ipynb")
    with pytest.raises(FileNotFoundError):
        selfcheck.find_notebook({})
    monkeypatch.setenv("JPY_SESSION_NAME", path)
    assert selfcheck.find_notebook({}) == path
    assert selfcheck.find_notebook({"__session__": str(tmp_path / "b.ipynb")}) == str(tmp_path / "b.ipynb")
