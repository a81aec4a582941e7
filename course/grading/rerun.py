"""The grader's side of re-running a student's functions: which cells run, and the runner child with per-call limits.

``course.grading.judge`` plans the calls of a notebook's function questions;
this module picks the cells the runner re-runs (``runner_sources``) and runs
them with those calls in one child process (``run_functions``, through
``course.grading.child``; the child's side is ``course.grading.runner``),
stopping a call that runs too long from outside and starting a fresh child
for the calls after it.
"""

import time
from typing import List, Optional, Sequence, Tuple


def _definitions_only(source: str) -> str:
    """The imports, definitions and literal assignments of a cell a student added (what the runner re-runs of it)."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return ""
    kept = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kept.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            try:
                ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            kept.append(node)
    return ast.unparse(ast.Module(body=kept, type_ignores=[])) if kept else ""


def runner_sources(nb, runner_cells: Sequence[str]) -> List[str]:
    """The cell sources the runner re-runs, in notebook order.

    The cells named in the key run whole (locked ones come from the
    instructor's version, restored by nbgrader before grading; solution
    cells are the student's). Cells the student added run only their
    imports, definitions and literal assignments, up to the last named cell.
    """
    wanted = set(runner_cells)
    last = max(
        (i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("grade_id") in wanted),
        default=-1,
    )
    sources = []
    for index, cell in enumerate(nb.cells[: last + 1]):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            kept = _definitions_only(cell.source)
            if kept:
                sources.append(kept)
        elif meta.get("grade_id") in wanted:
            sources.append(cell.source)
    return sources


#: Seconds one call of a student's function may take (the runner stops it itself; the grader
#: stops the whole runner from outside ``CALL_GRACE`` seconds later, whatever the code does).
CALL_SECONDS = 60
CALL_GRACE = 5


def _as_record(item) -> dict:
    """A record from the runner, which is the student's process: only data, its status only a string."""
    return item if isinstance(item, dict) and isinstance(item.get("status"), str) else {"status": "invalid"}


def run_functions(
    sources: Sequence[str], calls: Sequence[dict], sandbox, limits, call_seconds: float = CALL_SECONDS
) -> Tuple[Optional[List[dict]], str]:
    """Runs the runner: ``(records, "")``, or ``(None, why)`` when it produced no answer.

    ``limits`` bound the whole notebook's calls together (the assignment's
    limits); each call gets ``call_seconds``, enforced from outside the
    process: the runner announces every call (``runner.CALL_START``), and a
    call that is still running ``CALL_GRACE`` seconds past its limit (its
    code ignored or blocked the runner's own alarm) gets the runner killed;
    that call is recorded as too slow, and the runner starts again, in a fresh
    process, for the calls after it, within what is left of ``limits``.
    """
    from course.grading.child import call_in_child
    from course.grading.limits import Limits
    from course.grading.runner import CALL_END, CALL_START

    records: List[Optional[dict]] = [None] * len(calls)
    pending = list(range(len(calls)))
    deadline = time.monotonic() + limits.seconds
    while pending:
        left = deadline - time.monotonic()
        if left <= 1:
            return None, f"Re-running your functions was stopped: time: they ran longer than {limits.seconds:,.0f} s."
        state = {"current": None}
        too_slow = f"time: one call ran longer than {call_seconds:g} s"

        def on_progress(text, dog, state=state):
            parts = text.split(" ")
            try:
                kind, index = parts[0], int(parts[1])
            except (ValueError, IndexError):
                return
            if kind == CALL_START:
                state["current"] = index
                dog.deadline = (time.monotonic() + call_seconds + CALL_GRACE, too_slow)
            elif kind == CALL_END:
                state["current"] = None
                dog.deadline = None

        batch = [calls[i] for i in pending]
        request = {"cells": list(sources), "calls": batch, "call_timeout": call_seconds}
        run = call_in_child("course.grading.runner:serve", request, sandbox, Limits(left, limits.memory_mb, *limits[2:]),
                            verifier=False, on_progress=on_progress)
        finished = [_as_record(item) for item in run.partial[:len(batch)]]
        current = state["current"]
        stopped_in_call = current is not None and 0 <= current < len(batch) and len(finished) <= current
        if (run.limit == too_slow or (not run.limit and not run.finished)) and stopped_in_call:
            # Too slow, or the process ended during a call (os._exit, a signal): that call failed, the others go on.
            for index in range(current):
                records[pending[index]] = finished[index] if index < len(finished) else {"status": "invalid"}
            records[pending[current]] = {"status": "timeout"} if run.limit else {
                "status": "raised", "error": "SystemExit", "message": "the process ended during this call"}
            pending = pending[current + 1:]
            continue
        if run.limit:
            return None, f"Re-running your functions was stopped: {run.limit}."
        if len(finished) < len(batch) and not run.finished:
            return None, f"Your functions could not be re-run for grading ({run.why()[:200]})."
        for index in range(len(batch)):
            records[pending[index]] = finished[index] if index < len(finished) else {"status": "invalid"}
        return list(records), ""
    return list(records), ""
