# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 05：打开大模型——分词、注意力、一个小 GPT、KV cache 与解码，亲手实现并测量
#
# 前面几份作业讲的是大模型 **周围** 的事情：价格、压缩、微调。这份作业打开模型本身，把面试里最常被追问的五件事各做一遍、量一遍：
#
# 1. **分词（tokenization）与一个 token 的价格**：从零训练一个字节对编码（byte-pair encoding, BPE），在英文影评和一段中文上数 token，和作业 03 的 MiniLM WordPiece 分词器比较，算出同一个请求要付多少 token、多少钱。
# 2. **注意力（attention）**：用 NumPy 写缩放点积注意力（scaled dot-product attention）、因果掩码（causal mask）、多头的拆分与合并，和 `keras.layers.MultiHeadAttention` 对一遍；再算注意力矩阵的显存，写一个 **不生成 n×n 矩阵** 的分块（tiled）注意力——FlashAttention 的核心：online softmax。
# 3. **一个小 GPT**：只有解码器（decoder-only）的 Transformer，在 IMDB 影评的 **字节** 上训练一分多钟，由评分程序在它自己的测试评论上测 bits per byte。
# 4. **KV cache**：用 NumPy 重写你的 GPT，带 KV cache 地增量解码，结果必须和完整重算一致；数乘加次数、计时、算 KV cache 的字节数。
# 5. **解码策略**：greedy、temperature、top-k、top-p（nucleus），以及投机解码（speculative decoding）的期望收益。
#
# | 部分 | 自动评分 | 人工评分 | 合计 |
# | --- | --- | --- | --- |
# | 1 分词与 token 的价格 | 6 | 2 | 8 |
# | 2 注意力 | 5.5 | – | 5.5 |
# | 3 小 GPT | 6 | – | 6 |
# | 4 KV cache | 9 | 3 | 12 |
# | 5 解码策略 | 4.5 | 2 | 6.5 |
# | **合计** | **31** | **7** | **38** |
#
# **评分方式**：和作业 02–04 一样，隐藏测试不在你的 kernel 里判分，只把答案交给评分程序（`hand_in`）。函数由评分程序在一个全新的沙箱进程里重新运行，用 **它自己** 的输入（随机形状、掩码、会让朴素 softmax 溢出的大 logits、随机的 GPT 权重和它自己算好的 KV cache）和参考实现比较；模型由评分程序在另一个进程里用 Keras safe mode 加载，**自己** 检查因果性、在它自己加载的 IMDB **测试集** 评论上算 bits per byte。你打印的数字只供你参考。
#
# **答案的形式**：数字可以是 `int`、`float` 或 NumPy 标量，数组可以是 NumPy 数组、list 或 tuple；一格里有几个数时每个数单独给分。
#
# **运行时间**：CPU 配置下整个 notebook 在 2 核 CPU、离线数据上约 1–2 分钟，kernel 峰值内存约 1 GB（见文末的测量），其中训练 GPT 约一分钟；`gpu` 配置训练更久，尚未在 GPU 上验证（UNVERIFIED）。
#
# **操作方法**：从上到下依次运行所有单元格，在 `# YOUR CODE HERE` 处写代码，然后用 *Validate* 检查。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math
import os
import time

# One BLAS thread for NumPy: this notebook's matrices are tiny, and on a shared 2-core machine a multi-threaded
# OpenBLAS made one forward pass of the tiny GPT over 64 tokens 22 ms instead of 1.3 ms (measured), which would
# distort the KV-cache timings of part 4. Effective only before NumPy is first imported (a fresh kernel).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

from course.checks import call
from course.checks.answers import expect_array, expect_number

# %% [markdown] nbgrader={"grade": false, "grade_id": "bpe_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第一部分 分词与一个 token 的价格（6 分自动评分，2 分人工评分）
#
# 大模型按 token 收费，token 由分词器决定。**BPE** 从单个字符出发，反复把语料里最常见的相邻一对合并成一个新符号，学到的"合并表"（merges）就是分词器。为了让答案唯一，本作业的规则是：
#
# * **预分词**：`text.split()`（按空白切成词），每个词拆成字符（Python 的 `str` 字符，不加词尾标记）；合并只发生在词内部。
# * **训练** `train_bpe(texts, n_merges)`：每一步统计所有词里相邻符号对的出现次数（一个词出现几次就算几次），选 **次数最多** 的一对；次数相同时选 **最小** 的一对（Python 元组比较，`("a", "b") < ("a", "c")`）。把每个词里这一对从左到右、不重叠地合并成一个符号（`"a" + "b"`），记下 `(左, 右)`。重复 `n_merges` 次；没有可合并的对时提前停止。返回合并的 list，每项是两个字符串组成的 tuple。
# * **编码** `encode(text, merges)`：同样预分词，每个词从字符出发，**按学到的顺序** 依次应用每个合并（每次从左到右、不重叠），返回所有词的 token（字符串）拼成的 list。
#
# 两个函数各 1.5 分和 1 分，评分程序在它自己的小语料和随机语料上比较。

# %% nbgrader={"grade": false, "grade_id": "bpe_functions", "locked": false, "schema_version": 3, "solution": true}
def train_bpe(texts, n_merges):
    """Learns up to n_merges BPE merges from texts: a list of (left, right) string pairs, in the order learned."""
    ### BEGIN SOLUTION
    from collections import Counter

    def merge(word, pair):
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
                out.append(pair[0] + pair[1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        return tuple(out)

    words = Counter(tuple(w) for text in texts for w in text.split())
    merges = []
    for _ in range(n_merges):
        counts = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += n
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        new_words = Counter()
        for word, n in words.items():
            new_words[merge(word, best)] += n
        words = new_words
        merges.append(best)
    return merges
    ### END SOLUTION


def encode(text, merges):
    """Splits text into BPE tokens (strings) by applying the merges in order to each whitespace-separated word."""
    ### BEGIN SOLUTION
    tokens = []
    for w in text.split():
        word = list(w)
        for left, right in merges:
            if len(word) < 2:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == left and word[i + 1] == right:
                    out.append(left + right)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        tokens.extend(word)
    return tokens
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_train_bpe", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does train_bpe return a list of string pairs?"""
toy_merges = call(train_bpe, ["low lower lowest", "newer wider new"], 5, what="train_bpe")
assert isinstance(toy_merges, (list, tuple)) and len(toy_merges) <= 5, "train_bpe should return a list of at most n_merges pairs"
assert all(len(pair) == 2 and all(isinstance(s, str) for s in pair) for pair in toy_merges), "each merge should be a pair of strings"
print("first merges:", toy_merges)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(train_bpe, "test_train_bpe")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_encode", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does encode return a list of strings that spell the text without its spaces?"""
toy_tokens = call(encode, "lowest newer", toy_merges, what="encode")
assert isinstance(toy_tokens, (list, tuple)) and all(isinstance(t, str) for t in toy_tokens), "encode should return a list of strings"
assert "".join(toy_tokens) == "lowestnewer", "the tokens should spell the words of the text"
print(toy_tokens)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(encode, "test_encode")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "bpe_data_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 在真实影评上训练 BPE，数 token（2.5 分）
#
# 下面的单元格加载 IMDB 训练集（`course.data.load_imdb_arrays`，离线副本或课程自带的真实样本），用前 `BPE_REVIEWS` 条评论训练 `N_MERGES` 次合并，另取 `BPE_EVAL_REVIEWS` 条 **没参与训练** 的评论来数 token。中文段落取自课程的种子博客（"降价对大模型应用的推动力"一文的第一节），英文段落是它的翻译：同样的内容，两种语言。
#
# 再加载作业 03 的 MiniLM WordPiece 分词器（和作业 04 一样由 `course.presets` 决定；`tokenizer.tokenize(text)` 返回 token id，不含 `[CLS]`、`[SEP]`）。算出五个数（每个 0.5 分），赋给下面的变量：
#
# * `bpe_en_tokens_per_word`：你的 BPE 在评估评论上的 token 总数 ÷ 词总数（`len(text.split())` 之和）；
# * `bpe_zh_tokens_per_char`：你的 BPE 在 `ZH_TEXT` 上的 token 数 ÷ `len(ZH_TEXT)`；
# * `wp_zh_tokens_per_char`：WordPiece 在 `ZH_TEXT` 上的 token 数 ÷ `len(ZH_TEXT)`；
# * `wp_zh_unk_share`：其中 `[UNK]` 的比例；
# * `wp_bill_ratio`：同样的内容用中文比用英文多几倍 token：WordPiece 在 `ZH_TEXT` 与 `EN_TEXT` 上的 token 数之比（中文 / 英文）。
#
# 评分程序用同样的评论和它自己的参考 BPE、它自己加载的同一个分词器重新算一遍。

# %% nbgrader={"grade": false, "grade_id": "bpe_data", "locked": true, "schema_version": 3, "solution": false}
from course.data import load_imdb_arrays

BPE_REVIEWS, BPE_EVAL_REVIEWS, N_MERGES = 200, 50, 150
(imdb_train_texts, _), = load_imdb_arrays(("train",))
bpe_train_texts = imdb_train_texts[:BPE_REVIEWS]
bpe_eval_texts = imdb_train_texts[BPE_REVIEWS:BPE_REVIEWS + BPE_EVAL_REVIEWS]

# From the course's seed post (../shared/seed), section 1, and its English translation.
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
started = time.monotonic()
merges = train_bpe(bpe_train_texts, N_MERGES)
print(f"{len(merges)} merges learned from {BPE_REVIEWS} reviews in {time.monotonic() - started:.1f} s; "
      f"the last ones: {[a + b for a, b in merges[-8:]]}")

# %% nbgrader={"grade": false, "grade_id": "wordpiece", "locked": true, "schema_version": 3, "solution": false}
from course.runtime import import_tensorflow

tf = import_tensorflow()  # before Keras: keeps TensorFlow's C++ start-up notices out of the notebook
import keras
import keras_hub

from course.presets import resolve_bert_preset

preset, preset_source = resolve_bert_preset()
tokenizer = keras_hub.tokenizers.BertTokenizer.from_preset(preset)


def wordpiece_tokens(text):
    """The WordPiece tokens (strings) of text, without [CLS] and [SEP]."""
    return [tokenizer.id_to_token(int(i)) for i in keras.ops.convert_to_numpy(tokenizer.tokenize(text))]


print("WordPiece vocabulary:", tokenizer.vocabulary_size(), "entries; EN_TEXT starts", wordpiece_tokens(EN_TEXT)[:12])

# %% nbgrader={"grade": false, "grade_id": "token_numbers", "locked": false, "schema_version": 3, "solution": true}
bpe_en_tokens_per_word = None
bpe_zh_tokens_per_char = None
wp_zh_tokens_per_char = None
wp_zh_unk_share = None
wp_bill_ratio = None
### BEGIN SOLUTION
bpe_en_tokens_per_word = sum(len(encode(t, merges)) for t in bpe_eval_texts) / sum(len(t.split()) for t in bpe_eval_texts)
bpe_zh_tokens_per_char = len(encode(ZH_TEXT, merges)) / len(ZH_TEXT)
zh_wordpiece = wordpiece_tokens(ZH_TEXT)
wp_zh_tokens_per_char = len(zh_wordpiece) / len(ZH_TEXT)
wp_zh_unk_share = zh_wordpiece.count("[UNK]") / len(zh_wordpiece)
wp_bill_ratio = len(zh_wordpiece) / len(wordpiece_tokens(EN_TEXT))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_token_numbers", "locked": true, "points": 2.5, "schema_version": 3, "solution": false}
"""Are the five tokenization figures positive numbers, the [UNK] share at most 1?"""
for name in ("bpe_en_tokens_per_word", "bpe_zh_tokens_per_char", "wp_zh_tokens_per_char", "wp_bill_ratio"):
    expect_number(globals()[name], name, low=0)
expect_number(wp_zh_unk_share, "wp_zh_unk_share", low=0, high=1)
print(f"BPE: {bpe_en_tokens_per_word:.2f} tokens per English word, {bpe_zh_tokens_per_char:.2f} per Chinese character; "
      f"WordPiece: {wp_zh_tokens_per_char:.2f} per Chinese character ({wp_zh_unk_share:.0%} [UNK]), "
      f"Chinese / English = {wp_bill_ratio:.2f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({name: globals()[name] for name in ("bpe_en_tokens_per_word", "bpe_zh_tokens_per_char", "wp_zh_tokens_per_char",
                                            "wp_zh_unk_share", "wp_bill_ratio")}, "test_token_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "cost_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 同一个请求要付多少钱（1 分）
#
# 假设一个 API 按输入 token 收费，每百万 token `PRICE_PER_MILLION_TOKENS = 2.0` 美元（一个假设的价格，只为计算）。把 `EN_TEXT` 和 `ZH_TEXT` 各当作一个请求，按 WordPiece 的 token 数，算出 **一百万个这样的请求** 要付多少美元：`usd_per_million_requests_en`、`usd_per_million_requests_zh`（每个 0.5 分）。

# %% nbgrader={"grade": false, "grade_id": "token_cost", "locked": false, "schema_version": 3, "solution": true}
PRICE_PER_MILLION_TOKENS = 2.0
usd_per_million_requests_en = None
usd_per_million_requests_zh = None
### BEGIN SOLUTION
usd_per_million_requests_en = len(wordpiece_tokens(EN_TEXT)) * 1e6 * PRICE_PER_MILLION_TOKENS / 1e6
usd_per_million_requests_zh = len(wordpiece_tokens(ZH_TEXT)) * 1e6 * PRICE_PER_MILLION_TOKENS / 1e6
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_token_cost", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the two costs positive numbers?"""
expect_number(usd_per_million_requests_en, "usd_per_million_requests_en", low=0)
expect_number(usd_per_million_requests_zh, "usd_per_million_requests_zh", low=0)
print(f"a million requests: English {usd_per_million_requests_en:,.0f} USD, Chinese {usd_per_million_requests_zh:,.0f} USD")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"usd_per_million_requests_en": usd_per_million_requests_en,
         "usd_per_million_requests_zh": usd_per_million_requests_zh}, "test_token_cost")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "token_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：为什么不同语言、不同分词器的"每 token 价格"不能直接比较（2 分，人工评分）
#
# 用你上面测到的数字回答（3–6 句）：两个模型标价相同（每百万 token 同样的美元），为什么同一段内容的账单可以差好几倍？`[UNK]` 对一个中文请求意味着什么（除了价格）？比较两家 API 的价格时应该比较什么？
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**：1 分：用自己的数字说明 token 数取决于分词器和语言（WordPiece 中文每字约一个 token、大量 `[UNK]`；在英文上训练的 BPE 对中文不合并，英文每词一个多 token），所以每 token 价格相同不等于每段内容价格相同。0.5 分：`[UNK]` 丢失信息，模型看不到这些字，答案质量下降，不只是价格问题。0.5 分：应按同一内容（每个字 / 每个词 / 每个任务）的实际成本比较，用各自的分词器数一数。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "token_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 标价是每 token 的，但 token 数由分词器决定：这里 WordPiece 给中文每个字一个 token，而且大多是 `[UNK]`，同样内容的中文请求比英文多约一倍 token；我们在英文影评上训练的 BPE 一个中文字都不合并。所以两个每百万 token 同价的模型，对同一段内容的账单可以差几倍。`[UNK]` 还意味着模型根本看不到这些字，信息丢了，答案质量也会变差。比较价格应该比较"同一批真实内容、用各自的分词器数出来的 token × 单价"，即每个字、每个词或每个任务的成本。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "attention_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第二部分 注意力，从零开始（5.5 分）
#
# 缩放点积注意力：$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\big(QK^\top / \sqrt{d}\big)\,V$，$d$ 是 $Q$、$K$ 最后一维的长度。实现（全部用 NumPy）：
#
# * `causal_mask(n)`（0.5 分）：形状 `(n, n)` 的布尔数组，`mask[i, j]` 为 `True` 表示位置 `i` **可以** 看位置 `j`（`j <= i`）。
# * `scaled_dot_product_attention(q, k, v, mask=None)`（1.5 分）：`q` 形状 `(..., n_q, d)`，`k` `(..., n_k, d)`，`v` `(..., n_k, d_v)`，前面的维度（batch、头）相同；`mask` 可以广播到 `(..., n_q, n_k)`，`False` 的位置不参与 softmax。softmax 前先减去每行的最大值，否则 logits 很大时 `exp` 会溢出（评分程序会试）。
# * `split_heads(x, n_heads)`（0.5 分）：`(batch, n, d)` → `(batch, n_heads, n, d / n_heads)`，第 `h` 个头取最后一维的第 `h` 段；`merge_heads(x)`（0.5 分）是它的逆运算。
# * `attention_matrix_bytes(n, n_heads, batch, bytes_per_value)`（0.5 分）：一层注意力的分数矩阵（每个头一个 `n × n`）占多少字节。

# %% nbgrader={"grade": false, "grade_id": "attention_functions", "locked": false, "schema_version": 3, "solution": true}
def softmax(x, axis=-1):
    """Numerically stable softmax along axis."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


def causal_mask(n):
    """(n, n) boolean array: True where position i may attend to position j (j <= i)."""
    ### BEGIN SOLUTION
    return np.tril(np.ones((n, n), dtype=bool))
    ### END SOLUTION


def scaled_dot_product_attention(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d)) v over the last two axes; mask False = not attended."""
    ### BEGIN SOLUTION
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(np.asarray(mask, dtype=bool), scores, -np.inf)
    return softmax(scores) @ v
    ### END SOLUTION


def split_heads(x, n_heads):
    """(batch, n, d) -> (batch, n_heads, n, d // n_heads)."""
    ### BEGIN SOLUTION
    b, n, d = np.shape(x)
    return np.asarray(x).reshape(b, n, n_heads, d // n_heads).transpose(0, 2, 1, 3)
    ### END SOLUTION


def merge_heads(x):
    """(batch, n_heads, n, head_dim) -> (batch, n, n_heads * head_dim)."""
    ### BEGIN SOLUTION
    b, h, n, e = np.shape(x)
    return np.asarray(x).transpose(0, 2, 1, 3).reshape(b, n, h * e)
    ### END SOLUTION


def attention_matrix_bytes(n, n_heads, batch, bytes_per_value):
    """Bytes of one layer's attention scores: batch x heads x n x n values."""
    ### BEGIN SOLUTION
    return n * n * n_heads * batch * bytes_per_value
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_causal_mask", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Is causal_mask(4) a (4, 4) array?"""
expect_array(call(causal_mask, 4, what="causal_mask"), "causal_mask(4)", shape=(4, 4))
print(call(causal_mask, 4, what="causal_mask").astype(int))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(causal_mask, "test_causal_mask")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does attention return one row of d_v values per query, and finite values for large logits?"""
rng = np.random.default_rng(0)
out = call(scaled_dot_product_attention, rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)),
           what="scaled_dot_product_attention")
expect_array(out, "attention output", shape=(3, 2))
big = call(scaled_dot_product_attention, 1e3 * rng.normal(size=(3, 4)), 1e3 * rng.normal(size=(5, 4)), rng.normal(size=(5, 2)),
           what="scaled_dot_product_attention")
assert np.all(np.isfinite(big)), "with large logits the output has NaN or inf: subtract each row's maximum before exp"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(scaled_dot_product_attention, "test_attention")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_split_heads", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does split_heads give (batch, heads, n, d / heads)?"""
expect_array(call(split_heads, np.zeros((2, 5, 12)), 3, what="split_heads"), "split_heads(x, 3)", shape=(2, 3, 5, 4))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(split_heads, "test_split_heads")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_merge_heads", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does merge_heads undo split_heads?"""
x = np.arange(2 * 5 * 12, dtype=float).reshape(2, 5, 12)
back = call(merge_heads, call(split_heads, x, 3, what="split_heads"), what="merge_heads")
expect_array(back, "merge_heads(split_heads(x, 3))", shape=(2, 5, 12))
assert np.array_equal(back, x), "merge_heads(split_heads(x, h)) should give x back"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(merge_heads, "test_merge_heads")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_matrix_bytes", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does attention_matrix_bytes return a positive number?"""
expect_number(call(attention_matrix_bytes, 2048, 32, 1, 2, what="attention_matrix_bytes"), "attention_matrix_bytes(2048, 32, 1, 2)", low=0)
for n in (2_048, 8_192, 32_768, 131_072):
    print(f"context {n:>7,}: {attention_matrix_bytes(n, 32, 1, 2) / 2**30:10,.2f} GiB of fp16 scores per layer (32 heads, batch 1)")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(attention_matrix_bytes, "test_attention_matrix_bytes")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "keras_mha_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 和 `keras.layers.MultiHeadAttention` 对一遍（不计分）
#
# Keras 的多头注意力把投影存成 `EinsumDense`：query / key / value 的 kernel 形状是 `(d_model, heads, head_dim)`，bias 是 `(heads, head_dim)`；输出投影的 kernel 是 `(heads, head_dim, d_model)`。下面的单元格把这些权重 **复制** 出来，用你的函数算一遍，和 Keras 的结果比较（应该在 1e-5 以内，差别来自 float32）。

# %% nbgrader={"grade": false, "grade_id": "keras_mha_check", "locked": true, "schema_version": 3, "solution": false}
keras.utils.set_random_seed(0)
mha = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8)
x = np.random.default_rng(1).normal(size=(2, 6, 32)).astype("float32")
keras_out = keras.ops.convert_to_numpy(mha(x, x, use_causal_mask=True))
w = {name: keras.ops.convert_to_numpy(layer.kernel) for name, layer in
     (("q", mha._query_dense), ("k", mha._key_dense), ("v", mha._value_dense), ("o", mha._output_dense))}
b = {name: keras.ops.convert_to_numpy(layer.bias) for name, layer in
     (("q", mha._query_dense), ("k", mha._key_dense), ("v", mha._value_dense), ("o", mha._output_dense))}
try:
    # (batch, n, d) x (d, heads, head_dim) -> flatten the heads, then split them with your split_heads
    project = lambda name: split_heads((np.einsum("bnd,dhe->bnhe", x, w[name]) + b[name]).reshape(2, 6, 32), 4)  # noqa: E731
    heads = scaled_dot_product_attention(project("q"), project("k"), project("v"), causal_mask(6))
    mine = np.einsum("bnhe,hed->bnd", merge_heads(heads).reshape(2, 6, 4, 8), w["o"]) + b["o"]
    print(f"largest difference from keras.layers.MultiHeadAttention: {np.abs(mine - keras_out).max():.2e}")
except NotImplementedError:
    print("implement the attention functions first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "tiled_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 分块注意力与 online softmax（2 分）
#
# 上面打印的表说明：上下文到 128k 时，一层 32 个头的分数矩阵就要 1 TiB。FlashAttention（Dao et al., 2022）从不把 $n \times n$ 矩阵放进显存：它把 $K$、$V$ 切成块，对每一行维护三个量——到目前为止的最大分数 $m$、指数和 $\ell$、加权和 $o$——每来一块就更新：
#
# $$m' = \max(m, \max_j s_j),\quad \ell' = e^{m - m'}\ell + \sum_j e^{s_j - m'},\quad o' = e^{m - m'} o + \sum_j e^{s_j - m'} v_j,$$
#
# 最后输出 $o / \ell$。结果和先算完整 softmax **在数学上完全相同**（只是加法顺序不同）。
#
# 实现 `tiled_attention(q, k, v, block_size, causal=False)`：`q`、`k`、`v` 形状 `(n, d)`，每次只处理 `block_size` 个 key（最后一块可以更短），**不要** 生成 `(n, n)` 的矩阵；`causal=True` 时位置 `i` 只看 `j <= i`。结果要和 `scaled_dot_product_attention` 在 1e-6 以内一致，包括 logits 大到会让朴素 `exp` 溢出的情况。

# %% nbgrader={"grade": false, "grade_id": "tiled_attention_function", "locked": false, "schema_version": 3, "solution": true}
def tiled_attention(q, k, v, block_size, causal=False):
    """Attention computed over blocks of keys with an online softmax; never builds the (n, n) score matrix."""
    ### BEGIN SOLUTION
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    m = np.full(n, -np.inf)
    l = np.zeros(n)  # noqa: E741
    o = np.zeros((n, v.shape[1]))
    rows = np.arange(n)[:, None]
    for start in range(0, k.shape[0], block_size):
        stop = min(start + block_size, k.shape[0])
        s = q @ k[start:stop].T / math.sqrt(d)  # (n, block): one block of scores
        if causal:
            s = np.where(np.arange(start, stop)[None, :] <= rows, s, -np.inf)
        m_new = np.maximum(m, s.max(axis=1))
        safe = np.where(np.isfinite(m_new), m_new, 0.0)
        scale = np.exp(np.where(np.isfinite(m), m - safe, -np.inf))
        p = np.exp(s - safe[:, None])
        l = scale * l + p.sum(axis=1)  # noqa: E741
        o = scale[:, None] * o + p @ v[start:stop]
        m = m_new
    return o / l[:, None]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tiled_attention", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does tiled_attention return an (n, d_v) array?"""
rng = np.random.default_rng(2)
q, k, v = rng.normal(size=(9, 4)), rng.normal(size=(9, 4)), rng.normal(size=(9, 3))
tiled = call(tiled_attention, q, k, v, 4, True, what="tiled_attention")
expect_array(tiled, "tiled_attention output", shape=(9, 3))
print(f"largest difference from the naive version: {np.abs(tiled - scaled_dot_product_attention(q, k, v, causal_mask(9))).max():.1e}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(tiled_attention, "test_tiled_attention")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "gpt_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第三部分 一个小 GPT，真的训练它（6 分）
#
# **字节级（byte-level）模型**：我们把评论看成 UTF-8 **字节** 序列（`course.tinygpt.encode_bytes`），词表固定为 256 个符号，不需要训练或下载分词器，中文、英文、`<br />` 都能编码；模型好坏用 **bits per byte**（每个字节的交叉熵，以 2 为底）衡量，困惑度（perplexity）是 $2^{\text{bits}}$。
#
# 搭一个只有解码器的 Transformer：`keras_hub.layers.TokenAndPositionEmbedding`（token 嵌入加可学习的位置嵌入）→ 至少 2 个 `keras_hub.layers.TransformerDecoder`（不传 encoder 输入时就是带 **因果掩码** 的自注意力块；用默认的 post-norm 和 ReLU，第四部分的 NumPy 版本按这个结构写）→ `keras.layers.Dense(256)` 输出 logits。这些都是 keras-hub 注册过的层，能在 Keras safe mode 里加载；不要用 `Lambda`。输入形状 `(None,)` 的整数 token id。
#
# 用 `profile.gpt_train_steps` 步、每批 `profile.gpt_batch_size` 个随机窗口（`course.tinygpt.training_windows`）训练，损失是 `SparseCategoricalCrossentropy(from_logits=True)`。参考配置：上下文 64、`d_model` 64、4 个头、前馈层 256、Adam，学习率从 3e-3 cosine 衰减；在 2 核 CPU 上一分多钟。
#
# 评分（模型交两次）：`test_gpt_causal`（2 分）检查结构（至少 2 个解码块、参数量在 `profile.gpt_min_params`–`gpt_max_params` 之间、输出 `(batch, n, 256)`）和 **因果性**：评分程序改变某个位置之后的 token，之前所有位置的 logits 都不能变。`test_gpt_bits_per_byte`（3 分）：评分程序在它自己加载的 IMDB **测试集** 评论（你从没训练或验证过的）上算 bits per byte，不能超过 `profile.gpt_max_bits_per_byte`（来自三个种子的实测，见 `course/profiles.py`）。

# %% nbgrader={"grade": false, "grade_id": "gpt_data", "locked": true, "schema_version": 3, "solution": false}
from course import tinygpt
from course.profiles import get_profile

profile = get_profile()
SEED = 42
GPT_CONTEXT = profile.gpt_context
gpt_texts = imdb_train_texts[BPE_REVIEWS + BPE_EVAL_REVIEWS:][: profile.gpt_train_reviews]
n_val = max(1, len(gpt_texts) // 20)
train_stream = tinygpt.byte_stream(gpt_texts[n_val:])
val_stream = tinygpt.byte_stream(gpt_texts[:n_val])
x_train, y_train = tinygpt.training_windows(train_stream, GPT_CONTEXT, profile.gpt_train_steps * profile.gpt_batch_size,
                                            np.random.default_rng(SEED))
x_val, y_val = tinygpt.evaluation_windows(val_stream, GPT_CONTEXT, 200)
print(f"profile {profile.name}: {len(train_stream):,} training bytes, {y_val.size:,} validation bytes; "
      f"{len(x_train):,} windows of {GPT_CONTEXT}")
print("a window as text:", repr(tinygpt.decode_bytes(x_train[0])))
keras.utils.set_random_seed(SEED)  # the GPT's initial weights

# %% nbgrader={"grade": false, "grade_id": "build_gpt", "locked": false, "schema_version": 3, "solution": true}
def build_tiny_gpt(context=64, d_model=64, n_heads=4, n_layers=2, ff_dim=256):
    """Returns an uncompiled decoder-only transformer: (batch, n) byte ids -> (batch, n, 256) next-byte logits."""
    ### BEGIN SOLUTION
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras_hub.layers.TokenAndPositionEmbedding(tinygpt.BYTE_VOCAB, context, d_model, name="embedding")(tokens)
    for i in range(n_layers):
        x = keras_hub.layers.TransformerDecoder(intermediate_dim=ff_dim, num_heads=n_heads, name=f"decoder_{i}")(x)
    logits = keras.layers.Dense(tinygpt.BYTE_VOCAB, name="next_byte")(x)
    return keras.Model(tokens, logits, name="tiny_gpt")
    ### END SOLUTION


gpt = None
### BEGIN SOLUTION
gpt = build_tiny_gpt(context=GPT_CONTEXT)
gpt.compile(
    optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(3e-3, profile.gpt_train_steps, alpha=0.1)),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
started = time.monotonic()
gpt.fit(x_train, y_train, batch_size=profile.gpt_batch_size, epochs=1, verbose=0)
print(f"trained {gpt.count_params():,} parameters in {time.monotonic() - started:.0f} s")
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_gpt_causal", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is gpt a Keras model that maps (batch, n) byte ids to (batch, n, 256) logits, within the parameter budget?"""
assert isinstance(gpt, keras.Model), "gpt should be a Keras model"
probe_logits = keras.ops.convert_to_numpy(gpt(np.zeros((1, GPT_CONTEXT), dtype="int32")))
assert probe_logits.shape == (1, GPT_CONTEXT, 256), f"expected logits of shape (1, {GPT_CONTEXT}, 256), got {probe_logits.shape}"
assert profile.gpt_min_params <= gpt.count_params() <= profile.gpt_max_params, f"{gpt.count_params():,} parameters is outside the budget"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(gpt, "test_gpt_causal")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "eval_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 你自己的验证集（1 分）
#
# 在 **你的** 验证窗口 `x_val`、`y_val`（训练评论里留出来的 5%）上算出平均交叉熵（自然对数，每个字节，`val_loss_nats`），再换算成 `val_bits_per_byte` 和 `val_perplexity`（每个字节的困惑度 $e^{\text{loss}}$），放进字典 `eval_table`。评分程序检查三者互相一致；它自己的测量在上一题和下一题。

# %% nbgrader={"grade": false, "grade_id": "eval_table", "locked": false, "schema_version": 3, "solution": true}
eval_table = {}
### BEGIN SOLUTION
val_logits = gpt.predict(x_val, batch_size=64, verbose=0)
val_bits = tinygpt.bits_per_byte(val_logits, y_val)
eval_table = {"val_loss_nats": val_bits * math.log(2), "val_bits_per_byte": val_bits,
              "val_perplexity": math.exp(val_bits * math.log(2))}
### END SOLUTION
print(eval_table)

# %% nbgrader={"grade": true, "grade_id": "test_eval_table", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does eval_table hold the three positive numbers?"""
for key in ("val_loss_nats", "val_bits_per_byte", "val_perplexity"):
    expect_number(eval_table.get(key), f"eval_table[{key!r}]", low=0)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"eval_table": eval_table}, "test_eval_table")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gpt_bits_per_byte", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Is the validation bits per byte a finite number (the grader measures its own on held-out test reviews)?"""
expect_number(eval_table.get("val_bits_per_byte"), "eval_table['val_bits_per_byte']", low=0)
print(f"your validation: {eval_table['val_bits_per_byte']:.3f} bits per byte; required on the grader's held-out reviews: "
      f"at most {profile.gpt_max_bits_per_byte:.2f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(gpt, "test_gpt_bits_per_byte")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "numpy_gpt_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第四部分 KV cache，真的做出来（9 分自动评分，3 分人工评分）
#
# `tinygpt.gpt_weights(gpt)` 把你的模型的权重取成 NumPy 数组（float64）：`token_embedding` `(V, d)`、`position_embedding` `(L, d)`、`epsilon`（LayerNorm 的 ε），`blocks` 是每个解码块一个字典（`wq`/`wk`/`wv` `(d, heads, head_dim)`，`bq`/`bk`/`bv` `(heads, head_dim)`，`wo` `(heads, head_dim, d)`，`bo` `(d,)`，`ln1_gamma`/`ln1_beta`，`w1` `(d, f)`、`b1`、`w2` `(f, d)`、`b2`，`ln2_gamma`/`ln2_beta`），`w_out` `(d, V)`、`b_out` `(V,)`。一个块（post-norm）：
#
# $$x \leftarrow \mathrm{LN}_1\big(x + \mathrm{Attn}(x)\big),\qquad x \leftarrow \mathrm{LN}_2\big(x + W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2\big),$$
#
# $\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\gamma + \beta$（最后一维的均值和方差）。位置 $t$ 的输入是 token 嵌入加第 $t$ 个位置嵌入。实现：
#
# * `gpt_forward(weights, tokens)`（2 分）：完整重算，返回 `(n, V)` 的 logits。
# * `gpt_prefill(weights, tokens)`（1 分）：处理整个提示（prompt），返回 `(最后一个位置的 logits (V,), cache)`；`cache` 是每个块一个 `(k, v)` 元组的 list，`k`、`v` 形状 `(heads, t, head_dim)`（加上 bias 之后的 key 和 value）。
# * `gpt_decode_step(weights, token, cache)`（3 分）：只处理 **一个** 新 token（它的位置是 cache 的长度），用 cache 里的 K、V，不重算之前的 token；返回 `(它的 logits (V,), 加长了一个位置的新 cache)`（cache 里的 `(k, v)` 用 tuple 或 list 都可以；可以就地修改传进来的 cache）。评分程序会把 **它自己算好的 cache** 交给这个函数——一个把 token 存起来、每步重算全部的"cache"会在这里得零分。
#
# 评分程序用它自己的随机权重（同样的结构、不同的大小）和它自己的 prompt，和完整重算比较（1e-5 以内）。

# %% nbgrader={"grade": false, "grade_id": "numpy_gpt", "locked": false, "schema_version": 3, "solution": true}
def layer_norm(x, gamma, beta, eps):
    """Layer normalization over the last axis."""
    ### BEGIN SOLUTION
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta
    ### END SOLUTION


def gpt_extend(weights, tokens, cache=None):
    """A helper you may use (not graded on its own): logits (t, V) of tokens placed after the cached positions,
    and the cache extended by them (cache None: nothing cached yet)."""
    ### BEGIN SOLUTION
    tokens = np.asarray(tokens, dtype=np.int64)
    start = 0 if cache is None else cache[0][0].shape[1]
    x = weights["token_embedding"][tokens] + weights["position_embedding"][start:start + len(tokens)]
    new_cache = []
    for i, blk in enumerate(weights["blocks"]):
        q = np.einsum("td,dhe->hte", x, blk["wq"]) + blk["bq"][:, None, :]
        k = np.einsum("td,dhe->hte", x, blk["wk"]) + blk["bk"][:, None, :]
        v = np.einsum("td,dhe->hte", x, blk["wv"]) + blk["bv"][:, None, :]
        if cache is not None:
            k = np.concatenate([cache[i][0], k], axis=1)
            v = np.concatenate([cache[i][1], v], axis=1)
        new_cache.append((k, v))
        t_new, t_all = x.shape[0], k.shape[1]
        allowed = np.arange(t_all)[None, :] <= (t_all - t_new + np.arange(t_new))[:, None]
        attended = scaled_dot_product_attention(q, k, v, allowed)
        x = layer_norm(x + np.einsum("hte,hed->td", attended, blk["wo"]) + blk["bo"],
                       blk["ln1_gamma"], blk["ln1_beta"], weights["epsilon"])
        hidden = np.maximum(x @ blk["w1"] + blk["b1"], 0.0) @ blk["w2"] + blk["b2"]
        x = layer_norm(x + hidden, blk["ln2_gamma"], blk["ln2_beta"], weights["epsilon"])
    return x @ weights["w_out"] + weights["b_out"], new_cache
    ### END SOLUTION


def gpt_forward(weights, tokens):
    """Next-token logits (n, V) for every position of tokens, recomputed from scratch."""
    ### BEGIN SOLUTION
    return gpt_extend(weights, tokens)[0]
    ### END SOLUTION


def gpt_prefill(weights, tokens):
    """Runs the prompt once: (logits of its last position, cache = [(k, v) per block], k/v (heads, t, head_dim))."""
    ### BEGIN SOLUTION
    logits, cache = gpt_extend(weights, tokens)
    return logits[-1], cache
    ### END SOLUTION


def gpt_decode_step(weights, token, cache):
    """One new token at position len(cache): (its logits (V,), the cache extended by one position)."""
    ### BEGIN SOLUTION
    logits, cache = gpt_extend(weights, [token], cache)
    return logits[0], cache
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_gpt_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does gpt_forward reproduce your Keras model's logits on a real review?"""
gpt_w = tinygpt.gpt_weights(gpt)
prompt_ids = val_stream[:GPT_CONTEXT]  # the first bytes of a validation review
numpy_logits = call(gpt_forward, gpt_w, prompt_ids, what="gpt_forward")
expect_array(numpy_logits, "gpt_forward(weights, tokens)", shape=(len(prompt_ids), 256))
keras_logits = keras.ops.convert_to_numpy(gpt(prompt_ids[None, :].astype("int32")))[0]
print(f"largest difference from the Keras model: {np.abs(numpy_logits - keras_logits).max():.1e} (float32 round-off)")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(gpt_forward, "test_gpt_forward")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gpt_prefill", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does gpt_prefill return the last position's logits and one (k, v) pair per block?"""
PROMPT_TOKENS = 16
last_logits, prompt_cache = call(gpt_prefill, gpt_w, prompt_ids[:PROMPT_TOKENS], what="gpt_prefill")
expect_array(last_logits, "the logits of gpt_prefill", shape=(256,))
assert len(prompt_cache) == len(gpt_w["blocks"]), "the cache should hold one (k, v) pair per block"
print("k of the first block:", np.shape(prompt_cache[0][0]))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(gpt_prefill, "test_gpt_prefill")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_gpt_decode_step", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Do cached decode steps give the same logits as recomputing everything?"""
cache, worst = prompt_cache, 0.0
for t in range(PROMPT_TOKENS, 32):
    step_logits, cache = call(gpt_decode_step, gpt_w, int(prompt_ids[t]), cache, what="gpt_decode_step")
    worst = max(worst, float(np.abs(step_logits - numpy_logits[t]).max()))
assert worst < 1e-6, f"a cached step differs from full recomputation by {worst:.2e}"
print(f"16 cached steps agree with full recomputation to {worst:.1e}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(gpt_decode_step, "test_gpt_decode_step")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "macs_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 生成 T 个 token 要多少次乘加（1 分）
#
# 用一个简化的计数（忽略嵌入、输出层、LayerNorm 和 softmax）：每层、每个被处理的 token，投影要 $12d^2$ 次乘加（Q、K、V、输出各 $d^2$，前馈层 $f = 4d$ 时 $8d^2$），注意力要 $2 d \cdot a$ 次（$a$ 是它看到的位置数，包括自己：$QK^\top$ 和加权求和各 $d \cdot a$）。所以完整处理长度 $s$ 的序列要 $F(s) = L\,(12 d^2 s + d\,s(s+1))$。
#
# 从 `prompt_len` 个 token 的提示生成 `n_new` 个 token：
#
# * **不用 cache**：第 $i$ 个新 token（$i = 0, \dots, n_\text{new}-1$）要完整处理长度 $P + i$ 的序列：$\sum_i F(P + i)$；
# * **用 cache**：prefill $F(P)$ 给出第一个新 token；之后每个新 token 只处理一个位置，第 $i$ 个（$i = 1, \dots, n_\text{new}-1$）看到 $P + i$ 个位置：$F(P) + \sum_{i=1}^{n_\text{new}-1} L\,(12d^2 + 2d(P + i))$。
#
# 实现 `generation_macs(n_layers, d_model, prompt_len, n_new, use_cache)`，返回整数。

# %% nbgrader={"grade": false, "grade_id": "generation_macs_function", "locked": false, "schema_version": 3, "solution": true}
def generation_macs(n_layers, d_model, prompt_len, n_new, use_cache):
    """Multiply-adds of generating n_new tokens after prompt_len, with or without the KV cache."""
    ### BEGIN SOLUTION
    def full(s):
        return n_layers * (12 * d_model ** 2 * s + d_model * s * (s + 1))

    if not use_cache:
        return sum(full(prompt_len + i) for i in range(n_new))
    return full(prompt_len) + sum(n_layers * (12 * d_model ** 2 + 2 * d_model * (prompt_len + i)) for i in range(1, n_new))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_generation_macs", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does generation_macs return whole numbers, fewer with the cache?"""
with_cache = call(generation_macs, 2, 64, 16, 64, True, what="generation_macs")
without = call(generation_macs, 2, 64, 16, 64, False, what="generation_macs")
expect_number(with_cache, "generation_macs(..., True)", low=0, integer=True)
expect_number(without, "generation_macs(..., False)", low=0, integer=True)
print(f"64 new tokens: {without:,} multiply-adds without the cache, {with_cache:,} with it ({without / with_cache:.1f}x)")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(generation_macs, "test_generation_macs")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "kv_intro", "locked": true, "schema_version": 3, "solution": false}
# ### KV cache 的字节数（1 分）与计时（1 分）
#
# KV cache 的字节数 $= 2 \times \text{层数} \times \text{KV 头数} \times \text{head\_dim} \times \text{token 数} \times \text{每个值的字节数}$。算出三个数（各 1/3 分）：`kv_tiny_bytes`：你的小 GPT（`gpt_w` 里的层数和头数）在 `GPT_CONTEXT` 个 token、float32（4 字节）时；`kv_llama2_bytes`：Llama 2 7B（32 层、32 个 KV 头、head_dim 128）在 4,096 个 token、fp16 时；`kv_llama3_bytes`：Llama 3 8B（32 层、**8** 个 KV 头，分组查询注意力 GQA）同样条件时。
#
# 然后在这台机器上计时：用你的 `gpt_w`，从 `PROMPT_TOKENS` 个 token 的提示出发，greedy 地生成 `T` 个 token（`T` 取 16 和 48），一次每步调用 `gpt_forward` 重算全部，一次用 `gpt_prefill` + `gpt_decode_step`。把结果放进 list `timing_table`，每个 `T` 一行：`{"new_tokens", "full_s", "cached_s", "speedup", "macs_full", "macs_cached"}`（`speedup = full_s / cached_s`，乘加次数用 `generation_macs`，`GPT_LAYERS`、`GPT_D_MODEL` 是下面单元格里的常数）。时间因机器而异，不和参考答案比较；评分程序检查这张表自洽（乘加次数按你自己的 `generation_macs` 核对，公式错了只在上一格扣分）。

# %% nbgrader={"grade": false, "grade_id": "kv_numbers", "locked": false, "schema_version": 3, "solution": true}
GPT_LAYERS, GPT_D_MODEL = len(gpt_w["blocks"]), gpt_w["token_embedding"].shape[1]
kv_tiny_bytes = None
kv_llama2_bytes = None
kv_llama3_bytes = None
### BEGIN SOLUTION
heads, head_dim = gpt_w["blocks"][0]["wk"].shape[1:]
kv_tiny_bytes = 2 * GPT_LAYERS * heads * head_dim * GPT_CONTEXT * 4
kv_llama2_bytes = 2 * 32 * 32 * 128 * 4096 * 2
kv_llama3_bytes = 2 * 32 * 8 * 128 * 4096 * 2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_kv_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the three cache sizes positive numbers?"""
for name in ("kv_tiny_bytes", "kv_llama2_bytes", "kv_llama3_bytes"):
    expect_number(globals()[name], name, low=0)
print(f"tiny GPT: {kv_tiny_bytes / 1024:,.0f} KiB; Llama 2 7B: {kv_llama2_bytes / 2**30:.2f} GiB; Llama 3 8B: {kv_llama3_bytes / 2**30:.2f} GiB per sequence")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"kv_tiny_bytes": kv_tiny_bytes, "kv_llama2_bytes": kv_llama2_bytes, "kv_llama3_bytes": kv_llama3_bytes,
         "tiny_config": [len(gpt_w["blocks"]), *gpt_w["blocks"][0]["wk"].shape[1:], GPT_CONTEXT]}, "test_kv_numbers")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "timing", "locked": false, "schema_version": 3, "solution": true}
timing_table = []
### BEGIN SOLUTION
for new_tokens in (16, 48):
    tokens = list(prompt_ids[:PROMPT_TOKENS])
    started = time.perf_counter()
    for _ in range(new_tokens):
        tokens.append(int(np.argmax(gpt_forward(gpt_w, tokens)[-1])))
    full_s = time.perf_counter() - started
    full_tokens = tokens

    started = time.perf_counter()
    logits, cache = gpt_prefill(gpt_w, prompt_ids[:PROMPT_TOKENS])
    tokens = list(prompt_ids[:PROMPT_TOKENS])
    for i in range(new_tokens):
        tokens.append(int(np.argmax(logits)))
        if i < new_tokens - 1:
            logits, cache = gpt_decode_step(gpt_w, tokens[-1], cache)
    cached_s = time.perf_counter() - started
    assert tokens == full_tokens
    timing_table.append({"new_tokens": new_tokens, "full_s": full_s, "cached_s": cached_s, "speedup": full_s / cached_s,
                         "macs_full": generation_macs(GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS, new_tokens, False),
                         "macs_cached": generation_macs(GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS, new_tokens, True)})
### END SOLUTION
print(f"{'T':>4} | {'full s':>7} | {'cached s':>8} | {'speed-up':>8} | {'MACs full':>12} | {'MACs cached':>12}")
for row in timing_table:
    print(f"{row['new_tokens']:>4} | {row['full_s']:7.3f} | {row['cached_s']:8.3f} | {row['speedup']:8.1f} | "
          f"{row['macs_full']:12,} | {row['macs_cached']:12,}")

# %% nbgrader={"grade": true, "grade_id": "test_timing_table", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does timing_table hold a row of positive numbers per number of new tokens?"""
assert isinstance(timing_table, list) and len(timing_table) >= 2, "timing_table should have a row for each T"
for row in timing_table:
    for key in ("new_tokens", "full_s", "cached_s", "speedup", "macs_full", "macs_cached"):
        expect_number(row.get(key), f"timing_table row {key}", low=0)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"timing_table": timing_table, "tiny_config": [GPT_LAYERS, GPT_D_MODEL, PROMPT_TOKENS]}, "test_timing_table")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "serving_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：prefill 与 decode（3 分，人工评分）
#
# 结合你的表和作业 04 的带宽公式回答：① prefill 和 decode 各做什么，time-to-first-token（TTFT）和 time-per-output-token（TPOT）各由哪一步决定？② 为什么 decode 是 memory-bound（每一步读多少字节、做多少运算）？③ continuous batching 和 paged KV cache（vLLM 的 PagedAttention）各改变了什么？
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分，每问 1 分）**：① prefill 一次并行处理整个提示、建立 KV cache，是矩阵乘矩阵，compute-bound，决定 TTFT；decode 每步只处理一个新 token，决定 TPOT。② decode 每步要读全部权重和整段 KV cache，却只对一个 token 做约 2 次/参数的运算，算术强度低，所以受带宽限制；引用自己的表（cache 省掉的是重算，表里乘加次数的倍数）或 04 的数字得满分。③ continuous batching 在每个解码步让完成的请求离开、新的请求加入，让 batch 一直是满的（提高吞吐、摊薄权重读取）；paged KV cache 把 cache 分成固定大小的页按需分配，消除为最长上下文预留造成的碎片和浪费，能放下更多并发序列（还能在请求之间共享前缀）。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "serving_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# ① prefill 把整个提示一次并行送进模型，建立每层的 K、V（矩阵乘矩阵，算力受限），决定首个 token 的等待时间 TTFT；decode 之后每步只处理一个新 token、把它的 K、V 追加进 cache，决定每个输出 token 的时间 TPOT。② decode 每一步都要把全部权重和整段 KV cache 从显存读一遍，对一个 token 只做约 2 次/参数的运算，算术强度远低于硬件的 FLOPs/字节，所以受带宽限制（04：Llama 2 7B batch 1 约 250 token/s）；我的表里 cache 把乘加次数减少了一个数量级，计时也快了好几倍。③ continuous batching 在每一步让完成的序列离开、新的请求加入，batch 始终是满的，一次读取的权重服务更多请求；paged KV cache 把 cache 分成小页按需分配，不再为每个请求预留最长上下文，碎片少了，同样的显存能放下更多并发序列，还能共享相同的前缀。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "decoding_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第五部分 解码策略（4.5 分自动评分，2 分人工评分）
#
# 每个函数输入一个 logits 向量（1-D），返回 **过滤后重新归一化的概率分布**（和输入一样长、和为 1，被过滤掉的是 0）：
#
# * `greedy_token(logits)`（0.5 分）：概率最大的 token 的下标（整数）；并列时取下标最小的。
# * `temperature_probs(logits, temperature)`（0.5 分）：$\mathrm{softmax}(\text{logits} / T)$，$T > 0$。
# * `top_k_probs(logits, k)`（1 分）：只保留 logits 最大的 `k` 个（并列时保留下标小的，和 `np.argsort(-logits, kind="stable")` 一致），`k` 大于词表时全部保留。
# * `top_p_probs(logits, p)`（1.5 分）：按概率从大到小（并列时下标小的在前）累加，保留 **最少** 的前几个 token，使它们的概率和 $\ge p$（比较时允许 $10^{-12}$ 的舍入误差）；如果舍入使全部 token 的和都不到 $p$，就全部保留。`p = 1` 时保留所有 token。
# * `speculative_expected_tokens(alpha, gamma)`（1 分）：投机解码（speculative decoding，Leviathan et al., 2023）中，小的草稿模型（draft model）一次提出 $\gamma$ 个 token，大模型一步并行验证；每个草稿 token 以概率 $\alpha$ 被接受（相互独立）时，大模型每一步期望产出 $\dfrac{1 - \alpha^{\gamma+1}}{1 - \alpha}$ 个 token（$\alpha = 1$ 时是 $\gamma + 1$）。

# %% nbgrader={"grade": false, "grade_id": "decoding_functions", "locked": false, "schema_version": 3, "solution": true}
def greedy_token(logits):
    """Index of the largest logit (the first one when several tie)."""
    ### BEGIN SOLUTION
    return int(np.argmax(np.asarray(logits)))
    ### END SOLUTION


def temperature_probs(logits, temperature):
    """softmax(logits / temperature)."""
    ### BEGIN SOLUTION
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)
    ### END SOLUTION


def top_k_probs(logits, k):
    """The distribution over the k largest logits (ties: lower index first), renormalized."""
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    keep = np.argsort(-logits, kind="stable")[:k]
    masked = np.full_like(logits, -np.inf)
    masked[keep] = logits[keep]
    return softmax(masked)
    ### END SOLUTION


def top_p_probs(logits, p):
    """The distribution over the fewest most probable tokens whose probability sums to at least p, renormalized."""
    ### BEGIN SOLUTION
    probs = softmax(np.asarray(logits, dtype=np.float64))
    order = np.argsort(-probs, kind="stable")
    reached = np.nonzero(np.cumsum(probs[order]) >= p - 1e-12)[0]
    count = int(reached[0]) + 1 if len(reached) else len(probs)
    out = np.zeros_like(probs)
    out[order[:count]] = probs[order[:count]]
    return out / out.sum()
    ### END SOLUTION


def speculative_expected_tokens(alpha, gamma):
    """Expected tokens per target-model step: (1 - alpha**(gamma + 1)) / (1 - alpha)."""
    ### BEGIN SOLUTION
    if alpha == 1:
        return float(gamma + 1)
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_greedy_token", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does greedy_token return a whole number?"""
expect_number(call(greedy_token, np.array([0.1, 2.0, -1.0]), what="greedy_token"), "greedy_token([0.1, 2.0, -1.0])", low=0, integer=True)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(greedy_token, "test_greedy_token")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_temperature_probs", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does temperature_probs return a distribution of the logits' length?"""
probs = call(temperature_probs, np.array([1.0, 2.0, 3.0]), 0.5, what="temperature_probs")
expect_array(probs, "temperature_probs(...)", shape=(3,))
assert abs(float(np.sum(probs)) - 1) < 1e-9, "the probabilities should sum to 1"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(temperature_probs, "test_temperature_probs")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_top_k_probs", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does top_k_probs keep k tokens and sum to 1?"""
probs = call(top_k_probs, np.array([1.0, 3.0, 2.0, 0.0]), 2, what="top_k_probs")
expect_array(probs, "top_k_probs(...)", shape=(4,))
assert int(np.count_nonzero(probs)) == 2 and abs(float(np.sum(probs)) - 1) < 1e-9, "top_k_probs(logits, 2) should keep two tokens"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(top_k_probs, "test_top_k_probs")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_top_p_probs", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does top_p_probs return a distribution that sums to 1?"""
probs = call(top_p_probs, np.log([0.6, 0.3, 0.1]), 0.7, what="top_p_probs")
expect_array(probs, "top_p_probs(...)", shape=(3,))
assert abs(float(np.sum(probs)) - 1) < 1e-9, "the probabilities should sum to 1"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(top_p_probs, "test_top_p_probs")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_speculative_expected_tokens", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does speculative_expected_tokens return a number between 1 and gamma + 1?"""
expected_tokens = call(speculative_expected_tokens, 0.8, 4, what="speculative_expected_tokens")
expect_number(expected_tokens, "speculative_expected_tokens(0.8, 4)", low=1, high=5)
print(f"alpha 0.8, gamma 4: {expected_tokens:.2f} tokens per target step")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(speculative_expected_tokens, "test_speculative_expected_tokens")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "generate_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 用你的小 GPT 生成（不计分）
#
# 下面的单元格用你的 `gpt_prefill` / `gpt_decode_step` 和上面的采样函数，从同一个提示一直生成到上下文用完（`GPT_CONTEXT` 个字节），并数一数重复：生成文本里重复出现的 8 字节片段占多少。greedy 解码很容易陷入循环（同一个片段一遍遍出现），采样能打破它，但温度太高时又会变成乱码。

# %% nbgrader={"grade": false, "grade_id": "generate", "locked": true, "schema_version": 3, "solution": false}
def generate(pick, new_tokens=64, prompt="This movie was "):
    """Text generated by the NumPy GPT with the KV cache; pick(logits) chooses each next byte id."""
    ids = [int(i) for i in tinygpt.encode_bytes(prompt)]
    logits, cache = gpt_prefill(gpt_w, ids)
    for _ in range(new_tokens):
        ids.append(int(pick(logits)))
        if len(ids) >= GPT_CONTEXT:
            break
        logits, cache = gpt_decode_step(gpt_w, ids[-1], cache)
    return tinygpt.decode_bytes(ids)


def repeated_share(text, n=8):
    """Share of the text's n-byte pieces that occurred earlier in it."""
    pieces = [text[i:i + n] for i in range(len(text) - n + 1)]
    return sum(p in pieces[:i] for i, p in enumerate(pieces)) / max(1, len(pieces))


sampler = np.random.default_rng(SEED)
draw = lambda probs: sampler.choice(len(probs), p=probs)  # noqa: E731
try:
    for name, pick in (("greedy", greedy_token), ("T = 0.8", lambda z: draw(temperature_probs(z, 0.8))),
                       ("top-k 10", lambda z: draw(top_k_probs(z, 10))), ("top-p 0.9", lambda z: draw(top_p_probs(z, 0.9))),
                       ("T = 2.0", lambda z: draw(temperature_probs(z, 2.0)))):
        text = generate(pick)
        print(f"{name:>9} ({repeated_share(text):.0%} repeated 8-byte pieces): {text!r}")
except NotImplementedError:
    print("implement the NumPy GPT and the decoding functions first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "speculative_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：投机解码什么时候划算（2 分，人工评分）
#
# 用 `speculative_expected_tokens` 算两三个例子（例如 $\alpha = 0.6$ 和 $0.9$，$\gamma = 4$）回答：投机解码为什么不改变大模型的输出分布？它什么时候省时间，什么时候反而更慢（草稿模型的成本、接受率、batch 大小的影响）？
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**：1 分：验证用拒绝采样（rejection sampling），接受的 token 和纠正的 token 合起来恰好服从大模型的分布，所以输出质量不变；大模型一次前向并行验证 $\gamma$ 个 token，decode 是 memory-bound，多验证几个 token 几乎不增加时间。1 分：用数字说明收益 = 期望 token 数 ÷（1 + 草稿模型 $\gamma$ 步的相对成本）；$\alpha$ 低（如 0.6 时 $\gamma = 4$ 只有约 2.3 个）或草稿模型不够便宜时不划算；大 batch 时大模型已经 compute-bound，并行验证不再"免费"，收益消失。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "speculative_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 大模型用拒绝采样验证草稿：接受的 token 加上被拒绝处重新采样的 token，整体分布和大模型自己采样完全一样，所以不改变输出。α = 0.9、γ = 4 时每步期望 4.1 个 token，α = 0.6 时只有 2.3 个。decode 受带宽限制，大模型一次前向验证 5 个位置和生成 1 个的时间差不多，所以 α 高、草稿模型便宜（例如参数是大模型的几十分之一）时能快 2–3 倍；α 低、草稿模型太贵，或者 batch 已经很大、大模型已经 compute-bound 时，多出来的验证计算不再免费，反而更慢。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 测量结果与面试要点
#
# **参考答案的测量**（2 核 CPU、离线 aclImdb 副本、`cpu` 配置、`SEED = 42`，2026-12-03）：
#
# | 量 | 参考答案 |
# | --- | --- |
# | BPE（200 条评论、150 次合并，训练 4.9–7.5 秒） | 英文 2.71 token / 词；中文 1.00 token / 字（英文语料学不到任何中文合并） |
# | MiniLM WordPiece（30,522 个词条） | 中文 1.00 token / 字，其中 72% 是 `[UNK]`；同样内容中文是英文的 1.84 倍 token（118 对 64） |
# | 一百万个请求，每百万 token 2 美元 | 英文 128 美元，中文 236 美元 |
# | 注意力 vs `keras.layers.MultiHeadAttention` | 最大差 3.7e-7；分块注意力 vs 朴素版本 2.2e-16 |
# | 注意力分数矩阵（32 头、fp16、batch 1、每层） | 2k：0.25 GiB，32k：64 GiB，128k：1,024 GiB |
# | 小 GPT（137,088 参数，2 块，d 64，上下文 64，1,600 步） | 训练 45–87 秒；评分程序测的 bits per byte：2.5432 / 2.5508 / 2.5574 / 2.5444（种子 42/1/2/3，测试集前 100 条评论 138,624 字节），课程自带样本上 2.5175 / 2.5092；阈值 2.70；自己的验证集 2.52（困惑度 5.74 / 字节） |
# | NumPy GPT vs Keras 模型 | 最大差 1.1e-5（float32）；cache 的 16 步 vs 完整重算 1.3e-14 |
# | 生成 T 个 token 的乘加（提示 16 个 token） | T = 16：3,818 万 vs 317 万（12 倍）；T = 48：1.97 亿 vs 671 万（29 倍）；T = 64：37 倍 |
# | 计时（同上，这台机器，不计分） | T = 16：0.020 s vs 0.007 s（3.0 倍）；T = 48：0.055 s vs 0.007 s（7.8 倍）：模型太小，Python 的开销占了大头，加速比低于乘加之比 |
# | KV cache（每个序列） | 小 GPT 64 个 token、fp32：64 KiB；Llama 2 7B 4,096 个 token、fp16：2 GiB；Llama 3 8B（GQA）：0.5 GiB |
# | greedy vs 采样 | greedy 陷入 "see to see to see to…"（60% 的 8 字节片段重复）；T = 0.8、top-k 10、top-p 0.9 没有重复；T = 2.0 是乱码 |
#
# 整个参考 notebook 在 2 核 CPU 上运行 55–58 秒（`scripts/measure_memory.py`，两次；机器上有别的任务时 66–112 秒），kernel 峰值内存约 1.0 GiB（1,024–1,041 MiB，几乎都来自 TensorFlow 和 WordPiece 分词器）。多线程的 OpenBLAS 在这台共享的 2 核机器上让 64 个 token 的一次前向从 1.3 ms 变成 22 ms，所以 notebook 开头把 NumPy 限制为一个 BLAS 线程。
#
# - **token 是计费单位，但不是同一个单位**：分词器和语言决定一段内容有多少 token；`[UNK]` 不只是价格问题，模型根本看不到这些字。
# - **注意力** = softmax(QKᵀ/√d)V；先减最大值再 exp；因果掩码让位置 i 只看 j ≤ i。分数矩阵随上下文平方增长，FlashAttention 用 online softmax 分块计算，结果完全相同，但从不存下 n×n 矩阵。
# - **GPT** = 嵌入 + 位置嵌入 + 因果自注意力块 + 输出层；"因果"可以检验：改后面的 token，前面的 logits 不变。
# - **KV cache** 用显存换计算：decode 每步只算一个新 token，但要读全部权重和整段 cache，所以 decode 受带宽限制；cache 大小 = 2 × 层 × KV 头 × head_dim × token × 字节，GQA 把它缩小为 KV 头数之比。
# - **解码策略** 只改变从分布里怎么挑 token：greedy 容易重复，temperature / top-k / top-p 在多样性和质量之间取舍；投机解码不改变分布，每步期望 $(1-\alpha^{\gamma+1})/(1-\alpha)$ 个 token。
#
# 保存 notebook，然后按老师的要求提交。
