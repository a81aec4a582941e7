"""The instructor-only regions of a cell, found by nbgrader's own preprocessors.

nbgrader removes solutions (``ClearSolutions``), hidden tests
(``ClearHiddenTests``) and mark schemes (``ClearMarkScheme``) when it makes
the student version. The course needs the same regions elsewhere (the
self-check's visible tests, feedback redaction, leak scans, synthetic
students), so it asks those preprocessors rather than parsing the markers
itself: with nbgrader's delimiters and nesting rules, what the course calls
a region is exactly what nbgrader releases or withholds.
"""

import copy
import difflib
from typing import Iterable, List, Optional, Set, Tuple

from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

SOLUTION = "solution"
HIDDEN_TESTS = "hidden_tests"
MARK_SCHEME = "mark_scheme"
#: Every kind of region, solutions first.
KINDS = (SOLUTION, HIDDEN_TESTS, MARK_SCHEME)
#: What stands for a removed solution while lines are compared (never in a notebook).
_STUB = "\x00course-solution-stub\x00"


def grade_id(cell) -> Optional[str]:
    """The cell's nbgrader ``grade_id``, or ``None`` (no nbgrader metadata, or none that names an id).

    Args:
        cell: A notebook cell (``nbformat`` node or plain dict).
    """
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _strip(cell, kinds: Iterable[str], language: str = "python"):
    """A copy of ``cell`` with the regions of ``kinds`` removed by nbgrader (a solution becomes ``_STUB``)."""
    cell = copy.deepcopy(cell)
    kinds = set(kinds)
    if HIDDEN_TESTS in kinds:
        ClearHiddenTests()._remove_hidden_test_region(cell)
    if MARK_SCHEME in kinds:
        ClearMarkScheme()._remove_mark_scheme_region(cell)
    if SOLUTION in kinds:
        ClearSolutions(code_stub={language: _STUB}, text_stub=_STUB)._replace_solution_region(cell, language)
    return cell


def without(cell, kinds: Iterable[str] = KINDS) -> str:
    """The cell's source with the regions of ``kinds`` taken out (solutions leave nothing behind).

    Args:
        cell: A notebook cell.
        kinds: Which regions (``SOLUTION``, ``HIDDEN_TESTS``, ``MARK_SCHEME``).

    Returns:
        The remaining source.
    """
    return "\n".join(line for line in _strip(cell, kinds).source.split("\n") if line.strip() != _STUB)


def split(cell, kinds: Iterable[str] = KINDS) -> Tuple[List[str], List[str]]:
    """The cell's lines inside and outside the regions of ``kinds``, in order (delimiter lines in neither).

    Args:
        cell: A notebook cell.
        kinds: Which regions.

    Returns:
        ``(inside, outside)`` lists of lines as written.
    """
    original = cell.source.split("\n")
    kept = _strip(cell, kinds).source.split("\n")
    inside, outside = [], []
    matcher = difflib.SequenceMatcher(a=original, b=kept, autojunk=False)
    for tag, a0, a1, _, _ in matcher.get_opcodes():
        (outside if tag == "equal" else inside).extend(original[a0:a1])
    markers = delimiters(kinds)
    inside = [line for line in inside if not any(d in line for d in markers)]
    return inside, outside


def delimiters(kinds: Iterable[str]) -> Set[str]:
    """nbgrader's begin and end delimiters of the regions of ``kinds``."""
    kinds = set(kinds)
    found = set()
    if SOLUTION in kinds:
        found |= {ClearSolutions().begin_solution_delimeter, ClearSolutions().end_solution_delimeter}
    if HIDDEN_TESTS in kinds:
        found |= {ClearHiddenTests().begin_test_delimeter, ClearHiddenTests().end_test_delimeter}
    if MARK_SCHEME in kinds:
        found |= {ClearMarkScheme().begin_mark_scheme_delimeter, ClearMarkScheme().end_mark_scheme_delimeter}
    return found


def replace(cell, kind: str, placeholder: str) -> Tuple[str, bool]:
    """The cell's source with each region of one kind replaced by ``placeholder`` (or dropped when it is empty).

    Args:
        cell: A notebook cell.
        kind: ``HIDDEN_TESTS`` or ``MARK_SCHEME`` (or ``SOLUTION``).
        placeholder: The line that stands where a region was.

    Returns:
        ``(source, whether any region was found)``.
    """
    original = cell.source.split("\n")
    kept = _strip(cell, [kind]).source.split("\n")
    if kept == original:
        return cell.source, False
    lines = []
    matcher = difflib.SequenceMatcher(a=original, b=kept, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(original[a0:a1])
        elif placeholder:
            lines.append(placeholder)
    return "\n".join(line for line in lines if line.strip() != _STUB), True
