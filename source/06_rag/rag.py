# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 06：降价催生的应用——检索增强生成（RAG），从 embedding 到成本，端到端地测量
#
# 种子博客的主题是：降价推动了大模型的 **应用**。作业 01 和 04 算了 token 的价格，这份作业动手搭价格下降之后最常见的应用——检索增强生成（retrieval-augmented generation, RAG）的检索部分，也是面试里最常见的系统设计题（"给我们的文档做一个问答机器人：怎么切块、用什么 embedding、什么索引、要不要 rerank、怎么评估、花多少钱"）。每一步都要 **测量**：
#
# 1. **句向量（sentence embedding）**：把 MiniLM（作业 03 用过的 all-MiniLM-L6-v2）每个 token 的输出按 attention mask 做平均池化（mean pooling）再 L2 归一化，这正是 sentence-transformers 的做法；再测一测用 `[CLS]` 或不归一化会差多少。
# 2. **不需要标注的评估集**：一条影评的前半是查询（query），后半是唯一相关的段落（passage），混在两千条别的影评的后半里。实现 recall@k 和 MRR。
# 3. **搜索**：NumPy 精确搜索；真实的向量检索库 **faiss**（HNSW 图索引）；int8 和二值（binary，Hamming 距离）量化——和作业 01、04 一样的"字节换质量"，这次换的是检索质量。
# 4. **切块（chunking）与混合检索（hybrid retrieval）**：块大小和重叠对 recall 的影响；自己写 BM25，用 reciprocal-rank fusion（RRF）和向量检索融合；什么时候关键词赢，什么时候 embedding 赢。
# 5. **这个应用的成本**：在这台 CPU 上测出的 embedding 吞吐量 → 给一百万个文档建索引要多少钱；RAG 一次查询 vs 把整个语料塞进长上下文（long context）；两者的盈亏平衡点，以及价格再降十倍之后它怎么移动。
# 6. **系统的其余部分**（人工评分）：rerank、更新与删除、答案的忠实度评估、检索内容里的 prompt injection。
#
# | 部分 | 自动评分 | 人工评分 | 合计 |
# | --- | --- | --- | --- |
# | 1 句向量 | 3 | – | 3 |
# | 2 评估集与指标 | 2 | – | 2 |
# | 3 搜索与量化 | 8.5 | 1 | 9.5 |
# | 4 切块与混合检索 | 5 | 2 | 7 |
# | 5 成本 | 3.5 | 2 | 5.5 |
# | 6 系统的其余部分 | – | 3 | 3 |
# | **合计** | **22** | **8** | **30** |
#
# **评分方式**：和作业 02–05 一样，隐藏测试不在你的 kernel 里判分，只把答案交给评分程序（`hand_in`）。你的函数由评分程序在一个全新的沙箱进程里重新运行，用 **它自己** 的输入：你没见过的文本、随机的向量和排名、它自己用 IMDB **测试集** 评论搭的隐藏评估集。表格里的 recall 由评分程序用它自己算的参考 embedding 在同一个评估集上重新算一遍；你打印的数字只供你参考。
#
# **答案的形式**：数字可以是 `int`、`float` 或 NumPy 标量，数组可以是 NumPy 数组、list 或 tuple；一格里有几个数时每个数单独给分。
#
# **运行时间**：CPU 配置下整个 notebook 在 2 核 CPU、离线数据上约 1 分钟，kernel 峰值内存约 1.5 GiB（见文末的测量）。
#
# **操作方法**：从上到下依次运行所有单元格，在 `# YOUR CODE HERE` 处写代码，然后用 *Validate* 检查。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math
import os
import time

import numpy as np

from course.checks import call
from course.checks.answers import expect_array, expect_number
from course.profiles import get_profile

SEED = 42
profile = get_profile()
SEQUENCE_LENGTH = profile.rag_sequence_length
print(f"profile {profile.name}: {SEQUENCE_LENGTH} tokens per text, {profile.rag_reviews} reviews, {profile.rag_queries} queries")

# %% [markdown] nbgrader={"grade": false, "grade_id": "embedding_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第一部分 句向量（3 分自动评分）
#
# BERT 类模型对每个 token 输出一个向量（MiniLM 是 384 维）。要用一个向量代表整段文本，sentence-transformers 的做法是：
#
# 1. **mean pooling**：只对真实的 token（`padding_mask` 为 `True` 的位置，包括 `[CLS]` 和 `[SEP]`）求平均，补齐（padding）的位置不算；
# 2. **L2 归一化**：除以向量的长度，使每个向量长度为 1，这样内积（inner product）就等于余弦相似度（cosine similarity）。
#
# all-MiniLM-L6-v2 正是用这种池化、以对比学习（contrastive learning）在十亿对句子上微调的，所以它的句向量用这种方式读出来才对。下面的单元格加载模型（由 `course.presets.resolve_embedding_preset` 决定：在线时用 keras-hub 从 Hugging Face 加载 `sentence-transformers/all-MiniLM-L6-v2`，离线时是课程安装的同一份真实权重；老师可以用 `COURSE_EMBEDDING_PRESET` 换成别的模型），`encoder(texts)` 返回 `(vectors, mask)`：形状 `(n, SEQUENCE_LENGTH, 384)` 的 float32 token 向量和形状 `(n, SEQUENCE_LENGTH)` 的布尔 mask。
#
# 实现：
#
# * `mean_pool(token_vectors, mask)`（1 分）：形状 `(n, L, d)` 和 `(n, L)` → `(n, d)`，每行是该文本真实 token 向量的平均；
# * `l2_normalize(x)`（0.5 分）：`(n, d)` → `(n, d)`，每行除以它的 L2 范数（范数为 0 的行保持为 0，不要除出 `nan`）；
# * `embed(texts)`（1.5 分）：文本的 list → `(n, 384)` 的 float32 句向量：`encoder` + `mean_pool` + `l2_normalize`，每次最多送 64 条文本进 `encoder`，省内存。评分程序在 **你没见过的文本** 上和它自己的参考实现比较（每条文本余弦相似度 ≥ 0.999 得分，按文本给部分分）。

# %% nbgrader={"grade": false, "grade_id": "encoder", "locked": true, "schema_version": 3, "solution": false}
from course.presets import resolve_embedding_preset
from course.retrieval import TokenEncoder

preset, preset_source = resolve_embedding_preset()
encoder = TokenEncoder(preset, SEQUENCE_LENGTH)
print(f"hidden size {encoder.dim}, {SEQUENCE_LENGTH} tokens per text")

# %% nbgrader={"grade": false, "grade_id": "embedding_functions", "locked": false, "schema_version": 3, "solution": true}
def mean_pool(token_vectors, mask):
    """Averages each text's token vectors over its real tokens (mask True): (n, L, d), (n, L) -> (n, d)."""
    ### BEGIN SOLUTION
    weights = np.asarray(mask, dtype=np.float32)[..., None]
    total = (np.asarray(token_vectors, dtype=np.float32) * weights).sum(axis=1)
    return total / np.maximum(weights.sum(axis=1), 1e-9)
    ### END SOLUTION


def l2_normalize(x):
    """Divides each row by its L2 norm (rows of norm 0 stay 0): (n, d) -> (n, d)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)
    ### END SOLUTION


def embed(texts):
    """Sentence embeddings of texts: mean-pooled MiniLM token vectors, L2-normalised, float32 (n, 384)."""
    ### BEGIN SOLUTION
    parts = []
    for start in range(0, len(texts), 64):
        vectors, mask = encoder(texts[start:start + 64])
        parts.append(l2_normalize(mean_pool(vectors, mask)))
    if not parts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mean_pool", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does mean_pool return one vector per text that ignores the padded positions?"""
toy_vectors = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
toy_mask = np.array([[True, True, False], [True, True, True]])
pooled = expect_array(call(mean_pool, toy_vectors, toy_mask, what="mean_pool"), "mean_pool(...)", shape=(2, 4))
assert np.allclose(pooled[0], toy_vectors[0, :2].mean(axis=0)), "the first text has two real tokens: average only those"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(mean_pool, "test_mean_pool")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_l2_normalize", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does l2_normalize give rows of length 1?"""
unit = expect_array(call(l2_normalize, np.array([[3.0, 4.0], [1.0, 0.0]]), what="l2_normalize"), "l2_normalize(...)", shape=(2, 2))
assert np.allclose(np.linalg.norm(unit, axis=1), 1.0), "every row should have length 1"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(l2_normalize, "test_l2_normalize")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_embed", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does embed return one unit-length float vector per text, similar texts closer than unrelated ones?"""
toy = call(embed, ["A wonderful film, I loved it.", "A great movie that I enjoyed.", "The invoice is due on Monday."], what="embed")
toy = expect_array(toy, "embed(...)", shape=(3, encoder.dim))
assert np.allclose(np.linalg.norm(toy, axis=1), 1.0, atol=1e-4), "each embedding should have length 1"
print("cosine(film, movie) =", round(float(toy[0] @ toy[1]), 3), "  cosine(film, invoice) =", round(float(toy[0] @ toy[2]), 3))
assert toy[0] @ toy[1] > toy[0] @ toy[2], "two reviews should be closer to each other than to an invoice"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(embed, "test_embed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "chinese_intro", "locked": true, "schema_version": 3, "solution": false}
# ### MiniLM 读不懂中文
#
# 作业 05 数过：这个模型的 WordPiece 词表几乎没有汉字。下面用种子博客里的一段话看看：大部分汉字变成 `[UNK]`，两段意思完全不同的中文得到几乎一样的向量。中文 RAG 要用多语言或中文的 embedding 模型（例如 multilingual-e5、bge-zh 一类），本作业只用英文影评。

# %% nbgrader={"grade": false, "grade_id": "chinese_limit", "locked": true, "schema_version": 3, "solution": false}
ZH_TEXT = "随着深度学习技术的不断发展，大模型在自然语言处理、图像识别、语音识别等领域取得了显著的成果。"  # the seed post, section 1
ZH_OTHER = "这使得大模型在实际应用中面临着较高的门槛，尤其是在企业级应用中。"  # the seed post, section 1
zh_tokens = encoder.tokens(ZH_TEXT)
print(f"{len(zh_tokens)} WordPiece tokens for {len(ZH_TEXT)} characters, "
      f"{zh_tokens.count('[UNK]') / len(zh_tokens):.0%} of them [UNK]: {zh_tokens[:12]}")
try:
    zh_a, zh_b = embed([ZH_TEXT, ZH_OTHER])
    en_a, en_b = embed(["Deep learning keeps advancing in language, vision and speech.",
                        "Enterprises face a high barrier to using large models."])
    print(f"cosine of two unrelated Chinese sentences: {zh_a @ zh_b:.3f}; of their English translations: {en_a @ en_b:.3f}")
except NotImplementedError:
    print("implement embed first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "benchmark_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第二部分 一个不需要标注的评估集（2 分自动评分）
#
# 评估检索要知道每个查询的"正确答案"。人工标注很贵；这里用一个不需要标注的构造（`course.retrieval.halves_benchmark`）：
#
# * 取 IMDB 训练集的前 `profile.rag_reviews` 条评论，去掉 HTML 标签，少于 40 个词的评论不用；
# * 每条评论按词切成两半：**前半是查询，后半是唯一相关的段落**（同一个人写的同一部电影）；
# * 所有评论的后半打乱顺序组成段落库（约两千条），随机挑 `profile.rag_queries` 条评论的前半作为查询；`relevant[i]` 是查询 `i` 的那一半在段落库里的下标。
#
# 评分程序用 **同样的构造** 和 IMDB **测试集** 里的评论（你的 notebook 从不加载）搭一个隐藏评估集，用来检验你的搜索函数。注意这个评估集的偏差：同一条评论的两半常常共享片名、人名这样的罕见词，对关键词检索有利（第四部分会测到）。
#
# 检索系统对每个查询返回一个排名（ranking）：段落下标的列表，最相关的在前。实现（各 1 分，评分程序在它自己的随机排名上比较）：
#
# * `recall_at_k(rankings, relevant, k)`：相关段落出现在前 `k` 个结果里的查询所占的比例；
# * `mrr(rankings, relevant)`：mean reciprocal rank，相关段落排在第 $r$ 位（从 1 数起）得 $1/r$，排名里没有它得 0，对所有查询求平均。
#
# `rankings` 是每个查询一行（list 的 list 或二维数组；各行长度可以不同），`relevant` 是每个查询的相关段落下标。返回一个 float。

# %% nbgrader={"grade": false, "grade_id": "benchmark", "locked": true, "schema_version": 3, "solution": false}
from course.data import load_imdb_arrays
from course.retrieval import halves_benchmark

BENCHMARK_SEED = 42  # fixed, whatever SEED is: the grader rebuilds this benchmark to recompute your tables
(imdb_train_texts, _), = load_imdb_arrays(("train",))
bench = halves_benchmark(imdb_train_texts[:profile.rag_reviews], profile.rag_queries, BENCHMARK_SEED)
passages, queries, relevant = bench.passages, bench.queries, bench.relevant
print(f"{len(passages)} passages, {len(queries)} queries; "
      f"words per passage: median {np.median([len(p.split()) for p in passages]):.0f}")
print("query 0:  ", queries[0][:200], "...")
print("its passage:", passages[relevant[0]][:200], "...")

# %% nbgrader={"grade": false, "grade_id": "metric_functions", "locked": false, "schema_version": 3, "solution": true}
def recall_at_k(rankings, relevant, k):
    """Share of queries whose relevant passage is among the first k results of their ranking."""
    ### BEGIN SOLUTION
    hits = [int(rel) in [int(x) for x in list(ranking)[:k]] for ranking, rel in zip(rankings, relevant)]
    return float(np.mean(hits)) if hits else 0.0
    ### END SOLUTION


def mrr(rankings, relevant):
    """Mean over queries of 1 / (1-based rank of the relevant passage), 0 where the ranking lacks it."""
    ### BEGIN SOLUTION
    scores = []
    for ranking, rel in zip(rankings, relevant):
        ranking = [int(x) for x in ranking]
        scores.append(1.0 / (ranking.index(int(rel)) + 1) if int(rel) in ranking else 0.0)
    return float(np.mean(scores)) if scores else 0.0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_recall_at_k", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does recall_at_k return a share between 0 and 1?"""
toy_rankings, toy_relevant = [[3, 1, 2], [0, 2, 1]], [1, 1]
value = expect_number(call(recall_at_k, toy_rankings, toy_relevant, 2, what="recall_at_k"), "recall_at_k(...)", 0, 1)
print("recall@2 of the toy rankings:", value)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(recall_at_k, "test_recall_at_k")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_mrr", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does mrr return a number between 0 and 1?"""
value = expect_number(call(mrr, toy_rankings, toy_relevant, what="mrr"), "mrr(...)", 0, 1)
print("MRR of the toy rankings:", value)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(mrr, "test_mrr")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "search_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第三部分 搜索与量化（8.5 分自动评分，1 分人工评分）
#
# 下面的单元格把所有段落和查询送进 `encoder` **一次**，用你的 `mean_pool` 和 `l2_normalize` 同时得到三种句向量：mean pooling + 归一化（`embed` 的做法）、`[CLS]` 位置的向量 + 归一化、mean pooling 不归一化。它也记下给段落做 embedding 用的时间（第五部分要用）。
#
# 然后实现 **精确搜索** `exact_search(passage_vectors, query_vectors, k)`（1 分）：对每个查询返回内积最大的 `k` 个段落的下标，按内积从大到小排列，形状 `(n_queries, k)` 的整数数组。归一化的向量上内积就是余弦相似度。（提示：`np.argpartition` 比对整行排序快。）

# %% nbgrader={"grade": false, "grade_id": "benchmark_embeddings", "locked": true, "schema_version": 3, "solution": false}
def three_poolings(texts):
    """Mean-pooled + normalised, [CLS] + normalised, and mean-pooled raw vectors of texts, one encoder pass."""
    mean, cls, raw = [], [], []
    for start in range(0, len(texts), 64):
        vectors, mask = encoder(texts[start:start + 64])
        pooled = np.asarray(mean_pool(vectors, mask), dtype=np.float32)
        raw.append(pooled)
        mean.append(l2_normalize(pooled))
        cls.append(l2_normalize(vectors[:, 0]))
    return np.concatenate(mean), np.concatenate(cls), np.concatenate(raw)


try:
    started = time.monotonic()
    passage_mean, passage_cls, passage_raw = three_poolings(passages)
    embed_seconds = time.monotonic() - started
    embedded_texts = len(passages)
    query_mean, query_cls, query_raw = three_poolings(queries)
    print(f"{embedded_texts} passages embedded in {embed_seconds:.1f} s ({embedded_texts / embed_seconds:.0f} texts/s "
          f"of {SEQUENCE_LENGTH} tokens on this machine)")
except NotImplementedError:
    print("implement mean_pool and l2_normalize first")

# %% nbgrader={"grade": false, "grade_id": "exact_search_function", "locked": false, "schema_version": 3, "solution": true}
def exact_search(passage_vectors, query_vectors, k):
    """Indices of the k passages with the largest inner product for each query, best first: int array (n_queries, k)."""
    ### BEGIN SOLUTION
    scores = np.asarray(query_vectors, dtype=np.float32) @ np.asarray(passage_vectors, dtype=np.float32).T
    k = min(int(k), scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_exact_search", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does exact_search return k passage indices per query, the best first?"""
toy_passages = np.eye(4, dtype=np.float32)
toy_queries = np.array([[0.1, 0.9, 0.3, 0.0]], dtype=np.float32)
found = expect_array(call(exact_search, toy_passages, toy_queries, 2, what="exact_search"), "exact_search(...)", shape=(1, 2))
assert [int(i) for i in found[0]] == [1, 2], "the query is closest to passage 1, then passage 2"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(exact_search, "test_exact_search")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "pooling_table_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 池化方式对检索的影响（1 分）
#
# 用 `exact_search`（`k = 10`）和你的指标，在评估集上比较三种句向量，填字典 `pooling_table`：键 `"mean"`、`"cls"`、`"unnormalised"`，值是字典 `{"recall_at_10": ..., "mrr": ...}`（MRR 用前 10 个结果算，排名里没有相关段落得 0）。评分程序用它自己的参考 embedding 在同一个评估集上重算这六个数（每个 1/6 分，允许 ±0.02 的浮点误差）。

# %% nbgrader={"grade": false, "grade_id": "pooling_numbers", "locked": false, "schema_version": 3, "solution": true}
pooling_table = None
### BEGIN SOLUTION
pooling_table = {}
for name, (p, q) in {"mean": (passage_mean, query_mean), "cls": (passage_cls, query_cls),
                     "unnormalised": (passage_raw, query_raw)}.items():
    top10 = exact_search(p, q, 10)
    pooling_table[name] = {"recall_at_10": recall_at_k(top10, relevant, 10), "mrr": mrr(top10, relevant)}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_pooling_table", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does pooling_table hold recall@10 and MRR for the three poolings?"""
assert isinstance(pooling_table, dict) and set(pooling_table) == {"mean", "cls", "unnormalised"}, \
    'pooling_table needs the keys "mean", "cls" and "unnormalised"'
for name, row in pooling_table.items():
    expect_number(row.get("recall_at_10"), f'pooling_table["{name}"]["recall_at_10"]', 0, 1)
    expect_number(row.get("mrr"), f'pooling_table["{name}"]["mrr"]', 0, 1)
    print(f"{name:>13}: recall@10 {row['recall_at_10']:.3f}, MRR {row['mrr']:.3f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"pooling_table": pooling_table}, "test_pooling_table")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "pooling_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：为什么 mean pooling + 归一化最好（1 分，人工评分）
#
# 用你测到的数字解释：为什么这个模型的 `[CLS]` 向量不如 mean pooling？不归一化的向量用内积检索时，什么样的段落会被不公平地排到前面？
#
# ### BEGIN MARK SCHEME
# **评分标准（1 分）**：0.5 分：all-MiniLM-L6-v2 是用 mean pooling 做对比学习微调的，`[CLS]` 向量没有被训练成句子的表示（BERT 的 `[CLS]` 只在 NSP 预训练里用过），所以它更差（参考，离线 aclImdb 副本：recall@10 0.267 对 0.303，MRR 0.178 对 0.206；课程自带样本：0.247 对 0.310）；注意 300 个查询的 recall 标准误约 0.03，差距只比噪声大一点，结论要谨慎；0.5 分：不归一化时内积 = 长度 × 余弦，范数大的段落（与内容无关的长度因素）对所有查询都得高分，排名被少数"中心"段落占据（hubness），recall 明显下降（参考：0.223 / 0.213，MRR 0.136 / 0.125）；用了自己表里的数字。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "pooling_written", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 这个模型是用 mean pooling 的句向量做对比学习微调的，`[CLS]` 位置从来没被训练成句子的表示，所以 `[CLS]` 的 recall@10 比 mean pooling 低（我测到 0.267 对 0.303，MRR 0.178 对 0.206；300 个查询的标准误约 0.03，所以差距只是略大于噪声）。不归一化时内积等于两个长度之积乘以余弦，范数大的段落对所有查询都占便宜，少数段落霸占前几名，recall@10 掉到 0.223、MRR 掉到 0.136，差距远大于噪声。归一化之后只比较方向，也就是语义。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "index_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 近似最近邻索引与量化（6.5 分）
#
# 精确搜索要和每个段落算一次内积：一百万个段落、384 维，每个查询约 4 亿次乘加，还要把 1.5 GB 的 float32 向量全部读一遍。生产系统用 **近似最近邻**（approximate nearest neighbour, ANN）索引和 **量化**。
#
# 本作业用 **faiss**（Meta 开源的向量检索库，`faiss-cpu` 1.15.1，课程环境里已安装）：它有精确索引、IVF 倒排、HNSW 图索引、乘积量化（PQ）和二值索引，是多数向量数据库背后的那一类实现，CPU 版本有现成的 wheel。（hnswlib 只有 HNSW、PyPI 上只有源码包要现场编译；usearch 也可以，但 faiss 在面试和生产里最常被提到。）
#
# 实现：
#
# * `build_index(vectors)` 和 `search(index, query_vectors, k)`：用 `faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)` 建 HNSW 索引（每个节点 32 个邻居）并加入向量；搜索前把 `index.hnsw.efSearch` 设成至少 64（越大越准越慢），返回 `(n_queries, k)` 的整数下标，最相似的在前。faiss 只接受 C 连续的 float32 数组。评分程序在它的隐藏评估集上调用下面锁定的 `retrieve`（= `search(build_index(...), ...)`），要求 recall@10 至少达到 `profile.rag_min_recall_at_10`，并且前 10 个结果和精确搜索的平均重合率至少 0.9（2 分）。
# * `quantize_int8(vectors)`（1 分）：**每个向量一个缩放因子**：`scale = max(|x|) / 127`，`codes = round(x / scale)`，转成 `int8`；返回 `(codes, scales)`，`codes` 形状 `(n, d)`，`scales` 形状 `(n,)`。还原：`codes * scales[:, None]`。每个向量从 `4d` 字节变成 `d + 4` 字节。
# * `binarize(vectors)`（0.5 分）：每一维只留符号，`x > 0` 为 1，用 `np.packbits(..., axis=1)` 打包成 `(n, d / 8)` 的 `uint8`：384 维只要 48 字节，是 float32 的 1/32。
# * `hamming_search(codes, query_codes, k)`（1 分）：在打包的二值码上按 **Hamming 距离**（不同的位数）从小到大返回 `k` 个下标（距离相同的可以任意顺序）。提示：两个码异或（`^`）之后数 1 的个数，`np.unpackbits` 或一张 256 项的查找表都行。
#
# 然后填测量表 `search_table`（2 分，每行 0.5 分）：键 `"exact"`（float32，`exact_search`）、`"hnsw"`（你的 faiss 索引）、`"int8"`（还原后的 int8 向量上的精确搜索）、`"binary"`（`hamming_search`），每行是字典：
#
# * `"recall_at_10"`：在评估集上的 recall@10（评分程序用它自己的参考 embedding 重算 exact、int8、binary，允许 ±0.02；hnsw 必须在它的 exact 值的 −0.05 到 +0.02 之间）；
# * `"bytes_per_vector"`：这种表示每个段落向量存多少字节（float32、int8 含缩放因子、binary 是确定的数；hnsw 用 `faiss.serialize_index(index).nbytes / 段落数`，包括图的邻接表，所以比 float32 大）；
# * `"ms_per_query"`：每个查询的平均搜索时间（毫秒），对全部查询一起计时，不含建索引的时间。评分程序检查它是正数。

# %% nbgrader={"grade": false, "grade_id": "index_functions", "locked": false, "schema_version": 3, "solution": true}
import faiss


def build_index(vectors):
    """A faiss HNSW index (32 neighbours, inner product) holding the vectors."""
    ### BEGIN SOLUTION
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(vectors)
    return index
    ### END SOLUTION


def search(index, query_vectors, k):
    """The k most similar indexed vectors for each query, best first: int array (n_queries, k)."""
    ### BEGIN SOLUTION
    index.hnsw.efSearch = max(64, int(k))
    _, ids = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), int(k))
    return ids.astype(np.int64)
    ### END SOLUTION


def quantize_int8(vectors):
    """Symmetric int8 codes with one scale per vector (max |x| / 127): (codes int8 (n, d), scales (n,))."""
    ### BEGIN SOLUTION
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    codes = np.clip(np.round(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales
    ### END SOLUTION


def binarize(vectors):
    """Sign bits (x > 0) packed 8 per byte along each row: uint8 (n, d / 8)."""
    ### BEGIN SOLUTION
    return np.packbits(np.asarray(vectors) > 0, axis=1)
    ### END SOLUTION


def hamming_search(codes, query_codes, k):
    """Indices of the k codes at the smallest Hamming distance from each query code: int array (n_queries, k)."""
    ### BEGIN SOLUTION
    codes = np.asarray(codes, dtype=np.uint8)
    query_codes = np.asarray(query_codes, dtype=np.uint8)
    ones = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1)
    k = min(int(k), len(codes))
    result = np.empty((len(query_codes), k), dtype=np.int64)
    for i, q in enumerate(query_codes):
        distances = ones[np.bitwise_xor(codes, q)].sum(axis=1)
        result[i] = np.argsort(distances, kind="stable")[:k]
    return result
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "retrieve", "locked": true, "schema_version": 3, "solution": false}
def retrieve(passage_vectors, query_vectors, k):
    """What the grader runs on its hidden benchmark: your index, built and searched."""
    return search(build_index(passage_vectors), query_vectors, k)


# %% nbgrader={"grade": true, "grade_id": "test_search", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does retrieve return k passage indices per query that mostly agree with exact search?"""
toy_p = l2_normalize(np.random.default_rng(0).normal(size=(300, 16)))
toy_q = l2_normalize(toy_p[:20] + 0.1 * np.random.default_rng(1).normal(size=(20, 16)))
found = expect_array(call(retrieve, toy_p, toy_q, 5, what="retrieve"), "retrieve(...)", shape=(20, 5))
print("recall@5 of the toy queries (each made from one passage):", recall_at_k(found, np.arange(20), 5))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(retrieve, "test_search")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_quantize_int8", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does quantize_int8 return int8 codes and one scale per vector that restore the vectors?"""
codes, scales = call(quantize_int8, np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.5]]), what="quantize_int8")
codes = expect_array(codes, "codes", shape=(2, 3))
assert codes.dtype == np.int8, "codes should be int8"
restored = codes * np.asarray(scales, dtype=np.float64).reshape(-1, 1)
assert np.allclose(restored, [[0.5, -1.0, 0.25], [2.0, 0.0, -0.5]], atol=0.01), "codes * scales should give the vectors back"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(quantize_int8, "test_quantize_int8")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_binarize", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does binarize pack the sign bits into d / 8 bytes per vector?"""
packed = expect_array(call(binarize, np.array([[1.0, -1, 1, 1, -1, -1, -1, 1]]), what="binarize"), "binarize(...)", shape=(1, 1))
assert packed.dtype == np.uint8, "the codes should be uint8 bytes"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(binarize, "test_binarize")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_hamming_search", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does hamming_search find the code that differs in the fewest bits?"""
toy_codes = np.array([[0b11110000], [0b11111111], [0b00000000]], dtype=np.uint8)
nearest = expect_array(call(hamming_search, toy_codes, np.array([[0b11111110]], dtype=np.uint8), 1, what="hamming_search"),
                       "hamming_search(...)", shape=(1, 1))
assert int(nearest[0, 0]) == 1, "0b11111110 differs from 0b11111111 in one bit"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(hamming_search, "test_hamming_search")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "search_numbers", "locked": false, "schema_version": 3, "solution": true}
search_table = None
### BEGIN SOLUTION
def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, (time.perf_counter() - started) * 1000 / len(queries)


n_passages = len(passages)
top_exact, ms_exact = timed(exact_search, passage_mean, query_mean, 10)
hnsw_index = build_index(passage_mean)
top_hnsw, ms_hnsw = timed(search, hnsw_index, query_mean, 10)
codes8, scales8 = quantize_int8(passage_mean)
restored8 = codes8.astype(np.float32) * scales8[:, None]
top_int8, ms_int8 = timed(exact_search, restored8, query_mean, 10)
bits, query_bits = binarize(passage_mean), binarize(query_mean)
top_binary, ms_binary = timed(hamming_search, bits, query_bits, 10)
search_table = {
    "exact": {"recall_at_10": recall_at_k(top_exact, relevant, 10), "bytes_per_vector": passage_mean.shape[1] * 4,
              "ms_per_query": ms_exact},
    "hnsw": {"recall_at_10": recall_at_k(top_hnsw, relevant, 10),
             "bytes_per_vector": faiss.serialize_index(hnsw_index).nbytes / n_passages, "ms_per_query": ms_hnsw},
    "int8": {"recall_at_10": recall_at_k(top_int8, relevant, 10), "bytes_per_vector": codes8.shape[1] + 4,
             "ms_per_query": ms_int8},
    "binary": {"recall_at_10": recall_at_k(top_binary, relevant, 10), "bytes_per_vector": bits.shape[1],
               "ms_per_query": ms_binary},
}
overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_hnsw, top_exact)])
print(f"HNSW top-10 agrees with exact search on {overlap:.1%} of the results")
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_search_table", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does search_table hold recall@10, bytes per vector and milliseconds per query for the four searches?"""
assert isinstance(search_table, dict) and set(search_table) == {"exact", "hnsw", "int8", "binary"}, \
    'search_table needs the keys "exact", "hnsw", "int8" and "binary"'
for name, row in search_table.items():
    expect_number(row.get("recall_at_10"), f'search_table["{name}"]["recall_at_10"]', 0, 1)
    expect_number(row.get("bytes_per_vector"), f'search_table["{name}"]["bytes_per_vector"]', 0)
    expect_number(row.get("ms_per_query"), f'search_table["{name}"]["ms_per_query"]', 0)
    print(f"{name:>7}: recall@10 {row['recall_at_10']:.3f}, {row['bytes_per_vector']:7.1f} bytes/vector, "
          f"{row['ms_per_query']:.4f} ms/query")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"search_table": search_table}, "test_search_table")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "scale_intro", "locked": true, "schema_version": 3, "solution": false}
# 两千个段落太少，显示不出 ANN 的价值：精确搜索只是一次矩阵乘法，可能比 HNSW 还快。下面的单元格在 **随机** 的单位向量上（只测速度，不测质量）比较 5 万个向量时两者每个查询的时间，以及建索引的时间。

# %% nbgrader={"grade": false, "grade_id": "scale", "locked": true, "schema_version": 3, "solution": false}
try:
    scale_rng = np.random.default_rng(SEED)
    many = l2_normalize(scale_rng.normal(size=(50_000, encoder.dim)).astype(np.float32))
    probes = many[:100] + 0.05 * scale_rng.normal(size=(100, encoder.dim)).astype(np.float32)
    begin = time.perf_counter()
    big_index = build_index(many)
    build_seconds = time.perf_counter() - begin
    begin = time.perf_counter()
    search(big_index, probes, 10)
    ms_hnsw_big = (time.perf_counter() - begin) * 1000 / len(probes)
    begin = time.perf_counter()
    exact_search(many, probes, 10)
    ms_exact_big = (time.perf_counter() - begin) * 1000 / len(probes)
    print(f"50,000 vectors: exact {ms_exact_big:.2f} ms/query, HNSW {ms_hnsw_big:.3f} ms/query "
          f"(index built in {build_seconds:.1f} s)")
    del many, big_index
except NotImplementedError:
    print("implement exact_search, build_index and search first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "chunking_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第四部分 切块与混合检索（5 分自动评分，2 分人工评分）
#
# ### 切块（1 分）
#
# 上面每个段落只被读了前 `SEQUENCE_LENGTH` 个 token，后面的内容被截断了，检索不到。RAG 把长文档切成小块（chunk），每块一个向量；一个文档的得分取它所有块里最高的那个。
#
# 实现 `chunk_words(text, size, overlap)`：按空白切词，从第 0 个词开始，每块 `size` 个词，下一块的起点前进 `size - overlap` 个词；最后一块到文本结尾为止（可以比 `size` 短），**包含最后一个词的块之后不再切**；返回用单个空格连接的字符串 list。空文本返回 `[]`。例如 10 个词、`size=4, overlap=2`：起点 0、2、4、6，最后一块是第 6–9 个词。
#
# 下面锁定的单元格用 `profile.rag_chunk_reviews` 条 **另外的** 训练评论搭一个小评估集，比较不切块和几种块大小、重叠，画出 recall@10。

# %% nbgrader={"grade": false, "grade_id": "chunk_function", "locked": false, "schema_version": 3, "solution": true}
def chunk_words(text, size, overlap):
    """Chunks of size words, each starting size - overlap words after the previous one, until one holds the last word."""
    ### BEGIN SOLUTION
    words = str(text).split()
    chunks, start, step = [], 0, int(size) - int(overlap)
    while start < len(words):
        chunks.append(" ".join(words[start:start + int(size)]))
        if start + int(size) >= len(words):
            break
        start += step
    return chunks
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chunk_words", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does chunk_words cover the text with chunks of at most size words?"""
toy_chunks = call(chunk_words, "one two three four five six seven eight nine ten", 4, 2, what="chunk_words")
assert isinstance(toy_chunks, list) and all(isinstance(c, str) for c in toy_chunks), "chunk_words should return a list of strings"
assert toy_chunks and toy_chunks[-1].split()[-1] == "ten", "the last chunk should end with the last word"
print(toy_chunks)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(chunk_words, "test_chunk_words")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "chunking_experiment", "locked": true, "schema_version": 3, "solution": false}
import matplotlib.pyplot as plt

CHUNKINGS = [(None, 0), (16, 0), (32, 0), (48, 0), (32, 16)]  # (words per chunk, overlap); None: the whole passage
chunk_bench = halves_benchmark(imdb_train_texts[profile.rag_reviews:profile.rag_reviews + profile.rag_chunk_reviews],
                               profile.rag_chunk_reviews, BENCHMARK_SEED)
chunking_results = {}
try:
    chunk_queries = embed(chunk_bench.queries)
    for size, chunk_overlap in CHUNKINGS:
        pieces = [[p] if size is None else chunk_words(p, size, chunk_overlap) for p in chunk_bench.passages]
        owner = np.repeat(np.arange(len(pieces)), [len(c) for c in pieces])
        scores = chunk_queries @ embed([c for cs in pieces for c in cs]).T
        document_scores = np.full((len(chunk_queries), len(pieces)), -np.inf)
        np.maximum.at(document_scores.T, owner, scores.T)  # a passage scores its best chunk
        ranking = np.argsort(-document_scores, axis=1)[:, :10]
        label = "whole" if size is None else f"{size} words, overlap {chunk_overlap}"
        chunking_results[label] = (len(owner), recall_at_k(ranking, chunk_bench.relevant, 10), mrr(ranking, chunk_bench.relevant))
        print(f"{label:>22}: {len(owner):5d} chunks, recall@10 {chunking_results[label][1]:.3f}, MRR {chunking_results[label][2]:.3f}")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(list(chunking_results), [r[1] for r in chunking_results.values()])
    ax.set_ylabel("recall@10")
    ax.set_title(f"Chunking {len(chunk_bench.passages)} passages ({SEQUENCE_LENGTH} tokens per chunk at most)")
    ax.tick_params(axis="x", rotation=20)
    plt.show()
except NotImplementedError:
    print("implement embed, chunk_words and the metrics first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "bm25_intro", "locked": true, "schema_version": 3, "solution": false}
# ### BM25 与混合检索（4 分）
#
# **BM25** 是搜索引擎几十年来的关键词打分公式。分词用 `course.retrieval.bm25_tokens`（小写，连续的字母和数字为一个词）。对查询 $q$ 和文档 $d$：
#
# $$\text{BM25}(q, d) = \sum_{t \in q} \text{idf}(t) \cdot \frac{f(t, d)\,(k_1 + 1)}{f(t, d) + k_1 \left(1 - b + b \cdot \frac{|d|}{\text{avgdl}}\right)},\qquad \text{idf}(t) = \ln\!\left(1 + \frac{N - n(t) + 0.5}{n(t) + 0.5}\right)$$
#
# 其中求和对查询里 **不重复** 的词（一个词在查询里出现两次也只算一次），$f(t, d)$ 是词在文档里出现的次数，$|d|$ 是文档的词数，avgdl 是所有文档的平均词数，$N$ 是文档数，$n(t)$ 是含有这个词的文档数（Lucene 的 idf，永远为正）。
#
# * `bm25_scores(queries, documents, k1=1.5, b=0.75)`（1.5 分）：返回 `(n_queries, n_documents)` 的 float 数组。评分程序在它自己的小语料上比较（相对误差 1e-6）。提示：先为每个词建倒排表（词 → 含它的文档和次数），只遍历查询里的词，两千个文档、三百个查询几秒就够。
# * `rrf(rankings, k=60)`（1 分）：reciprocal-rank fusion：把同一个查询的几个排名融合成一个。文档 $d$ 的得分是 $\sum_i 1/(k + r_i(d))$，$r_i(d)$ 是它在第 $i$ 个排名里的位置（从 1 数起；不在这个排名里就不加）；返回所有出现过的文档下标，按得分从高到低，得分相同时下标小的在前。RRF 只用名次不用分数，所以不用管 BM25 和余弦的尺度不同。
#
# 然后填 `hybrid_table`（1.5 分）：键 `"bm25"`、`"embedding"`（mean pooling，精确搜索）、`"hybrid"`（对每个查询把 BM25 的前 `FUSE_DEPTH` 名和 embedding 的前 `FUSE_DEPTH` 名用 `rrf` 融合），每行 `{"recall_at_10": ..., "mrr": ...}`（MRR 用前 10 个结果）。评分程序用参考的 BM25、参考 embedding 和参考 RRF 重算（每个数 0.25 分，±0.02）。

# %% nbgrader={"grade": false, "grade_id": "bm25_functions", "locked": false, "schema_version": 3, "solution": true}
from collections import defaultdict, Counter

from course.retrieval import bm25_tokens

FUSE_DEPTH = 100


def bm25_scores(queries, documents, k1=1.5, b=0.75):
    """BM25 score of every document for every query (course tokenisation, Lucene idf): (n_queries, n_documents)."""
    ### BEGIN SOLUTION
    counts = [Counter(bm25_tokens(d)) for d in documents]
    lengths = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    average = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
    postings = defaultdict(list)
    for j, c in enumerate(counts):
        for term, f in c.items():
            postings[term].append((j, f))
    n_docs = len(documents)
    scores = np.zeros((len(queries), n_docs))
    for i, query in enumerate(queries):
        for term in set(bm25_tokens(query)):
            posting = postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (n_docs - len(posting) + 0.5) / (len(posting) + 0.5))
            for j, f in posting:
                scores[i, j] += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * lengths[j] / average))
    return scores
    ### END SOLUTION


def rrf(rankings, k=60):
    """Reciprocal-rank fusion of several rankings of one query: every document seen, best first (ties: smaller index)."""
    ### BEGIN SOLUTION
    fused = defaultdict(float)
    for ranking in rankings:
        for position, doc in enumerate(ranking):
            fused[int(doc)] += 1.0 / (k + position + 1)
    return sorted(fused, key=lambda doc: (-fused[doc], doc))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bm25", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does bm25_scores give a document with the query's rare word the highest score?"""
toy_docs = ["the cat sat on the mat", "the dog barked", "a cat and a dog"]
toy_scores = expect_array(call(bm25_scores, ["cat mat"], toy_docs, what="bm25_scores"), "bm25_scores(...)", shape=(1, 3))
assert int(np.argmax(toy_scores[0])) == 0 and toy_scores[0, 1] == 0, "only documents with a query word score, the one with both best"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(bm25_scores, "test_bm25")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rrf", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does rrf return every document of the rankings, the one ranked well by both first?"""
fused = call(rrf, [[5, 1, 2], [1, 7]], what="rrf")
assert sorted(int(d) for d in fused) == [1, 2, 5, 7], "every document that appears in a ranking should appear once"
assert int(fused[0]) == 1, "document 1 is near the top of both rankings"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(rrf, "test_rrf")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "hybrid_numbers", "locked": false, "schema_version": 3, "solution": true}
hybrid_table = None
### BEGIN SOLUTION
lexical = bm25_scores(queries, passages)
top_lexical = np.argsort(-lexical, axis=1, kind="stable")[:, :FUSE_DEPTH]
top_dense = exact_search(passage_mean, query_mean, FUSE_DEPTH)
top_hybrid = [rrf([a, b])[:10] for a, b in zip(top_lexical, top_dense)]
hybrid_table = {
    name: {"recall_at_10": recall_at_k(r, relevant, 10), "mrr": mrr([list(x)[:10] for x in r], relevant)}
    for name, r in (("bm25", top_lexical), ("embedding", top_dense), ("hybrid", top_hybrid))
}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_hybrid_table", "locked": true, "points": 1.5, "schema_version": 3, "solution": false}
"""Does hybrid_table hold recall@10 and MRR for BM25, embeddings and their fusion?"""
assert isinstance(hybrid_table, dict) and set(hybrid_table) == {"bm25", "embedding", "hybrid"}, \
    'hybrid_table needs the keys "bm25", "embedding" and "hybrid"'
for name, row in hybrid_table.items():
    expect_number(row.get("recall_at_10"), f'hybrid_table["{name}"]["recall_at_10"]', 0, 1)
    expect_number(row.get("mrr"), f'hybrid_table["{name}"]["mrr"]', 0, 1)
    print(f"{name:>9}: recall@10 {row['recall_at_10']:.3f}, MRR {row['mrr']:.3f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"hybrid_table": hybrid_table}, "test_hybrid_table")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "lexical_semantic_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 什么时候关键词赢，什么时候 embedding 赢
#
# 下面的单元格做两件事：(1) 在评估集里找 BM25 排第 1、embedding 排不进前 10 的查询，以及反过来的查询，打印它们共享的罕见词；(2) 一个小探针：七个段落（其中三张相似的故障工单），三个查询——一个是工单编号（关键词），两个是换了说法的同义改写（paraphrase，和正确段落几乎没有共同的词）——看两种检索把正确段落排在第几。

# %% nbgrader={"grade": false, "grade_id": "lexical_semantic", "locked": true, "schema_version": 3, "solution": false}
try:
    lexical_rank = [list(r).index(rel) if rel in list(r) else None for r, rel in zip(top_lexical, relevant)]
    dense_rank = [list(r).index(rel) if rel in list(r) else None for r, rel in zip(top_dense, relevant)]
    lexical_wins = [i for i, (a, b) in enumerate(zip(lexical_rank, dense_rank)) if a == 0 and (b is None or b >= 10)]
    dense_wins = [i for i, (a, b) in enumerate(zip(lexical_rank, dense_rank)) if b == 0 and (a is None or a >= 10)]
    print(f"BM25 first and embeddings outside the top 10: {len(lexical_wins)} queries; the reverse: {len(dense_wins)}")
    document_frequency = Counter(t for p in passages for t in set(bm25_tokens(p)))
    for i in lexical_wins[:3]:
        shared = set(bm25_tokens(queries[i])) & set(bm25_tokens(passages[relevant[i]]))
        print("  shared rare words:", sorted(shared, key=lambda t: document_frequency[t])[:6])
    probe_passages = [
        "Stanley Kubrick's 2001: A Space Odyssey (1968) remains a landmark of science fiction.",
        "I laughed from the opening scene to the final credits; the jokes never stopped.",
        "The plot dragged and the acting was wooden throughout the film.",
        "A quiet drama about a family farm in the Midwest during a long drought.",
        "Ticket 51877: the sound system failed during the 7 pm show in screen 2.",
        "Ticket 48213: the projector in screen 7 failed during the 9 pm show.",
        "Ticket 30542: the projector in screen 4 overheated during the matinee.",
    ]
    probe_queries = {"ticket 48213": 5, "a hilarious comedy that made me giggle the whole time": 1,
                     "a boring movie with stiff performances": 2}
    probe_dense = exact_search(embed(probe_passages), embed(list(probe_queries)), len(probe_passages))
    probe_lexical = np.argsort(-bm25_scores(list(probe_queries), probe_passages), axis=1, kind="stable")
    for (q, want), d_rank, l_rank in zip(probe_queries.items(), probe_dense, probe_lexical):
        print(f"{q!r}: right passage ranked {list(l_rank).index(want) + 1} by BM25, {list(d_rank).index(want) + 1} by embeddings")
except (NotImplementedError, NameError):
    print("implement the search functions, BM25 and hybrid_table first")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hybrid_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：切块和混合检索（2 分，人工评分）
#
# 用你测到的数字回答：(1) 为什么切块提高了 recall？块太小、太大各有什么问题，重叠（overlap）买到了什么、花了什么？(2) 在这个评估集上 BM25 和 embedding 谁赢？为什么（想想这个评估集是怎么构造的）？在真实的问答系统里，哪类查询 BM25 赢（名字、编号、报错信息），哪类 embedding 赢（同义改写），混合检索为什么是常见的默认选择？
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**：1 分：截断让长段落只有开头被编码，切块后每块都在 `SEQUENCE_LENGTH` 之内、整段都能被检索到（参考，离线 aclImdb 副本：不切块 0.498 → 48 词 0.596、32 词重叠 16 0.586、32 词 0.556、16 词 0.515；课程自带样本：0.393 → 0.513 / 0.540 / 0.530 / 0.457；哪个块大小最好随数据变，300 个查询分不出 32 和 48 词的高下，但 16 词总是最差的切块）；块太小丢上下文、块数多（索引更大更慢），块太大又被截断或语义被稀释；重叠避免关键信息被切在边界上，代价是块数和索引变多。1 分：在这个评估集上 BM25 明显更好（参考 recall@10 0.570 对 0.303），因为同一条评论的两半共享片名、人名等罕见词，这是构造带来的偏差；名字、数字、代码、报错信息这类精确匹配 BM25 赢，换说法的问题 embedding 赢（探针的例子）；两者的错误互补，RRF 只用名次、不需要调分数尺度，所以混合检索是稳妥的默认选择（在这里融合的 recall 最高，0.593，但 MRR 0.369 低于 BM25 的 0.438：较弱的一方也会把不相关的段落拉上来）。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "hybrid_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# (1) 每个段落只编码前 64 个 token，后面的内容对检索不可见；切块后整段都被编码，recall@10 从 0.498 升到 0.556（32 词）、0.596（48 词），32 词加 16 词重叠 0.586。块太小（16 词，0.515）丢掉上下文、块数多；块太大超过 64 个 token 又被截断。重叠让跨边界的句子至少完整出现在一个块里，代价是块数（索引大小和 embedding 成本）增加约 65%（1,271 → 2,102 块）。(2) 这里 BM25 赢得多（recall@10 0.570 对 0.303）：同一条评论的两半共享片名和演员名这些罕见词，这是评估集构造的偏差。真实系统里名字、编号、报错信息要精确匹配，BM25 赢；换了说法的问题（"很好笑"对"笑个不停"）embedding 赢。两者错得不一样，RRF 只看名次、不用对齐分数，所以混合检索是默认选择；但它不总是全面更好——这里 recall 最高（0.593），MRR（0.369）却低于 BM25（0.438）。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "cost_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第五部分 这个应用的成本（3.5 分自动评分，2 分人工评分）
#
# **价格**（每百万个输入 token，美元；价格经常变化，这只是当时的公开价格）：GPT-4o mini 0.15（OpenAI 发布公告，2024-07-18，上下文 128k token）；GPT-4o 2.50（OpenAI 价格页，2024 年 8 月）。和作业 04 一样，这台机器 **假设** 相当于每小时 0.10 美元的 2 vCPU 云服务器（`CPU_PRICE_PER_HOUR`，只是为了计算）。
#
# 一次 RAG 查询的提示（prompt）= 问题 `QUESTION_TOKENS` 个 token + 检索到的 `TOP_K` 个块、每块 `CHUNK_TOKENS` 个 token（32 个词的块，用 MiniLM 的分词器数出来的平均值，下面的单元格测）。长上下文的做法是把整个语料（`CORPUS_TOKENS` 个 token）和问题一起塞进提示。只算输入 token（输出一样多，两种做法相同）。
#
# 用 **你自己** 在第三部分测到的数（`embedded_texts` 个段落用了 `embed_seconds` 秒）算下面的数，赋给变量（每个 0.5 分；评分程序用你交上来的吞吐量重算，前面的数错了、后面的按你的数算对也得分）：
#
# 1. `texts_per_second`：embedding 吞吐量（条 / 秒）；
# 2. `usd_to_index_million`：在这台 CPU 上给一百万个块做 embedding 的成本（美元）；
# 3. `rag_usd_per_query`：用 GPT-4o mini 的价格，一次 RAG 查询的提示成本，**加上** 给问题本身做 embedding 的 CPU 成本（一条文本）；
# 4. `long_context_usd_per_query`：用 GPT-4o mini 的价格，把 `CORPUS_TOKENS` 个 token 的语料塞进提示的一次查询的成本；
# 5. `break_even_tokens`：语料多少个 token 时两种做法的 **每次查询成本相等**。RAG 这边还要加上把整个语料建索引的 CPU 成本，**只摊到一次查询上**（最不利于 RAG 的情况：语料只被问一次）：语料 $T$ 个 token，切成 $T / \text{CHUNK\_TOKENS}$ 块。解方程 长上下文成本$(T)$ = RAG 成本 + 索引成本$(T)$；如果在这台机器上每个 token 的索引成本不低于大模型读它的价格，方程无解，答 `math.inf`；
# 6. `break_even_tokens_cheaper`：同上，但大模型价格再降十倍（CPU 价格不变）；
# 7. `queries_to_amortise`：价格再降十倍后，语料 `CORPUS_TOKENS` 个 token 时，至少要被问多少次（索引成本摊到每次查询上），RAG 的每次查询成本才低于长上下文？给一个整数（向上取整；问多少次都不够时答 `math.inf`）。

# %% nbgrader={"grade": false, "grade_id": "cost_constants", "locked": true, "schema_version": 3, "solution": false}
CPU_PRICE_PER_HOUR = 0.10  # USD, an assumption (as in assignment 04): a 2-vCPU cloud machine
PRICE_PER_MILLION_INPUT = 0.15  # USD, GPT-4o mini input tokens (OpenAI announcement, 2024-07-18)
PRICE_PER_MILLION_INPUT_GPT4O = 2.50  # USD, GPT-4o input tokens (OpenAI pricing page, August 2024)
QUESTION_TOKENS = 50
TOP_K = 5
CORPUS_TOKENS = 100_000  # fits GPT-4o mini's 128k-token context
try:
    chunk_sample = [c for p in passages[:200] for c in chunk_words(p, 32, 0)]
    CHUNK_TOKENS = float(np.mean([len(encoder.tokens(c)) for c in chunk_sample]))
    print(f"{CHUNK_TOKENS:.1f} WordPiece tokens per 32-word chunk (mean of {len(chunk_sample)} chunks)")
except NotImplementedError:
    CHUNK_TOKENS = 45.0
    print("implement chunk_words first; until then CHUNK_TOKENS =", CHUNK_TOKENS)

# %% nbgrader={"grade": false, "grade_id": "cost_numbers", "locked": false, "schema_version": 3, "solution": true}
texts_per_second = None
usd_to_index_million = None
rag_usd_per_query = None
long_context_usd_per_query = None
break_even_tokens = None
break_even_tokens_cheaper = None
queries_to_amortise = None
### BEGIN SOLUTION
texts_per_second = embedded_texts / embed_seconds
cpu_usd_per_text = CPU_PRICE_PER_HOUR / 3600 / texts_per_second
usd_to_index_million = 1e6 * cpu_usd_per_text
price = PRICE_PER_MILLION_INPUT / 1e6
rag_usd_per_query = (QUESTION_TOKENS + TOP_K * CHUNK_TOKENS) * price + cpu_usd_per_text
long_context_usd_per_query = (QUESTION_TOKENS + CORPUS_TOKENS) * price
index_usd_per_token = cpu_usd_per_text / CHUNK_TOKENS


def break_even(token_price):
    # (Q + T) p = (Q + K c) p + e + T i  ->  T = (K c p + e) / (p - i); none when i >= p
    gain = token_price - index_usd_per_token
    return (TOP_K * CHUNK_TOKENS * token_price + cpu_usd_per_text) / gain if gain > 0 else math.inf


break_even_tokens = break_even(price)
break_even_tokens_cheaper = break_even(price / 10)
# n queries: n (Q + T) p/10 > n ((Q + K c) p/10 + e) + T i  ->  n > T i / ((T - K c) p/10 - e)
saving = (CORPUS_TOKENS - TOP_K * CHUNK_TOKENS) * price / 10 - cpu_usd_per_text
queries_to_amortise = math.ceil(CORPUS_TOKENS * index_usd_per_token / saving) if saving > 0 else math.inf
print(f"{texts_per_second:.0f} texts/s; one million chunks: {usd_to_index_million:.2f} USD; RAG query {rag_usd_per_query * 1e6:.0f} "
      f"USD per million queries vs long context {long_context_usd_per_query * 1e6:.0f}; break-even {break_even_tokens:.0f} tokens "
      f"({break_even_tokens_cheaper:.0f} after a tenfold cut); {queries_to_amortise} queries to amortise the index")
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_cost_numbers", "locked": true, "points": 3.5, "schema_version": 3, "solution": false}
"""Are the seven cost numbers positive numbers?"""
for name in ("texts_per_second", "usd_to_index_million", "rag_usd_per_query", "long_context_usd_per_query",
             "break_even_tokens", "break_even_tokens_cheaper", "queries_to_amortise"):
    expect_number(globals()[name], name, 0)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"texts_per_second": texts_per_second, "usd_to_index_million": usd_to_index_million,
         "rag_usd_per_query": rag_usd_per_query, "long_context_usd_per_query": long_context_usd_per_query,
         "break_even_tokens": break_even_tokens, "break_even_tokens_cheaper": break_even_tokens_cheaper,
         "queries_to_amortise": queries_to_amortise, "embedded_texts": embedded_texts, "embed_seconds": embed_seconds,
         "chunk_tokens": CHUNK_TOKENS}, "test_cost_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "cost_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 书面回答：RAG 什么时候比长上下文划算（2 分，人工评分）
#
# 用你算出的数回答：(1) 什么时候 RAG 比把整个语料塞进长上下文好，什么时候反过来（语料大小、被问的次数、上下文窗口的上限、延迟、答案质量里的"lost in the middle"）？(2) 大模型价格再降十倍（而 CPU 不降价），盈亏平衡点怎么移动？这对"降价推动应用"意味着什么？提示缓存（prompt caching）又会怎样改变这个比较？
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**：1 分：用自己的数说明：一次查询的 RAG 提示只有约 `QUESTION_TOKENS + TOP_K × CHUNK_TOKENS` 个 token（参考约 230 个），语料超过盈亏平衡点（参考 189 个 token，只比检索到的内容多一点）之后 RAG 就更便宜，10 万 token 的语料便宜约 400 倍（每百万次查询 35 对 15,008 美元）；语料超过上下文窗口时只能用 RAG；小语料、需要通读全文的问题（总结全文、跨段推理）用长上下文；长上下文还有延迟和"lost in the middle"的质量问题。1 分：降价十倍后 LLM 的 token 变便宜、CPU 的索引成本相对变贵，盈亏平衡点升高（参考 189 → 303 个 token），但建索引仍比大模型读一遍便宜得多，10 万 token 的语料问一次就摊平了（`queries_to_amortise` 参考为 1）；所以降价让"全部塞进去"对更大的小语料变得可行，但 RAG 对大语料和高频查询的优势基本不变，真正的限制是窗口、延迟和质量；prompt caching 让重复的长前缀更便宜，利好长上下文。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "cost_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 按我测到的吞吐量（142 条 / 秒），一百万个块的 embedding 在这台 CPU 上约 0.20 美元；一次 RAG 查询约 230 个输入 token，按 GPT-4o mini 的价格约每百万次 35 美元，而把 10 万 token 的语料塞进去约每百万次 1.5 万美元，贵四百多倍。盈亏平衡点只有 189 个 token，比检索到的五个块多一点：语料一旦比检索结果大，RAG 就便宜；语料超过 128k 的窗口时只能用 RAG。需要通读全文的问题（总结、跨段推理）用长上下文更简单，但它延迟高，而且中间的信息容易被忽略。降价十倍后 LLM 的 token 变便宜而 CPU 不变，索引成本的相对分量变大，盈亏平衡点升到 303 个 token；但给 10 万 token 建索引仍然比让大模型读一遍便宜得多，问一次就摊平了。所以降价让更大一点的语料可以"全塞进去"，但对大语料和高频查询 RAG 仍然便宜几百倍，真正的约束是窗口、延迟和答案质量；prompt caching 让重复的长前缀更便宜，也利好长上下文。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "system_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ## 第六部分 系统的其余部分（3 分，人工评分）
#
# 面试官接着问："检索到了，然后呢？" 简要回答四点（各约两三句）：
#
# 1. **rerank**：为什么在向量检索的前 50–100 个结果上再用一个 cross-encoder 重排？它为什么准、为什么不能直接用来检索全库？
# 2. **更新与删除**：文档改了或被删了（例如用户要求删除数据），索引怎么跟上？HNSW 删除有什么麻烦？怎么保证删掉的内容不会再被检索到？
# 3. **评估生成的答案**：除了检索的 recall，怎么评估答案的忠实度（faithfulness，答案是否有检索内容支持）和相关性？
# 4. **检索内容里的 prompt injection**：检索到的文档里写着"忽略之前的指令，……"，会发生什么？列两种防御。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分，每点 0.75 分）**：(1) cross-encoder 把查询和文档拼在一起过一遍 Transformer，能做词级的交互，比两个独立向量的内积准；但每个（查询，文档）对都要跑一次模型，只能用在少量候选上（召回 + 精排两阶段）。(2) 增量更新：给块带上文档 ID 和版本，改动时删除旧块再插入新块；HNSW 的删除通常只是打标记（tombstone），图不会真正缩小，需要定期重建；删除要覆盖所有副本和缓存，检索结果按元数据过滤，并有测试证明删除后查不到。(3) 忠实度：检查答案里的每个陈述能否在检索到的内容里找到依据（人工标注、NLI 模型或 LLM 作为评审，如 RAGAS 的 faithfulness），答案相关性、引用的准确性，以及端到端的人工抽查；检索和生成分开评估。(4) 检索到的文本会被模型当作指令执行（间接 prompt injection），可能泄露数据或调用工具；防御：把检索内容当数据放在明确的分隔里并在系统提示里声明不执行其中的指令、对工具调用做最小权限和人工确认、输出过滤、来源白名单和内容扫描；没有一种防御是完全可靠的。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "system_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# (1) cross-encoder 把查询和文档一起送进 Transformer，词和词之间能直接做注意力，比两个各自编码的向量求内积准得多；但每个查询要对每个候选跑一次模型，全库一百万个文档做不到，所以先用向量或 BM25 召回前 100 个，再精排。(2) 每个块记下文档 ID 和版本，文档更新时删掉旧块、插入新块；HNSW 的删除一般只是打标记，图不会变小、质量会下降，要定期重建；删除要同时清理副本、缓存和备份，检索时按元数据过滤，并用测试证明删掉的内容再也查不到。(3) 检索和生成分开评估：检索看 recall / MRR，生成看忠实度（答案中的每个陈述是否被检索内容支持，用人工标注、NLI 模型或 LLM 评审，例如 RAGAS）、答案相关性和引用是否正确，再加人工抽查。(4) 模型可能把检索内容里的文字当成指令执行（间接 prompt injection），泄露数据或乱调用工具。防御：把检索内容放在明确的分隔符里并声明其中的指令一律不执行；工具调用最小权限、敏感操作要人确认；对来源做白名单和内容扫描、对输出做过滤；没有一种办法万无一失，要多层防御。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 测量结果与面试要点
#
# **参考答案的测量**（2 核 CPU、`cpu` 配置、`SEED = 42`、离线的 all-MiniLM-L6-v2，2026-12-03；先写离线 aclImdb 副本的数，括号里是课程自带样本的数）：
#
# | 量 | 参考答案 |
# | --- | --- |
# | 评估集 | 1,687（1,686）个段落，300 个查询；每个段落中位数约 90 个词，只编码前 64 个 token |
# | embedding 吞吐量 | 142（133）条 / 秒，64 个 token 一条：1,687 个段落 11.9（12.7）秒 |
# | 池化（recall@10 / MRR） | mean + 归一化 0.303 / 0.206（0.310 / 0.186）；`[CLS]` 0.267 / 0.178（0.247 / 0.173）；不归一化 0.223 / 0.136（0.213 / 0.125）；300 个查询的标准误约 0.03 |
# | 搜索（recall@10，字节 / 向量，毫秒 / 查询） | 精确 0.303，1,536，0.015；HNSW 0.293，1,808，0.022（和精确搜索的前 10 重合 99.2%）；int8 0.303，388，0.024；二值 0.240，48，0.198 |
# | 5 万个随机向量 | 精确 1.33 ms / 查询，HNSW 0.17 ms / 查询，建索引 12 秒 |
# | 切块（recall@10，300 条评论） | 不切 0.498（0.393）；16 词 0.515（0.457）；32 词 0.556（0.530）；48 词 0.596（0.513）；32 词重叠 16 0.586（0.540） |
# | BM25 / embedding / 混合（recall@10，MRR） | 0.570 / 0.438；0.303 / 0.206；0.593 / 0.369（0.570 / 0.459；0.310 / 0.186；0.597 / 0.357） |
# | 探针 | 工单号 "ticket 48213"：BM25 第 1，embedding 第 2（被另一张工单抢先）；两个同义改写：embedding 都是第 1，BM25 都是第 4 |
# | 成本（GPT-4o mini 输入价，CPU 0.10 美元 / 小时） | 一百万个块 0.20 美元；RAG 每百万次查询 35 美元，10 万 token 的长上下文 15,008 美元；盈亏平衡 189 个 token，降价十倍后 303 个；10 万 token 的语料问 1 次就摊平索引 |
# | 中文 | 46 个字 46 个 WordPiece token，78% 是 `[UNK]`；两句无关的中文余弦 0.75，它们的英文翻译 0.14 |
# | 隐藏评估集（评分程序，1,000 条测试评论、200 个查询） | 精确搜索 recall@10 0.285–0.365，参考 HNSW 0.285–0.355（五个 salt）；课程自带样本 0.330–0.380；阈值 0.22（`scripts/measure_rag.py`） |
#
# 整个参考 notebook 在 2 核 CPU 上运行 86 / 87 / 91 秒（离线 aclImdb 副本，三次，`scripts/measure_memory.py`；课程自带样本 90 秒），kernel 峰值内存 1,338–1,359 MiB（样本 1,299 MiB），主要是 TensorFlow、MiniLM 和 5 万个随机向量的 HNSW 实验。
#
# - **句向量** = 对真实 token 求平均 + L2 归一化；用模型训练时的池化方式读出来，`[CLS]` 和不归一化都更差。
# - **评估先行**：没有标注也能搭评估集（同一文档的两半、合成问题），但要知道它的偏差。
# - **ANN 和量化** 用一点 recall 换速度和内存：HNSW 和精确搜索几乎一致但内存更大；int8 省 4 倍几乎不掉 recall；二值省 32 倍但 recall 明显下降，常用来粗筛再用 float 重排。
# - **切块** 决定模型能看到什么；**混合检索**（BM25 + 向量，RRF 融合）是稳妥的默认选择。
# - **成本**：embedding 和检索比大模型的 token 便宜几个数量级；语料一旦比检索结果大，RAG 就比长上下文便宜；大模型越便宜，小语料越可以直接塞进上下文。
#
# 保存 notebook，然后按老师的要求提交。
