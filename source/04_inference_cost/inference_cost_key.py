"""Answer key of inference_cost.ipynb: expected answers, loaded by the grader only (course.grading.judge).

Part A's numbers and functions are compared here with closed forms; part B's
models are judged by the verifiers of ``course.grading.verifiers.compression``
in a fresh sandboxed process; its measured table is checked for internal
consistency (every cost recomputed from the student's own latency), since
latencies differ from machine to machine.
"""

import math

from course.grading.compare import check_choice, score_numbers
from course.grading.judge import FunctionQuestion, ModelQuestion, ValueQuestion

RUNNER_CELLS = (
    "imports", "from_01", "hardware", "decode_functions", "kv_functions", "cost_per_million",
)

# ------------------------------------------------------------ the constants

BANDWIDTH, TFLOPS, PRICE, GPU_GB = 3350.0, 989.0, 3.0, 80.0
LLAMA2 = (6.74e9, 32, 32, 128)
LLAMA3 = (8.03e9, 32, 8, 128)
CONTEXT = 4096


def _tps(n, b, bw, tf, batch):
    return min(batch * bw * 1e9 / (n * b), tf * 1e12 / (2 * n))


def _kv(layers, heads, dim, b):
    return 2 * layers * heads * dim * b


def _users(gpu_gb, weight_gb, kv, context):
    free = (gpu_gb - weight_gb) * 1e9
    return 0 if free <= 0 else int(free // (kv * context))


def _cost(price, per_second):
    return price / (per_second * 3600.0) * 1e6


# ------------------------------------------------------------------ A1


def _decode_cases(rng):
    cases = [
        ((7e9, 2, BANDWIDTH, TFLOPS, 1), _tps(7e9, 2, BANDWIDTH, TFLOPS, 1), "for 7B fp16 at batch 1"),
        ((7e9, 2, BANDWIDTH, TFLOPS, 64), _tps(7e9, 2, BANDWIDTH, TFLOPS, 64), "for 7B fp16 at batch 64"),
        ((7e9, 2, BANDWIDTH, TFLOPS, 1024), _tps(7e9, 2, BANDWIDTH, TFLOPS, 1024), "past the crossover (compute-bound)"),
        ((70e9, 0.5, 2000.0, 312.0, 1), _tps(70e9, 0.5, 2000.0, 312.0, 1), "for 70B in int4 on another GPU"),
    ]
    for _ in range(3):
        n, b = float(rng.integers(1, 200)) * 1e9, float(rng.choice([0.5, 1.0, 2.0, 4.0]))
        bw, tf, batch = float(rng.integers(500, 8000)), float(rng.integers(50, 2000)), int(rng.integers(1, 2000))
        cases.append(((n, b, bw, tf, batch), _tps(n, b, bw, tf, batch), "for another model and GPU"))
    return cases


def _crossover_cases(rng):
    cases = [
        ((2, BANDWIDTH, TFLOPS), TFLOPS * 1e12 * 2 / (2 * BANDWIDTH * 1e9), "for fp16 on an H100"),
        ((1, BANDWIDTH, TFLOPS), TFLOPS * 1e12 * 1 / (2 * BANDWIDTH * 1e9), "for int8 weights"),
    ]
    for _ in range(3):
        b, bw, tf = float(rng.choice([0.5, 1.0, 2.0, 4.0])), float(rng.integers(500, 8000)), float(rng.integers(50, 2000))
        cases.append(((b, bw, tf), tf * 1e12 * b / (2 * bw * 1e9), "for another GPU"))
    return cases


def _decode_numbers(values):
    fraction, note = score_numbers([
        (values.get("tps_batch1"), _tps(7e9, 2, BANDWIDTH, TFLOPS, 1), "tps_batch1"),
        (values.get("tps_batch64"), _tps(7e9, 2, BANDWIDTH, TFLOPS, 64), "tps_batch64"),
        (values.get("b_star"), TFLOPS * 1e12 * 2 / (2 * BANDWIDTH * 1e9), "b_star"),
    ])
    if fraction < 1:  # asked together: all three or nothing
        raise AssertionError(note)


# ------------------------------------------------------------------ A2


def _kv_cases(rng):
    cases = [
        ((32, 32, 128, 2), 524288, "for Llama 2 7B in fp16"),
        ((32, 8, 128, 2), 131072, "with grouped-query attention"),
        ((80, 8, 128, 1), 163840, "for an fp8 cache"),
    ]
    for _ in range(3):
        layers, heads, dim, b = int(rng.integers(1, 120)), int(rng.integers(1, 64)), int(rng.choice([64, 96, 128, 256])), int(rng.choice([1, 2, 4]))
        cases.append(((layers, heads, dim, b), _kv(layers, heads, dim, b), "for another model"))
    return cases


def _users_cases(rng):
    cases = [
        ((80.0, 13.48, 524288, 4096), _users(80.0, 13.48, 524288, 4096), "for Llama 2 7B"),
        ((80.0, 16.06, 131072, 4096), _users(80.0, 16.06, 131072, 4096), "for Llama 3 8B"),
        ((24.0, 30.0, 131072, 4096), 0, "when the weights do not fit"),
        ((80.0, 80.0, 131072, 4096), 0, "when the weights fill the GPU"),
    ]
    for _ in range(3):
        gpu, weights = float(rng.choice([24.0, 40.0, 80.0, 141.0])), float(rng.uniform(1, 60))
        kv, context = int(rng.integers(10_000, 1_000_000)), int(rng.choice([1024, 2048, 8192, 32768]))
        cases.append(((gpu, weights, kv, context), _users(gpu, weights, kv, context), "for another GPU and model"))
    return cases


def _kv_numbers(values):
    kv2, kv3 = _kv(*LLAMA2[1:], 2), _kv(*LLAMA3[1:], 2)
    return score_numbers([
        (values.get("kv_llama2"), kv2, "kv_llama2"),
        (values.get("kv_llama3"), kv3, "kv_llama3"),
        (values.get("users_llama2"), _users(GPU_GB, LLAMA2[0] * 2 / 1e9, kv2, CONTEXT), "users_llama2"),
        (values.get("users_llama3"), _users(GPU_GB, LLAMA3[0] * 2 / 1e9, kv3, CONTEXT), "users_llama3"),
    ])


# ------------------------------------------------------------------ A3


def _cost_cases(rng):
    cases = [
        ((3.0, 1000.0), 0.8333333333333334, "for 3 USD/h at 1,000 per second"),
        ((0.10, 256 / 0.02), _cost(0.10, 256 / 0.02), "for a CPU at 20 ms per batch of 256"),
    ]
    for _ in range(3):
        price, rate = float(rng.uniform(0.05, 40)), float(rng.uniform(1, 100_000))
        cases.append(((price, rate), _cost(price, rate), "for another price and throughput"))
    return cases


def _cost_numbers(values):
    fraction, note = score_numbers([
        (values.get("cost_batch1"), _cost(PRICE, _tps(7e9, 2, BANDWIDTH, TFLOPS, 1)), "cost_batch1"),
        (values.get("cost_batch64"), _cost(PRICE, _tps(7e9, 2, BANDWIDTH, TFLOPS, 64)), "cost_batch64"),
    ])
    if fraction < 1:
        raise AssertionError(note)


# ------------------------------------------------------------------ A4

# MEASURED with the offline all-MiniLM-L6-v2 WordPiece vocabulary (keras-hub
# BertTokenizer, 30,522 entries) on the notebook's ZH_TEXT and EN_TEXT
# (tests/test_compression.py measures them again where the weights are installed).
ZH_TOKENS, ZH_CHARS, ZH_UNK = 87, 87, 64
EN_TOKENS, EN_WORDS = 61, 45


def _token_numbers(values):
    return score_numbers([
        (values.get("zh_tokens_per_char"), ZH_TOKENS / ZH_CHARS, "zh_tokens_per_char"),
        (values.get("en_tokens_per_word"), EN_TOKENS / EN_WORDS, "en_tokens_per_word"),
        (values.get("zh_unk_share"), ZH_UNK / ZH_TOKENS, "zh_unk_share"),
        (values.get("bill_ratio"), ZH_TOKENS / EN_TOKENS, "bill_ratio"),
    ], rel_tol=1e-4)


# ------------------------------------------------------------------ A5, A6

LORA_TRAINABLE = 32 * 2 * 8 * (4096 + 4096)


def _lora_numbers(values):
    adapters = LORA_TRAINABLE * 16 / 1e9
    return score_numbers([
        (values.get("lora_trainable"), LORA_TRAINABLE, "lora_trainable"),
        (values.get("full_ft_gb"), LLAMA2[0] * 16 / 1e9, "full_ft_gb"),
        (values.get("lora_gb"), LLAMA2[0] * 2 / 1e9 + adapters, "lora_gb"),
        (values.get("qlora_gb"), LLAMA2[0] * 0.5 / 1e9 + adapters, "qlora_gb"),
    ])


def _moe_numbers(values):
    fraction, note = score_numbers([
        (values.get("moe_weight_gb"), 46.7e9 * 2 / 1e9, "moe_weight_gb"),
        (values.get("moe_gflops_per_token"), 2 * 12.9e9 / 1e9, "moe_gflops_per_token"),
        (values.get("dense_gflops_per_token"), 2 * 46.7e9 / 1e9, "dense_gflops_per_token"),
    ])
    if fraction < 1:
        raise AssertionError(note)


def _q_moe(values):
    check_choice(values.get("q_moe"), "B", "ABCD", "q_moe")


# ------------------------------------------------------------------ B5

CNN_VARIANTS = ("float32", "int8", "int4", "pruned 50%", "pruned 80%", "pruned 90%", "distilled", "label-only twin")
BERT_VARIANTS = ("BERT float32", "BERT int8")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _table(values):
    """Every variant measured; each cost recomputed from the row's own latency; int8 smaller than float32."""
    table = values.get("table")
    if not isinstance(table, dict):
        raise AssertionError("table must be a dict from variant names to dicts of numbers.")
    missing = [name for name in CNN_VARIANTS + BERT_VARIANTS if name not in table]
    if missing:
        raise AssertionError(f"table lacks the variants {', '.join(missing)}.")
    wrong = []
    for name in CNN_VARIANTS + BERT_VARIANTS:
        row = table[name]
        if not isinstance(row, dict) or not all(_number(row.get(k)) for k in ("latency_ms", "cost_per_million", "weight_bytes")):
            raise AssertionError(f"table[{name!r}] must hold positive numbers latency_ms, cost_per_million and weight_bytes.")
        batch = 32 if name.startswith("BERT") else 256
        expected = _cost(0.10, batch / (row["latency_ms"] / 1000.0))
        if not math.isclose(row["cost_per_million"], expected, rel_tol=1e-3):
            wrong.append(name)
        accuracy = row.get("accuracy")
        if not (isinstance(accuracy, (int, float)) and 0 <= accuracy <= 1):
            raise AssertionError(f"table[{name!r}]['accuracy'] must be a number in [0, 1].")
    if wrong:
        raise AssertionError(
            f"the cost per million predictions of {', '.join(wrong)} does not follow from its measured latency, "
            "its batch size and CPU_PRICE_PER_HOUR."
        )
    if not table["int8"]["weight_bytes"] < table["float32"]["weight_bytes"]:
        raise AssertionError("the int8 variant's weight bytes should be smaller than the float32 variant's.")
    if not table["BERT int8"]["weight_bytes"] < table["BERT float32"]["weight_bytes"]:
        raise AssertionError("the BERT int8 variant's weight bytes should be smaller than the float32 variant's.")


QUESTIONS = {
    "test_decode_tokens_per_second": FunctionQuestion("decode_tokens_per_second", _decode_cases, {"rel_tol": 1e-6}),
    "test_crossover_batch": FunctionQuestion("crossover_batch", _crossover_cases, {"rel_tol": 1e-6}),
    "test_decode_numbers": ValueQuestion(_decode_numbers),
    "test_kv_cache_bytes_per_token": FunctionQuestion("kv_cache_bytes_per_token", _kv_cases),
    "test_max_concurrent_users": FunctionQuestion("max_concurrent_users", _users_cases),
    "test_kv_numbers": ValueQuestion(_kv_numbers),
    "test_cost_per_million": FunctionQuestion("cost_per_million", _cost_cases, {"rel_tol": 1e-6}),
    "test_cost_numbers": ValueQuestion(_cost_numbers),
    "test_token_numbers": ValueQuestion(_token_numbers),
    "test_lora_numbers": ValueQuestion(_lora_numbers),
    "test_moe_numbers": ValueQuestion(_moe_numbers),
    "test_q_moe": ValueQuestion(_q_moe),
    "test_int8_model": ModelQuestion("course.grading.verifiers.compression:verify_int8_model"),
    "test_pruned_model": ModelQuestion("course.grading.verifiers.compression:verify_pruned_model"),
    "test_distilled_student": ModelQuestion("course.grading.verifiers.compression:verify_distilled_student"),
    "test_table": ValueQuestion(_table),
}
