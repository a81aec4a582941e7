"""Measures the peak memory of each assignment's reference solution (the Binder advice in docs/students.md).

Usage:
    python scripts/measure_memory.py [ASSIGNMENT ...]

Each source notebook (solutions and hidden tests included) runs from top to
bottom in a fresh kernel, in a scratch copy of its folder, with the course
settings of the calling environment (``COURSE_*``; set ``COURSE_PROFILE=cpu``
to measure what Binder runs). One line per notebook gives the kernel's peak
resident memory (``ru_maxrss`` of the reaped kernel process) and the wall time.
A JupyterLab server adds about 130 MiB on top of the kernel (measured once).
"""

import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(notebook: str, timeout: int = 3600):
    """Runs one notebook in a new kernel process.

    Args:
        notebook: The notebook file.
        timeout: Seconds allowed per cell.

    Returns:
        ``(peak MiB of the kernel, seconds, error or '')``.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    error = ""
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "work")
        shutil.copytree(os.path.dirname(notebook), folder)
        nb = nbformat.read(os.path.join(folder, os.path.basename(notebook)), as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": folder}})
        try:
            client.execute()
        except Exception as exc:  # report the failure with the memory reached so far
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        error = error or "no kernel peak recorded"
    return peak / 1024, seconds, error


def main(argv) -> int:
    """Measures the given assignments (default: all), each notebook in a process of its own.

    ``ru_maxrss`` of reaped children is a maximum over all of them, hence one
    process per notebook.
    """
    assignments = argv or sorted(
        d for d in os.listdir(os.path.join(ROOT, "source")) if os.path.isdir(os.path.join(ROOT, "source", d))
    )
    status = 0
    for assignment in assignments:
        for notebook in sorted(glob.glob(os.path.join(ROOT, "source", assignment, "*.ipynb"))):
            rel = os.path.relpath(notebook, ROOT)
            status |= subprocess.call([sys.executable, os.path.abspath(__file__), "--one", rel])
    return status


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        peak, seconds, error = measure(os.path.join(ROOT, sys.argv[2]))
        print(f"{sys.argv[2]}: kernel peak {peak:,.0f} MiB, {seconds:,.0f} s" + (f" (FAILED: {error})" if error else ""), flush=True)
        sys.exit(1 if error else 0)
    sys.exit(main(sys.argv[1:]))
