"""The service's own feedback pages: points only, visible tests only, and notices.

Full feedback is nbgrader's HTML (``feedback/``, already without hidden tests
and with student output made inert). Before the due date the instructor may
show less (``GradingService.before_deadline``); these pages are built here
from the gradebook and the autograded notebook. Every text on them goes
through ``html.escape``, and their style is inline: no script, no link out.
"""

import html
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

STYLE = (
    "body{font-family:sans-serif;max-width:900px;margin:2em auto;line-height:1.5}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 10px;text-align:left}"
    ".ok{color:#176317}.bad{color:#a11}.note{background:#f4f4f4;padding:.6em 1em}"
)


def utc(seconds: float) -> str:
    """A time as students read it: ``2026-12-03 14:05 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def page(title: str, body: Sequence[str]) -> bytes:
    """A whole page from a title (text) and body parts (markup built here)."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *body,
        "</body></html>",
    ]
    return "".join(parts).encode("utf-8")


def paragraph(text: str, css: str = "") -> str:
    """One escaped paragraph."""
    cls = f" class='{css}'" if css else ""
    return f"<p{cls}>{html.escape(text)}</p>"


def notice(assignment: str, notebook: str, received: float, lines: Sequence[str]) -> bytes:
    """A page that says something instead of grades (refused, queued, failed)."""
    return page(
        f"{assignment} / {notebook}",
        [paragraph(f"Submitted {utc(received)}."), *(paragraph(line, "note") for line in lines)],
    )


@dataclass
class CellResult:
    """One graded cell as a pre-deadline page shows it.

    Attributes:
        grade_id: The cell's id (named after its task).
        score: Points awarded (``None`` on a ``visible`` page).
        max_score: Points available.
        passed: Whether the cell's visible checks ran without error (``visible`` pages).
        error: The error's class name, when they did not.
    """

    grade_id: str
    score: Optional[float]
    max_score: float
    passed: Optional[bool] = None
    error: str = ""


def results_page(
    mode: str,
    assignment: str,
    notebook: str,
    received: float,
    cells: List[CellResult],
    due: Optional[float],
    late_note: str = "",
) -> bytes:
    """The pre-deadline page of one notebook.

    Args:
        mode: ``score`` (points per question and in all) or ``visible`` (each test cell's visible checks).
        assignment: Assignment id.
        notebook: Notebook id.
        received: When it was submitted.
        cells: The notebook's autograded cells.
        due: The due date, if any.
        late_note: A line on the late penalty, if one applies.
    """
    when = f"Full feedback after the due date, {utc(due)}." if due else "Your instructor releases full feedback."
    body = [paragraph(f"Submitted {utc(received)}. Graded automatically. {when}")]
    if late_note:
        body.append(paragraph(late_note, "note"))
    if mode == "score":
        total = sum(c.score or 0 for c in cells)
        available = sum(c.max_score for c in cells)
        body.append(f"<p><b>Autograded score: {total:g} / {available:g}</b></p>")
        body.append("<table><tr><th>Question</th><th>Points</th></tr>")
        for c in cells:
            body.append(f"<tr><td>{html.escape(c.grade_id)}</td><td>{c.score or 0:g} / {c.max_score:g}</td></tr>")
        body.append("</table>")
    elif mode == "visible":
        body.append(paragraph("Results of the tests you can see in the notebook; hidden tests are not shown yet."))
        body.append("<table><tr><th>Test</th><th>Visible checks</th></tr>")
        for c in cells:
            if c.passed:
                result = "<span class='ok'>passed</span>"
            else:
                result = f"<span class='bad'>failed{': ' + html.escape(c.error[:80]) if c.error else ''}</span>"
            body.append(f"<tr><td>{html.escape(c.grade_id)}</td><td>{result}</td></tr>")
        body.append("</table>")
    else:
        raise ValueError(f"no page of mode {mode!r}")
    return page(f"{assignment} / {notebook}", body)
