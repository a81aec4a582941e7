"""Answer key of inference_cost.ipynb: expected answers, loaded by the grader only (course.grading.judge).

Part A's numbers and functions are compared here with closed forms, each
number of a cell earning its share, and chained numbers judged with
follow-through: a step done right on the student's own earlier result (an
earlier hand-in, or the student's own ``weight_memory_gb`` re-run by the
runner) earns its points. Part B's
models are judged by the verifiers of ``course.grading.verifiers.compression``
in a fresh sandboxed process; its measured table is checked for internal
consistency (every cost recomputed from the student's own latency), since
latencies differ from machine to machine.
"""

import math

from course.grading.compare import check_choice, is_finite_number, score_numbers
from course.grading.judge import FunctionQuestion, ModelQuestion, ValueQuestion

RUNNER_CELLS = (
    "imports", "from_01", "hardware", "decode_functions", "kv_functions", "kv_decode_function", "cost_per_million",
)

# ------------------------------------------------------------ the constants

BANDWIDTH, TFLOPS, PRICE, GPU_GB = 3350.0, 989.0, 3.0, 80.0
LLAMA2 = (6.74e9, 32, 32, 128)
LLAMA3 = (8.03e9, 32, 8, 128)
CONTEXT = 4096
DECODE_CONTEXT, DECODE_BATCH = 1024, 64
MIXTRAL_TOTAL, MIXTRAL_ACTIVE = 46.7e9, 12.9e9

#: The student's own ``weight_memory_gb`` on the inputs the chained answers use (re-run by the runner).
WEIGHT_CALLS = (
    ("llama2_fp16", "weight_memory_gb", (LLAMA2[0], "fp16")),
    ("llama3_fp16", "weight_memory_gb", (LLAMA3[0], "fp16")),
    ("llama2_int4", "weight_memory_gb", (LLAMA2[0], "int4")),
    ("mixtral_fp16", "weight_memory_gb", (MIXTRAL_TOTAL, "fp16")),
)


def _tps(n, b, bw, tf, batch):
    return min(batch * bw * 1e9 / (n * b), tf * 1e12 / (2 * n))


def _kv(layers, heads, dim, b):
    return 2 * layers * heads * dim * b


def _users(gpu_gb, weight_gb, kv, context):
    free = (gpu_gb - weight_gb) * 1e9
    return 0 if free <= 0 else int(free // (kv * context))


def _tps_kv(n, b, kv, context, bw, tf, batch):
    return min(batch * bw * 1e9 / (n * b + batch * kv * context), tf * 1e12 / (2 * n))


def _cost(price, per_second):
    return price / (per_second * 3600.0) * 1e6


def _follow(answer, name, expected, own=()):
    """``(answer, the value it is judged against, name)``: the key's value, or the one that follows from the
    student's own earlier results (``own``: candidates computed from them) where the answer matches one."""
    for candidate in own:
        if candidate is None or not is_finite_number(answer):
            continue
        if math.isclose(float(answer), float(candidate), rel_tol=1e-6, abs_tol=1e-9):
            return (answer, float(answer) if isinstance(expected, float) else answer, name)
    return (answer, expected, name)


def _own(function, *inputs):
    """``function(*inputs)`` on the student's own earlier results, or ``None`` where one is missing or unusable."""
    if not all(is_finite_number(x) for x in inputs):
        return None
    try:
        value = function(*(float(x) for x in inputs))
    except (ArithmeticError, ValueError):
        return None
    return value if is_finite_number(value) else None


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
    return score_numbers([
        (values.get("tps_batch1"), _tps(LLAMA2[0], 2, BANDWIDTH, TFLOPS, 1), "tps_batch1"),
        (values.get("tps_batch64"), _tps(LLAMA2[0], 2, BANDWIDTH, TFLOPS, 64), "tps_batch64"),
        (values.get("b_star"), TFLOPS * 1e12 * 2 / (2 * BANDWIDTH * 1e9), "b_star"),
    ])


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


def _kv_numbers(values, own):
    """The user counts follow through from the student's own KV sizes and ``weight_memory_gb``."""
    kv2, kv3 = _kv(*LLAMA2[1:], 2), _kv(*LLAMA3[1:], 2)
    users = lambda weight_gb, kv: _users(GPU_GB, weight_gb, kv, CONTEXT)  # noqa: E731
    w2, w3 = own.result("llama2_fp16"), own.result("llama3_fp16")
    own2 = [_own(users, w, k) for w in (w2, LLAMA2[0] * 2 / 1e9) for k in (values.get("kv_llama2"), kv2)]
    own3 = [_own(users, w, k) for w in (w3, LLAMA3[0] * 2 / 1e9) for k in (values.get("kv_llama3"), kv3)]
    return score_numbers([
        (values.get("kv_llama2"), kv2, "kv_llama2"),
        (values.get("kv_llama3"), kv3, "kv_llama3"),
        _follow(values.get("users_llama2"), "users_llama2", users(LLAMA2[0] * 2 / 1e9, kv2), own2),
        _follow(values.get("users_llama3"), "users_llama3", users(LLAMA3[0] * 2 / 1e9, kv3), own3),
    ])


# ------------------------------------------------------------------ A3


def _kv_decode_cases(rng):
    kv2 = _kv(*LLAMA2[1:], 2)
    cases = [
        ((7e9, 2, 524288, 1024, BANDWIDTH, TFLOPS, 8), _tps_kv(7e9, 2, 524288, 1024, BANDWIDTH, TFLOPS, 8), "for 7B, batch 8"),
        ((LLAMA2[0], 2, kv2, 1024, BANDWIDTH, TFLOPS, 64), _tps_kv(LLAMA2[0], 2, kv2, 1024, BANDWIDTH, TFLOPS, 64),
         "for Llama 2 7B at batch 64"),
        ((7e9, 2, 1000, 16, BANDWIDTH, TFLOPS, 4096), _tps_kv(7e9, 2, 1000, 16, BANDWIDTH, TFLOPS, 4096),
         "for a tiny cache at a huge batch (compute-bound)"),
        ((7e9, 2, 524288, 0, BANDWIDTH, TFLOPS, 64), _tps(7e9, 2, BANDWIDTH, TFLOPS, 64), "for an empty context"),
    ]
    for _ in range(3):
        n, b = float(rng.integers(1, 200)) * 1e9, float(rng.choice([0.5, 1.0, 2.0]))
        kv, context = int(rng.integers(10_000, 1_000_000)), int(rng.choice([512, 2048, 8192]))
        bw, tf, batch = float(rng.integers(500, 8000)), float(rng.integers(50, 2000)), int(rng.integers(1, 512))
        cases.append(((n, b, kv, context, bw, tf, batch), _tps_kv(n, b, kv, context, bw, tf, batch), "for another model and GPU"))
    return cases


def _kv_decode_numbers(values, own):
    """Both rates and the share follow through from the student's own KV sizes (A2's hand-in)."""
    kv2, kv3 = _kv(*LLAMA2[1:], 2), _kv(*LLAMA3[1:], 2)
    their_kv2 = own.value("test_kv_numbers", "kv_llama2")
    their_kv3 = own.value("test_kv_numbers", "kv_llama3")
    rate = lambda n, kv: _tps_kv(n, 2, kv, DECODE_CONTEXT, BANDWIDTH, TFLOPS, DECODE_BATCH)  # noqa: E731
    share = lambda kv: DECODE_BATCH * kv * DECODE_CONTEXT / (LLAMA2[0] * 2 + DECODE_BATCH * kv * DECODE_CONTEXT)  # noqa: E731
    return score_numbers([
        _follow(values.get("tps_llama2_kv"), "tps_llama2_kv", rate(LLAMA2[0], kv2), [_own(lambda k: rate(LLAMA2[0], k), their_kv2)]),
        _follow(values.get("tps_llama3_kv"), "tps_llama3_kv", rate(LLAMA3[0], kv3), [_own(lambda k: rate(LLAMA3[0], k), their_kv3)]),
        _follow(values.get("kv_share_llama2"), "kv_share_llama2", share(kv2), [_own(share, their_kv2)]),
    ])


# ------------------------------------------------------------------ A4


def _cost_cases(rng):
    cases = [
        ((3.0, 1000.0), 0.8333333333333334, "for 3 USD/h at 1,000 per second"),
        ((0.10, 256 / 0.02), _cost(0.10, 256 / 0.02), "for a CPU at 20 ms per batch of 256"),
    ]
    for _ in range(3):
        price, rate = float(rng.uniform(0.05, 40)), float(rng.uniform(1, 100_000))
        cases.append(((price, rate), _cost(price, rate), "for another price and throughput"))
    return cases


def _cost_numbers(values, own):
    """Each cost follows through from the student's own throughput (A1's and A3's hand-ins)."""
    tps1 = own.value("test_decode_numbers", "tps_batch1")
    tps64 = own.value("test_kv_decode_numbers", "tps_llama2_kv")
    cost = lambda rate: _cost(PRICE, rate)  # noqa: E731
    return score_numbers([
        _follow(values.get("cost_batch1"), "cost_batch1", cost(_tps(LLAMA2[0], 2, BANDWIDTH, TFLOPS, 1)), [_own(cost, tps1)]),
        _follow(values.get("cost_batch64"), "cost_batch64",
                cost(_tps_kv(LLAMA2[0], 2, _kv(*LLAMA2[1:], 2), DECODE_CONTEXT, BANDWIDTH, TFLOPS, DECODE_BATCH)),
                [_own(cost, tps64)]),
    ])


# ------------------------------------------------------------------ A5

# The two texts of the notebook's locked ``tokenizer`` cell (tests/test_compression.py checks they are the same).
ZH_TEXT = (
    "降价让更多企业用得起大模型。推理成本下降的原因有四个：量化让每个参数占用更少的显存，"
    "剪枝去掉不重要的权重，蒸馏把大模型的知识教给小模型，批处理让一次读取的权重服务更多的用户。"
)
EN_TEXT = (
    "Lower prices let more companies afford large models. Inference costs fall for four reasons: "
    "quantization makes each parameter take less memory, pruning removes unimportant weights, "
    "distillation teaches a small model what a large model knows, and batching lets the weights "
    "read once serve more users."
)

# MEASURED with the offline all-MiniLM-L6-v2 WordPiece vocabulary (keras-hub
# BertTokenizer, 30,522 entries) on ZH_TEXT and EN_TEXT (tests/test_compression.py
# measures them again where the weights are installed). Used only when the
# grader cannot load the tokenizer itself; otherwise the counts come from the
# preset the notebook loads (course.grading.token_counts), so a course that
# configures another preset (COURSE_BERT_PRESET) is graded on its vocabulary.
ZH_TOKENS, ZH_CHARS, ZH_UNK = 87, 87, 64
EN_TOKENS, EN_WORDS = 61, 45


def _counts():
    """``(zh tokens, zh [UNK], en tokens)`` with the tokenizer the notebook loads, else the measured ones."""
    from course.grading.token_counts import count_tokens

    counted = count_tokens((ZH_TEXT, EN_TEXT))
    if counted is None:
        return ZH_TOKENS, ZH_UNK, EN_TOKENS
    (zh, zh_unk), (en, _) = counted
    return zh, zh_unk, en


def _token_numbers(values):
    zh, zh_unk, en = _counts()
    return score_numbers([
        (values.get("zh_tokens_per_char"), zh / len(ZH_TEXT), "zh_tokens_per_char"),
        (values.get("en_tokens_per_word"), en / len(EN_TEXT.split()), "en_tokens_per_word"),
        (values.get("zh_unk_share"), zh_unk / zh, "zh_unk_share"),
        (values.get("bill_ratio"), zh / en, "bill_ratio"),
    ], rel_tol=1e-4)


# ------------------------------------------------------------------ A6, A7

LORA_TRAINABLE = 32 * 2 * 8 * (4096 + 4096)


def _lora_numbers(values, own):
    """The LoRA and QLoRA totals follow through from the student's ``weight_memory_gb`` and adapter count."""
    adapters = LORA_TRAINABLE * 16 / 1e9
    their_adapters = [_own(lambda n: n * 16 / 1e9, values.get("lora_trainable")), adapters]
    total = lambda base, extra: base + extra  # noqa: E731
    own_lora = [_own(total, base, extra) for base in (own.result("llama2_fp16"), LLAMA2[0] * 2 / 1e9) for extra in their_adapters]
    own_qlora = [_own(total, base, extra) for base in (own.result("llama2_int4"), LLAMA2[0] * 0.5 / 1e9) for extra in their_adapters]
    return score_numbers([
        (values.get("lora_trainable"), LORA_TRAINABLE, "lora_trainable"),
        (values.get("full_ft_gb"), LLAMA2[0] * 16 / 1e9, "full_ft_gb"),
        _follow(values.get("lora_gb"), "lora_gb", LLAMA2[0] * 2 / 1e9 + adapters, own_lora),
        _follow(values.get("qlora_gb"), "qlora_gb", LLAMA2[0] * 0.5 / 1e9 + adapters, own_qlora),
    ])


def _moe_numbers(values, own):
    """The weight size follows through from the student's ``weight_memory_gb``."""
    return score_numbers([
        _follow(values.get("moe_weight_gb"), "moe_weight_gb", MIXTRAL_TOTAL * 2 / 1e9, [own.result("mixtral_fp16")]),
        (values.get("moe_gflops_per_token"), 2 * MIXTRAL_ACTIVE / 1e9, "moe_gflops_per_token"),
        (values.get("dense_gflops_per_token"), 2 * MIXTRAL_TOTAL / 1e9, "dense_gflops_per_token"),
    ])


def _q_moe(values):
    check_choice(values.get("q_moe"), "B", "ABCD", "q_moe")


# ------------------------------------------------------------------ B5

CNN_VARIANTS = ("float32", "int8", "int4", "pruned 50%", "pruned 80%", "pruned 90%", "distilled", "label-only twin")
BERT_VARIANTS = ("BERT float32", "BERT int8")


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
        if not isinstance(row, dict) or not all(
            is_finite_number(row.get(k)) and float(row.get(k)) > 0 for k in ("latency_ms", "cost_per_million", "weight_bytes")
        ):
            raise AssertionError(f"table[{name!r}] must hold positive numbers latency_ms, cost_per_million and weight_bytes.")
        batch = 32 if name.startswith("BERT") else 256
        expected = _cost(0.10, batch / (float(row["latency_ms"]) / 1000.0))
        if not math.isclose(float(row["cost_per_million"]), expected, rel_tol=1e-3):
            wrong.append(name)
        accuracy = row.get("accuracy")
        if not (is_finite_number(accuracy) and 0 <= float(accuracy) <= 1):
            raise AssertionError(f"table[{name!r}]['accuracy'] must be a number in [0, 1].")
    if wrong:
        raise AssertionError(
            f"the cost per million predictions of {', '.join(wrong)} does not follow from its measured latency, "
            "its batch size and CPU_PRICE_PER_HOUR."
        )
    if not float(table["int8"]["weight_bytes"]) < float(table["float32"]["weight_bytes"]):
        raise AssertionError("the int8 variant's weight bytes should be smaller than the float32 variant's.")
    if not float(table["BERT int8"]["weight_bytes"]) < float(table["BERT float32"]["weight_bytes"]):
        raise AssertionError("the BERT int8 variant's weight bytes should be smaller than the float32 variant's.")


QUESTIONS = {
    "test_decode_tokens_per_second": FunctionQuestion("decode_tokens_per_second", _decode_cases, {"rel_tol": 1e-6}),
    "test_crossover_batch": FunctionQuestion("crossover_batch", _crossover_cases, {"rel_tol": 1e-6}),
    "test_decode_numbers": ValueQuestion(_decode_numbers),
    "test_kv_cache_bytes_per_token": FunctionQuestion("kv_cache_bytes_per_token", _kv_cases),
    "test_max_concurrent_users": FunctionQuestion("max_concurrent_users", _users_cases),
    "test_kv_numbers": ValueQuestion(_kv_numbers, calls=WEIGHT_CALLS[:2]),
    "test_decode_tokens_per_second_kv": FunctionQuestion("decode_tokens_per_second_kv", _kv_decode_cases, {"rel_tol": 1e-6}),
    "test_kv_decode_numbers": ValueQuestion(_kv_decode_numbers, follows=("test_kv_numbers",)),
    "test_cost_per_million": FunctionQuestion("cost_per_million", _cost_cases, {"rel_tol": 1e-6}),
    "test_cost_numbers": ValueQuestion(_cost_numbers, follows=("test_decode_numbers", "test_kv_decode_numbers")),
    "test_token_numbers": ValueQuestion(_token_numbers),
    "test_lora_numbers": ValueQuestion(_lora_numbers, calls=(WEIGHT_CALLS[0], WEIGHT_CALLS[2])),
    "test_moe_numbers": ValueQuestion(_moe_numbers, calls=(WEIGHT_CALLS[3],)),
    "test_q_moe": ValueQuestion(_q_moe),
    "test_int8_model": ModelQuestion("course.grading.verifiers.compression:verify_int8_model"),
    "test_pruned_model": ModelQuestion("course.grading.verifiers.compression:verify_pruned_model"),
    "test_distilled_student": ModelQuestion("course.grading.verifiers.compression:verify_distilled_student"),
    "test_table": ValueQuestion(_table),
}
