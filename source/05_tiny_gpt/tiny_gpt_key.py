"""Answer key of tiny_gpt.ipynb: expected answers, loaded by the grader only (course.grading.judge).

Functions are re-run by the runner on the grader's own fixed and random
cases (shapes, masks, logits large enough to overflow a naive softmax,
random GPT weights and the grader's own K/V caches) and compared here with
the reference implementations below. The BPE numbers are recomputed from
the same IMDB reviews with the reference BPE, the WordPiece numbers with the
tokenizer the notebook loads (``course.grading.token_counts``). The tiny GPT
is judged by ``course.grading.verifiers.tinygpt`` in a fresh sandboxed
process (safe mode, its own held-out test reviews). The measured tables are
checked for internal consistency.
"""

import collections
import functools
import math

import numpy as np

from course.grading.compare import is_finite_number, judge_cases, score_numbers
from course.grading.judge import FunctionQuestion, ModelQuestion, ValueQuestion

RUNNER_CELLS = (
    "imports", "bpe_functions", "attention_functions", "tiled_attention_function", "numpy_gpt", "generation_macs_function",
    "decoding_functions",
)

# ------------------------------------------------------------ constants of the notebook's locked cells

BPE_REVIEWS, BPE_EVAL_REVIEWS, N_MERGES = 200, 50, 150
ZH_TEXT = (
    "随着深度学习技术的不断发展，大模型在自然语言处理、图像识别、语音识别等领域取得了显著的成果。"
    "大模型通常具备更强的表示能力和泛化能力，但同时也带来了更高的计算成本和存储需求。"
    "这使得大模型在实际应用中面临着较高的门槛，尤其是在企业级应用中。"
)
EN_TEXT = (
    "As deep learning keeps advancing, large models have achieved remarkable results in natural language "
    "processing, image recognition, speech recognition and other fields. Large models usually have stronger "
    "representation and generalization abilities, but they also bring higher computing costs and storage needs. "
    "This gives large models a high barrier in real applications, especially in enterprise applications."
)
PRICE_PER_MILLION_TOKENS = 2.0
GPT_CONTEXT, GPT_LAYERS, GPT_D_MODEL, GPT_HEADS = 64, 2, 64, 4
PROMPT_TOKENS = 16
LLAMA2 = (32, 32, 128)
LLAMA3 = (32, 8, 128)
LLAMA_CONTEXT = 4096


# ------------------------------------------------------------------ part 1: BPE


def _merge_word(word, pair, joined):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(joined)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train_bpe(texts, n_merges):
    """Reference BPE: whitespace words, characters, most frequent pair (ties: smallest pair), left to right."""
    words = collections.Counter()
    for text in texts:
        words.update(tuple(w) for w in text.split())
    merges = []
    for _ in range(n_merges):
        counts = collections.Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        joined = best[0] + best[1]
        merged = collections.Counter()
        for word, n in words.items():
            merged[_merge_word(word, best, joined) if len(word) > 1 else word] += n
        words = merged
        merges.append(best)
    return merges


def encode(text, merges):
    tokens = []
    for w in text.split():
        word = tuple(w)
        for pair in merges:
            if len(word) < 2:
                break
            word = _merge_word(word, tuple(pair), pair[0] + pair[1])
        tokens.extend(word)
    return tokens


_ALPHABET = "abcde"


def _random_texts(rng, n_texts, n_words, alphabet=_ALPHABET):
    texts = []
    for _ in range(n_texts):
        words = ["".join(rng.choice(list(alphabet), size=int(rng.integers(1, 7)))) for _ in range(n_words)]
        texts.append(" ".join(words))
    return texts


def _bpe_cases(rng):
    cases = [
        ((["low lower lowest", "newer wider new"], 5), train_bpe(["low lower lowest", "newer wider new"], 5), "on a small text"),
        ((["ab ab ba ba"], 2), train_bpe(["ab ab ba ba"], 2), "when two pairs are equally frequent"),
        ((["aaaa"], 3), train_bpe(["aaaa"], 3), "for a run of one letter (overlapping pairs)"),
        ((["a b c"], 4), [], "when no word has two symbols"),
        ((["hello world"], 50), train_bpe(["hello world"], 50), "when there are fewer possible merges than asked"),
    ]
    for _ in range(3):
        texts = _random_texts(rng, int(rng.integers(1, 4)), int(rng.integers(5, 30)))
        n = int(rng.integers(1, 12))
        cases.append(((texts, n), train_bpe(texts, n), "on random texts"))
    return cases


def _encode_cases(rng):
    merges = train_bpe(["low lower lowest", "newer wider new"], 8)
    cases = [
        (("lowest newer", merges), encode("lowest newer", merges), "on a small text"),
        (("", merges), [], "for an empty text"),
        (("xyz", merges), ["x", "y", "z"], "for letters no merge knows"),
        (("aaaa", [("a", "a"), ("aa", "aa")]), ["aaaa"], "for merges that build on earlier merges"),
        (("aaa", [("a", "a")]), ["aa", "a"], "for overlapping pairs (left to right)"),
    ]
    for _ in range(3):
        texts = _random_texts(rng, 2, 20)
        learned = train_bpe(texts[:1], int(rng.integers(1, 10)))
        cases.append(((texts[1], learned), encode(texts[1], learned), "on random texts"))
    return cases


@functools.lru_cache(maxsize=2)
def _bpe_reference():
    """``(merges, eval texts)`` from the same reviews the notebook uses (the grader's own data settings)."""
    from course.data import load_imdb_arrays

    (train_texts, _), = load_imdb_arrays(("train",), verbose=False)
    merges = train_bpe(train_texts[:BPE_REVIEWS], N_MERGES)
    return merges, train_texts[BPE_REVIEWS:BPE_REVIEWS + BPE_EVAL_REVIEWS]


def _wordpiece():
    """``(zh tokens, zh [UNK], en tokens)`` of the two request texts with the notebook's WordPiece tokenizer."""
    from course.grading.token_counts import count_tokens

    counted = count_tokens((ZH_TEXT, EN_TEXT))
    if counted is None:
        raise AssertionError("The grader could not load the WordPiece tokenizer to check this answer; tell your instructor.")
    (zh, zh_unk), (en, _) = counted
    return zh, zh_unk, en


def _token_numbers(values):
    merges, eval_texts = _bpe_reference()
    words = sum(len(t.split()) for t in eval_texts)
    bpe_tokens = sum(len(encode(t, merges)) for t in eval_texts)
    zh, zh_unk, en = _wordpiece()
    return score_numbers([
        (values.get("bpe_en_tokens_per_word"), bpe_tokens / words, "bpe_en_tokens_per_word"),
        (values.get("bpe_zh_tokens_per_char"), len(encode(ZH_TEXT, merges)) / len(ZH_TEXT), "bpe_zh_tokens_per_char"),
        (values.get("wp_zh_tokens_per_char"), zh / len(ZH_TEXT), "wp_zh_tokens_per_char"),
        (values.get("wp_zh_unk_share"), zh_unk / zh, "wp_zh_unk_share"),
        (values.get("wp_bill_ratio"), zh / en, "wp_bill_ratio"),
    ], rel_tol=1e-4)


def _token_cost(values):
    zh, _, en = _wordpiece()
    return score_numbers([
        (values.get("usd_per_million_requests_en"), en * PRICE_PER_MILLION_TOKENS, "usd_per_million_requests_en"),
        (values.get("usd_per_million_requests_zh"), zh * PRICE_PER_MILLION_TOKENS, "usd_per_million_requests_zh"),
    ], rel_tol=1e-4)


# ------------------------------------------------------------------ part 2: attention


def softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool))


def sdpa(q, k, v, mask=None):
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool), scores, -np.inf)
    return softmax(scores) @ v


def _mask_judge(results, cases):
    """Accepts a bool array or one of 0/1 numbers (True/1 = may attend)."""
    converted = []
    for record in results:
        value = record.get("value") if isinstance(record, dict) else None
        if record.get("status") == "ok" and isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
            if np.isin(value, (0, 1)).all():
                record = dict(record, value=value.astype(bool))
        converted.append(record)
    judge_cases(converted, cases, "causal_mask")


def _mask_cases(rng):
    sizes = (1, 2, 5, int(rng.integers(6, 40)))
    return [((n,), causal_mask(n), f"for n = {n}") for n in sizes]


def _sdpa_cases(rng):
    cases = []
    q = rng.normal(size=(4, 8)); k = rng.normal(size=(6, 8)); v = rng.normal(size=(6, 3))
    cases.append(((q, k, v), sdpa(q, k, v), "for 2-D q, k, v without a mask"))
    x = rng.normal(size=(5, 4))
    cases.append(((x, x, x, causal_mask(5)), sdpa(x, x, x, causal_mask(5)), "with a causal mask"))
    q = rng.normal(size=(2, 3, 7, 16)); k = rng.normal(size=(2, 3, 7, 16)); v = rng.normal(size=(2, 3, 7, 16))
    cases.append(((q, k, v, causal_mask(7)), sdpa(q, k, v, causal_mask(7)), "for batched heads (batch, heads, n, d)"))
    q = rng.normal(size=(3, 4)) * 1e3; k = rng.normal(size=(5, 4)) * 1e3; v = rng.normal(size=(5, 2))
    cases.append(((q, k, v), sdpa(q, k, v), "for scores large enough to overflow exp (subtract the maximum)"))
    q = rng.normal(size=(4, 4)); k = rng.normal(size=(4, 4)); v = rng.normal(size=(4, 4))
    mask = rng.random((4, 4)) < 0.5
    mask[:, 0] = True
    cases.append(((q, k, v, mask), sdpa(q, k, v, mask), "with an arbitrary mask"))
    return cases


def split_heads(x, n_heads):
    b, n, d = x.shape
    return np.asarray(x).reshape(b, n, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    b, h, n, e = x.shape
    return np.asarray(x).transpose(0, 2, 1, 3).reshape(b, n, h * e)


def _split_cases(rng):
    cases = []
    for shape, h in (((1, 3, 8), 2), ((2, 5, 12), 3), ((3, 4, 16), 4)):
        x = rng.normal(size=shape)
        cases.append(((x, h), split_heads(x, h), f"for {h} heads"))
    return cases


def _merge_cases(rng):
    cases = []
    for shape in ((1, 2, 3, 4), (2, 3, 5, 4), (3, 4, 2, 8)):
        x = rng.normal(size=shape)
        cases.append(((x,), merge_heads(x), "for another shape"))
    return cases


def _attention_bytes_cases(rng):
    cases = [((2048, 32, 1, 2), 2048 * 2048 * 32 * 2, "for 2,048 tokens, 32 heads, fp16"),
             ((131072, 32, 1, 2), 131072 ** 2 * 32 * 2, "for 128k tokens")]
    for _ in range(3):
        n, h, b, s = int(rng.integers(1, 100000)), int(rng.integers(1, 64)), int(rng.integers(1, 16)), int(rng.choice([1, 2, 4]))
        cases.append(((n, h, b, s), n * n * h * b * s, "for another context"))
    return cases


def _tiled_cases(rng):
    cases = []
    for n, d, block, causal in ((10, 4, 3, False), (10, 4, 3, True), (16, 8, 16, True), (7, 5, 1, False), (33, 8, 8, True)):
        q, k, v = rng.normal(size=(n, d)), rng.normal(size=(n, d)), rng.normal(size=(n, d))
        mask = causal_mask(n) if causal else None
        cases.append(((q, k, v, block, causal), sdpa(q, k, v, mask), f"for n = {n}, block {block}{', causal' if causal else ''}"))
    q, k, v = rng.normal(size=(12, 4)) * 1e3, rng.normal(size=(12, 4)) * 1e3, rng.normal(size=(12, 4))
    cases.append(((q, k, v, 5, False), sdpa(q, k, v), "for scores that overflow a naive exp"))
    q, k, v = rng.normal(size=(12, 4)) * 1e3, rng.normal(size=(12, 4)) * 1e3, rng.normal(size=(12, 4))
    cases.append(((q, k, v, 4, True), sdpa(q, k, v, causal_mask(12)), "for large scores with a causal mask"))
    return cases


# ------------------------------------------------------------------ part 4: the GPT in NumPy


def layer_norm(x, gamma, beta, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def _block(blk, x, eps, past=None):
    q = np.einsum("td,dhe->hte", x, blk["wq"]) + blk["bq"][:, None, :]
    k = np.einsum("td,dhe->hte", x, blk["wk"]) + blk["bk"][:, None, :]
    v = np.einsum("td,dhe->hte", x, blk["wv"]) + blk["bv"][:, None, :]
    if past is not None:
        k = np.concatenate([past[0], k], axis=1)
        v = np.concatenate([past[1], v], axis=1)
    t_new, t_all = x.shape[0], k.shape[1]
    allowed = np.arange(t_all)[None, :] <= (t_all - t_new + np.arange(t_new))[:, None]
    att = sdpa(q, k, v, allowed)
    out = np.einsum("hte,hed->td", att, blk["wo"]) + blk["bo"]
    x = layer_norm(x + out, blk["ln1_gamma"], blk["ln1_beta"], eps)
    h = np.maximum(x @ blk["w1"] + blk["b1"], 0.0) @ blk["w2"] + blk["b2"]
    return layer_norm(x + h, blk["ln2_gamma"], blk["ln2_beta"], eps), (k, v)


def gpt_run(weights, tokens, cache=None):
    """Reference: logits of ``tokens`` after the positions in ``cache``, and the cache extended by them."""
    tokens = np.asarray(tokens, dtype=np.int64)
    start = 0 if cache is None else cache[0][0].shape[1]
    x = weights["token_embedding"][tokens] + weights["position_embedding"][start:start + len(tokens)]
    new = []
    for i, blk in enumerate(weights["blocks"]):
        x, kv = _block(blk, x, weights["epsilon"], None if cache is None else cache[i])
        new.append(kv)
    return x @ weights["w_out"] + weights["b_out"], new


def random_gpt(rng, vocab=None, d=None, heads=None, layers=None, context=None):
    """Random weights in the layout of ``course.tinygpt.gpt_weights``."""
    vocab = vocab or int(rng.integers(10, 40))
    heads = heads or int(rng.choice([1, 2, 4]))
    d = d or heads * int(rng.choice([2, 4, 8]))
    layers = layers or int(rng.integers(1, 4))
    context = context or 24
    f = 2 * d
    n = lambda *shape: rng.normal(size=shape) * 0.5  # noqa: E731
    blocks = []
    for _ in range(layers):
        blocks.append({
            "wq": n(d, heads, d // heads), "bq": n(heads, d // heads), "wk": n(d, heads, d // heads), "bk": n(heads, d // heads),
            "wv": n(d, heads, d // heads), "bv": n(heads, d // heads), "wo": n(heads, d // heads, d), "bo": n(d),
            "ln1_gamma": 1 + n(d), "ln1_beta": n(d), "w1": n(d, f), "b1": n(f), "w2": n(f, d), "b2": n(d),
            "ln2_gamma": 1 + n(d), "ln2_beta": n(d),
        })
    return {"token_embedding": n(vocab, d), "position_embedding": n(context, d), "epsilon": 1e-5, "blocks": blocks,
            "w_out": n(d, vocab), "b_out": n(vocab)}


def _as_pairs(cache):
    return [(k, v) for k, v in cache]


def _forward_cases(rng):
    cases = []
    for layers, length in ((1, 1), (2, 7), (3, 20)):
        w = random_gpt(rng, layers=layers)
        tokens = rng.integers(0, w["token_embedding"].shape[0], size=length)
        cases.append(((w, tokens), gpt_run(w, tokens)[0], f"for {layers} block(s) and {length} tokens"))
    return cases


def _prefill_cases(rng):
    cases = []
    for layers, length in ((1, 3), (2, 9), (2, 1)):
        w = random_gpt(rng, layers=layers)
        tokens = rng.integers(0, w["token_embedding"].shape[0], size=length)
        logits, cache = gpt_run(w, tokens)
        cases.append(((w, tokens), (logits[-1], _as_pairs(cache)), f"for {layers} block(s) and a prompt of {length} tokens"))
    return cases


def _decode_cases(rng):
    """The grader builds each cache itself: a decode step that ignores it and recomputes from stored tokens fails."""
    cases = []
    for layers, length in ((1, 4), (2, 10), (3, 1), (2, 17)):
        w = random_gpt(rng, layers=layers)
        tokens = rng.integers(0, w["token_embedding"].shape[0], size=length + 1)
        _, cache = gpt_run(w, tokens[:-1])
        logits, new_cache = gpt_run(w, tokens[-1:], cache)
        full, _ = gpt_run(w, tokens)
        assert np.allclose(full[-1], logits[0])
        cases.append(((w, int(tokens[-1]), _as_pairs(cache)), (logits[0], _as_pairs(new_cache)),
                      f"for {layers} block(s) after {length} cached tokens"))
    return cases


def generation_macs(n_layers, d_model, prompt_len, n_new, use_cache):
    def full(s):
        return n_layers * (12 * d_model ** 2 * s + d_model * s * (s + 1))

    if not use_cache:
        return sum(full(prompt_len + i) for i in range(n_new))
    return full(prompt_len) + sum(n_layers * (12 * d_model ** 2 + 2 * d_model * (prompt_len + i + 1)) for i in range(n_new - 1))


def _macs_cases(rng):
    cases = [((2, 64, 16, 1, False), generation_macs(2, 64, 16, 1, False), "for one new token without the cache"),
             ((2, 64, 16, 1, True), generation_macs(2, 64, 16, 1, True), "for one new token with the cache"),
             ((2, 64, 16, 64, False), generation_macs(2, 64, 16, 64, False), "for 64 new tokens without the cache"),
             ((2, 64, 16, 64, True), generation_macs(2, 64, 16, 64, True), "for 64 new tokens with the cache")]
    for _ in range(3):
        args = (int(rng.integers(1, 48)), int(rng.choice([64, 128, 4096])), int(rng.integers(1, 500)), int(rng.integers(1, 300)),
                bool(rng.integers(0, 2)))
        cases.append((args, generation_macs(*args), "for another model"))
    return cases


def _kv(layers, heads, dim, tokens, b):
    return 2 * layers * heads * dim * tokens * b


def _config(values, default):
    """The tiny GPT's sizes the test cell read from the student's own model (their GPT may differ from the
    reference's), or the reference's where they are missing or not positive whole numbers."""
    config = values.get("tiny_config")
    if isinstance(config, (list, tuple)) and len(config) == len(default) and all(
        is_finite_number(c) and float(c) == int(c) and 0 < int(c) <= 100_000 for c in config
    ):
        return tuple(int(c) for c in config)
    return default


def _kv_numbers(values):
    layers, heads, head_dim, context = _config(values, (GPT_LAYERS, GPT_HEADS, GPT_D_MODEL // GPT_HEADS, GPT_CONTEXT))
    return score_numbers([
        (values.get("kv_tiny_bytes"), _kv(layers, heads, head_dim, context, 4), "kv_tiny_bytes"),
        (values.get("kv_llama2_bytes"), _kv(*LLAMA2, LLAMA_CONTEXT, 2), "kv_llama2_bytes"),
        (values.get("kv_llama3_bytes"), _kv(*LLAMA3, LLAMA_CONTEXT, 2), "kv_llama3_bytes"),
    ])


#: The student's own generation_macs on the notebook's rows (follow-through: a wrong formula loses its own cell only).
TIMING_TOKENS = (16, 48)
MACS_CALLS = tuple((f"macs_{t}_{cached}", "generation_macs", (GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS, t, cached))
                   for t in TIMING_TOKENS for cached in (False, True))


def _timing_table(values, own=None):
    """Every row's speed-up follows from its own times; its multiply-adds are the formula's (or, for the
    reference's sizes, what the student's own ``generation_macs`` gives)."""
    rows = values.get("timing_table")
    if not isinstance(rows, list) or not rows:
        raise AssertionError("timing_table must be a non-empty list of dicts, one per number of new tokens.")
    layers, d_model, prompt = _config(values, (GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS))
    wrong = []
    for row in rows:
        keys = ("new_tokens", "full_s", "cached_s", "speedup", "macs_full", "macs_cached")
        if not isinstance(row, dict) or not all(is_finite_number(row.get(k)) and float(row.get(k)) > 0 for k in keys):
            raise AssertionError(f"every row of timing_table must hold positive numbers {', '.join(keys)}.")
        t = int(row["new_tokens"])
        if not math.isclose(float(row["speedup"]), float(row["full_s"]) / float(row["cached_s"]), rel_tol=1e-3):
            wrong.append(f"the speed-up of the row for {t} tokens does not follow from its two times")
        for key, cached in (("macs_full", False), ("macs_cached", True)):
            accepted = {generation_macs(layers, d_model, prompt, t, cached)}
            theirs = own.result(f"macs_{t}_{cached}") if own is not None else None
            if (layers, d_model, prompt) == (GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS) and is_finite_number(theirs):
                accepted.add(int(round(float(theirs))))
            if int(round(float(row[key]))) not in accepted:
                wrong.append(f"{key} of the row for {t} tokens is not the multiply-add count of the notebook's formula")
    if len({int(r["new_tokens"]) for r in rows}) < 2:
        wrong.append("the table needs at least two different numbers of new tokens")
    if wrong:
        raise AssertionError("; ".join(wrong) + ".")


def _eval_table(values):
    """The validation loss, bits per byte and perplexity agree with each other."""
    table = values.get("eval_table")
    keys = ("val_loss_nats", "val_bits_per_byte", "val_perplexity")
    if not isinstance(table, dict) or not all(is_finite_number(table.get(k)) and float(table.get(k)) > 0 for k in keys):
        raise AssertionError(f"eval_table must be a dict with positive numbers {', '.join(keys)}.")
    loss = float(table["val_loss_nats"])
    if not math.isclose(float(table["val_bits_per_byte"]), loss / math.log(2), rel_tol=1e-3):
        raise AssertionError("val_bits_per_byte does not follow from val_loss_nats (natural-log cross-entropy per byte).")
    if not math.isclose(float(table["val_perplexity"]), math.exp(loss), rel_tol=1e-3):
        raise AssertionError("val_perplexity does not follow from val_loss_nats.")


# ------------------------------------------------------------------ part 5: decoding


def greedy_token(logits):
    return int(np.argmax(np.asarray(logits)))


def temperature_probs(logits, temperature):
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=np.float64)
    keep = np.argsort(-logits, kind="stable")[:k]
    masked = np.full_like(logits, -np.inf)
    masked[keep] = logits[keep]
    return softmax(masked)


def top_p_probs(logits, p):
    probs = softmax(np.asarray(logits, dtype=np.float64))
    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    reached = np.nonzero(cumulative >= p - 1e-12)[0]
    count = int(reached[0]) + 1 if len(reached) else len(probs)
    out = np.zeros_like(probs)
    out[order[:count]] = probs[order[:count]]
    return out / out.sum()


def speculative_expected_tokens(alpha, gamma):
    if alpha == 1:
        return float(gamma + 1)
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)


def _logits(rng, n=None):
    return rng.normal(size=n or int(rng.integers(5, 30))) * 3


def _greedy_cases(rng):
    cases = [((np.array([1.0, 3.0, 3.0, 0.5]),), 1, "when two logits tie (take the first)"),
             ((np.array([-5.0, -1.0, -3.0]),), 1, "for negative logits")]
    for _ in range(3):
        x = _logits(rng)
        cases.append(((x,), greedy_token(x), "for random logits"))
    return cases


def _temperature_cases(rng):
    cases = [((np.array([1000.0, 999.0, 0.0]), 1.0), temperature_probs(np.array([1000.0, 999.0, 0.0]), 1.0),
              "for large logits (subtract the maximum)")]
    for t in (0.1, 0.7, 1.0, 2.5):
        x = _logits(rng)
        cases.append(((x, t), temperature_probs(x, t), f"at temperature {t}"))
    return cases


def _top_k_cases(rng):
    tie = np.array([2.0, 1.0, 2.0, 1.0, 0.0])
    cases = [((tie, 1), top_k_probs(tie, 1), "for k = 1 with a tie (keep the lower index)"),
             ((tie, 3), top_k_probs(tie, 3), "with a tie at the boundary (keep the lower index)"),
             ((tie, 10), top_k_probs(tie, 10), "for k larger than the vocabulary")]
    for _ in range(3):
        x = _logits(rng)
        k = int(rng.integers(1, len(x) + 1))
        cases.append(((x, k), top_k_probs(x, k), "for random logits"))
    return cases


def _top_p_cases(rng):
    x = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    cases = [((x, 0.5), top_p_probs(x, 0.5), "when the top token alone reaches p"),
             ((x, 0.81), top_p_probs(x, 0.81), "when p is just above a cumulative sum"),
             ((x, 1.0), top_p_probs(x, 1.0), "for p = 1 (keep every token)"),
             ((np.zeros(4), 0.5), top_p_probs(np.zeros(4), 0.5), "for a uniform distribution (ties: lower index)")]
    for _ in range(3):
        v = _logits(rng)
        p = float(rng.uniform(0.05, 0.99))
        cases.append(((v, p), top_p_probs(v, p), "for random logits"))
    return cases


def _speculative_cases(rng):
    cases = [((0.8, 4), speculative_expected_tokens(0.8, 4), "for alpha 0.8, gamma 4"),
             ((0.0, 5), 1.0, "when no draft token is accepted"),
             ((1.0, 3), 4.0, "when every draft token is accepted (alpha = 1)"),
             ((0.5, 0), 1.0, "for a draft length of 0")]
    for _ in range(3):
        a, g = float(rng.uniform(0.01, 0.99)), int(rng.integers(1, 12))
        cases.append(((a, g), speculative_expected_tokens(a, g), "for another acceptance rate"))
    return cases


TOL = {"rel_tol": 1e-6, "abs_tol": 1e-8}
GPT_TOL = {"rel_tol": 1e-5, "abs_tol": 1e-6}

QUESTIONS = {
    "test_train_bpe": FunctionQuestion("train_bpe", _bpe_cases),
    "test_encode": FunctionQuestion("encode", _encode_cases),
    "test_token_numbers": ValueQuestion(_token_numbers),
    "test_token_cost": ValueQuestion(_token_cost),
    "test_causal_mask": FunctionQuestion("causal_mask", _mask_cases, judge=_mask_judge),
    "test_attention": FunctionQuestion("scaled_dot_product_attention", _sdpa_cases, TOL),
    "test_split_heads": FunctionQuestion("split_heads", _split_cases, TOL),
    "test_merge_heads": FunctionQuestion("merge_heads", _merge_cases, TOL),
    "test_attention_matrix_bytes": FunctionQuestion("attention_matrix_bytes", _attention_bytes_cases),
    "test_tiled_attention": FunctionQuestion("tiled_attention", _tiled_cases, TOL),
    "test_gpt_causal": ModelQuestion("course.grading.verifiers.tinygpt:verify_causal_gpt"),
    "test_gpt_bits_per_byte": ModelQuestion("course.grading.verifiers.tinygpt:verify_bits_per_byte"),
    "test_eval_table": ValueQuestion(_eval_table),
    "test_gpt_forward": FunctionQuestion("gpt_forward", _forward_cases, GPT_TOL),
    "test_gpt_prefill": FunctionQuestion("gpt_prefill", _prefill_cases, GPT_TOL),
    "test_gpt_decode_step": FunctionQuestion("gpt_decode_step", _decode_cases, dict(GPT_TOL, keep_inputs=False)),
    "test_generation_macs": FunctionQuestion("generation_macs", _macs_cases),
    "test_kv_numbers": ValueQuestion(_kv_numbers),
    "test_timing_table": ValueQuestion(_timing_table, calls=MACS_CALLS),
    "test_greedy_token": FunctionQuestion("greedy_token", _greedy_cases),
    "test_temperature_probs": FunctionQuestion("temperature_probs", _temperature_cases, TOL),
    "test_top_k_probs": FunctionQuestion("top_k_probs", _top_k_cases, TOL),
    "test_top_p_probs": FunctionQuestion("top_p_probs", _top_p_cases, TOL),
    "test_speculative_expected_tokens": FunctionQuestion("speculative_expected_tokens", _speculative_cases, TOL),
}
