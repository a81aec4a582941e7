"""The answer key of 06 (source/06_rag/rag_key.py), judged in-process.

The reference solution (the source notebook's function cells) must earn every
point on the grader's cases, after the same data round trip as the runner's;
every valid form of a right answer must be accepted (any order of codes at
equal Hamming distance, scales as a column, NumPy or list results); wrong
functions, a positional guess on the hidden benchmark and made-up tables must
earn nothing on their cell, and cells of several numbers a share per number.
The hidden benchmark and the notebook's benchmark are replaced by random unit
vectors here (plumbing only: no accuracy is claimed); the grading batch
(tests/test_rag_cheats.py) judges with the real ones.
"""

import math
import os
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from course_copy import ROOT, judge_function, load_key_module, run_solution_cells
from course.grading.judge import run_judge

FOLDER = os.path.join(ROOT, "source", "06_rag")
NUMPY_CELLS = ("imports", "embedding_functions", "metric_functions", "exact_search_function", "index_functions",
               "retrieve", "chunk_function", "bm25_functions")


@pytest.fixture(scope="module")
def key():
    return load_key_module("06_rag", "rag")


@pytest.fixture(scope="module")
def solution():
    """The reference solution's functions, run from the source notebook's cells (no model loaded)."""
    return run_solution_cells(os.path.join(FOLDER, "rag.ipynb"), NUMPY_CELLS)


def _judge_function(key, grade_id, function, student="student"):
    """Judges ``function`` as the grader does, with this student's random cases."""
    return judge_function(key, grade_id, function, (student, "rag"))


def test_key_covers_every_autograded_cell(key):
    """Does the key judge exactly the notebook's autograded cells, and does the runner re-run cells that exist?"""
    nb = nbformat.read(os.path.join(FOLDER, "rag.ipynb"), as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    assert set(key.QUESTIONS) == graded
    assert set(key.RUNNER_CELLS) <= ids


FUNCTIONS = ("test_mean_pool", "test_l2_normalize", "test_recall_at_k", "test_mrr", "test_exact_search",
             "test_quantize_int8", "test_binarize", "test_hamming_search", "test_chunk_words", "test_bm25", "test_rrf")


@pytest.mark.parametrize("grade_id", FUNCTIONS)
def test_reference_functions_earn_every_point(key, solution, grade_id):
    """Does the notebook's reference function pass all of the grader's cases, for several students' random draws?"""
    name = key.QUESTIONS[grade_id].function
    for student in ("a", "b"):
        verdict = _judge_function(key, grade_id, solution[name], student)
        assert verdict.passed and verdict.score == 1, (grade_id, verdict.message)


def test_other_valid_forms_are_accepted(key, solution):
    """Are other right answers accepted: any order of equally distant codes, scales as a column, lists, NumPy floats?"""
    def hamming_reversed_ties(codes, queries, k):
        distances = key.hamming_distances(codes, queries)
        order = np.lexsort((-np.arange(distances.shape[1])[None, :].repeat(len(distances), 0), distances), axis=1)
        return order[:, :k]

    def int8_column(vectors):
        codes, scales = solution["quantize_int8"](vectors)
        return codes, scales.reshape(-1, 1)

    def rrf_array(rankings, k=60):
        return np.array(solution["rrf"](rankings, k))

    def recall_numpy(rankings, relevant, k):
        return np.float32(solution["recall_at_k"](rankings, relevant, k))

    for grade_id, function in (("test_hamming_search", hamming_reversed_ties), ("test_quantize_int8", int8_column),
                               ("test_rrf", rrf_array), ("test_recall_at_k", recall_numpy)):
        verdict = _judge_function(key, grade_id, function)
        assert verdict.passed and verdict.score == 1, (grade_id, verdict.message)


def test_wrong_functions_earn_nothing(key, solution):
    """Do a worst-first search, a per-dimension int8 scale, an unnormalised mean and a BM25 without idf fail?"""
    def worst_first(passages, queries, k):
        return solution["exact_search"](passages, queries, k)[:, ::-1]

    def per_dimension_int8(vectors):
        vectors = np.asarray(vectors, dtype=np.float32)
        scales = np.abs(vectors).max(axis=0) / 127 + 1e-12
        return np.round(vectors / scales).astype(np.int8), scales

    def sum_pool(vectors, mask):
        return (np.asarray(vectors) * np.asarray(mask, dtype=np.float32)[..., None]).sum(axis=1)

    def term_frequency(queries, documents, k1=1.5, b=0.75):
        from course.retrieval import bm25_tokens
        return np.array([[sum(bm25_tokens(d).count(t) for t in set(bm25_tokens(q))) for d in documents] for q in queries],
                        dtype=float)

    for grade_id, function in (("test_exact_search", worst_first), ("test_quantize_int8", per_dimension_int8),
                               ("test_mean_pool", sum_pool), ("test_bm25", term_frequency)):
        verdict = _judge_function(key, grade_id, function)
        assert not verdict.passed and verdict.score == 0, grade_id


def _hidden(rng, n=400, d=32, q=60):
    passages = rng.normal(size=(n, d))
    passages /= np.linalg.norm(passages, axis=1, keepdims=True)
    relevant = rng.choice(n, size=q, replace=False)
    queries = passages[relevant] + 0.3 * rng.normal(size=(q, d)) / math.sqrt(d)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return passages.astype(np.float32), queries.astype(np.float32), relevant


def test_search_is_judged_on_the_hidden_benchmark(key, solution, monkeypatch):
    """Does the student's faiss index pass on a hidden benchmark, and do a positional guess and a random search fail?"""
    hidden = _hidden(np.random.default_rng(0))
    monkeypatch.setattr(key, "hidden_benchmark", lambda: hidden)
    monkeypatch.setattr(key, "_test_reviews", lambda: ([], "synthetic"))
    assert _judge_function(key, "test_search", solution["retrieve"]).score == 1

    def positional(passages, queries, k):
        return (np.arange(len(queries))[:, None] + np.arange(k)[None, :]) % len(passages)

    def first_k(passages, queries, k):
        return np.tile(np.arange(k), (len(queries), 1))

    for function in (positional, first_k):
        verdict = _judge_function(key, "test_search", function)
        assert verdict.score == 0 and "exact search's top 10" in verdict.message


@pytest.fixture()
def fake_notebook_benchmark(key, monkeypatch):
    """The notebook's benchmark replaced by random unit vectors and made-up texts (what the tables are judged on)."""
    rng = np.random.default_rng(1)
    passages, queries, relevant = _hidden(rng, n=300, d=48, q=50)
    raw = passages * rng.uniform(0.5, 3, size=(len(passages), 1)).astype(np.float32)
    words = [f"w{i}" for i in range(200)]
    texts = [" ".join(rng.choice(words, size=30)) for _ in range(len(passages))]
    bench = SimpleNamespace(passages=texts, queries=[texts[i][:60] for i in relevant], relevant=relevant)
    emb = {"mean": (passages, queries), "cls": (passages[:, ::-1].copy(), queries), "raw": (raw, queries)}
    monkeypatch.setattr(key, "_notebook_benchmark", lambda: (bench, emb))
    key._lexical_rankings.cache_clear()
    yield bench, emb
    key._lexical_rankings.cache_clear()


def _tables(key, solution, bench, emb):
    exact_search, recall_at_k, mrr = solution["exact_search"], solution["recall_at_k"], solution["mrr"]
    relevant = bench.relevant
    pooling = {}
    for row, pooling_name in (("mean", "mean"), ("cls", "cls"), ("unnormalised", "raw")):
        top = exact_search(*emb[pooling_name], 10)
        pooling[row] = {"recall_at_10": recall_at_k(top, relevant, 10), "mrr": mrr(top, relevant)}
    p, q = emb["mean"]
    codes, scales = solution["quantize_int8"](p)
    index = solution["build_index"](p)
    search = {
        "exact": {"recall_at_10": pooling["mean"]["recall_at_10"], "bytes_per_vector": p.shape[1] * 4, "ms_per_query": 0.01},
        "hnsw": {"recall_at_10": recall_at_k(solution["search"](index, q, 10), relevant, 10),
                 "bytes_per_vector": 5000.0, "ms_per_query": 0.02},
        "int8": {"recall_at_10": recall_at_k(exact_search(codes * scales[:, None], q, 10), relevant, 10),
                 "bytes_per_vector": p.shape[1] + 4, "ms_per_query": 0.03},
        "binary": {"recall_at_10": recall_at_k(solution["hamming_search"](solution["binarize"](p), solution["binarize"](q), 10),
                                               relevant, 10), "bytes_per_vector": p.shape[1] / 8, "ms_per_query": 0.2},
    }
    lexical = np.argsort(-solution["bm25_scores"](bench.queries, bench.passages), axis=1, kind="stable")[:, :100]
    dense = exact_search(p, q, 100)
    hybrid = [solution["rrf"]([a, b])[:10] for a, b in zip(lexical, dense)]
    hybrid_table = {name: {"recall_at_10": recall_at_k(r, relevant, 10), "mrr": mrr([list(x)[:10] for x in r], relevant)}
                    for name, r in (("bm25", lexical), ("embedding", dense), ("hybrid", hybrid))}
    return pooling, search, hybrid_table


def test_measured_tables_are_recomputed(key, solution, fake_notebook_benchmark):
    """Do honest tables earn every point, one wrong row a share, and made-up recalls nothing?"""
    bench, emb = fake_notebook_benchmark
    pooling, search, hybrid = _tables(key, solution, bench, emb)
    for judge, name, table in ((key._pooling_table, "pooling_table", pooling), (key._search_table, "search_table", search),
                               (key._hybrid_table, "hybrid_table", hybrid)):
        verdict = run_judge(judge, {name: table})
        assert verdict.passed and verdict.score == 1, (name, verdict.message)
    search["binary"]["recall_at_10"] = search["exact"]["recall_at_10"] + 0.2  # binary "loses nothing"
    verdict = run_judge(key._search_table, {"search_table": search})
    assert verdict.score == pytest.approx(0.75) and "binary" in verdict.message
    search["int8"]["bytes_per_vector"] = 48 * 4  # int8 stored as float32
    assert run_judge(key._search_table, {"search_table": search}).score == pytest.approx(0.5)
    faked = {row: dict(values, recall_at_10=0.1) for row, values in search.items()}  # far from this benchmark's
    verdict = run_judge(key._search_table, {"search_table": faked})
    assert verdict.score == 0 and "is not what the grader measures" in verdict.message
    faked_pooling = {row: {k: (v + 0.3) % 1 for k, v in values.items()} for row, values in pooling.items()}
    assert run_judge(key._pooling_table, {"pooling_table": faked_pooling}).score == 0


def _cost_values(key, texts=2000, seconds=20.0, chunk=36.0):
    values = dict(key.cost_numbers(texts / seconds, chunk), embedded_texts=texts, embed_seconds=seconds, chunk_tokens=chunk)
    return values


def test_cost_numbers_follow_the_students_own_throughput(key):
    """Do the cost numbers earn their points from the student's own measurement, a wrong throughput only its share?"""
    values = _cost_values(key)
    assert run_judge(key._cost_numbers, values).score == 1
    follow = dict(key.cost_numbers(50.0, 36.0), embedded_texts=2000, embed_seconds=20.0, chunk_tokens=36.0)
    verdict = run_judge(key._cost_numbers, follow)  # a wrong throughput, everything after it right from it
    assert verdict.score == pytest.approx(6 / 7, abs=1e-3) and "texts_per_second" in verdict.message
    wrong = {k: (v * 3 if isinstance(v, float) and k not in ("embedded_texts", "embed_seconds", "chunk_tokens") else v)
             for k, v in values.items()}
    wrong["queries_to_amortise"] = values["queries_to_amortise"] + 50
    assert run_judge(key._cost_numbers, wrong).score == 0


def test_no_break_even_on_a_slow_machine_is_infinity(key):
    """Where indexing a token costs more than the LLM reading it, is math.inf the expected answer?"""
    slow = key.cost_numbers(0.5, 36.0)
    assert math.isinf(slow["break_even_tokens_cheaper"])
    assert 1 < slow["queries_to_amortise"] < math.inf  # reading 100k tokens less per query still pays the index back
    values = _cost_values(key, texts=10, seconds=20.0)
    assert math.isinf(values["break_even_tokens_cheaper"])
    assert run_judge(key._cost_numbers, values).score == 1
    values["break_even_tokens_cheaper"] = -1e6
    assert run_judge(key._cost_numbers, values).score == pytest.approx(6 / 7, abs=1e-3)


def test_key_constants_are_the_notebooks():
    """Does the key rebuild the notebook's benchmark and costs with the locked cells' own constants?"""
    import re

    source = open(os.path.join(FOLDER, "rag.py"), encoding="utf-8").read()
    for name in ("BENCHMARK_SEED", "FUSE_DEPTH", "CPU_PRICE_PER_HOUR", "PRICE_PER_MILLION_INPUT", "QUESTION_TOKENS",
                 "TOP_K", "CORPUS_TOKENS"):
        found = re.search(rf"^{name} = ([0-9_.]+)", source, re.MULTILINE)
        assert found, name
        assert float(found.group(1).replace("_", "")) == getattr(key_module(), name), name


def key_module():
    return load_key_module("06_rag", "rag", name="rag_key_constants")
