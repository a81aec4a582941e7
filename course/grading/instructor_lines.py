"""What students must never see: the one place that computes instructor-only lines.

Solution code, hidden tests and mark schemes are found with nbgrader's own
region parsing (``course.regions``). Used by the leak scan over feedback and
notes (``course.grading.leaks``), by feedback redaction
(``course.grading.preprocessors.redact_hidden_tests``) and by the tests that
scan release/ for any line that only the instructor's source notebooks contain.
"""

import re
import unicodedata
from typing import Dict, Iterable, List, Set, Tuple

import nbformat

from course import regions

#: The kinds of instructor-only regions (``course.regions``), solutions first.
REGIONS = regions.KINDS
MIN_LENGTH = 12
#: Length of the shingles (normalised characters) that leak detection matches: any quote of an
#: instructor-only line this long or longer is found, wherever it starts.
SHINGLE = 24
#: Distance between the shingles taken from one secret line (a quote of ``SHINGLE + STRIDE - 1``
#: characters always holds one of them).
STRIDE = 6
#: Markdown markup that a rendered page does not show (code spans, emphasis, headings, tables,
#: quotes, escapes, math delimiters): left out on both sides of a comparison.
MARKUP = re.compile(r"[`*#|>\\$]")
#: Characters that render as nothing (zero-width spaces and joiners, soft hyphen, BOM, ...).
INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                       "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")


def split_lines(nb, kinds=REGIONS, skip_unparsable: bool = False) -> Tuple[Set[str], Set[str]]:
    """Splits a notebook's stripped source lines into those inside and outside the regions of ``kinds``.

    The regions are found by nbgrader's own preprocessors (``course.regions``).

    Args:
        nb: A notebook (``nbformat`` node), or its cells.
        kinds: Which regions (``course.regions.SOLUTION``, ``HIDDEN_TESTS``, ``MARK_SCHEME``).
        skip_unparsable: Leave out a cell nbgrader cannot parse (else its error is raised).

    Returns:
        ``(inside, outside)`` sets of stripped lines (delimiter lines left out).
    """
    inside, outside = set(), set()
    for cell in getattr(nb, "cells", nb):
        try:
            i, o = regions.split(cell, kinds)
        except Exception:  # nbgrader's region parsing raises several kinds of error
            if not skip_unparsable:
                raise
            continue
        inside |= {line.strip() for line in i}
        outside |= {line.strip() for line in o}
    return inside, outside


def _only_inside(inside: Set[str], outside: Set[str], min_length: int) -> Set[str]:
    """Lines of ``inside`` that are not in ``outside`` and at least ``min_length`` long."""
    return {line for line in inside - outside if len(line) >= min_length}


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
    return _only_inside(inside, outside, min_length)


def course_secret_lines(notebook_paths: Iterable[str], min_length: int = MIN_LENGTH, kinds=REGIONS) -> Set[str]:
    """Lines that only the instructor's notebooks hold, over a whole course.

    A line inside a region of one notebook but outside every region somewhere
    in another (so students see it there) does not count.

    Args:
        notebook_paths: Every source notebook of the course.
        min_length: Shortest stripped line that counts.
        kinds: Kinds of regions that are secret (``course.regions``).

    Returns:
        Stripped lines.
    """
    inside, outside = set(), set()
    for path in notebook_paths:
        i, o = split_lines(nbformat.read(path, as_version=4), kinds)
        inside |= i
        outside |= o
    return _only_inside(inside, outside, min_length)


def hidden_lines(instructor_cells, shown: Iterable[str], min_length: int = MIN_LENGTH) -> Set[str]:
    """Hidden-test and mark-scheme lines of the instructor's cells that students do not see anyway.

    Args:
        instructor_cells: The instructor's cells (one nbgrader cannot parse is skipped: nothing to match).
        shown: Texts students see (the redacted instructor cells of their feedback).
        min_length: Shortest stripped line that counts.

    Returns:
        Stripped lines.
    """
    inside, _ = split_lines(list(instructor_cells), [regions.HIDDEN_TESTS, regions.MARK_SCHEME], skip_unparsable=True)
    public = {line.strip() for text in shown for line in text.split("\n")}
    return _only_inside(inside, public, min_length)


def scan_lines(notebook_paths: Iterable[str]) -> Tuple[Set[str], str]:
    """What a leak scan looks for: ``(secret lines, public text)`` of the course's source notebooks.

    Secret lines are the hidden-test and mark-scheme lines and the solution
    lines longer than two shingles (shorter ones are answer values); the public text is every line outside the
    regions (students see it in their release notebooks) and every cell's ``grade_id``, which feedback pages
    print as a label (a hidden test's ``hand_in(f, "test_a_long_grade_id")`` shares its long id with the label).

    Args:
        notebook_paths: Every source notebook of the course.

    Returns:
        The secret lines (stripped) and the public text.
    """
    paths = list(notebook_paths)
    secrets = course_secret_lines(paths, kinds=[regions.HIDDEN_TESTS, regions.MARK_SCHEME])
    secrets |= {line for line in course_secret_lines(paths) if len(normalise_text(line)) > 2 * SHINGLE}
    public = []  # in notebook order, so that a quote spanning lines is found in it as in a page
    for path in paths:
        for cell in nbformat.read(path, as_version=4).cells:
            public.append("\n".join(regions.split(cell)[1]))
            grade_id = regions.grade_id(cell)
            if grade_id:  # feedback pages label every graded cell with it ("Grade cell: <grade_id>")
                public.append(f"Grade cell: {grade_id}")
    return secrets, "\n".join(public)


def normalise_html(text: str) -> str:
    """Removes tags and entities of an HTML page, so code lines can be found in it."""
    import html

    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def normalise_text(text: str) -> str:
    """Text reduced to what survives re-formatting: NFKC, case-folded, without invisible characters or whitespace.

    Full-width letters, ligatures, zero-width characters, changed indentation,
    joined or split lines and upper-casing all give the same string; so do
    Markdown source and its rendering (the characters of ``MARKUP`` are left
    out), so that text public in a notebook's Markdown is recognised in its
    rendered feedback.
    """
    text = unicodedata.normalize("NFKC", str(text))
    text = MARKUP.sub("", INVISIBLE.sub("", text)).casefold()
    return "".join(text.split())


def shingles(normalised: str, size: int = SHINGLE, stride: int = STRIDE) -> List[str]:
    """Overlapping pieces of a normalised line: every ``stride``-th one of length ``size``, and the last.

    A line shorter than ``size`` is its own only piece.
    """
    if len(normalised) <= size:
        return [normalised]
    pieces = [normalised[i:i + size] for i in range(0, len(normalised) - size + 1, stride)]
    last = normalised[-size:]
    return pieces if pieces[-1] == last else pieces + [last]


def windows(normalised: str, size: int = SHINGLE) -> Set[str]:
    """Every substring of length ``size`` of a normalised text (what shingles are looked up in)."""
    return {normalised[i:i + size] for i in range(max(0, len(normalised) - size + 1))}


class LeakIndex:
    """Instructor-only lines, normalised and cut into shingles, for matching many pages quickly.

    Args:
        secrets: Lines only the instructor's notebooks hold.
        public: Text students see anyway (outside every region); shingles found in it do not count.
        min_length: Shortest normalised line that counts.
    """

    def __init__(self, secrets: Iterable[str], public: str = "", min_length: int = MIN_LENGTH - 2):
        public_norm = normalise_text(public)
        public_windows = windows(public_norm)
        self._lines = set(secrets) if not isinstance(secrets, set) else secrets
        self.short: Dict[str, str] = {}
        self.pieces: Dict[str, Set[str]] = {}
        for line in self._lines:
            norm = normalise_text(line)
            if len(norm) < min_length:
                continue
            if len(norm) <= SHINGLE:
                if norm not in public_norm:
                    self.short.setdefault(norm, line)
                continue
            for piece in shingles(norm):
                if piece not in public_windows:
                    self.pieces.setdefault(piece, set()).add(line)

    def lines(self) -> Set[str]:
        """The secret lines indexed (before normalising)."""
        return self._lines

    def leaks(self, text: str, own: str = "") -> List[str]:
        """The secret lines quoted (in part, re-formatted or not) in ``text`` and not written by the student.

        Args:
            text: What the student sees (plain text; HTML normalised first by the caller).
            own: The student's own submission (text); a quote of it is theirs.

        Returns:
            The leaked lines, sorted.
        """
        visible = normalise_text(text)
        own_norm = normalise_text(own)
        seen = windows(visible)
        own_windows = windows(own_norm)
        found = {line for norm, line in self.short.items() if norm in visible and norm not in own_norm}
        for piece in seen & self.pieces.keys():
            if piece not in own_windows:
                found |= self.pieces[piece]
        return sorted(found)
