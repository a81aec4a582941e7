"""Self-check for students where nbgrader's Validate is not available (Google Colab).

``run_visible_tests()`` re-runs the notebook's visible test cells in the
student's own kernel, after the student ran the notebook, and reports PASS or
FAIL per question. It reads the test cells from the notebook itself: on Colab
from the live notebook in the browser, elsewhere from the saved ``.ipynb``.
Hidden tests are never run nor shown: a release notebook has none, and the
lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are
dropped from any notebook that still has them.
"""

import contextlib
import glob
import io
import json
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

import nbformat



@dataclass
class CheckResult:
    """The outcome of one visible test cell.

    Attributes:
        grade_id: The test cell's nbgrader ``grade_id``.
        points: Points of the question.
        passed: Whether the cell ran without an error.
        message: The error a failed test raised (type and message), else ``''``.
    """

    grade_id: str
    points: float
    passed: bool
    message: str = ""


def _visible(source: str) -> str:
    """A test cell's source without hidden tests, as nbgrader's ``ClearHiddenTests`` cuts them.

    A release notebook has none; where nbgrader is not installed (Colab) the
    source is used as it is.
    """
    try:
        from course import regions
    except ImportError:  # nbgrader missing: a student's release notebook holds no hidden test
        return source
    return regions.without(nbformat.v4.new_code_cell(source), [regions.HIDDEN_TESTS])


def visible_tests(nb: nbformat.NotebookNode) -> List[Dict[str, object]]:
    """Lists a notebook's autograded test cells, with any hidden test lines removed.

    Args:
        nb: The notebook.

    Returns:
        ``{"grade_id", "points", "source"}`` per test cell, in notebook order.
    """
    tests = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            tests.append(
                {
                    "grade_id": meta.get("grade_id", "?"),
                    "points": float(meta.get("points", 0) or 0),
                    "source": _visible(source),
                }
            )
    return tests


def _colab_notebook() -> Optional[nbformat.NotebookNode]:
    """The live notebook from Colab's front end, or ``None`` outside Colab."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        return None
    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=30)
    content = reply.get("ipynb", reply) if isinstance(reply, dict) else reply
    return nbformat.reads(json.dumps(content), as_version=4)


def find_notebook(namespace: Optional[dict] = None) -> str:
    """Finds the saved notebook that the running kernel belongs to.

    Jupyter servers tell the kernel its notebook in ``JPY_SESSION_NAME`` (and
    ipykernel copies it to ``__session__``); else the only notebook in the
    working directory is taken.

    Args:
        namespace: The student's namespace (for ``__session__``).

    Raises:
        FileNotFoundError: The notebook cannot be told; pass its path instead.
    """
    candidates = [(namespace or {}).get("__session__"), os.environ.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb") and os.path.isfile(candidate):
            return candidate
    here = sorted(glob.glob("*.ipynb"))
    if len(here) == 1:
        return here[0]
    raise FileNotFoundError("Cannot tell which notebook to check; call run_visible_tests('<name>.ipynb').")


def _student_namespace() -> dict:
    """The interactive namespace of the running IPython kernel, else a new one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def _transform(source: str) -> str:
    """Turns IPython syntax (magics, ``!`` commands) into Python, where IPython runs."""
    try:
        from IPython import get_ipython
    except ImportError:
        return source
    shell = get_ipython()
    return shell.transform_cell(source) if shell is not None else source


def check_notebook(nb: nbformat.NotebookNode, namespace: dict) -> List[CheckResult]:
    """Runs each visible test cell of ``nb`` in ``namespace``.

    The tests' own printed output is kept out of the report.

    Args:
        nb: The notebook whose test cells to run.
        namespace: Where the student's answers live (the kernel's namespace).

    Returns:
        One result per test cell, in notebook order.
    """
    results = []
    for test in visible_tests(nb):
        sink = io.StringIO()
        try:
            code = compile(_transform(test["source"]), f"<{test['grade_id']}>", "exec")
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                exec(code, namespace)  # noqa: S102 (the student's own notebook, in the student's kernel)
        except NameError as error:
            message = f"NameError: {error} (run every cell above first)"
            results.append(CheckResult(test["grade_id"], test["points"], False, message))
        except Exception as error:  # a failing test may raise anything; report it, go on
            message = f"{type(error).__name__}: {error}".strip().splitlines()[0]
            results.append(CheckResult(test["grade_id"], test["points"], False, message))
        else:
            results.append(CheckResult(test["grade_id"], test["points"], True))
    return results


def format_report(results: List[CheckResult], name: str) -> str:
    """Formats the results as the lines a student sees."""
    lines = [f"Self-check of {name}: visible tests only (the grade also counts hidden tests)."]
    for r in results:
        points = f"{r.points:g} pt" + ("" if r.points == 1 else "s")
        line = f"  {'PASS' if r.passed else 'FAIL'}  {r.grade_id} ({points})"
        lines.append(line + (f": {r.message}" if r.message else ""))
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} visible tests pass.")
    return "\n".join(lines)


def run_visible_tests(notebook: Optional[str] = None, namespace: Optional[dict] = None, show: bool = True) -> List[CheckResult]:
    """Re-runs the current notebook's visible tests and reports PASS / FAIL per question.

    Run it after running the notebook from the top, in the same kernel.

    Args:
        notebook: Path of the notebook; default: the live notebook on Colab,
            else the saved notebook of this kernel (``find_notebook``).
        namespace: Where the answers live; default: the kernel's namespace.
        show: Print the report.

    Returns:
        One result per visible test cell.

    Raises:
        FileNotFoundError: No notebook was given and none can be found.
    """
    if namespace is None:
        namespace = _student_namespace()
    nb = None
    if notebook is None:
        nb = _colab_notebook()
        name = "this notebook"
        if nb is None:
            notebook = find_notebook(namespace)
    if nb is None:
        nb = nbformat.read(notebook, as_version=4)
        name = os.path.basename(notebook)
    results = check_notebook(nb, namespace)
    if show:
        print(format_report(results, name))
    return results
