"""Tests for course/grading/students.py: synthetic students built from any assignment."""

import os
import shutil

import nbformat
import pytest

from conftest import ROOT
from course.grading.students import (
    NEW_FIRST_CELL,
    RECIPES,
    cell_with_grade_id,
    fill_solutions,
    first_code_index,
    solved_source,
    write_changed_submission,
)

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


@pytest.fixture
def course_root(tmp_path):
    for part in ("source", "release"):
        shutil.copytree(os.path.join(ROOT, part, "00_setup"), tmp_path / part / "00_setup")
    return str(tmp_path)


def test_changed_submission_changes_only_the_named_cells(course_root, notebooks):
    """Does write_changed_submission replace one cell, rewrite another from its old source, add a first code cell
    and run the edit, leaving every other cell as the recipe built it?"""
    def edit(nb):
        nb.cells.append(nbformat.v4.new_markdown_cell("edited", id="edited"))

    changes = {
        NEW_FIRST_CELL: "print('mine')",
        "positive_fraction": "def positive_fraction(labels):\n    return 0.5",
        "scale_images": lambda source: source + "\n# appended",
    }
    student = write_changed_submission(course_root, "00_setup", "changed", "perfect", changes, prefix="x-", edit=edit)
    assert student == "x-changed"
    folder = os.path.join(course_root, "submitted", student, "00_setup")
    assert open(os.path.join(folder, "timestamp.txt")).read() == RECIPES["perfect"][1]
    changed = nbformat.read(os.path.join(folder, "check_environment.ipynb"), as_version=4)
    perfect = fill_solutions(*notebooks)
    first = first_code_index(changed)
    assert (changed.cells[first].id, changed.cells[first].source) == ("cheat-changed", "print('mine')")
    assert cell_with_grade_id(changed, "positive_fraction").source == changes["positive_fraction"]
    assert cell_with_grade_id(changed, "scale_images").source == cell_with_grade_id(perfect, "scale_images").source + "\n# appended"
    assert changed.cells[-1].source == "edited"
    rest = [c for c in changed.cells if c.get("id") not in ("cheat-changed", "edited")
            and c.metadata.get("nbgrader", {}).get("grade_id") not in ("positive_fraction", "scale_images")]
    assert rest == [c for c in perfect.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("positive_fraction", "scale_images")]


def test_changed_submission_refuses_a_cell_the_notebook_lacks(course_root):
    """Is a change of a grade_id that no notebook has an error, not a silently honest submission?"""
    with pytest.raises(KeyError, match="no_such_cell"):
        write_changed_submission(course_root, "00_setup", "typo", "perfect", {"no_such_cell": "x = 1"})
