"""What students must never see: solution code, hidden tests, mark schemes.

Used by the tests (and usable by instructors) to scan release/ and feedback
for any line that only the instructor's source notebooks contain.
"""

import re
from typing import Iterable, Set, Tuple

import nbformat

from course import regions

#: The kinds of instructor-only regions (``course.regions``), solutions first.
REGIONS = regions.KINDS
MIN_LENGTH = 12


def split_lines(nb, kinds=REGIONS) -> Tuple[Set[str], Set[str]]:
    """Splits a notebook's stripped source lines into those inside and outside the regions of ``kinds``.

    The regions are found by nbgrader's own preprocessors (``course.regions``).

    Args:
        nb: A notebook (``nbformat`` node).
        kinds: Which regions (``course.regions.SOLUTION``, ``HIDDEN_TESTS``, ``MARK_SCHEME``).

    Returns:
        ``(inside, outside)`` sets of stripped lines (delimiter lines left out).
    """
    inside, outside = set(), set()
    for cell in nb.cells:
        i, o = regions.split(cell, kinds)
        inside |= {line.strip() for line in i}
        outside |= {line.strip() for line in o}
    return inside, outside


def secret_lines(notebook_path: str, min_length: int = MIN_LENGTH, regions=REGIONS) -> Set[str]:
    """Lines found only inside solution, hidden-test or mark-scheme regions of a source notebook.

    Lines that also appear outside those regions (so students see them anyway)
    and short lines (``pass``, ``)``) are left out.

    Args:
        notebook_path: A source notebook.
        min_length: Shortest stripped line that counts.
        regions: Kinds of regions that are secret (``course.regions``).

    Returns:
        Stripped lines.
    """
    inside, outside = split_lines(nbformat.read(notebook_path, as_version=4), regions)
    return {line for line in inside - outside if len(line) >= min_length}


def course_secret_lines(notebook_paths: Iterable[str], min_length: int = MIN_LENGTH) -> Set[str]:
    """Lines that only the instructor's notebooks hold, over a whole course.

    A line inside a region of one notebook but outside every region somewhere
    in another (so students see it there) does not count.

    Args:
        notebook_paths: Every source notebook of the course.
        min_length: Shortest stripped line that counts.

    Returns:
        Stripped lines.
    """
    inside, outside = set(), set()
    for path in notebook_paths:
        i, o = split_lines(nbformat.read(path, as_version=4))
        inside |= i
        outside |= o
    return {line for line in inside - outside if len(line) >= min_length}


def normalise_html(text: str) -> str:
    """Removes tags and entities of an HTML page, so code lines can be found in it."""
    import html

    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)
