"""Answer key of concepts.ipynb: expected answers, loaded by the grader only (course.grading.judge)."""

import math

import numpy as np

from course.grading.compare import (
    Raises,
    check_choice,
    check_number,
    score_choices,
    score_mapping,
    score_numbers,
)
from course.grading.judge import FunctionQuestion, ValueQuestion

RUNNER_PRELUDE = "import math\nimport numpy as np"  # the notebook's imports cell also loads matplotlib
RUNNER_CELLS = (
    "transformer_params", "weight_memory_gb", "workload_cost", "break_even_requests",
    "magnitude_prune", "quantize_int8", "dequantize_int8", "softmax_t", "distillation_loss",
    "mlm_example", "clm_example",
)

# ------------------------------------------------------------- part 1: sizes


def _transformer_cases(rng):
    """GPT-2/3 sizes, edge cases, and random shapes (expected from the closed form V·d + n·d + L(12d² + 13d) + 2d with d_ff free)."""
    cases = [
        ((50257, 1024, 768, 12, 3072), 124439808, "for GPT-2 small"),
        ((50257, 1024, 1024, 24, 4096), 354823168, "for GPT-2 medium"),
        ((10, 4, 2, 1, 8), 106, "for a tiny model"),
        ((100, 8, 16, 0, 64), 1760, "when n_layers is 0"),
        (tuple(np.int32(v) for v in (50257, 2048, 12288, 96, 49152)), 174604259328,
         "for a GPT-3-size model given as np.int32 numbers"),
    ]
    for _ in range(3):
        v, n, d, layers, ff = (int(rng.integers(2, 5000)), int(rng.integers(1, 600)), int(rng.integers(1, 300)),
                               int(rng.integers(0, 9)), int(rng.integers(1, 900)))
        per_block = 4 * d * (d + 1) + 2 * d * ff + ff + d + 4 * d
        cases.append(((v, n, d, layers, ff), (v + n) * d + layers * per_block + 2 * d, "for another model shape"))
    return cases


_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}


def _weight_memory_cases(rng):
    cases = [
        ((124439808, "fp32"), 0.497759232, "for GPT-2 small in fp32"),
        ((7_000_000_000, "fp16"), 14.0, "for 7B parameters in fp16"),
        ((7_000_000_000, "bf16"), 14.0, "for 7B parameters in bf16"),
        ((175_000_000_000, "int8"), 175.0, "for 175B parameters in int8"),
        ((70_000_000_000, "int4"), 35.0, "for 70B parameters in int4"),
        ((0, "fp32"), 0.0, "for zero parameters"),
        ((1000, "double"), Raises(ValueError), "for an unknown dtype"),
    ]
    for dtype in rng.permutation(sorted(_BYTES))[:2]:
        n = int(rng.integers(1, 10**12))
        cases.append(((n, str(dtype)), n * _BYTES[str(dtype)] / 1e9, "for another model size"))
    return cases


def _cost_numbers(values):
    return score_numbers([
        (values.get("gpt3_fp16_gb"), 349.208518656, "gpt3_fp16_gb"),
        (values.get("gpus_80gb"), 5, "gpus_80gb"),
        (values.get("train_7b_gb"), 112.0, "train_7b_gb"),
    ])


# --------------------------------------------------------- part 2: economics


def _workload_cases(rng):
    cases = [
        ((100_000, 800, 200, 12.0, 36.0), 1680.0, "for the worked example"),
        ((300_000, 1500, 300, 20.0, 60.0), 14400.0, "for a customer-service workload"),
        ((1, 1_000_000, 0, 2.0, 8.0), 2.0, "when there are no output tokens"),
        ((0, 800, 200, 12.0, 36.0), 0.0, "for zero requests"),
        ((np.array([0, 10, 1000]), 800, 200, 12.0, 36.0), np.array([0.0, 0.168, 16.8]), "for an array of request counts"),
    ]
    for _ in range(2):
        r, tin, tout = int(rng.integers(1, 10**6)), int(rng.integers(1, 5000)), int(rng.integers(0, 2000))
        pin, pout = float(rng.uniform(0.1, 50)), float(rng.uniform(0.1, 150))
        cases.append(((r, tin, tout, pin, pout), r * (tin * pin + tout * pout) / 1e6, "for another workload"))
    return cases


def _break_even_cases(rng):
    cases = [
        ((15_000.0, 0.001, 0.0168), 949367.0886075951, "for the worked example"),
        ((1000.0, 0.0, 0.5), 2000.0, "when self-hosting has no marginal cost"),
        ((0.0, 0.001, 0.01), 0.0, "when self-hosting has no fixed cost"),
        ((20_000.0, 0.002, 0.002), math.inf, "when the API costs exactly the marginal cost"),
        ((20_000.0, 0.003, 0.001), math.inf, "when the API is cheaper than the marginal cost"),
    ]
    fixed, marginal = float(rng.uniform(100, 1e5)), float(rng.uniform(0, 0.01))
    api = marginal + float(rng.uniform(0.001, 0.05))
    cases.append(((fixed, marginal, api), fixed / (api - marginal), "for another cost structure"))
    return cases


def _price_cut_numbers(values):
    return score_numbers([
        (values.get("cost_before"), 14400.0, "cost_before"), (values.get("cost_after"), 720.0, "cost_after"),
        (values.get("margin_before"), 0.2, "margin_before"), (values.get("margin_after"), 0.96, "margin_after"),
    ])


def _break_even_numbers(values):
    return score_numbers([
        (values.get("break_even_before"), 434782.60869565216, "break_even_before"),
        (values.get("break_even_after"), 50000000.0, "break_even_after"),
    ], abs_tol=1.0)


# ------------------------------------------------------ part 3: compression

_W = np.array([[0.5, -0.1, 0.3, -0.8], [0.05, 0.9, -0.2, 0.0], [0.7, -0.4, 0.15, 0.6]])


def _prune_cases(rng):
    cases = [
        ((_W, 0.5), np.array([[0.5, 0.0, 0.0, -0.8], [0.0, 0.9, 0.0, 0.0], [0.7, -0.4, 0.0, 0.6]]), "for a 3x4 matrix at 50%"),
        ((_W, 0.0), _W.copy(), "when sparsity is 0"),
        ((_W, 1.0), np.zeros_like(_W), "when sparsity is 1"),
        ((np.array([1.0, -1.0, 1.0, 2.0], dtype=np.float32), 0.5), np.array([0.0, 0.0, 1.0, 2.0], dtype=np.float32),
         "when magnitudes tie"),
        ((np.array([0.3, -0.2, 0.1, 0.5, -0.4]), 0.3), np.array([0.3, -0.2, 0.0, 0.5, -0.4]), "when sparsity * size is not whole"),
        ((_W, 1.5), Raises(ValueError), "for a sparsity above 1"),
        ((_W, -0.1), Raises(ValueError), "for a negative sparsity"),
    ]
    weights = rng.permutation(np.linspace(0.01, 1.0, 24)) * rng.choice([-1.0, 1.0], size=24)
    weights = weights.reshape(4, 6).astype(np.float32)
    sparsity = float(rng.choice([0.25, 0.6, 0.75]))
    k = int(np.floor(sparsity * weights.size))
    keep = np.abs(weights) > np.sort(np.abs(weights).ravel())[k - 1]  # distinct magnitudes: no ties
    cases.append(((weights, sparsity), np.where(keep, weights, np.float32(0)), "for another matrix"))
    return cases


QUESTIONS = {
    "test_transformer_params": FunctionQuestion("transformer_params", _transformer_cases),
    "test_weight_memory_gb": FunctionQuestion("weight_memory_gb", _weight_memory_cases),
    "test_cost_numbers": ValueQuestion(_cost_numbers),
    "test_workload_cost": FunctionQuestion("workload_cost", _workload_cases),
    "test_break_even_requests": FunctionQuestion("break_even_requests", _break_even_cases),
    "test_price_cut_numbers": ValueQuestion(_price_cut_numbers),
    "test_break_even_numbers": ValueQuestion(_break_even_numbers),
    "test_q1_traits": ValueQuestion(lambda v: score_mapping(
        v.get("q1_traits"), name="q1_traits", options=["advantage", "disadvantage", "neither"],
        expected={"A": "advantage", "B": "disadvantage", "C": "neither", "D": "advantage",
                  "E": "disadvantage", "F": "neither", "G": "advantage", "H": "disadvantage"})),
    "test_q2_domains": ValueQuestion(lambda v: score_mapping(
        v.get("q2_domains"), name="q2_domains", options=["nlp", "vision", "speech", "recsys"],
        expected={"ticket_routing": "nlp", "defect_detection": "vision", "meeting_transcription": "speech",
                  "feed_ranking": "recsys", "contract_translation": "nlp"})),
    "test_q2_newly_viable": ValueQuestion(lambda v: score_choices(
        v.get("q2_newly_viable"), name="q2_newly_viable",
        options=["customer_service", "email_drafting", "contract_review", "review_sentiment", "code_completion",
                 "book_translation", "video_captioning"],
        expected=["contract_review", "review_sentiment", "code_completion", "book_translation"])),
    "test_q3_methods": ValueQuestion(lambda v: score_choices(v.get("q3_methods"), "ABCD", "ABCDEFG", "q3_methods")),
    "test_magnitude_prune": FunctionQuestion("magnitude_prune", _prune_cases, {"strict_dtype": True}),
    "test_quantize_int8": FunctionQuestion("quantize_int8", [
        ((np.array([[0.42, -1.7, 0.0], [2.54, -0.326, 1.137]], dtype=np.float32),),
         (np.array([[21, -85, 0], [127, -16, 57]], dtype=np.int8), 0.019999999699630136), "for a 2x3 matrix"),
        ((np.array([-3.0, 1.0, 0.5], dtype=np.float32),), (np.array([-127, 42, 21], dtype=np.int8), 3.0 / 127),
         "when the largest magnitude is negative"),
        ((np.array([0.7], dtype=np.float32),), (np.array([127], dtype=np.int8), 0.005511810929756465), "for a single element"),
        ((np.zeros((2, 2), dtype=np.float32),), (np.zeros((2, 2), dtype=np.int8), 1.0), "for an all-zero input"),
    ]),
    "test_dequantize_int8": FunctionQuestion("dequantize_int8", [
        ((np.array([-127, 0, 64, 127], dtype=np.int8), 0.02), np.array([-2.54, 0.0, 1.28, 2.54], dtype=np.float32), "for a vector"),
        ((np.array([[21, -85], [127, -16]], dtype=np.int8), 0.5), np.array([[10.5, -42.5], [63.5, -8.0]], dtype=np.float32),
         "for a matrix"),
        ((np.zeros(3, dtype=np.int8), 1.0), np.zeros(3, dtype=np.float32), "for zeros"),
    ], {"strict_dtype": True}),
    "test_q3_error_bound": ValueQuestion(lambda v: check_number(v.get("q3_error_bound"), 0.025, "q3_error_bound")),
    "test_softmax_t": FunctionQuestion("softmax_t", [
        ((np.array([1.0, 2.0, 3.0]), 1.0), np.array([0.09003057317038046, 0.24472847105479764, 0.6652409557748218]), "at T = 1"),
        ((np.array([1.0, 2.0, 3.0]), 10.0), np.array([0.3006096053557273, 0.3322249935333473, 0.3671654011109255]),
         "at a high temperature"),
        ((np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), 2.0),
         np.array([[0.1863237232258476, 0.3071958857184984, 0.506480391055654], [1 / 3, 1 / 3, 1 / 3]]), "for a batch (2-D input)"),
        ((np.array([1000.0, 1001.0, 1002.0]), 1.0), np.array([0.09003057317038046, 0.24472847105479764, 0.6652409557748218]),
         "for very large logits"),
        ((np.array([1.0, 2.0]), 0.0), Raises(ValueError), "when T is 0"),
        ((np.array([1.0, 2.0]), -1.0), Raises(ValueError), "when T is negative"),
    ]),
    "test_distillation_loss": FunctionQuestion("distillation_loss", [
        ((np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 2.0), 0.0, "when student and teacher agree"),
        ((np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]), 1.0), 1.1504207652088827, "at T = 1"),
        ((np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]), 4.0), 1.3196299121538528, "at T = 4 (is the loss scaled by T**2?)"),
        ((np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.0]]), np.array([[3.0, 2.0, 1.0], [0.0, 1.0, 0.0]]), 2.0),
         0.6844957915096348, "for a batch (is it averaged over samples?)"),
        ((np.array([0.0, 1000.0, 0.0]), np.array([0.0, 0.0, 0.0]), 1.0), 665.5680543779986, "for very large student logits"),
        ((np.array([0.0, 0.0, 0.0]), np.array([1000.0, 0.0, -1000.0]), 1.0), 1.0986122886681098, "for very large teacher logits"),
    ]),
    "test_q4_temperature": ValueQuestion(lambda v: check_choice(v.get("q4_temperature"), "B", "ABCD", "q4_temperature")),
    "test_q4_t_squared": ValueQuestion(lambda v: check_choice(v.get("q4_t_squared"), "B", "ABCD", "q4_t_squared")),
    "test_mlm_example": FunctionQuestion("mlm_example", [
        ((["我", "爱", "北京", "天安门"], [False, True, False, True]), (["我", "[MASK]", "北京", "[MASK]"], {1: "爱", 3: "天安门"}),
         "for two masked tokens"),
        ((["the", "cat", "sat"], [False, False, False]), (["the", "cat", "sat"], {}), "when nothing is masked"),
        ((["a", "b"], [True, True], "<mask>"), (["<mask>", "<mask>"], {0: "a", 1: "b"}), "with another mask token"),
        ((["x", "y", "z"], np.array([True, False, False])), (["[MASK]", "y", "z"], {0: "x"}), "when the mask is a NumPy array"),
        ((["x", "y", "z"], [True, False]), Raises(ValueError), "when mask and tokens differ in length"),
    ]),
    "test_clm_example": FunctionQuestion("clm_example", [
        ((["the", "cat", "sat"],), [(("the",), "cat"), (("the", "cat"), "sat")], "for three tokens"),
        ((["a", "a", "a"],), [(("a",), "a"), (("a", "a"), "a")], "for repeated tokens"),
        ((["only"],), [], "for a single token"),
        (([],), [], "for an empty sequence"),
    ]),
    "test_q5_objectives": ValueQuestion(lambda v: score_mapping(
        v.get("q5_objectives"), {"BERT": "A", "GPT": "B"}, list("ABCD"), "q5_objectives")),
    "test_q5_statements": ValueQuestion(lambda v: score_mapping(
        v.get("q5_statements"), {"A": True, "B": False, "C": True, "D": True, "E": False}, [True, False], "q5_statements")),
}
