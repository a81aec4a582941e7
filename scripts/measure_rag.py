"""Measures assignment 06's hidden benchmark over grading salts: what ``rag_min_recall_at_10`` in course/profiles.py comes from.

Usage:
    python scripts/measure_rag.py [SALT ...]      (default: s1 s2 s3 s4 s5)

For each salt (``COURSE_GRADING_SALT``: which IMDB test reviews and which
queries the grader's hidden benchmark draws), the answer key builds its
hidden benchmark with the reference embeddings (``course.grading.embeddings``)
and the reference solution's index (the source notebook's ``retrieve``:
faiss HNSW) is judged on it as the grader judges a student. One line per
salt: recall@10 of exact search and of the reference index, the index's
overlap with exact search, and the seconds the embeddings took. Uses the
settings of the calling environment (``COURSE_PROFILE``, ``COURSE_IMDB_PATH``
or ``COURSE_DATA_SOURCE=sample``).
"""

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))


def main(salts) -> None:
    from course_copy import load_key_module, run_solution_cells

    solution = run_solution_cells(os.path.join(ROOT, "source", "06_rag", "rag.ipynb"),
                                  ("imports", "index_functions", "retrieve", "metric_functions"))
    for salt in salts:
        os.environ["COURSE_GRADING_SALT"] = salt
        key = load_key_module("06_rag", "rag", name=f"rag_key_{salt}")
        started = time.monotonic()
        passages, queries, relevant = key.hidden_benchmark()
        seconds = time.monotonic() - started
        exact = key.exact_search(passages, queries, 10)
        found = solution["retrieve"](passages, queries, 10)
        overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)])
        print(f"salt {salt}: {len(passages)} passages, {len(queries)} queries; recall@10 exact "
              f"{key.recall_at_k(exact, relevant, 10):.3f}, reference HNSW {key.recall_at_k(found, relevant, 10):.3f} "
              f"(overlap {overlap:.3f}); embeddings {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["s1", "s2", "s3", "s4", "s5"])
