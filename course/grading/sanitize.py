"""What a student wrote reaches the instructor and the student as data, never as active markup.

Autograded notebooks are rendered by formgrader (whose template turns
markdown into HTML without cleaning it and writes image sizes from output
metadata unquoted) and turned into feedback pages. So the notebook that is
*stored* in ``autograded/`` is made safe here, after grading, whatever later
renders it:

* code-cell outputs keep only plain text, PNG/JPEG images (valid base64) and
  HTML cleaned with an allow-list (no script, no event handlers, no
  ``javascript:`` links, no styles); JavaScript, SVG, LaTeX, widgets and
  every other type are dropped, a Markdown output becomes cleaned HTML;
* output metadata keeps only a whole-number ``width``/``height`` of images;
* a Markdown cell the student wrote (any cell but the instructor's locked
  ones, which nbgrader restores from the gradebook before grading) whose
  rendering is not already safe is replaced by its
  rendering cleaned with the same allow-list, or, where that is not stable
  either, by its text as an indented code block (escaped ``<pre><code>``,
  which neither markdown nor MathJax processes); a
  cell that is safe as written is left exactly as the student wrote it.

Text that MathJax would turn into a link (``\\href``, ``\\url``) and any
``javascript:``-like scheme, even entity-encoded, count as unsafe. Grades are
never touched: the preprocessor runs after the points are decided and never
removes an error output.
"""

import base64
import binascii
import html
import re
import unicodedata
from typing import Any, List, Optional, Tuple

import bleach
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

#: Tags a cleaned rendering may keep (everything else is escaped, so it shows as text).
ALLOWED_TAGS = frozenset(bleach.ALLOWED_TAGS) | {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "pre", "code", "img",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "sub", "sup", "del", "ins",
    "kbd", "s", "small", "dl", "dt", "dd", "q", "cite", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "acronym": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align"],
    "*": ["class"],
}
#: URL schemes a link or image may use (``attachment:`` is a notebook cell's own attachment).
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "attachment"})
#: Output types kept as they are (their renderers escape them or decode them as images).
KEPT_TYPES = ("text/plain", "image/png", "image/jpeg")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
#: Text that MathJax would turn into a link, a style or a class (its TeX "HTML" commands), or a
#: script URL spelt out; checked after entities are decoded, with spaces, control characters and
#: zero-width characters removed, in lower case. Tags, attributes and URL schemes in the rendered
#: HTML are bleach's job (``clean_html``).
_ACTIVE = re.compile(r"\\(href|url|class|style|cssid|require)|(javascript|vbscript|livescript):")


def clean_html(text: str) -> str:
    """``text`` (HTML) with every tag, attribute and URL scheme outside the allow-lists removed or escaped."""
    return bleach.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=False)


def _squeezed(text: str) -> str:
    """Lower-case text with HTML entities decoded (twice) and spaces, controls and format characters removed."""
    decoded = html.unescape(html.unescape(text))
    return "".join(
        ch for ch in decoded.lower() if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    )


def looks_active(text: str) -> bool:
    """Whether ``text`` holds something a browser or MathJax could turn into a script or a link to one."""
    return bool(_ACTIVE.search(_squeezed(text)))


def _render(markdown: str) -> str:
    from nbconvert.filters.markdown import markdown2html

    return markdown2html(markdown)


def safe_markdown(source: str) -> Tuple[str, bool]:
    """A markdown cell's source that renders without active content.

    Args:
        source: The student's markdown.

    Returns:
        ``(source, changed)``: the source unchanged when its rendering is
        already safe; else its cleaned rendering (HTML, which markdown passes
        through) or, if cleaning is not stable, the text as a code block.
    """
    rendered = _render(source)
    if clean_html(rendered) == rendered and not looks_active(rendered) and not looks_active(source):
        return source, False
    cleaned = clean_html(rendered)
    if not looks_active(cleaned):
        again = _render(cleaned)
        if clean_html(again) == again and not looks_active(again):
            return cleaned, True
    return as_code_block(source), True


def as_code_block(text: str) -> str:
    """``text`` as a markdown indented code block: rendered as escaped text in ``<pre><code>``, which no markdown,
    HTML or MathJax processing reaches."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join("    " + line for line in lines)


def _whole_number(value: Any) -> Optional[int]:
    """A positive whole number given as an int or a string of digits; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 100_000:
        return value
    if isinstance(value, str) and value.isdigit() and 0 < int(value) < 100_000:
        return int(value)
    return None


def _safe_metadata(metadata: Any) -> dict:
    """Output metadata with only whole-number image sizes kept (top level and per image type)."""
    kept = {}
    if not isinstance(metadata, dict):
        return kept
    for key in ("width", "height"):
        value = _whole_number(metadata.get(key))
        if value is not None:
            kept[key] = value
    for mime in ("image/png", "image/jpeg"):
        sizes = metadata.get(mime)
        if isinstance(sizes, dict):
            inner = {k: _whole_number(sizes.get(k)) for k in ("width", "height")}
            inner = {k: v for k, v in inner.items() if v is not None}
            if inner:
                kept[mime] = inner
    return kept


def _valid_image(data: Any) -> bool:
    if not isinstance(data, str) or not _BASE64.match(data):
        return False
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def safe_output_data(data: Any) -> Tuple[dict, List[str]]:
    """An output's mime bundle with only safe types, HTML cleaned; also the types removed or changed."""
    kept, dropped = {}, []
    if not isinstance(data, dict):
        return kept, ["(malformed output)"]
    for mime, value in data.items():
        if mime == "text/plain" and isinstance(value, (str, list)):
            kept[mime] = value
        elif mime in ("image/png", "image/jpeg") and _valid_image(value):
            kept[mime] = value
        elif mime in ("text/html", "text/markdown") and isinstance(value, (str, list)):
            text = "".join(value) if isinstance(value, list) else value
            cleaned = clean_html(_render(text) if mime == "text/markdown" else text)
            if looks_active(cleaned):
                dropped.append(mime)
                continue
            if cleaned != text or mime == "text/markdown":
                dropped.append(mime)  # changed: said in the note, kept in its cleaned form
            kept["text/html"] = cleaned
        else:
            dropped.append(mime)
    if not kept:
        kept["text/plain"] = "(output removed: it was active content, not data)"
    return kept, dropped


class SanitizeStored(Preprocessor):
    """Makes a graded notebook safe to render: outputs and markdown cells become inert data (see the module).

    Runs after the points are decided (in ``c.Autograde.autograde_preprocessors``)
    and records what it changed in ``resources["course"]["sanitized"]``.
    """

    enabled = Bool(True, help="Whether stored notebooks are sanitized (on: turning it off lets student markup reach formgrader).").tag(config=True)

    def preprocess(self, nb, resources):
        changed: List[str] = []
        for index, cell in enumerate(nb.cells):
            locked = bool(cell.get("metadata", {}).get("nbgrader", {}).get("locked"))
            if cell.cell_type == "markdown" and not locked:  # locked cells are the instructor's, restored by nbgrader
                source, was_changed = safe_markdown(cell.source)
                if was_changed:
                    cell.source = source
                    cell.pop("attachments", None)
                    changed.append(f"markdown cell {index + 1}: markup removed")
            elif cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    if output.get("output_type") in ("display_data", "execute_result"):
                        output["data"], dropped = safe_output_data(output.get("data"))
                        output["metadata"] = _safe_metadata(output.get("metadata"))
                        if dropped:
                            changed.append(f"code cell {index + 1}: {', '.join(sorted(set(dropped)))} removed or cleaned")
            elif cell.cell_type == "raw" and not locked:
                cell.source = html.escape(cell.source)
        resources.setdefault("course", {}).setdefault("sanitized", []).extend(changed)
        if changed:
            self.log.info("Sanitized %d place(s) of the stored notebook", len(changed))
        return nb, resources
