"""course/retrieval.py: the label-free benchmark of assignment 06 and MiniLM's token vectors."""

import numpy as np
import pytest

from course.retrieval import bm25_tokens, clean_review, halves_benchmark, split_halves

REVIEWS = [
    "A long review<br /><br />about a film " + " ".join(f"w{i}" for i in range(60)),
    "Short one.",
    " ".join(f"x{i}" for i in range(41)),
    " ".join(f"y{i}" for i in range(80)),
    " ".join(f"z{i}" for i in range(45)),
]


def test_clean_review_drops_tags_and_extra_space():
    """Are IMDB's <br /> tags and runs of white space turned into single spaces?"""
    assert clean_review("Good.<br /><br />Bad.\n\t Ugly ") == "Good. Bad. Ugly"


def test_split_halves_cuts_at_the_middle_word():
    """Does split_halves give the first n // 2 words and the rest, losing none?"""
    first, second = split_halves("a b c d e")
    assert (first, second) == ("a b", "c d e")
    assert split_halves("") == ("", "")


def test_each_query_points_at_its_own_second_half():
    """Is relevant[i] the position of query i's own second half among the shuffled passages, short reviews left out?"""
    bench = halves_benchmark(REVIEWS, 3, seed=1)
    kept = [r for r in REVIEWS if len(clean_review(r).split()) >= 40]
    assert len(bench.passages) == len(kept) == 4
    halves = dict(split_halves(r) for r in kept)
    assert len(bench.queries) == 3 and len(set(bench.queries)) == 3
    for query, index in zip(bench.queries, bench.relevant):
        assert bench.passages[index] == halves[query]


def test_the_benchmark_depends_on_its_seed_only():
    """Does the same seed give the same benchmark, and do passages get shuffled (positions say nothing)?"""
    a, b = halves_benchmark(REVIEWS * 20, 30, seed=5), halves_benchmark(REVIEWS * 20, 30, seed=5)
    assert a.passages == b.passages and np.array_equal(a.relevant, b.relevant)
    c = halves_benchmark(REVIEWS * 20, 30, seed=6)
    assert c.passages != a.passages


def test_bm25_tokens_are_lower_case_letter_and_digit_runs():
    """Does the course's BM25 tokenisation split on everything but letters and digits?"""
    assert bm25_tokens("Kubrick's 2001: A Space-Odyssey!") == ["kubrick", "s", "2001", "a", "space", "odyssey"]


@pytest.mark.slow
def test_token_encoder_and_reference_embeddings_agree():
    """Does TokenEncoder mask exactly the real tokens, and does the grader's reference child pool them the same way?"""
    from course.grading.embeddings import l2_normalize, mean_pool, reference_embeddings
    from course.presets import resolve_embedding_preset
    from course.profiles import get_profile
    from course.retrieval import TokenEncoder

    preset, _ = resolve_embedding_preset(verbose=False)
    length = get_profile().rag_sequence_length
    encoder = TokenEncoder(preset, length)
    texts = ["a b", " ".join(["word"] * (2 * length))]
    vectors, mask = encoder(texts)
    assert vectors.shape == (2, length, encoder.dim) and vectors.dtype == np.float32
    assert mask[0].sum() == 4 and mask[1].all()  # [CLS] a b [SEP]; the long text is truncated
    found = reference_embeddings(tuple(texts))
    assert found is not None and found["mean"].shape == (2, encoder.dim)
    assert np.allclose(found["mean"], l2_normalize(mean_pool(vectors, mask)), atol=1e-5)
    assert np.allclose(found["cls"], l2_normalize(vectors[:, 0]), atol=1e-5)
