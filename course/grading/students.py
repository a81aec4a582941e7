"""Synthetic students for the demo and the tests, built from any assignment's notebooks.

Every student is derived from the source notebook (with solutions) and its
release copy, so an assignment added later gets them with no extra work:

* ``perfect``: the release notebook with every solution filled in from the source;
* ``untouched``: the release notebook as students receive it;
* ``partial``: only the first half of the solution cells filled in;

and, for the robustness demo, variants of the perfect student that break
nbgrader 0.9.6 with its defaults:

* ``duplicate-cell``: a test cell pasted twice (same ``grade_id``);
* ``deleted-test``: the first test cell deleted;
* ``bad-timestamp``: a ``timestamp.txt`` that is not a date;
* ``kernel-death``: the kernel is killed before the last test cell runs.
"""

import copy
import os
from typing import Callable, Dict, List, Mapping, Optional, Union

import nbformat
from nbgrader.utils import is_grade, is_solution

from course import regions

KILL_KERNEL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)  # simulates an out-of-memory kill"
DEFAULT_TIMESTAMP = "2026-01-15 09:00:00.000000 UTC"

BASIC_STUDENTS = ("perfect", "untouched", "partial")
#: The assignment whose grading also gets the broken submissions (a cheap one).
ROBUSTNESS_ASSIGNMENT = "00_setup"
ROBUSTNESS_STUDENTS = ("duplicate-cell", "deleted-test", "bad-timestamp", "kernel-death")


def _is_test(cell) -> bool:
    """An autograder test cell: graded, not a solution, code."""
    return is_grade(cell) and not is_solution(cell) and cell.cell_type == "code"


def solved_source(source_cell) -> str:
    """The student's answer a perfect student writes: the solution without its markers or mark scheme."""
    markers = regions.delimiters([regions.SOLUTION])
    text, _ = regions.replace(source_cell, regions.MARK_SCHEME, "")
    return "\n".join(line for line in text.splitlines() if not any(m in line for m in markers))


def fill_solutions(release_nb, source_nb, fraction: float = 1.0):
    """Fills the release notebook's solution cells from the source notebook.

    Args:
        release_nb: The student version.
        source_nb: The instructor version, with solutions.
        fraction: Share of solution cells to fill, in notebook order.

    Returns:
        A new notebook.
    """
    nb = copy.deepcopy(release_nb)
    solutions = {regions.grade_id(c): c for c in source_nb.cells if is_solution(c)}
    targets = [c for c in nb.cells if is_solution(c)]
    n_fill = len(targets)
    if fraction < 1:  # at least one cell filled and one left, when there are two
        n_fill = max(1, min(len(targets) - 1, int(len(targets) * fraction)))
    for cell in targets[:n_fill]:
        source_cell = solutions.get(regions.grade_id(cell))
        if source_cell is not None:
            cell.source = solved_source(source_cell)
    return nb


def _duplicate_first_test(nb):
    index = next(i for i, c in enumerate(nb.cells) if _is_test(c))
    twin = copy.deepcopy(nb.cells[index])
    twin["id"] = twin.get("id", "cell") + "-copy"
    nb.cells.insert(index + 1, twin)
    return nb


def _delete_first_test(nb):
    index = next(i for i, c in enumerate(nb.cells) if _is_test(c))
    del nb.cells[index]
    return nb


def _kill_before_last_test(nb):
    index = max(i for i, c in enumerate(nb.cells) if _is_test(c))
    nb.cells.insert(index, nbformat.v4.new_code_cell(KILL_KERNEL, id="student-kills-kernel"))
    return nb


#: student name -> (how to build each notebook, timestamp text)
RECIPES: Dict[str, tuple] = {
    "perfect": (lambda rel, src: fill_solutions(rel, src), DEFAULT_TIMESTAMP),
    "untouched": (lambda rel, src: copy.deepcopy(rel), DEFAULT_TIMESTAMP),
    "partial": (lambda rel, src: fill_solutions(rel, src, fraction=0.5), DEFAULT_TIMESTAMP),
    "duplicate-cell": (lambda rel, src: _duplicate_first_test(fill_solutions(rel, src)), DEFAULT_TIMESTAMP),
    "deleted-test": (lambda rel, src: _delete_first_test(fill_solutions(rel, src)), DEFAULT_TIMESTAMP),
    "bad-timestamp": (lambda rel, src: fill_solutions(rel, src), "handed in on Monday"),
    "kernel-death": (lambda rel, src: _kill_before_last_test(fill_solutions(rel, src)), DEFAULT_TIMESTAMP),
}


def write_submission(
    course_root: str,
    assignment: str,
    student: str,
    recipe: str,
    prefix: str = "demo-",
    release_dir: Optional[str] = None,
    change: Optional[Callable] = None,
) -> str:
    """Writes one synthetic submission to ``submitted/<prefix><student>/<assignment>/``.

    Args:
        course_root: The nbgrader course directory.
        assignment: Assignment id.
        student: Name of the synthetic student (a key of ``RECIPES``).
        recipe: Which recipe builds it (usually the same as ``student``).
        prefix: Prefix of the student id.
        release_dir: Release directory (default ``<course_root>/release``).
        change: Called with each notebook the recipe built, before it is written; changes it in place.

    Returns:
        The student id.
    """
    build: Callable = RECIPES[recipe][0]
    timestamp = RECIPES[recipe][1]
    student_id = f"{prefix}{student}"
    release_dir = release_dir or os.path.join(course_root, "release")
    src_dir = os.path.join(course_root, "source", assignment)
    rel_dir = os.path.join(release_dir, assignment)
    out_dir = os.path.join(course_root, "submitted", student_id, assignment)
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(rel_dir)):
        if not name.endswith(".ipynb"):
            continue
        release_nb = nbformat.read(os.path.join(rel_dir, name), as_version=4)
        source_nb = nbformat.read(os.path.join(src_dir, name), as_version=4)
        nb = build(release_nb, source_nb)
        if change is not None:
            change(nb)
        nbformat.write(nb, os.path.join(out_dir, name))
    with open(os.path.join(out_dir, "timestamp.txt"), "w") as fh:
        fh.write(timestamp)
    return student_id


def write_students(course_root: str, assignment: str, students: List[str], prefix: str = "demo-") -> List[str]:
    """Writes several synthetic students' submissions of one assignment.

    Returns:
        Their student ids.
    """
    return [write_submission(course_root, assignment, s, s, prefix=prefix) for s in students]


#: The key of ``write_changed_submission``'s changes that adds a code cell of the student's own before the first code cell.
NEW_FIRST_CELL = "+"

#: A change of one cell: its new source, or a function from its old source to the new one.
CellChange = Union[str, Callable[[str], str]]


def cell_with_grade_id(nb, grade_id: str):
    """The first cell of ``nb`` whose nbgrader ``grade_id`` is ``grade_id``.

    Args:
        nb: A notebook.
        grade_id: The nbgrader id of the cell.

    Returns:
        The cell.

    Raises:
        StopIteration: No cell has that ``grade_id``.
    """
    return next(c for c in nb.cells if regions.grade_id(c) == grade_id)


def first_code_index(nb) -> int:
    """The index of the first code cell of ``nb`` (``StopIteration`` when it has none).

    Args:
        nb: A notebook.

    Returns:
        The index in ``nb.cells``.
    """
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")


def change_cells(nb, changes: Mapping[str, CellChange], new_cell_id: str) -> set:
    """Changes a notebook's cells in place, as a student would.

    Args:
        nb: A notebook.
        changes: ``{grade_id: change}``: every cell with that ``grade_id`` gets the new source (a string), or what
            the function makes of its old source; ``{NEW_FIRST_CELL: source}`` adds a code cell with that source
            before the first code cell.
        new_cell_id: The cell id of the added cell.

    Returns:
        The keys of ``changes`` that were applied (``NEW_FIRST_CELL`` included).
    """
    done = set()
    for key, change in changes.items():
        if key == NEW_FIRST_CELL:
            nb.cells.insert(first_code_index(nb), nbformat.v4.new_code_cell(change, id=new_cell_id))
            done.add(key)
            continue
        for cell in nb.cells:
            if regions.grade_id(cell) == key:
                cell.source = change(cell.source) if callable(change) else change
                done.add(key)
    return done


def write_changed_submission(
    course_root: str,
    assignment: str,
    student: str,
    recipe: str,
    changes: Mapping[str, CellChange],
    prefix: str = "demo-",
    new_cell_id: Optional[str] = None,
    edit: Optional[Callable] = None,
) -> str:
    """Writes a synthetic submission with some cells changed (a cheat, an attack, a wrong answer).

    The notebooks are built as ``write_submission`` builds them, changed in
    memory and written once.

    Args:
        course_root: The nbgrader course directory.
        assignment: Assignment id.
        student: Name of the student; the student id is ``<prefix><student>``.
        recipe: The synthetic student it starts from (a key of ``RECIPES``, e.g. ``"perfect"``).
        changes: ``{grade_id or NEW_FIRST_CELL: change}``, as ``change_cells`` applies them to every notebook.
        prefix: Prefix of the student id.
        new_cell_id: Cell id of the ``NEW_FIRST_CELL`` cell (default ``cheat-<student>``).
        edit: Called with each notebook after ``changes``, for any other change (added cells elsewhere).

    Returns:
        The student id.

    Raises:
        KeyError: A ``grade_id`` of ``changes`` is in none of the assignment's notebooks.
    """
    done = set()

    def change(nb):
        done.update(change_cells(nb, changes, new_cell_id or f"cheat-{student}"))
        if edit is not None:
            edit(nb)

    student_id = write_submission(course_root, assignment, student, recipe, prefix=prefix, change=change)
    missing = sorted(set(changes) - done)
    if missing:
        raise KeyError(f"{assignment} has no cells {missing} to change")
    return student_id
