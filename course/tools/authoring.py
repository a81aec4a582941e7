"""Builds the source notebooks from their jupytext text copies.

Each ``source/<assignment>/<name>.py`` (jupytext ``py:percent``, nbgrader
metadata on the ``# %%`` lines) is the reviewable text of
``source/<assignment>/<name>.ipynb``. The notebook is generated from it with
stable cell ids, a Python 3 kernelspec and no outputs, so that building twice
gives the same bytes and a test can check that the two agree.
"""

import glob
import json
import os
from typing import List

import jupytext
import nbformat

from course import regions

PARTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebook_parts")
"""The header and footer notebooks nbgrader adds to every release notebook."""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def text_sources(source_dir: str) -> List[str]:
    """Lists the jupytext copies under ``source_dir``.

    These are each assignment's notebooks (``*/*.py``) and the header and
    footer notebooks in ``PARTS_DIR`` that nbgrader adds to every release
    notebook; answer keys (``*_key.py``, ``course.grading.judge``) are not notebooks. They live outside ``source/`` so that nbgrader and its
    formgrader never take them for an assignment or a notebook of one.
    """
    notebooks = [p for p in glob.glob(os.path.join(source_dir, "*", "*.py")) if not p.endswith("_key.py")]
    return sorted(notebooks + glob.glob(os.path.join(PARTS_DIR, "*.py")))


def build_notebook(py_path: str) -> nbformat.NotebookNode:
    """Builds the notebook of one jupytext copy.

    Args:
        py_path: The ``py:percent`` file.

    Returns:
        The notebook: cell ids from an ``id`` on the ``# %%`` line, else from
        ``grade_id``, else from the cell's position; no outputs, the course
        kernelspec.
    """
    nb = jupytext.read(py_path, fmt="py:percent")
    seen = set()
    for index, cell in enumerate(nb.cells):
        grade_id = regions.grade_id(cell)
        cell_id = cell.metadata.pop("id", None) or grade_id or f"cell-{index:03d}"
        if cell_id in seen:
            cell_id = f"{cell_id}-{index:03d}"
        seen.add(cell_id)
        cell["id"] = cell_id
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """Serialises a notebook the way this module writes it."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def build_all(source_dir: str, check: bool = False) -> List[str]:
    """Builds (or checks) every source notebook from its text copy.

    Args:
        source_dir: The nbgrader ``source`` directory.
        check: Only compare; write nothing.

    Returns:
        The notebooks that were out of date (and, unless ``check``, rewritten).
    """
    stale = []
    for py_path in text_sources(source_dir):
        ipynb_path = os.path.splitext(py_path)[0] + ".ipynb"
        text = notebook_text(build_notebook(py_path))
        current = None
        if os.path.exists(ipynb_path):
            with open(ipynb_path, encoding="utf-8") as fh:
                current = fh.read()
        if current != text:
            stale.append(ipynb_path)
            if not check:
                with open(ipynb_path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    return stale
