"""What students must never see: solution code, hidden tests, mark schemes.

Used by the tests (and usable by instructors) to scan release/ and feedback
for any line that only the instructor's source notebooks contain.
"""

import re
from typing import Iterable, Set, Tuple

import nbformat

REGIONS = [
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
]
MIN_LENGTH = 12


def split_lines(nb, regions=REGIONS) -> Tuple[Set[str], Set[str]]:
    """Splits a notebook's stripped source lines into those inside and outside the ``regions``.

    Args:
        nb: A notebook (``nbformat`` node).
        regions: ``(begin, end)`` marker pairs.

    Returns:
        ``(inside, outside)`` sets of stripped lines (marker lines left out).
    """
    inside, outside = set(), set()
    for cell in nb.cells:
        depth = None
        for line in cell.source.splitlines():
            stripped = line.strip()
            starts = [end for begin, end in regions if begin in stripped]
            if starts:
                depth = starts[0]
                continue
            if depth and depth in stripped:
                depth = None
                continue
            (inside if depth else outside).add(stripped)
    return inside, outside


def secret_lines(notebook_path: str, min_length: int = MIN_LENGTH, regions=REGIONS) -> Set[str]:
    """Lines found only inside solution, hidden-test or mark-scheme regions of a source notebook.

    Lines that also appear outside those regions (so students see them anyway)
    and short lines (``pass``, ``)``) are left out.

    Args:
        notebook_path: A source notebook.
        min_length: Shortest stripped line that counts.
        regions: ``(begin, end)`` marker pairs that delimit what is secret.

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
