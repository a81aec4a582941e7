"""The answer key of 04 (source/04_inference_cost/inference_cost_key.py), judged in-process.

Each question of part A must give full points to every valid form of the
right answer (int or float, NumPy scalars, whole numbers written as floats),
a share per number where a cell holds several, and follow-through where a
number chains from the student's own earlier results.
"""

import os
import re

import numpy as np
import pytest

from course_copy import ROOT, load_key_module, run_solution_cells
from course.grading.compare import call_locally, judge_cases
from course.grading.judge import FollowThrough, FunctionQuestion, ValueQuestion, case_rng, run_judge

FOLDER = os.path.join(ROOT, "source", "04_inference_cost")


@pytest.fixture(scope="module")
def key():
    return load_key_module("04_inference_cost", "inference_cost")


@pytest.fixture(scope="module")
def solution():
    """The reference solution's part A, run from the source notebook's cells (plain NumPy, no Keras)."""
    wanted = ("from_01", "hardware", "decode_functions", "decode_numbers", "kv_functions", "kv_numbers",
              "kv_decode_function", "kv_decode_numbers", "cost_per_million", "cost_numbers", "lora_numbers", "moe_numbers")
    return run_solution_cells(os.path.join(FOLDER, "inference_cost.ipynb"), wanted, {"np": np, "math": __import__("math")})


def _values(solution, *names):
    return {name: solution[name] for name in names}


def _own(key, solution, weight_memory_gb=None):
    """What the grader would gather: earlier hand-ins and the student's own weight_memory_gb on the key's calls."""
    weight = weight_memory_gb or solution["weight_memory_gb"]
    return FollowThrough(
        answers={
            "test_decode_numbers": _values(solution, "tps_batch1", "tps_batch64", "b_star"),
            "test_kv_numbers": _values(solution, "kv_llama2", "kv_llama3", "users_llama2", "users_llama3"),
            "test_kv_decode_numbers": _values(solution, "tps_llama2_kv", "tps_llama3_kv", "kv_share_llama2"),
        },
        results={label: weight(*args) for label, _, args in key.WEIGHT_CALLS},
    )


def _judge(key, grade_id, values, own=None):
    question = key.QUESTIONS[grade_id]
    assert isinstance(question, ValueQuestion)
    if question.follows or question.calls:
        return run_judge(question.judge, values, own)
    return run_judge(question.judge, values)


NUMBER_CELLS = {
    "test_decode_numbers": ("tps_batch1", "tps_batch64", "b_star"),
    "test_kv_numbers": ("kv_llama2", "kv_llama3", "users_llama2", "users_llama3"),
    "test_kv_decode_numbers": ("tps_llama2_kv", "tps_llama3_kv", "kv_share_llama2"),
    "test_cost_numbers": ("cost_batch1", "cost_batch64"),
    "test_lora_numbers": ("lora_trainable", "full_ft_gb", "lora_gb", "qlora_gb"),
    "test_moe_numbers": ("moe_weight_gb", "moe_gflops_per_token", "dense_gflops_per_token"),
}

FORMS = {
    "as computed": lambda v: v,
    "float": float,
    "NumPy float64": np.float64,
    "NumPy 0-d array": lambda v: np.array(float(v)),
    "rounded to 7 significant digits": lambda v: float(f"{float(v):.7g}"),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("grade_id", sorted(NUMBER_CELLS))
def test_reference_numbers_in_every_form_earn_full_points(key, solution, grade_id, form):
    """Does the reference answer of each numeric cell earn full points as int, float, NumPy scalar or rounded?"""
    values = {name: FORMS[form](solution[name]) for name in NUMBER_CELLS[grade_id]}
    verdict = _judge(key, grade_id, values, _own(key, solution))
    assert verdict.passed and verdict.score == 1.0, verdict.message


@pytest.mark.parametrize("grade_id", sorted(NUMBER_CELLS))
def test_whole_numbers_as_numpy_ints_earn_full_points(key, solution, grade_id):
    """Are whole-number answers (byte counts, user counts) accepted as np.int64 too?"""
    values = {}
    for name in NUMBER_CELLS[grade_id]:
        value = solution[name]
        values[name] = np.int64(value) if float(value).is_integer() else value
    verdict = _judge(key, grade_id, values, _own(key, solution))
    assert verdict.passed and verdict.score == 1.0, verdict.message


@pytest.mark.parametrize("grade_id", sorted(NUMBER_CELLS))
def test_one_wrong_number_costs_only_its_share(key, solution, grade_id):
    """Does a cell of n numbers with one wrong earn (n - 1) / n, with a note naming the wrong one?"""
    names = NUMBER_CELLS[grade_id]
    values = _values(solution, *names)
    values[names[-1]] = float(values[names[-1]]) * 3 + 1
    verdict = _judge(key, grade_id, values, FollowThrough())
    assert verdict.score == pytest.approx(round((len(names) - 1) / len(names), 4))
    assert names[-1] in verdict.message


def test_kv_size_as_float_earns_full_points(key):
    """Issue 20 item 12: is kv_llama2 = 524288.0 (a float, as 'returns bytes' allows) accepted?"""
    verdict = _judge(key, "test_kv_numbers", {"kv_llama2": 524288.0, "kv_llama3": 131072.0, "users_llama2": 30.0,
                                              "users_llama3": 119}, FollowThrough())
    assert verdict.score == 1.0, verdict.message


def test_function_returning_float_bytes_earns_full_points(key):
    """Is kv_cache_bytes_per_token returning float(2 * layers * heads * dim * bytes) judged right on every case?"""
    question = key.QUESTIONS["test_kv_cache_bytes_per_token"]
    cases = question.cases(case_rng("alice", "inference_cost", "test_kv_cache_bytes_per_token"))
    results = call_locally(lambda l, h, d, b: float(2 * l * h * d * b), cases)
    judge_cases(results, cases, question.function, **question.options)


def _gib_weight_memory(n_params, dtype):
    """A classic mistake: GiB (2**30) instead of GB (10**9)."""
    return n_params * {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}[dtype] / 2**30


def test_follow_through_from_a_gib_weight_memory_function(key, solution):
    """Issue 20 item 13: with 01's weight_memory_gb in GiB, do users, LoRA/QLoRA and MoE numbers computed with it
    still earn their points (the mistake was marked in 01)?"""
    ns = dict(solution)
    weight = _gib_weight_memory
    own = _own(key, solution, weight)
    kv2, kv3 = ns["kv_llama2"], ns["kv_llama3"]
    users = ns["max_concurrent_users"]
    values = {"kv_llama2": kv2, "kv_llama3": kv3,
              "users_llama2": users(80.0, weight(6.74e9, "fp16"), kv2, 4096),
              "users_llama3": users(80.0, weight(8.03e9, "fp16"), kv3, 4096)}
    assert values["users_llama2"] != solution["users_llama2"] or values["users_llama3"] != solution["users_llama3"]
    assert _judge(key, "test_kv_numbers", values, own).score == 1.0
    adapters = ns["lora_trainable"] * 16 / 1e9
    lora = {"lora_trainable": ns["lora_trainable"], "full_ft_gb": ns["full_ft_gb"],
            "lora_gb": weight(6.74e9, "fp16") + adapters, "qlora_gb": weight(6.74e9, "int4") + adapters}
    assert _judge(key, "test_lora_numbers", lora, own).score == 1.0
    moe = {"moe_weight_gb": weight(46.7e9, "fp16"), "moe_gflops_per_token": ns["moe_gflops_per_token"],
           "dense_gflops_per_token": ns["dense_gflops_per_token"]}
    assert _judge(key, "test_moe_numbers", moe, own).score == 1.0
    # Without the student's own function, the same answers are wrong.
    assert _judge(key, "test_lora_numbers", lora, FollowThrough()).score == 0.5


def test_follow_through_of_costs_from_the_students_own_throughput(key, solution):
    """Issue 20 item 13: is a cost computed right from a wrong throughput (handed in earlier) given its points?"""
    wrong_tps1, wrong_tps64 = solution["tps_batch1"] * 2, solution["tps_llama2_kv"] * 3
    own = FollowThrough(answers={"test_decode_numbers": {"tps_batch1": wrong_tps1},
                                 "test_kv_decode_numbers": {"tps_llama2_kv": wrong_tps64}})
    cost = solution["cost_per_million"]
    values = {"cost_batch1": cost(3.0, wrong_tps1), "cost_batch64": cost(3.0, wrong_tps64)}
    assert _judge(key, "test_cost_numbers", values, own).score == 1.0
    assert _judge(key, "test_cost_numbers", values, FollowThrough()).passed is False


def test_throughput_with_kv_follows_from_the_students_own_kv_sizes(key, solution):
    """Are the A3 rates judged against the student's own KV sizes when those were wrong?"""
    f = solution["decode_tokens_per_second_kv"]
    wrong_kv2, wrong_kv3 = 2 * solution["kv_llama2"], 2 * solution["kv_llama3"]
    own = FollowThrough(answers={"test_kv_numbers": {"kv_llama2": wrong_kv2, "kv_llama3": wrong_kv3}})
    values = {"tps_llama2_kv": f(6.74e9, 2, wrong_kv2, 1024, 3350.0, 989.0, 64),
              "tps_llama3_kv": f(8.03e9, 2, wrong_kv3, 1024, 3350.0, 989.0, 64),
              "kv_share_llama2": 64 * wrong_kv2 * 1024 / (6.74e9 * 2 + 64 * wrong_kv2 * 1024)}
    assert _judge(key, "test_kv_decode_numbers", values, own).score == 1.0


@pytest.mark.parametrize("grade_id", ["test_decode_tokens_per_second", "test_crossover_batch", "test_kv_cache_bytes_per_token",
                                      "test_max_concurrent_users", "test_decode_tokens_per_second_kv", "test_cost_per_million"])
def test_reference_functions_pass_their_cases(key, solution, grade_id):
    """Does the reference solution of each function question pass the grader's fixed and random cases?"""
    question = key.QUESTIONS[grade_id]
    assert isinstance(question, FunctionQuestion)
    cases = question.cases(case_rng("alice", "inference_cost", grade_id))
    judge_cases(call_locally(solution[question.function], cases), cases, question.function, **question.options)


def test_decode_with_kv_is_slower_than_weights_only_and_gqa_faster(solution):
    """Do the taught numbers hold: the KV cache cuts Llama 2's batch-64 rate about 3.5x, and GQA nearly doubles it?"""
    assert solution["tps_batch64"] / solution["tps_llama2_kv"] == pytest.approx(3.55, abs=0.05)
    assert solution["tps_llama3_kv"] / solution["tps_llama2_kv"] == pytest.approx(1.94, abs=0.01)
    assert solution["kv_share_llama2"] == pytest.approx(0.718, abs=0.001)
    assert solution["cost_batch64"] == pytest.approx(0.186, abs=0.001)


def test_key_texts_are_the_notebooks(key):
    """Are the key's ZH_TEXT and EN_TEXT exactly the texts of the notebook's tokenizer cell?"""
    with open(os.path.join(FOLDER, "inference_cost.py"), encoding="utf-8") as fh:
        texts = {}
        exec(re.search(r"ZH_TEXT = \(.*?\)\nEN_TEXT = \(.*?\)\n", fh.read(), re.S).group(0), texts)
    assert (texts["ZH_TEXT"], texts["EN_TEXT"]) == (key.ZH_TEXT, key.EN_TEXT)


def test_token_numbers_follow_the_tokenizer_the_grader_loads(key, monkeypatch):
    """Issue 20 item 17: with another vocabulary's counts, is the right answer for that vocabulary accepted?"""
    import course.grading.token_counts as token_counts

    monkeypatch.setattr(token_counts, "count_tokens", lambda texts: ((100, 10), (50, 0)))
    values = {"zh_tokens_per_char": 100 / len(key.ZH_TEXT), "en_tokens_per_word": 50 / len(key.EN_TEXT.split()),
              "zh_unk_share": 0.1, "bill_ratio": 2.0}
    assert _judge(key, "test_token_numbers", values).score == 1.0
    monkeypatch.setattr(token_counts, "count_tokens", lambda texts: None)  # no tokenizer: the measured counts
    assert _judge(key, "test_token_numbers", values).passed is False


def test_table_accepts_numpy_scalars(key):
    """Issue 20 item 16: does the B5 table accept np.int64 byte counts and np.float32 accuracies?"""
    table = {}
    for name in key.CNN_VARIANTS + key.BERT_VARIANTS:
        batch = 32 if name.startswith("BERT") else 256
        latency = np.float64(20.0)
        table[name] = {"accuracy": np.float32(0.97), "latency_ms": latency,
                       "weight_bytes": np.int64(100_000 if "int8" in name else 400_000),
                       "cost_per_million": np.float64(0.10 / (batch / (latency / 1000.0) * 3600.0) * 1e6)}
    assert _judge(key, "test_table", {"table": table}).score == 1.0


RETURN_FORMS = {
    "float": float,
    "NumPy float64": np.float64,
    "NumPy 0-d array": lambda v: np.array(float(v)),
    "int where whole": lambda v: int(v) if float(v).is_integer() else v,
    "NumPy int64 where whole": lambda v: np.int64(v) if float(v).is_integer() else v,
}


@pytest.mark.parametrize("form", sorted(RETURN_FORMS))
@pytest.mark.parametrize("grade_id", ["test_decode_tokens_per_second", "test_crossover_batch", "test_kv_cache_bytes_per_token",
                                      "test_max_concurrent_users", "test_decode_tokens_per_second_kv", "test_cost_per_million"])
def test_reference_functions_returning_any_number_form_pass(key, solution, grade_id, form):
    """Does a correct function pass the grader's cases whatever number type it returns (int, float, NumPy scalar)?"""
    question = key.QUESTIONS[grade_id]
    reference = solution[question.function]
    cases = question.cases(case_rng("bob", "inference_cost", grade_id))
    results = call_locally(lambda *args: RETURN_FORMS[form](reference(*args)), cases)
    judge_cases(results, cases, question.function, **question.options)


@pytest.mark.parametrize("answer, score", [("B", 1.0), (" b ", 1.0), ("A", 0.0), (["B"], 0.0)])
def test_q_moe_takes_one_letter_as_the_task_says(key, answer, score):
    """Is q_moe judged as one option letter written as a string (the form the task asks for; a list is not one)?"""
    assert _judge(key, "test_q_moe", {"q_moe": answer}).score == score
