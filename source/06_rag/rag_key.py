"""Answer key of rag.ipynb: expected answers, loaded by the grader only (course.grading.judge).

Functions are re-run by the runner on the grader's own cases: random token
vectors and masks, random rankings, random vectors and bit codes, small
corpora for BM25, and texts the notebook never loads (IMDB test reviews and
fixed sentences) for ``embed``. ``retrieve`` (the student's index, built and
searched) is run on the grader's hidden benchmark: the same construction as
the notebook's, from IMDB test reviews. The recall tables are recomputed on
the notebook's benchmark with the grader's reference embeddings
(``course.grading.embeddings``: MiniLM in a separate process), reference
BM25 and reference fusion. The cost numbers are judged with follow-through
from the student's own measured throughput.
"""

import functools
import math
from collections import Counter, defaultdict

import numpy as np

from course.grading.compare import is_finite_number, judge_cases, score_numbers
from course.grading.judge import FunctionQuestion, ValueQuestion, case_rng

RUNNER_CELLS = (
    "imports", "encoder", "embedding_functions", "metric_functions", "exact_search_function", "index_functions",
    "retrieve", "chunk_function", "bm25_functions",
)

# ------------------------------------------------------------ constants of the notebook's locked cells

BENCHMARK_SEED = 42
FUSE_DEPTH = 100
CPU_PRICE_PER_HOUR = 0.10
PRICE_PER_MILLION_INPUT = 0.15
QUESTION_TOKENS = 50
TOP_K = 5
CORPUS_TOKENS = 100_000
#: Cosine a student's embedding must reach with the reference one, text by text.
MIN_COSINE = 0.999
#: Share of the exact top 10 a student's approximate search must find on the hidden benchmark.
MIN_OVERLAP = 0.9
#: Absolute tolerance of a recomputed recall or MRR (float32 against the reference's rounding).
TABLE_TOL = 0.02

TOL = {"rel_tol": 1e-4, "abs_tol": 1e-5}

# ------------------------------------------------------------------ references


def recall_at_k(rankings, relevant, k):
    hits = [int(rel) in [int(x) for x in list(r)[:k]] for r, rel in zip(rankings, relevant)]
    return float(np.mean(hits)) if hits else 0.0


def mrr(rankings, relevant):
    scores = []
    for r, rel in zip(rankings, relevant):
        r = [int(x) for x in r]
        scores.append(1.0 / (r.index(int(rel)) + 1) if int(rel) in r else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def exact_search(passages, queries, k):
    scores = np.asarray(queries, dtype=np.float64) @ np.asarray(passages, dtype=np.float64).T
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def quantize_int8(vectors):
    vectors = np.asarray(vectors, dtype=np.float64)
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales = np.where(scales > 0, scales, 1.0)
    return np.clip(np.round(vectors / scales[:, None]), -127, 127).astype(np.int8), scales


def binarize(vectors):
    return np.packbits(np.asarray(vectors) > 0, axis=1)


_ONES = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1)


def hamming_distances(codes, query_codes):
    codes, query_codes = np.asarray(codes, dtype=np.uint8), np.asarray(query_codes, dtype=np.uint8)
    return _ONES[np.bitwise_xor(query_codes[:, None, :], codes[None, :, :])].sum(axis=2)


def chunk_words(text, size, overlap):
    words, chunks, start = str(text).split(), [], 0
    while start < len(words):
        chunks.append(" ".join(words[start:start + size]))
        if start + size >= len(words):
            break
        start += size - overlap
    return chunks


def bm25_scores(queries, documents, k1=1.5, b=0.75):
    from course.retrieval import bm25_tokens

    counts = [Counter(bm25_tokens(d)) for d in documents]
    lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    average = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
    df = Counter(t for c in counts for t in c)
    n = len(documents)
    scores = np.zeros((len(queries), n))
    for i, q in enumerate(queries):
        for t in set(bm25_tokens(q)):
            if t not in df:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            for j, c in enumerate(counts):
                f = c.get(t, 0)
                if f:
                    scores[i, j] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[j] / average))
    return scores


def rrf(rankings, k=60):
    fused = defaultdict(float)
    for ranking in rankings:
        for position, doc in enumerate(ranking):
            fused[int(doc)] += 1.0 / (k + position + 1)
    return sorted(fused, key=lambda d: (-fused[d], d))


def _unit(rng, n, d):
    x = rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _value(record):
    return record.get("value") if isinstance(record, dict) and record.get("status") == "ok" else None


def _fail_status(results, name):
    """Raises the message ``judge_cases`` would give when no call returned normally."""
    for record in results:
        if not isinstance(record, dict) or record.get("status") != "ok":
            judge_cases([record], [((), None)], name)


# ------------------------------------------------------------------ data the grader builds itself


def _embeddings(texts):
    from course.grading.embeddings import reference_embeddings

    found = reference_embeddings(tuple(texts))
    if found is None:
        raise AssertionError("The grader could not load MiniLM to check this answer; tell your instructor.")
    return found


@functools.lru_cache(maxsize=1)
def _notebook_benchmark():
    """The notebook's benchmark (the grader's data settings and profile) and its reference embeddings."""
    from course.data import load_imdb_arrays
    from course.profiles import get_profile
    from course.retrieval import halves_benchmark

    profile = get_profile()
    (train, _), = load_imdb_arrays(("train",), verbose=False)
    bench = halves_benchmark(train[:profile.rag_reviews], profile.rag_queries, BENCHMARK_SEED)
    found = _embeddings(list(bench.passages) + list(bench.queries))
    n = len(bench.passages)
    return bench, {k: (v[:n], v[n:]) for k, v in found.items()}


@functools.lru_cache(maxsize=1)
def _test_reviews():
    """The IMDB test reviews the grader's data settings give, and where they came from (``'local'``, ``'sample'``, ...)."""
    from course.data import load_imdb_arrays

    loaded = load_imdb_arrays(("test",), verbose=False)
    (texts, _), = loaded
    return list(texts), loaded.source


@functools.lru_cache(maxsize=1)
def hidden_benchmark():
    """The grader's hidden benchmark: the notebook's construction on IMDB test reviews it never loads.

    The reviews and the seed are drawn from ``COURSE_GRADING_SALT`` (the
    same for every student of one grading setup). Returns ``(passage vectors,
    query vectors, relevant)``, vectors from the reference embedding.
    """
    from course.profiles import get_profile
    from course.retrieval import halves_benchmark

    profile = get_profile()
    rng = case_rng("06_rag", "hidden benchmark")
    test, _ = _test_reviews()
    chosen = np.sort(rng.choice(len(test), size=min(profile.rag_hidden_reviews, len(test)), replace=False))
    bench = halves_benchmark([test[i] for i in chosen], profile.rag_hidden_queries, int(rng.integers(2**31)))
    found = _embeddings(list(bench.passages) + list(bench.queries))["mean"]
    n = len(bench.passages)
    return found[:n], found[n:], np.asarray(bench.relevant)


#: Sentences no IMDB loader returns, for ``embed``.
_FIXED_TEXTS = (
    "The quarterly report shows revenue growth in every region.",
    "Retrieval-augmented generation grounds answers in documents.",
    "a",
    "Photosynthesis converts light energy into chemical energy stored in glucose molecules within plant cells.",
)


# ------------------------------------------------------------------ part 1


def _pool_cases(rng):
    cases = []
    for n, length, d in ((1, 1, 3), (2, 5, 4), (int(rng.integers(3, 8)), int(rng.integers(4, 12)), 16)):
        vectors = rng.normal(size=(n, length, d)).astype(np.float32)
        mask = rng.random((n, length)) < 0.6
        mask[:, 0] = True
        cases.append(((vectors, mask), _reference_pool(vectors, mask), f"for {n} texts of {length} positions"))
    vectors = rng.normal(size=(2, 6, 5)).astype(np.float32)
    mask = np.array([[True] * 6, [True, True, False, False, False, False]])
    cases.append(((vectors, mask), _reference_pool(vectors, mask), "with padding at the end of one text"))
    cases.append(((vectors, mask.astype(np.int64)), _reference_pool(vectors, mask), "with a mask of 0s and 1s"))
    return cases


def _reference_pool(vectors, mask):
    from course.grading.embeddings import mean_pool

    return mean_pool(vectors, mask)


def _normalize_cases(rng):
    from course.grading.embeddings import l2_normalize

    cases = []
    for n, d in ((1, 2), (4, 8), (int(rng.integers(5, 20)), 384)):
        x = (rng.normal(size=(n, d)) * rng.uniform(0.1, 50)).astype(np.float32)
        cases.append(((x,), l2_normalize(x), f"for a {n} x {d} matrix"))
    zero = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]], dtype=np.float32)
    cases.append(((zero,), l2_normalize(zero), "for a row of zeros"))
    return cases


def _embed_cases(rng):
    from course.retrieval import clean_review

    test, _ = _test_reviews()
    picked = [clean_review(test[int(i)]) for i in rng.choice(len(test), size=4, replace=False)]
    texts = list(_FIXED_TEXTS) + picked
    expected = _embeddings(texts)["mean"]
    return [((texts[i:i + 4],), expected[i:i + 4], "on the grader's texts") for i in range(0, len(texts), 4)]


def _embed_judge(results, cases):
    """One share per text whose embedding has a cosine of at least MIN_COSINE with the reference."""
    right = total = 0
    for record, case in zip(results, cases):
        expected = np.asarray(case[1], dtype=np.float64)
        total += len(expected)
        value = _value(record)
        if value is None:
            continue
        got = np.asarray(value, dtype=np.float64) if isinstance(value, (np.ndarray, list, tuple)) else None
        if got is None or got.shape != expected.shape or not np.isfinite(got).all():
            continue
        norms = np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1)
        cosine = (got * expected).sum(axis=1) / np.maximum(norms, 1e-12)
        unit = np.abs(np.linalg.norm(got, axis=1) - 1) < 1e-3
        right += int(((cosine >= MIN_COSINE) & unit).sum())
    if right == 0:
        _fail_status(results, "embed")
        raise AssertionError(
            f"embed does not match the reference embedding (mean pooling over the real tokens, then L2 normalisation, "
            f"unit length, cosine at least {MIN_COSINE}) on any of the grader's texts."
        )
    if right < total:
        return right / total, f"embed matches the reference on {right} of the grader's {total} texts"
    return None


# ------------------------------------------------------------------ part 2


def _random_rankings(rng, n_queries, n_docs):
    rankings, relevant = [], []
    for _ in range(n_queries):
        length = int(rng.integers(1, min(12, n_docs) + 1))
        rankings.append([int(x) for x in rng.permutation(n_docs)[:length]])
        relevant.append(int(rng.integers(n_docs)))
    return rankings, relevant


def _recall_cases(rng):
    cases = [
        (([[3, 1, 2], [0, 2, 1]], [1, 1], 2), 0.5, "on two short rankings"),
        (([[0, 1, 2]], [5], 3), 0.0, "when the relevant passage is missing"),
        (([[4, 2]], [2], 10), 1.0, "when k is longer than the ranking"),
    ]
    for _ in range(3):
        rankings, relevant = _random_rankings(rng, int(rng.integers(5, 30)), 15)
        k = int(rng.integers(1, 8))
        cases.append(((rankings, relevant, k), recall_at_k(rankings, relevant, k), "on random rankings"))
    rankings, relevant = _random_rankings(rng, 10, 15)
    width = max(len(r) for r in rankings)
    padded = np.array([r + [r[-1]] * (width - len(r)) for r in rankings], dtype=np.int64)
    cases.append(((padded, np.array(relevant), 3), recall_at_k(padded, relevant, 3), "on NumPy arrays"))
    return cases


def _mrr_cases(rng):
    cases = [
        (([[3, 1, 2], [0, 2, 1]], [1, 1]), (0.5 + 1 / 3) / 2, "on two short rankings"),
        (([[0, 1, 2]], [5]), 0.0, "when the relevant passage is missing"),
        (([[7]], [7]), 1.0, "when the relevant passage comes first"),
    ]
    for _ in range(3):
        rankings, relevant = _random_rankings(rng, int(rng.integers(5, 30)), 15)
        cases.append(((rankings, relevant), mrr(rankings, relevant), "on random rankings"))
    return cases


# ------------------------------------------------------------------ part 3


def _exact_cases(rng):
    cases = []
    for n, q, d, k in ((5, 1, 3, 1), (50, 4, 16, 5), (int(rng.integers(100, 400)), 7, 384, 10)):
        p, qs = _unit(rng, n, d), _unit(rng, q, d)
        cases.append(((p, qs, k), exact_search(p, qs, k), f"for {q} queries among {n} vectors, k = {k}"))
    return cases


def _search_cases(rng):
    passages, queries, relevant = hidden_benchmark()
    return [((passages, queries, 10), {"exact": exact_search(passages, queries, 10), "relevant": relevant},
             "on the grader's hidden benchmark")]


def _search_judge(results, cases):
    from course.profiles import get_profile

    (record,), (case,) = results, cases
    value = _value(record)
    if value is None:
        _fail_status(results, "retrieve")
    exact, relevant = case[1]["exact"], case[1]["relevant"]
    got = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else None
    if got is None or got.shape != exact.shape or got.dtype.kind not in "iuf" or not np.isfinite(got).all():
        raise AssertionError(f"retrieve must return an array of passage indices of shape {exact.shape} (queries x k).")
    got = got.astype(np.int64)
    overlap = float(np.mean([len(set(a) & set(b)) / exact.shape[1] for a, b in zip(got, exact)]))
    recall = recall_at_k(got, relevant, 10)
    threshold = get_profile().rag_min_recall_at_10
    if overlap < MIN_OVERLAP:
        raise AssertionError(f"on the grader's hidden benchmark your search finds {overlap:.0%} of exact search's top 10 "
                             f"(at least {MIN_OVERLAP:.0%} needed); check efSearch and that the index holds every vector.")
    if recall < threshold:
        raise AssertionError(f"on the grader's hidden benchmark your search reaches recall@10 {recall:.3f}; "
                             f"at least {threshold} is needed.")
    from course.grading.artifacts import Verdict

    return Verdict(True, f"recall@10 {recall:.3f} on the grader's hidden benchmark, {overlap:.1%} of exact search's top 10",
                   metrics={"recall_at_10": recall, "bound": threshold, "overlap": overlap,
                            "data_source": _test_reviews()[1]}, score=1.0)


def _int8_cases(rng):
    cases = []
    for n, d in ((1, 3), (5, 16), (int(rng.integers(10, 40)), 384)):
        x = (rng.normal(size=(n, d)) * rng.uniform(0.01, 5)).astype(np.float32)
        cases.append(((x,), x, f"for {n} vectors of {d} dimensions"))
    x = np.array([[0.0, 0.0], [0.5, -1.0]], dtype=np.float32)
    cases.append(((x,), x, "with a vector of zeros"))
    return cases


def _int8_judge(results, cases):
    """Codes int8 in [-127, 127] reaching 127 in each non-zero row, one scale per vector, restoring x within half a step."""
    right = 0
    for record, case in zip(results, cases):
        value = _value(record)
        x = np.asarray(case[1], dtype=np.float64)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            continue
        codes, scales = (np.asarray(v) if isinstance(v, (np.ndarray, list, tuple)) else None for v in value)
        if codes is None or scales is None or codes.shape != x.shape or codes.dtype != np.int8:
            continue
        if scales.dtype.kind not in "iuf" or scales.size != len(x) or not np.isfinite(scales).all():
            continue
        scales = scales.astype(np.float64).reshape(-1)
        nonzero = np.abs(x).max(axis=1) > 0
        expected_scales = np.abs(x).max(axis=1) / 127.0
        if not np.allclose(scales[nonzero], expected_scales[nonzero], rtol=1e-4):
            continue
        restored = codes.astype(np.float64) * scales[:, None]
        if not np.all(np.abs(restored[nonzero] - x[nonzero]) <= 0.5001 * scales[nonzero, None] + 1e-9):
            continue
        if not np.all(codes[~nonzero] == 0):
            continue
        right += 1
    if right == 0:
        _fail_status(results, "quantize_int8")
        raise AssertionError("quantize_int8 does not return (int8 codes, one scale max|x| / 127 per vector) "
                             "that restore the vectors to within half a step, in any of the grader's cases.")
    return (right / len(cases), f"quantize_int8 is right in {right} of {len(cases)} cases") if right < len(cases) else None


def _binarize_cases(rng):
    cases = []
    for n, d in ((1, 8), (3, 16), (int(rng.integers(5, 30)), 384)):
        x = rng.normal(size=(n, d)).astype(np.float32)
        cases.append(((x,), binarize(x), f"for {n} vectors of {d} dimensions"))
    x = np.array([[0.0, -0.0, 1e-9, -1e-9, 2, -2, 0, 3]], dtype=np.float32)
    cases.append(((x,), binarize(x), "with zeros (not positive: bit 0)"))
    return cases


def _hamming_cases(rng):
    cases = []
    for n, q, nbytes, k in ((3, 1, 1, 1), (40, 5, 4, 5), (int(rng.integers(100, 300)), 6, 48, 10)):
        codes = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
        queries = rng.integers(0, 256, size=(q, nbytes), dtype=np.uint8)
        cases.append(((codes, queries, k), hamming_distances(codes, queries), f"for {q} queries among {n} codes, k = {k}"))
    return cases


def _hamming_judge(results, cases):
    """The returned indices must be k distinct codes whose distances are the k smallest (any order of equal ones)."""
    right = 0
    for record, case in zip(results, cases):
        value = _value(record)
        distances, k = case[1], case[0][2]
        got = np.asarray(value) if isinstance(value, (np.ndarray, list, tuple)) else None
        if got is None or got.shape != (distances.shape[0], k) or got.dtype.kind not in "iu":
            continue
        if got.min() < 0 or got.max() >= distances.shape[1]:
            continue
        ok = all(len(set(row.tolist())) == k
                 and np.array_equal(d[row], np.sort(d, kind="stable")[:k]) for row, d in zip(got, distances))
        right += int(ok)
    if right == 0:
        _fail_status(results, "hamming_search")
        raise AssertionError("hamming_search does not return the k codes at the smallest Hamming distances, "
                             "nearest first, in any of the grader's cases.")
    return (right / len(cases), f"hamming_search is right in {right} of {len(cases)} cases") if right < len(cases) else None


def _table(values, key, rows, fields):
    table = values.get(key)
    if not isinstance(table, dict) or not set(rows) <= set(table):
        raise AssertionError(f"{key} must be a dict with the keys {', '.join(rows)}.")
    for row in rows:
        entry = table[row]
        if not isinstance(entry, dict) or not all(is_finite_number(entry.get(f)) for f in fields):
            raise AssertionError(f'{key}["{row}"] must be a dict with the numbers {", ".join(fields)}.')
    return table


def _pooling_table(values):
    table = _table(values, "pooling_table", ("mean", "cls", "unnormalised"), ("recall_at_10", "mrr"))
    bench, emb = _notebook_benchmark()
    answers = []
    for row, pooling in (("mean", "mean"), ("cls", "cls"), ("unnormalised", "raw")):
        passages, queries = emb[pooling]
        top = exact_search(passages, queries, 10)
        answers.append((table[row]["recall_at_10"], recall_at_k(top, bench.relevant, 10), f'pooling_table["{row}"] recall@10'))
        answers.append((table[row]["mrr"], mrr(top, bench.relevant), f'pooling_table["{row}"] MRR'))
    return score_numbers(answers, rel_tol=0, abs_tol=TABLE_TOL)


def _search_table(values):
    table = _table(values, "search_table", ("exact", "hnsw", "int8", "binary"),
                   ("recall_at_10", "bytes_per_vector", "ms_per_query"))
    bench, emb = _notebook_benchmark()
    passages, queries = emb["mean"]
    relevant, d = bench.relevant, passages.shape[1]
    codes, scales = quantize_int8(passages)
    expected = {
        "exact": recall_at_k(exact_search(passages, queries, 10), relevant, 10),
        "int8": recall_at_k(exact_search(codes * scales[:, None], queries, 10), relevant, 10),
        "binary": recall_at_k(np.argsort(hamming_distances(binarize(passages), binarize(queries)), axis=1,
                                         kind="stable")[:, :10], relevant, 10),
    }
    wrong = []
    for row in ("exact", "hnsw", "int8", "binary"):
        entry = table[row]
        recall, size, ms = (float(entry[f]) for f in ("recall_at_10", "bytes_per_vector", "ms_per_query"))
        if row == "hnsw":
            ok_recall = expected["exact"] - 0.05 <= recall <= expected["exact"] + TABLE_TOL
        else:
            ok_recall = abs(recall - expected[row]) <= TABLE_TOL
        sizes = {"exact": (4 * d,), "int8": (d, d + 4, d + 8), "binary": (d / 8,)}
        ok_size = size > 4 * d if row == "hnsw" else any(math.isclose(size, s) for s in sizes[row])
        if not ok_recall:
            wrong.append(f"the recall@10 of {row} is not what the grader measures on the notebook's benchmark")
        elif not ok_size:
            wrong.append(f"the bytes per vector of {row} are not those of its representation")
        elif not ms > 0:
            wrong.append(f"the milliseconds per query of {row} must be positive")
    right = 4 - len(wrong)
    if right == 0:
        raise AssertionError("; ".join(wrong) + ".")
    return (right / 4, "; ".join(wrong) + f"; {right} of 4 rows right") if wrong else None


# ------------------------------------------------------------------ part 4


def _chunk_cases(rng):
    ten = "one two three four five six seven eight nine ten"
    cases = [
        ((ten, 4, 2), chunk_words(ten, 4, 2), "for 10 words, size 4, overlap 2"),
        ((ten, 5, 0), chunk_words(ten, 5, 0), "when the chunks fit exactly"),
        ((ten, 20, 5), [ten], "when the text is shorter than one chunk"),
        (("", 4, 1), [], "for an empty text"),
        (("  a   b  c ", 2, 1), chunk_words("  a   b  c ", 2, 1), "with runs of spaces"),
    ]
    for _ in range(3):
        words = " ".join(f"w{i}" for i in range(int(rng.integers(1, 60))))
        size = int(rng.integers(2, 12))
        overlap = int(rng.integers(0, size))
        cases.append(((words, size, overlap), chunk_words(words, size, overlap), "on a random text"))
    return cases


_BM25_DOCS = [
    "The cat sat on the mat.", "Dogs and cats: the dog barked at 3 cats!", "A quiet film about a cat",
    "Kubrick's 2001 is a 1968 film", "the the the the film film", "Nothing in common here",
]


def _bm25_cases(rng):
    cases = [
        ((["cat mat", "film", "dog cat cat", "zebra", "2001 kubrick"], _BM25_DOCS),
         bm25_scores(["cat mat", "film", "dog cat cat", "zebra", "2001 kubrick"], _BM25_DOCS), "on a small corpus"),
        ((["film"], _BM25_DOCS, 0.9, 0.4), bm25_scores(["film"], _BM25_DOCS, 0.9, 0.4), "with k1 = 0.9, b = 0.4"),
        ({"queries": ["cat"], "documents": _BM25_DOCS, "b": 0.0}, bm25_scores(["cat"], _BM25_DOCS, b=0.0),
         "with b = 0 (no length normalisation)"),
    ]
    vocab = [f"t{i}" for i in range(12)]
    docs = [" ".join(rng.choice(vocab, size=int(rng.integers(1, 15)))) for _ in range(int(rng.integers(5, 15)))]
    queries = [" ".join(rng.choice(vocab, size=int(rng.integers(1, 5)))) for _ in range(4)]
    cases.append(((queries, docs), bm25_scores(queries, docs), "on a random corpus"))
    return cases


def _rrf_cases(rng):
    cases = [
        (([[5, 1, 2], [1, 7]],), rrf([[5, 1, 2], [1, 7]]), "for two short rankings"),
        (([[3, 4]],), [3, 4], "for one ranking"),
        (([[2, 1], [1, 2]],), [1, 2], "for a tie (smaller index first)"),
        (([[1, 2, 3], [3, 2, 1]], 1), rrf([[1, 2, 3], [3, 2, 1]], 1), "with k = 1"),
    ]
    for _ in range(3):
        rankings = [[int(x) for x in rng.permutation(20)[:int(rng.integers(1, 15))]] for _ in range(int(rng.integers(2, 4)))]
        cases.append(((rankings,), rrf(rankings), "for random rankings"))
    cases.append(((tuple(np.array(r) for r in ([4, 0, 9], [9, 4])),), rrf([[4, 0, 9], [9, 4]]), "for NumPy rankings"))
    return cases


def _rrf_judge(results, cases):
    converted = []
    for record in results:
        value = _value(record)
        if isinstance(value, (list, tuple, np.ndarray)) and all(is_finite_number(v) for v in value):
            record = dict(record, value=[int(v) for v in value])
        converted.append(record)
    judge_cases(converted, cases, "rrf", any_integer_dtype=True)


@functools.lru_cache(maxsize=1)
def _lexical_rankings():
    bench, _ = _notebook_benchmark()
    return np.argsort(-bm25_scores(bench.queries, bench.passages), axis=1, kind="stable")[:, :FUSE_DEPTH]


def _hybrid_table(values):
    table = _table(values, "hybrid_table", ("bm25", "embedding", "hybrid"), ("recall_at_10", "mrr"))
    bench, emb = _notebook_benchmark()
    passages, queries = emb["mean"]
    lexical = _lexical_rankings()
    dense = exact_search(passages, queries, FUSE_DEPTH)
    hybrid = [rrf([a, b])[:10] for a, b in zip(lexical, dense)]
    answers = []
    for row, ranking in (("bm25", lexical), ("embedding", dense), ("hybrid", hybrid)):
        top10 = [list(r)[:10] for r in ranking]
        answers.append((table[row]["recall_at_10"], recall_at_k(top10, bench.relevant, 10), f'hybrid_table["{row}"] recall@10'))
        answers.append((table[row]["mrr"], mrr(top10, bench.relevant), f'hybrid_table["{row}"] MRR'))
    fraction, note = score_numbers(answers, rel_tol=0, abs_tol=TABLE_TOL)
    return fraction, note


# ------------------------------------------------------------------ part 5


def cost_numbers(texts_per_second, chunk_tokens):
    """The seven cost numbers from a throughput (texts/s) and tokens per chunk."""
    cpu_per_text = CPU_PRICE_PER_HOUR / 3600 / texts_per_second
    price = PRICE_PER_MILLION_INPUT / 1e6
    per_token = cpu_per_text / chunk_tokens

    def break_even(p):
        return (TOP_K * chunk_tokens * p + cpu_per_text) / (p - per_token) if p > per_token else math.inf

    saving = (CORPUS_TOKENS - TOP_K * chunk_tokens) * price / 10 - cpu_per_text

    return {
        "texts_per_second": texts_per_second,
        "usd_to_index_million": 1e6 * cpu_per_text,
        "rag_usd_per_query": (QUESTION_TOKENS + TOP_K * chunk_tokens) * price + cpu_per_text,
        "long_context_usd_per_query": (QUESTION_TOKENS + CORPUS_TOKENS) * price,
        "break_even_tokens": break_even(price),
        "break_even_tokens_cheaper": break_even(price / 10),
        "queries_to_amortise": math.ceil(CORPUS_TOKENS * per_token / saving) if saving > 0 else math.inf,
    }


def _cost_numbers(values):
    """Follow-through: every number from the student's own measured embedding time and tokens per chunk."""
    texts, seconds, chunk = (values.get(k) for k in ("embedded_texts", "embed_seconds", "chunk_tokens"))
    if not (is_finite_number(texts) and is_finite_number(seconds) and is_finite_number(chunk)) \
            or not (float(texts) > 0 and float(seconds) > 0 and float(chunk) > 0):
        raise AssertionError("The notebook's measurement (embedded_texts, embed_seconds) or CHUNK_TOKENS is missing.")
    measured = float(texts) / float(seconds)
    own = values.get("texts_per_second")
    base = float(own) if is_finite_number(own) and float(own) > 0 else measured
    expected = cost_numbers(base, float(chunk))
    expected["texts_per_second"] = measured
    answers = []
    for name in ("texts_per_second", "usd_to_index_million", "rag_usd_per_query", "long_context_usd_per_query",
                 "break_even_tokens", "break_even_tokens_cheaper"):
        answers.append((values.get(name), expected[name], name))
    fraction, note = score_numbers(answers, rel_tol=1e-3)
    queries = values.get("queries_to_amortise")
    if math.isinf(expected["queries_to_amortise"]):
        exact_queries = isinstance(queries, (int, float)) and math.isinf(queries) and queries > 0
    else:
        exact_queries = is_finite_number(queries) and abs(float(queries) - expected["queries_to_amortise"]) <= 1
    total = fraction * len(answers) + (1 if exact_queries else 0)
    if not exact_queries:
        note = (note + "; " if note else "") + "queries_to_amortise does not follow from your numbers"
    if total <= 0:
        raise AssertionError(note)
    return (total / (len(answers) + 1), note) if total < len(answers) + 1 else None


QUESTIONS = {
    "test_mean_pool": FunctionQuestion("mean_pool", _pool_cases, TOL),
    "test_l2_normalize": FunctionQuestion("l2_normalize", _normalize_cases, TOL),
    "test_embed": FunctionQuestion("embed", _embed_cases, judge=_embed_judge),
    "test_recall_at_k": FunctionQuestion("recall_at_k", _recall_cases, TOL),
    "test_mrr": FunctionQuestion("mrr", _mrr_cases, TOL),
    "test_exact_search": FunctionQuestion("exact_search", _exact_cases, {"any_integer_dtype": True}),
    "test_pooling_table": ValueQuestion(_pooling_table),
    "test_search": FunctionQuestion("retrieve", _search_cases, judge=_search_judge),
    "test_quantize_int8": FunctionQuestion("quantize_int8", _int8_cases, judge=_int8_judge),
    "test_binarize": FunctionQuestion("binarize", _binarize_cases),
    "test_hamming_search": FunctionQuestion("hamming_search", _hamming_cases, judge=_hamming_judge),
    "test_search_table": ValueQuestion(_search_table),
    "test_chunk_words": FunctionQuestion("chunk_words", _chunk_cases),
    "test_bm25": FunctionQuestion("bm25_scores", _bm25_cases, {"rel_tol": 1e-6, "abs_tol": 1e-9}),
    "test_rrf": FunctionQuestion("rrf", _rrf_cases, judge=_rrf_judge),
    "test_hybrid_table": ValueQuestion(_hybrid_table),
    "test_cost_numbers": ValueQuestion(_cost_numbers),
}
