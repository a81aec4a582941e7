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
from typing import Callable, Dict, List, Optional

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
) -> str:
    """Writes one synthetic submission to ``submitted/<prefix><student>/<assignment>/``.

    Args:
        course_root: The nbgrader course directory.
        assignment: Assignment id.
        student: Name of the synthetic student (a key of ``RECIPES``).
        recipe: Which recipe builds it (usually the same as ``student``).
        prefix: Prefix of the student id.
        release_dir: Release directory (default ``<course_root>/release``).

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
        nbformat.write(build(release_nb, source_nb), os.path.join(out_dir, name))
    with open(os.path.join(out_dir, "timestamp.txt"), "w") as fh:
        fh.write(timestamp)
    return student_id


def write_students(course_root: str, assignment: str, students: List[str], prefix: str = "demo-") -> List[str]:
    """Writes several synthetic students' submissions of one assignment.

    Returns:
        Their student ids.
    """
    return [write_submission(course_root, assignment, s, s, prefix=prefix) for s in students]
