"""Tests that release/ is generated from source/, and reveals nothing it should not."""

import glob
import os

import nbformat

from course.tools.authoring import build_all
from course.tools.cli import release_differences
from course.grading.nbgrader_api import list_assignments
from course.grading.instructor_lines import secret_lines
from conftest import ROOT


def test_source_notebooks_are_built_from_their_text_copies():
    """Is every source notebook exactly what its jupytext .py copy builds to?"""
    assert build_all(os.path.join(ROOT, "source"), check=True) == []


def test_release_is_what_nbgrader_generates():
    """Does regenerating release/ from source/ in a temporary copy give the committed release/?"""
    assert release_differences(ROOT) == []


def test_every_assignment_is_released():
    """Does each source assignment have its release copy, notebook for notebook?"""
    for assignment in list_assignments(ROOT):
        src = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "source", assignment, "*.ipynb")))
        rel = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "release", assignment, "*.ipynb")))
        assert src == rel, assignment


def test_release_has_no_solution_hidden_test_or_mark_scheme_line():
    """Does any line of a solution, hidden test or mark scheme appear anywhere in release/?"""
    secrets = set()
    for path in glob.glob(os.path.join(ROOT, "source", "*", "*.ipynb")):
        secrets |= secret_lines(path)
    assert secrets, "the source notebooks should contain solutions"
    released = []
    for path in glob.glob(os.path.join(ROOT, "release", "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as fh:
                released.append(fh.read())
    text = "\n".join(released)
    leaked = sorted(line for line in secrets if line in text)
    assert leaked == []
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME"):
        assert marker not in text


def test_release_notebooks_are_clean():
    """Are release notebooks free of outputs and the jupytext copies free of release/?"""
    assert glob.glob(os.path.join(ROOT, "release", "*", "*.py")) == []
    for path in glob.glob(os.path.join(ROOT, "release", "*", "*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def test_grade_ids_are_named_and_test_cells_have_a_docstring():
    """Does every test cell have a task-named grade_id and open with a one-line docstring?"""
    for path in glob.glob(os.path.join(ROOT, "source", "*", "*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
                assert meta["grade_id"].startswith("test_"), (path, meta["grade_id"])
                first = cell.source.lstrip().splitlines()[0]
                assert first.startswith('"""') and first.endswith('"""') and len(first) > 6, (path, meta["grade_id"])
