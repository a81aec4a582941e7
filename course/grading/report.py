"""The instructor's report after a batch: one self-contained HTML page, no server needed.

Written next to ``exports/grades.csv`` as ``exports/report.html``: per
assignment, the distribution of scores (from the gradebook, every student),
the pass rate of every graded cell (which questions the class struggles
with), the grading time of each submission graded in this batch, and every
submission with a note (failed, sandbox limit reached, graded unsandboxed,
tampering, feedback withheld), linking to its feedback.
"""

import base64
import html
import io
import os
from collections import defaultdict
from typing import Dict, List


def _figure_html(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def class_statistics(api, assignment: str) -> Dict[str, object]:
    """Scores and per-cell pass rates of one assignment, read from the gradebook.

    Returns:
        ``{"scores": [...], "max_score": m, "cells": {grade_id: (passed, graded, max points)}}``;
        a cell counts as passed when its autograded points are full.
    """
    scores, cells, max_score = [], defaultdict(lambda: [0, 0, 0.0]), 0.0
    with api.gradebook as gb:
        assignment_row = gb.find_assignment(assignment)
        max_score = assignment_row.max_score
        manual = {c.name for nb in assignment_row.notebooks for c in nb.solution_cells}
        for submission in assignment_row.submissions:
            scores.append(submission.score)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell_type != "code" or grade.name in manual or not grade.max_score:
                        continue
                    entry = cells[grade.name]
                    entry[1] += 1
                    entry[2] = grade.max_score
                    entry[0] += (grade.auto_score or 0) >= grade.max_score
    return {"scores": scores, "max_score": max_score, "cells": {k: tuple(v) for k, v in cells.items()}}


def write_html_report(api, records: List, path: str) -> str:
    """Writes the report page.

    Args:
        api: ``NbGraderAPI`` of the course.
        records: ``GradeRecord``s of the batch.
        path: Where to write it (``exports/report.html``).

    Returns:
        The path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    feedback_root = api.coursedir.format_path(api.coursedir.feedback_directory, ".", ".")
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grading report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
             "img{max-width:100%}</style></head><body><h1>Grading report</h1>"]
    by_assignment = defaultdict(list)
    for record in records:
        by_assignment[record.assignment].append(record)
    for assignment in sorted(by_assignment):
        batch = by_assignment[assignment]
        stats = class_statistics(api, assignment)
        parts.append(f"<h2>{html.escape(assignment)}</h2>")
        parts.append(
            f"<p>{len(stats['scores'])} submissions in the gradebook; {len(batch)} in this batch; "
            f"{sum(r.status != 'graded' for r in batch)} failed.</p>"
        )
        fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
        axes[0].hist(stats["scores"], bins=min(20, max(5, int(stats["max_score"]) + 1)), color="#4c72b0")
        axes[0].set(title="Score distribution", xlabel=f"points (of {stats['max_score']:g})", ylabel="students")
        names = sorted(stats["cells"])
        rates = [stats["cells"][n][0] / max(1, stats["cells"][n][1]) for n in names]
        axes[1].barh(names, rates, color=["#c44e52" if r < 0.5 else "#55a868" for r in rates])
        axes[1].set(title="Pass rate per graded cell", xlim=(0, 1), xlabel="fraction with full points")
        axes[1].tick_params(axis="y", labelsize=7)
        axes[2].bar(range(len(batch)), [r.seconds for r in batch], color="#8172b2")
        axes[2].set(title="Grading time per submission (this batch)", xlabel="submission", ylabel="seconds")
        parts.append(_figure_html(fig))
        plt.close(fig)
        hardest = sorted(zip(rates, names))[:5]
        if hardest:
            listed = ", ".join(f"{html.escape(n)} ({r:.0%})" for r, n in hardest)
            parts.append(f"<p>Lowest pass rates: {listed}.</p>")
        noted = [r for r in batch if r.notes]
        if noted:
            parts.append("<h3>Submissions with a note</h3><table><tr><th>student</th><th>score</th><th>status</th>"
                         "<th>sandboxed</th><th>notes</th><th>feedback</th></tr>")
            for r in noted:
                folder = os.path.join(feedback_root, r.student, assignment)
                pages = sorted(f for f in os.listdir(folder) if f.endswith(".html")) if os.path.isdir(folder) else []
                links = " ".join(
                    f'<a href="{html.escape(os.path.relpath(os.path.join(folder, p), os.path.dirname(path)))}">{html.escape(p)}</a>'
                    for p in pages
                ) or "none"
                notes = "<br>".join(html.escape(n) for n in r.notes)
                parts.append(
                    f"<tr><td>{html.escape(r.student)}</td><td>{r.score:g}/{r.max_score:g}</td><td>{html.escape(r.status)}</td>"
                    f"<td>{'yes' if r.sandboxed else 'NO'}</td><td>{notes}</td><td>{links}</td></tr>"
                )
            parts.append("</table>")
    parts.append("</body></html>")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return path
