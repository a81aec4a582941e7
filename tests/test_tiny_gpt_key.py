"""The answer key of 05 (source/05_tiny_gpt/tiny_gpt_key.py), judged in-process.

The reference solution (the source notebook's function cells) must earn every
point on the grader's cases, after the same data round trip as the runner's;
every valid form of a right answer (bool or 0/1 masks, lists for tuples,
NumPy scalars) must be accepted; cheats on the functions (a "cache" that
recomputes from stored tokens, a nucleus sampler that ignores p, a softmax
that overflows) and faked tables must earn nothing on their cell, and a
cell of several numbers a share per number.
"""

import math
import os

import numpy as np
import pytest

from course_copy import ROOT, judge_function, load_key_module, run_solution_cells
from course.grading.judge import ValueQuestion, run_judge

FOLDER = os.path.join(ROOT, "source", "05_tiny_gpt")


@pytest.fixture(scope="module")
def key():
    return load_key_module("05_tiny_gpt", "tiny_gpt")


@pytest.fixture(scope="module")
def solution(key):
    """The reference solution's functions, run from the source notebook's runner cells (plain NumPy)."""
    return run_solution_cells(os.path.join(FOLDER, "tiny_gpt.ipynb"), key.RUNNER_CELLS)


def _judge_function(key, grade_id, function, student="student"):
    """Judges ``function`` as the grader does, with this student's random cases."""
    return judge_function(key, grade_id, function, (student, "tiny_gpt"))


FUNCTIONS = [gid for gid in (
    "test_train_bpe", "test_encode", "test_causal_mask", "test_attention", "test_split_heads",
    "test_merge_heads", "test_attention_matrix_bytes", "test_tiled_attention", "test_gpt_forward", "test_gpt_prefill",
    "test_gpt_decode_step", "test_generation_macs", "test_greedy_token", "test_temperature_probs", "test_top_k_probs",
    "test_top_p_probs", "test_speculative_expected_tokens")]


@pytest.mark.parametrize("grade_id", FUNCTIONS)
def test_reference_functions_earn_every_point(key, solution, grade_id):
    """Does the notebook's reference function pass all of the grader's cases, for several students' random draws?"""
    name = key.QUESTIONS[grade_id].function
    for student in ("a", "b"):
        verdict = _judge_function(key, grade_id, solution[name], student)
        assert verdict.passed and verdict.score == 1.0, verdict.message


def test_key_constants_are_the_notebooks(key):
    """Are the texts, review counts and price the key recomputes with those of the notebook's cells?"""
    import nbformat

    nb = nbformat.read(os.path.join(FOLDER, "tiny_gpt.ipynb"), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    namespace = {}
    exec(compile(cells["bpe_data"].split("started = ")[0].replace("from course.data import load_imdb_arrays", "")
                 .replace("(imdb_train_texts, _), = load_imdb_arrays((\"train\",))", "imdb_train_texts = []"), "bpe_data", "exec"), namespace)
    assert (namespace["ZH_TEXT"], namespace["EN_TEXT"]) == (key.ZH_TEXT, key.EN_TEXT)
    assert (namespace["BPE_REVIEWS"], namespace["BPE_EVAL_REVIEWS"], namespace["N_MERGES"]) == (
        key.BPE_REVIEWS, key.BPE_EVAL_REVIEWS, key.N_MERGES)
    assert f"PRICE_PER_MILLION_TOKENS = {key.PRICE_PER_MILLION_TOKENS}" in cells["token_cost"]
    assert f"PROMPT_TOKENS = {key.PROMPT_TOKENS}" in cells["test_gpt_prefill"]


def test_every_autograded_cell_has_a_question(key):
    """Is every graded test cell of the notebook judged by the key, and nothing else?"""
    import nbformat

    nb = nbformat.read(os.path.join(FOLDER, "tiny_gpt.ipynb"), as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert graded == set(key.QUESTIONS)


# ------------------------------------------------------------- answer forms


def test_mask_of_zeros_and_ones_is_accepted(key, solution):
    """Does a causal mask given as 0/1 integers or floats earn the points as a bool one does?"""
    for dtype in (np.int64, np.float32):
        verdict = _judge_function(key, "test_causal_mask", lambda n: solution["causal_mask"](n).astype(dtype))
        assert verdict.passed, verdict.message
    verdict = _judge_function(key, "test_causal_mask", lambda n: np.triu(np.ones((n, n), dtype=bool)))
    assert not verdict.passed  # the upper triangle is the future


def test_merges_as_lists_and_tokens_as_tuples_are_accepted(key, solution):
    """Do merges given as lists of lists, and tokens as a tuple, earn the points?"""
    as_lists = lambda texts, n: [list(p) for p in solution["train_bpe"](texts, n)]  # noqa: E731
    assert _judge_function(key, "test_train_bpe", as_lists).passed
    as_tuple = lambda text, merges: tuple(solution["encode"](text, merges))  # noqa: E731
    assert _judge_function(key, "test_encode", as_tuple).passed


def test_numpy_scalars_and_lists_are_accepted(key, solution):
    """Do NumPy scalars, floats holding whole numbers and lists earn the points?"""
    assert _judge_function(key, "test_greedy_token", lambda z: np.int64(solution["greedy_token"](z))).passed
    assert _judge_function(key, "test_speculative_expected_tokens",
                           lambda a, g: np.float64(solution["speculative_expected_tokens"](a, g))).passed
    assert _judge_function(key, "test_generation_macs",
                           lambda *args: float(solution["generation_macs"](*args))).passed
    assert _judge_function(key, "test_top_k_probs", lambda z, k: list(solution["top_k_probs"](z, k))).passed
    assert _judge_function(key, "test_attention_matrix_bytes",
                           lambda *args: np.int64(solution["attention_matrix_bytes"](*args))).passed


def test_a_cache_given_as_lists_is_accepted(key, solution):
    """Does a decode step that returns its cache as a list of [k, v] lists earn the points?"""
    def step(weights, token, cache):
        logits, new = solution["gpt_decode_step"](weights, token, cache)
        return list(logits), [[k, v] for k, v in new]

    assert _judge_function(key, "test_gpt_decode_step", step).passed


# ------------------------------------------------------------- cheats on the functions

def test_cache_that_recomputes_everything_scores_zero(key, solution):
    """Does a "cache" that keeps the tokens and recomputes everything fail on the grader's own caches?"""
    seen = []

    def prefill(weights, tokens):
        seen[:] = [int(t) for t in tokens]
        return solution["gpt_prefill"](weights, tokens)

    def decode_step(weights, token, cache):
        seen.append(int(token))
        logits, full_cache = solution["gpt_prefill"](weights, seen)
        return logits, full_cache

    verdict = _judge_function(key, "test_gpt_decode_step", decode_step)
    assert not verdict.passed and verdict.score == 0
    assert "gpt_decode_step" in verdict.message


def test_sampler_that_ignores_p_scores_zero(key, solution):
    """Does a nucleus sampler that returns the plain softmax fail?"""
    verdict = _judge_function(key, "test_top_p_probs", lambda z, p: solution["softmax"](z))
    assert not verdict.passed


def test_overflowing_softmax_fails(key):
    """Does attention without the max subtraction fail on the grader's large logits?"""
    def naive(q, k, v, mask=None):
        s = np.exp(q @ np.swapaxes(k, -1, -2) / math.sqrt(np.shape(q)[-1]))
        if mask is not None:
            s = np.where(mask, s, 0.0)
        return s / s.sum(-1, keepdims=True) @ v

    with np.errstate(all="ignore"):
        assert not _judge_function(key, "test_attention", naive).passed


def test_tiled_attention_that_ignores_causal_fails(key, solution):
    """Does a tiled attention that forgets the causal mask fail?"""
    verdict = _judge_function(key, "test_tiled_attention", lambda q, k, v, b, causal=False: solution["tiled_attention"](q, k, v, b))
    assert not verdict.passed


# ------------------------------------------------------------- the value cells

def _value(key, grade_id, values, results=None):
    """Judges a value hand-in as the grader does; ``results``: the student's own function calls (follow-through)."""
    from course.grading.judge import FollowThrough

    question = key.QUESTIONS[grade_id]
    assert isinstance(question, ValueQuestion)
    if question.follows or question.calls:
        return run_judge(question.judge, values, FollowThrough({}, results or {}))
    return run_judge(question.judge, values)


def test_kv_numbers_earn_a_share_each(key):
    """Do the three cache sizes earn a third each, in any numeric form?"""
    right = {"kv_tiny_bytes": 2 * 2 * 4 * 16 * 64 * 4, "kv_llama2_bytes": 2 * 32 * 32 * 128 * 4096 * 2,
             "kv_llama3_bytes": np.int64(2 * 32 * 8 * 128 * 4096 * 2)}
    assert _value(key, "test_kv_numbers", right).score == 1.0
    assert _value(key, "test_kv_numbers", {k: float(v) for k, v in right.items()}).score == 1.0
    partial = dict(right, kv_llama3_bytes=right["kv_llama2_bytes"])
    assert _value(key, "test_kv_numbers", partial).score == pytest.approx(2 / 3, abs=1e-3)
    bigger = dict(right, kv_tiny_bytes=2 * 3 * 8 * 16 * 64 * 4, tiny_config=[3, 8, 16, 64])
    assert _value(key, "test_kv_numbers", bigger).score == 1.0  # the student's own GPT, larger than the reference's
    assert _value(key, "test_kv_numbers", dict(right, tiny_config="nonsense")).score == 1.0


def _timing(key, speedup=None):
    rows = []
    for t in (16, 48):
        full, cached = 0.01 * t, 0.002 * t
        rows.append({"new_tokens": t, "full_s": full, "cached_s": cached, "speedup": speedup or full / cached,
                     "macs_full": key.generation_macs(2, 64, 16, t, False), "macs_cached": key.generation_macs(2, 64, 16, t, True)})
    return {"timing_table": rows}


def test_timing_table_consistent_passes_and_faked_fails(key):
    """Does a consistent timing table pass, and one whose speed-up does not follow from its times fail?"""
    assert _value(key, "test_timing_table", _timing(key)).passed
    own = _timing(key)
    for row in own["timing_table"]:
        row["macs_full"] = key.generation_macs(3, 96, 16, row["new_tokens"], False)
        row["macs_cached"] = key.generation_macs(3, 96, 16, row["new_tokens"], True)
    assert not _value(key, "test_timing_table", own).passed
    assert _value(key, "test_timing_table", dict(own, tiny_config=[3, 96, 16])).passed
    # follow-through: macs from the student's own (wrong) generation_macs lose only test_generation_macs
    theirs = _timing(key)
    wrong = {f"macs_{t}_{c}": 7 * t + int(c) for t in (16, 48) for c in (False, True)}
    for row in theirs["timing_table"]:
        row["macs_full"], row["macs_cached"] = wrong[f"macs_{row['new_tokens']}_False"], wrong[f"macs_{row['new_tokens']}_True"]
    assert not _value(key, "test_timing_table", theirs).passed
    assert _value(key, "test_timing_table", theirs, results=wrong).passed
    faked = _value(key, "test_timing_table", _timing(key, speedup=50.0))
    assert not faked.passed and "does not follow from its two times" in faked.message
    wrong_macs = _timing(key)
    wrong_macs["timing_table"][0]["macs_cached"] = wrong_macs["timing_table"][0]["macs_full"]
    assert not _value(key, "test_timing_table", wrong_macs).passed


def test_eval_table_consistent_passes_and_faked_fails(key):
    """Does a consistent validation table pass, and a faked perplexity fail?"""
    loss = 1.9
    table = {"val_loss_nats": loss, "val_bits_per_byte": np.float32(loss / math.log(2)), "val_perplexity": math.exp(loss)}
    assert _value(key, "test_eval_table", {"eval_table": table}).passed
    faked = dict(table, val_perplexity=2.0)
    verdict = _value(key, "test_eval_table", {"eval_table": faked})
    assert not verdict.passed and "val_perplexity" in verdict.message


@pytest.mark.slow
def test_token_numbers_of_the_reference_earn_every_point(key, solution, course_env):
    """On the embedded sample, do the reference's BPE and WordPiece numbers earn all points, and one wrong number its share?"""
    course_env.setenv("COURSE_DATA_SOURCE", "sample")
    from course.data import load_imdb_arrays
    from course.grading.token_counts import count_tokens

    if count_tokens((key.ZH_TEXT, key.EN_TEXT)) is None:
        pytest.skip("the WordPiece tokenizer cannot be loaded here")
    key._bpe_reference.cache_clear()
    (texts, _), = load_imdb_arrays(("train",), verbose=False)
    merges = solution["train_bpe"](texts[:key.BPE_REVIEWS], key.N_MERGES)
    evals = texts[key.BPE_REVIEWS:key.BPE_REVIEWS + key.BPE_EVAL_REVIEWS]
    (zh, unk), (en, _) = count_tokens((key.ZH_TEXT, key.EN_TEXT))
    values = {
        "bpe_en_tokens_per_word": sum(len(solution["encode"](t, merges)) for t in evals) / sum(len(t.split()) for t in evals),
        "bpe_zh_tokens_per_char": len(solution["encode"](key.ZH_TEXT, merges)) / len(key.ZH_TEXT),
        "wp_zh_tokens_per_char": zh / len(key.ZH_TEXT), "wp_zh_unk_share": unk / zh, "wp_bill_ratio": zh / en,
    }
    assert _value(key, "test_token_numbers", values).score == 1.0
    assert _value(key, "test_token_numbers", dict(values, wp_bill_ratio=en / zh)).score == pytest.approx(0.8, abs=1e-3)
    cost = {"usd_per_million_requests_en": en * 2.0, "usd_per_million_requests_zh": np.float64(zh * 2.0)}
    assert _value(key, "test_token_cost", cost).score == 1.0
    assert _value(key, "test_token_cost", dict(cost, usd_per_million_requests_zh=zh)).score == pytest.approx(0.5, abs=1e-3)


def test_no_grade_id_quotes_a_hidden_line():
    """Does no grade id (which feedback shows) contain a piece of a hidden-test line that the leak scan looks for?

    A long grade id such as ``test_scaled_dot_product_attention`` held such a piece of its own hand-in line,
    and the untouched student's feedback was withheld for it."""
    import nbformat

    from course.grading import leaks
    from course.grading.instructor_lines import LeakIndex, normalise_text

    secrets, public = leaks.scan_secrets(ROOT)
    index = LeakIndex(secrets, public)
    nb = nbformat.read(os.path.join(FOLDER, "tiny_gpt.ipynb"), as_version=4)
    grade_ids = [normalise_text(c.metadata["nbgrader"]["grade_id"]) for c in nb.cells if "nbgrader" in c.metadata]
    quoted = [piece for piece in index.pieces for gid in grade_ids if piece in gid]
    assert quoted == []
