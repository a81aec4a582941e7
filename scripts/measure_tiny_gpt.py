"""Measures assignment 05's tiny GPT over seeds: what ``gpt_max_bits_per_byte`` in course/profiles.py comes from.

Usage:
    python scripts/measure_tiny_gpt.py [SEED ...]      (default: 1 2 3)

For each seed, the reference notebook (source/05_tiny_gpt) runs from top to
bottom in a fresh kernel, in a scratch copy, with ``SEED = <seed>``; then
the grader's own verifier (``course.grading.verifiers.tinygpt``) scores the
model the notebook handed in on the held-out IMDB test reviews. One line per
seed: bits per byte measured by the verifier, training and notebook time.
Use the settings of the calling environment (``COURSE_PROFILE``, ``COURSE_IMDB_PATH``).
"""

import os
import re
import shutil
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
FOLDER = os.path.join(ROOT, "source", "05_tiny_gpt")


def run(seed: int) -> str:
    """One seed: the notebook, then the verifier on its handed-in model; returns the report line."""
    from course.grading.verifiers.tinygpt import verify_bits_per_byte

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(FOLDER, tmp, dirs_exist_ok=True)
        path = os.path.join(tmp, "tiny_gpt.ipynb")
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and re.search(r"^SEED = \d+", cell.source, re.M):
                cell.source = re.sub(r"^SEED = \d+", f"SEED = {seed}", cell.source, flags=re.M)
                break
        started = time.monotonic()
        NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        seconds = time.monotonic() - started
        trained = ""
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "build_gpt":
                trained = " ".join(o.get("text", "").strip() for o in cell.outputs if o.get("output_type") == "stream")
        verdict = verify_bits_per_byte(os.path.join(tmp, ".grading_artifacts", "test_gpt_bits_per_byte.keras"))
        return (f"seed {seed}: {verdict.metrics.get('bits_per_byte')} bits per byte on {verdict.metrics.get('held_out_bytes')} "
                f"held-out bytes ({verdict.metrics.get('data_source')}); {trained}; notebook {seconds:.0f} s")


def main(argv) -> None:
    for seed in [int(a) for a in argv] or [1, 2, 3]:
        print(run(seed), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
