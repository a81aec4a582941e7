"""What students must never see: solution code, hidden tests, mark schemes.

Used by the tests (and usable by instructors) to scan release/ and feedback
for any line that only the instructor's source notebooks contain.
"""

import re
from typing import Set

import nbformat

REGIONS = [
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
]
MIN_LENGTH = 12


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
    nb = nbformat.read(notebook_path, as_version=4)
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
    return {line for line in inside - outside if len(line) >= min_length}


def normalise_html(text: str) -> str:
    """Removes tags and entities of an HTML page, so code lines can be found in it."""
    import html

    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)
