"""Tests for course/grading/students.py: synthetic students built from any assignment."""

import os

import nbformat
import pytest

from conftest import ROOT
from course.grading.students import RECIPES, fill_solutions, solved_source

SOURCE = os.path.join(ROOT, "source", "00_setup", "check_environment.ipynb")
RELEASE = os.path.join(ROOT, "release", "00_setup", "check_environment.ipynb")


@pytest.fixture(scope="module")
def notebooks():
    return nbformat.read(RELEASE, as_version=4), nbformat.read(SOURCE, as_version=4)


def solution_sources(nb):
    return [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def test_perfect_student_has_every_solution_without_markers(notebooks):
    """Does the perfect student contain each source solution, markers removed?"""
    release, source = notebooks
    filled = solution_sources(fill_solutions(release, source))
    expected = [solved_source(c) for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert filled == expected
    assert all("BEGIN SOLUTION" not in s and "NotImplementedError" not in s for s in filled)


def test_partial_student_fills_some_but_not_all(notebooks):
    """Does the partial student fill at least one solution cell and leave at least one untouched?"""
    release, source = notebooks
    filled = solution_sources(fill_solutions(release, source, fraction=0.5))
    untouched = solution_sources(release)
    same = sum(a == b for a, b in zip(filled, untouched))
    assert 0 < same < len(untouched)


def test_release_is_not_modified(notebooks):
    """Do the builders leave the release notebook they start from unchanged?"""
    release, source = notebooks
    before = nbformat.writes(release)
    for build, _ in RECIPES.values():
        build(release, source)
    assert nbformat.writes(release) == before


def test_broken_students_break_what_they_claim(notebooks):
    """Do the robustness students carry a duplicated cell, a deleted test and a kernel kill?"""
    release, source = notebooks

    def ids(nb):
        return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]

    perfect = RECIPES["perfect"][0](release, source)
    duplicate = RECIPES["duplicate-cell"][0](release, source)
    deleted = RECIPES["deleted-test"][0](release, source)
    killed = RECIPES["kernel-death"][0](release, source)
    assert len(ids(duplicate)) == len(ids(perfect)) + 1 and len(set(ids(duplicate))) == len(set(ids(perfect)))
    assert len(ids(deleted)) == len(ids(perfect)) - 1
    assert any("SIGKILL" in c.source for c in killed.cells)
    assert RECIPES["bad-timestamp"][1] != RECIPES["perfect"][1]
