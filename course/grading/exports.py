"""What a batch leaves for the instructor: nbgrader's grade CSV, the grading report CSV and the summary table."""

import csv
import os
from typing import Dict, List

from course.grading.autograde import GradeRecord, refresh_scores


def export_grades(api, path: str) -> str:
    """Writes nbgrader's grade CSV (one row per student and assignment).

    Returns:
        The CSV path.
    """
    from nbgrader.plugins.export import CsvExportPlugin

    plugin = CsvExportPlugin()
    plugin.to = path
    with api.gradebook as gb:
        plugin.export(gb)
    return path


def write_report(records: List[GradeRecord], path: str) -> str:
    """Writes one row per graded submission, with status and notes.

    Returns:
        The CSV path.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "assignment", "score", "max_score", "status", "sandboxed", "seconds", "notes"])
        for r in records:
            writer.writerow(
                [
                    r.student,
                    r.assignment,
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    r.status,
                    "yes" if r.sandboxed else "NO",
                    f"{r.seconds:.1f}",
                    " | ".join(r.notes),
                ]
            )
    return path


def write_exports(api, records: List[GradeRecord], root: str) -> Dict[str, str]:
    """Writes what a batch leaves in ``<root>/exports/``: grades.csv, grading_report.csv, report.html.

    The records' points are read again from the gradebook first (``refresh_scores``).

    Returns:
        The paths, by name (``grades``, ``report``, ``page``).
    """
    from course.grading.report import write_html_report  # matplotlib: imported when a report is written

    folder = os.path.join(root, "exports")
    os.makedirs(folder, exist_ok=True)
    records = refresh_scores(api, records)
    return {
        "grades": export_grades(api, os.path.join(folder, "grades.csv")),
        "report": write_report(records, os.path.join(folder, "grading_report.csv")),
        "page": write_html_report(api, records, os.path.join(folder, "report.html")),
    }


def format_table(records: List[GradeRecord]) -> str:
    """Formats points per student (rows) and assignment (columns), the manual points still open, then the notes.

    Returns:
        The table as text.
    """
    students = sorted({r.student for r in records})
    assignments = sorted({r.assignment for r in records})
    cells: Dict[tuple, str] = {}
    for r in records:
        mark = "" if r.status == "graded" else " !"
        cells[(r.student, r.assignment)] = f"{r.score:g}/{r.max_score:g}{mark}"
    width0 = max([len("student")] + [len(s) for s in students])
    widths = [max(len(a), 9) for a in assignments]
    lines = ["  ".join(["student".ljust(width0)] + [a.ljust(w) for a, w in zip(assignments, widths)])]
    lines.append("  ".join(["-" * width0] + ["-" * w for w in widths]))
    unsandboxed = {(r.student, r.assignment) for r in records if not r.sandboxed}
    for s in students:
        row = [s.ljust(width0)] + [cells.get((s, a), "-").ljust(w) for a, w in zip(assignments, widths)]
        lines.append("  ".join(row))
    if unsandboxed:
        lines.append("")
        lines.append(
            f"WARNING: {len(unsandboxed)} submission(s) were graded without the sandbox: their code ran "
            "with the grader's rights (see the notes; install bubblewrap, or grade with --require-sandbox)."
        )
    manual = {}
    for r in records:
        if r.status == "graded" and r.max_score > r.auto_max:
            manual[r.assignment] = r.max_score - r.auto_max
    if manual:
        lines.append("")
        listed = ", ".join(f"{a} {points:g} points" for a, points in sorted(manual.items()))
        lines.append(f"Still to grade by hand in formgrader (not in the totals yet): {listed}.")
    noted = [r for r in records if r.notes]
    if noted:
        lines.append("")
        lines.append("Notes:")
        for r in noted:
            for note in r.notes:
                lines.append(f"- {r.student} / {r.assignment}: {note}")
    return "\n".join(lines)
