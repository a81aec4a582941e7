# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 04：价格为什么会降——从第一性原理算推理成本，再在真实模型上测量压缩
#
# 博客的主题是"降价推动应用"。这份作业回答它背后的问题：**价格为什么能降？** 答案是推理（inference）变便宜了：量化（quantization）、剪枝（pruning）、蒸馏（distillation）、批处理（batching）和更好地利用硬件。面试官现在会直接问这些数字："7B 模型在 H100 上 batch 1 每秒能出多少 token？""KV cache 每个 token 占多少显存？""LoRA 要训练多少参数？""一百万次预测要花多少钱？"
#
# * **第一部分（NumPy，自动评分）**：从硬件参数出发算推理成本——内存带宽（memory bandwidth）决定的解码速度、批处理的拐点、KV cache（它占多少显存、每一步要读多少字节）、每百万 token 的成本、分词（tokenization）对账单的影响、LoRA / QLoRA 的显存、混合专家模型（Mixture of Experts, MoE）。
# * **第二部分（Keras，评分程序在它自己的进程里测量）**：把作业 02 那样的 MNIST CNN 和作业 03 的 BERT 分类器真正压缩一遍：int8 / int4 量化、50 / 80 / 90% 的剪枝、知识蒸馏，测量文件大小、延迟（latency）、准确率，算出每百万次预测的成本，画出准确率–成本图和帕累托前沿（Pareto front）。
#
# | 部分 | 自动评分 | 人工评分 | 合计 |
# | --- | --- | --- | --- |
# | A1 解码速度与批处理（只算权重） | 3 | – | 3 |
# | A2 KV cache 与并发用户 | 3 | – | 3 |
# | A3 把 KV cache 算进解码速度 | 2 | – | 2 |
# | A4 每百万 token 的成本 | 2 | – | 2 |
# | A5 分词与账单 | 2 | – | 2 |
# | A6 LoRA / QLoRA 的显存 | 2 | – | 2 |
# | A7 混合专家模型 | 2 | – | 2 |
# | A8 书面回答：价格为什么会降 | – | 3 | 3 |
# | B1 int8 量化 CNN | 3 | – | 3 |
# | B2 剪枝 | 3 | – | 3 |
# | B3 蒸馏 | 3 | – | 3 |
# | B5 测量表 | 1 | – | 1 |
# | B5 书面回答：什么时候上线哪个版本 | – | 2 | 2 |
# | **合计** | **26** | **5** | **31** |
#
# **评分方式**：隐藏测试不在你的 kernel 里判分，只把答案交给评分程序（`hand_in`）：数字和函数在评分程序的进程里和它自己的答案比较（函数会在一个全新的沙箱进程里用它自己的输入重新运行）；模型被保存下来，由评分程序在另一个全新的 Python 进程里用 Keras safe mode 加载，**自己** 检查权重的 dtype、文件里存的字节数、稀疏度、参数量，用它自己加载的测试集测准确率。所以你打印的数字只供你参考：改写变量、替换 `course` 里的函数都不会改变分数。

**答案的形式与"跟随"评分**：数字可以是 `int`、`float` 或 NumPy 标量（`np.float64`、`np.int64` 都行），整数答案写成 `524288.0` 也算对；一格里有几个数时每个数单独给分。前面的结果算错了、后面 **用它** 算的步骤做对了，后面的步骤照样得分（follow-through）：评分程序用你自己交上来的前一步结果（以及在沙箱里重新运行你的 `weight_memory_gb`）来检查这一步，错误只在它出现的地方扣一次分。
#
# **运行时间**：CPU 配置下整个 notebook（含训练 CNN、剪枝微调、蒸馏和 BERT 的量化）在 2 核 CPU、离线数据上实测 174–202 秒（三次），kernel 峰值内存约 2.4 GB（见文末的测量表）；有 GPU 时（`gpu` 配置）用全部训练数据和更多 BERT 评论，这部分还没有在 GPU 上验证过。
#
# **操作方法**：从上到下依次运行所有单元格，在 `# YOUR CODE HERE` 处写代码，然后用 *Validate* 检查。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

import numpy as np

from course.checks import call
from course.checks.answers import expect_choice, expect_number

# %% [markdown] nbgrader={"grade": false, "grade_id": "from_01_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 复用作业 01 的函数
#
# 这份作业要用到你在作业 01 里写过的两个函数，不要重新发明：
#
# * `weight_memory_gb(n_params, dtype)`：`n_params` 个参数以 `"fp32"`（4 字节）、`"fp16"` / `"bf16"`（2）、`"int8"`（1）、`"int4"`（0.5）存储时占多少 GB（1 GB = $10^9$ 字节），未知的 dtype `raise ValueError`；
# * `magnitude_prune(weights, sparsity)`：返回一个新数组，绝对值最小的 $\lfloor \text{sparsity} \times n \rfloor$ 个元素置 0（同样大小时按展平后的顺序先剪前面的），`sparsity` 不在 $[0, 1]$ 内时 `raise ValueError`。
#
# 把你在 01 里的实现复制到下面的单元格（它们在 01 里已经评过分，这里不再单独计分，但后面的题目会用到它们）。

# %% nbgrader={"grade": false, "grade_id": "from_01", "locked": false, "schema_version": 3, "solution": true}
def weight_memory_gb(n_params, dtype):
    """Returns the memory taken by n_params weights stored in dtype, in GB (10**9 bytes)."""
    ### BEGIN SOLUTION
    bytes_per_param = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}
    if dtype not in bytes_per_param:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {sorted(bytes_per_param)}")
    return float(n_params) * bytes_per_param[dtype] / 1e9
    ### END SOLUTION


def magnitude_prune(weights, sparsity):
    """Returns a copy of weights with the floor(sparsity * size) smallest-magnitude entries set to 0."""
    ### BEGIN SOLUTION
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity}")
    weights = np.asarray(weights)
    pruned = weights.copy()
    k = int(np.floor(sparsity * weights.size))
    smallest_first = np.argsort(np.abs(weights).ravel(), kind="stable")
    pruned.reshape(-1)[smallest_first[:k]] = 0
    return pruned
    ### END SOLUTION


print("7B parameters in fp16:", weight_memory_gb(7e9, "fp16"), "GB")

# %% [markdown] nbgrader={"grade": false, "grade_id": "hardware_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第一部分 推理成本的第一性原理（16 分自动评分，3 分人工评分）
#
# 本部分的硬件和价格都写在下面的单元格里（题目里引用它们的名字）。GPU 数据来自 NVIDIA H100 SXM 的公开规格（datasheet）：80 GB HBM3 显存、约 3.35 TB/s 的显存带宽、约 989 TFLOPS 的稠密（dense）BF16 Tensor Core 算力（规格表里更大的数字是 2:4 结构化稀疏的）。GPU 的租用价格变化很快、各家差别很大：2023–2025 年大云厂商按需（on-demand）租一张 H100 每小时约 7–12 美元（AWS `p5.48xlarge`，8 张 H100，2023 年 7 月上线时按需 98.32 美元 / 小时，约 12.3 美元 / 卡·时，来源：AWS 价格页，The Next Platform 2023-07-27 的整理；AWS 在 2025 年 6 月把 P5 的按需价格降了约 44%），而 Lambda、RunPod 等小云厂商同期约 2–3 美元 / 卡·时（Lambda 的 H100 SXM 按需价 2.99 美元，2024–2025 年的价格页）；包年包月（reserved）和竞价实例（spot）更便宜。这里 **假设** 每小时 3 美元（小云厂商的按需价），只是为了计算；A4 之后的单元格会告诉你答案怎样随价格变化。实际使用前请查当前的价格。
#
# 模型数据：Llama 2 7B（Touvron et al., 2023）约 67.4 亿参数，32 层，32 个注意力头，每个头 128 维，**每个头都有自己的 K、V**（多头注意力 multi-head attention, MHA）；Llama 3 8B（Meta, 2024）约 80.3 亿参数，32 层，32 个 query 头但只有 **8 个 KV 头**（分组查询注意力 grouped-query attention, GQA），每个头 128 维；Mixtral 8x7B（Mistral AI, 2024）共约 467 亿参数，每个 token 只激活约 129 亿。

# %% nbgrader={"grade": false, "grade_id": "hardware", "locked": true, "schema_version": 3, "solution": false}
# One H100 SXM (NVIDIA datasheet) and an assumed rental price
GPU_MEMORY_GB = 80.0
GPU_BANDWIDTH_GB_S = 3350.0  # HBM3, GB/s
GPU_PEAK_TFLOPS = 989.0  # dense BF16 Tensor Core
GPU_PRICE_PER_HOUR = 3.0  # USD per GPU-hour, an assumption: smaller clouds' on-demand H100 (large clouds: about 7-12 USD, 2023-2025)

# Models
LLAMA2_7B = dict(n_params=6.74e9, n_layers=32, n_kv_heads=32, head_dim=128)  # multi-head attention
LLAMA3_8B = dict(n_params=8.03e9, n_layers=32, n_kv_heads=8, head_dim=128)  # grouped-query attention
MIXTRAL_TOTAL_PARAMS, MIXTRAL_ACTIVE_PARAMS = 46.7e9, 12.9e9

# %% [markdown] nbgrader={"grade": false, "grade_id": "decode_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A1 解码是受内存带宽限制的（3 分）
#
# 自回归解码（autoregressive decoding）每生成一个 token，都要把 **全部权重** 从显存读一遍，而每个参数只参与约 2 次浮点运算（一次乘、一次加：每个 token 约 $2N$ FLOPs，见作业 01）。batch 为 1 时，GPU 的算力大部分闲着，瓶颈是读权重的速度：
#
# $$\text{tokens/s} \approx \frac{\text{显存带宽（字节/秒）}}{\text{每个 token 要读的权重字节数}} = \frac{B}{N \cdot b},$$
#
# 其中 $N$ 是参数个数，$b$ 是每个参数的字节数。这叫 **memory-bound**（受内存带宽限制）。量化把 $b$ 从 2 降到 1 或 0.5，解码速度几乎同比例提高——这是量化能降价的第一个原因。
#
# **批处理（batching）改变了什么？** 同时解码 $n$ 个请求时，权重只读一遍，却做了 $n$ 份计算。**只看权重** 的话，每秒的 token 数先随 batch 线性增长，直到算力用满（**compute-bound**，受算力限制），之后不再增长：
#
# $$\text{tokens/s}(n) \approx \min\!\Big(n \cdot \frac{B}{N b},\ \frac{F}{2N}\Big),$$
#
# $F$ 是每秒的峰值浮点运算次数。两项相等处是拐点（crossover batch size）$n^* = \dfrac{F \cdot b}{2B}$：$F/B$ 是硬件的"每读一个字节能做多少次运算"（roofline 模型里的 ridge point）；batch 为 $n$ 时，解码每读一个字节的权重做 $2n/b$ 次运算（这叫算术强度 arithmetic intensity，batch 1 时是 $2/b$），它等于 $F/B$ 时就是拐点。
#
# **这个公式只数了权重。** 每个请求还有自己的 KV cache（A2），每一步解码都要把 batch 里 **每个** 序列的 KV cache 读一遍。batch 1 时这一项很小（Llama 2 7B、1,024 个 token 的上下文只有 0.5 GB，权重是 13.5 GB），所以上面的公式是 batch 1 的好近似；batch 大时它就不小了（64 个这样的序列要 34 GB），A3 会把它加进来。所以这里 batch 64 的数字只是 **只算权重时的上限**，不是真实的吞吐量。本部分还忽略了注意力的计算和各种开销。
#
# 实现两个函数（各 1 分；带宽以 GB/s、算力以 TFLOPS 给出，1 GB = $10^9$ 字节，1 TFLOPS = $10^{12}$ FLOPs/s）：
#
# * `decode_tokens_per_second(n_params, bytes_per_param, bandwidth_gb_s, peak_tflops, batch)`：上面的 $\min(\cdot)$ 公式，返回一个数；
# * `crossover_batch(bytes_per_param, bandwidth_gb_s, peak_tflops)`：拐点 $n^*$（一个数，不取整）。
#
# 然后对 fp16（每个参数 2 字节）的 Llama 2 7B（`LLAMA2_7B["n_params"]`），在上面的 H100 上算出 batch 1 和 batch 64 的 tokens/s（只算权重），赋给 `tps_batch1`、`tps_batch64`，把 fp16 时的拐点赋给 `b_star`。三个数共 1 分，每个数 1/3 分。

# %% nbgrader={"grade": false, "grade_id": "decode_functions", "locked": false, "schema_version": 3, "solution": true}
def decode_tokens_per_second(n_params, bytes_per_param, bandwidth_gb_s, peak_tflops, batch):
    """Tokens per second of batched decoding: the smaller of the memory-bound and compute-bound rates."""
    ### BEGIN SOLUTION
    memory_bound = batch * bandwidth_gb_s * 1e9 / (n_params * bytes_per_param)
    compute_bound = peak_tflops * 1e12 / (2 * n_params)
    return float(min(memory_bound, compute_bound))
    ### END SOLUTION


def crossover_batch(bytes_per_param, bandwidth_gb_s, peak_tflops):
    """Batch size at which decoding turns from memory-bound to compute-bound."""
    ### BEGIN SOLUTION
    return float(peak_tflops * 1e12 * bytes_per_param / (2 * bandwidth_gb_s * 1e9))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_decode_tokens_per_second", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does decode_tokens_per_second return a positive number?"""
rate = call(decode_tokens_per_second, 7e9, 2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, 1, what="decode_tokens_per_second")
expect_number(rate, "decode_tokens_per_second(7e9, 2, ...)", low=0)
print(f"7B fp16, batch 1: {float(rate):.0f} tokens/s")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(decode_tokens_per_second, "test_decode_tokens_per_second")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_crossover_batch", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does crossover_batch return a positive number?"""
ridge = call(crossover_batch, 2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, what="crossover_batch")
expect_number(ridge, "crossover_batch(2, ...)", low=0)
print(f"fp16 decoding is memory-bound up to a batch of about {float(ridge):.0f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(crossover_batch, "test_crossover_batch")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "decode_numbers", "locked": false, "schema_version": 3, "solution": true}
tps_batch1 = None
tps_batch64 = None
b_star = None
### BEGIN SOLUTION
tps_batch1 = decode_tokens_per_second(LLAMA2_7B["n_params"], 2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, 1)
tps_batch64 = decode_tokens_per_second(LLAMA2_7B["n_params"], 2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, 64)
b_star = crossover_batch(2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_decode_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the two rates and the crossover batch positive numbers?"""
for name in ("tps_batch1", "tps_batch64", "b_star"):
    expect_number(globals()[name], name, low=0)
print(f"Llama 2 7B fp16, weights only: batch 1 {tps_batch1:,.0f} tokens/s; batch 64 {tps_batch64:,.0f} tokens/s (an upper bound); "
      f"crossover at a batch of {b_star:.0f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"tps_batch1": tps_batch1, "tps_batch64": tps_batch64, "b_star": b_star}, "test_decode_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "kv_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A2 KV cache 与并发用户（3 分）
#
# 解码时，每一层都要把之前所有 token 的 Key 和 Value 缓存起来（KV cache），否则每一步都要重算整段上下文。每个 token 的 KV cache 大小为
#
# $$\text{KV 字节 / token} = 2 \times \text{层数} \times \text{KV 头数} \times \text{每个头的维度} \times \text{每个值的字节数},$$
#
# 其中的 2 是 K 和 V 各一份。多头注意力（MHA）里每个 query 头都有自己的 K、V；**分组查询注意力（GQA）** 让几个 query 头共用一组 K、V，KV 头数从 32 降到 8，KV cache 就小了 4 倍（multi-query attention, MQA 是只有 1 个 KV 头的极端情况）。
#
# 一张 GPU 上，权重放下之后剩下的显存用来放 KV cache：每个用户（一个请求）的上下文有 $L$ 个 token 时，能同时服务的用户数为
#
# $$\text{用户数} = \left\lfloor \frac{\text{显存} - \text{权重}}{\text{KV 字节 / token} \times L} \right\rfloor$$
#
# （忽略激活值和碎片；显存放不下权重时为 0）。能同时服务的用户越多，batch 越大，每个 token 越便宜——这就是 GQA 和 KV cache 量化（例如 fp8）能降价的原因。
#
# 实现：
#
# * `kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_value)`：返回字节数；
# * `max_concurrent_users(gpu_memory_gb, weight_gb, kv_bytes_per_token, context_tokens)`：返回整数（1 GB = $10^9$ 字节，向下取整，不够时返回 0）。
#
# 然后对 fp16（每个值 2 字节）的 Llama 2 7B 和 Llama 3 8B（参数在 `LLAMA2_7B`、`LLAMA3_8B` 里，权重也按 fp16 算，用你 01 的 `weight_memory_gb`），在一张 80 GB 的 GPU 上、每个用户 4,096 个 token 的上下文，算出：`kv_llama2`、`kv_llama3`（每 token 的 KV 字节数）和 `users_llama2`、`users_llama3`（并发用户数）。两个函数各 0.5 分，四个数 2 分（每个 0.5 分）。

# %% nbgrader={"grade": false, "grade_id": "kv_functions", "locked": false, "schema_version": 3, "solution": true}
def kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_value):
    """Bytes of K and V cached per token across all layers."""
    ### BEGIN SOLUTION
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_value
    ### END SOLUTION


def max_concurrent_users(gpu_memory_gb, weight_gb, kv_bytes_per_token, context_tokens):
    """How many users with context_tokens of KV cache each fit beside the weights."""
    ### BEGIN SOLUTION
    free_bytes = (gpu_memory_gb - weight_gb) * 1e9
    if free_bytes <= 0:
        return 0
    return int(free_bytes // (kv_bytes_per_token * context_tokens))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_kv_cache_bytes_per_token", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does kv_cache_bytes_per_token return a positive number?"""
kv = call(kv_cache_bytes_per_token, 32, 32, 128, 2, what="kv_cache_bytes_per_token")
expect_number(kv, "kv_cache_bytes_per_token(32, 32, 128, 2)", low=0)
print(f"{float(kv):,.0f} bytes per token")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(kv_cache_bytes_per_token, "test_kv_cache_bytes_per_token")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_max_concurrent_users", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Does max_concurrent_users return a whole number?"""
users = call(max_concurrent_users, 80.0, 14.0, 524288, 4096, what="max_concurrent_users")
expect_number(users, "max_concurrent_users(80.0, 14.0, 524288, 4096)", low=0, integer=True)
print(f"{int(users)} users of 4,096 tokens")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(max_concurrent_users, "test_max_concurrent_users")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "kv_numbers", "locked": false, "schema_version": 3, "solution": true}
CONTEXT_TOKENS = 4096
kv_llama2 = None
kv_llama3 = None
users_llama2 = None
users_llama3 = None
### BEGIN SOLUTION
kv_llama2 = kv_cache_bytes_per_token(LLAMA2_7B["n_layers"], LLAMA2_7B["n_kv_heads"], LLAMA2_7B["head_dim"], 2)
kv_llama3 = kv_cache_bytes_per_token(LLAMA3_8B["n_layers"], LLAMA3_8B["n_kv_heads"], LLAMA3_8B["head_dim"], 2)
users_llama2 = max_concurrent_users(GPU_MEMORY_GB, weight_memory_gb(LLAMA2_7B["n_params"], "fp16"), kv_llama2, CONTEXT_TOKENS)
users_llama3 = max_concurrent_users(GPU_MEMORY_GB, weight_memory_gb(LLAMA3_8B["n_params"], "fp16"), kv_llama3, CONTEXT_TOKENS)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_kv_numbers", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Are the KV sizes positive and the user counts whole numbers?"""
expect_number(kv_llama2, "kv_llama2", low=0)
expect_number(kv_llama3, "kv_llama3", low=0)
expect_number(users_llama2, "users_llama2", low=0, integer=True)
expect_number(users_llama3, "users_llama3", low=0, integer=True)
print(f"Llama 2 7B: {kv_llama2 / 2**20:.2f} MiB per token, {users_llama2} users; "
      f"Llama 3 8B: {kv_llama3 / 2**20:.3f} MiB per token, {users_llama3} users")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"kv_llama2": kv_llama2, "kv_llama3": kv_llama3, "users_llama2": users_llama2, "users_llama3": users_llama3}, "test_kv_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "kv_decode_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A3 把 KV cache 算进解码速度（2 分）
#
# A1 只数了权重。真实的解码每一步要读：**权重一遍，加上 batch 里每个序列的 KV cache 各一遍**（每个序列的 K、V 只属于它自己，不能共用）：
#
# $$\text{每一步读的字节} = N b + n \cdot \text{KV 字节 / token} \cdot L,$$
#
# $L$ 是每个序列的上下文长度（token 数）。每一步算 $n$ 个 token（每个约 $2N$ FLOPs，注意力的计算这里仍然忽略），所以
#
# $$\text{tokens/s}(n) \approx \min\!\Big(\frac{n \cdot B}{N b + n \cdot \text{KV} \cdot L},\ \frac{F}{2N}\Big).$$
#
# batch 1 时 KV 项很小，和 A1 几乎一样；batch 越大，KV 项越重要：它和 $n$ 一起增长，权重项却不变。$n \to \infty$ 时每读一个字节只做 $2N / (\text{KV} \cdot L)$ 次运算，如果它比硬件的 $F/B$ 小，解码 **永远到不了 compute-bound**，batch 再大也是 memory-bound。这就是 GQA 不只是"省显存、多放几个用户"的原因：KV 头少 4 倍，每一步要读的 KV cache 也少 4 倍，**同样的 batch 吞吐量更高**。
#
# 实现 `decode_tokens_per_second_kv(n_params, bytes_per_param, kv_bytes_per_token, context_tokens, bandwidth_gb_s, peak_tflops, batch)`（1 分，返回一个数），然后对 fp16 的权重和 fp16 的 KV cache（用 A2 的 `kv_llama2`、`kv_llama3`），batch 64、每个序列 1,024 个 token 的上下文（`DECODE_CONTEXT`），算出：
#
# * `tps_llama2_kv`：Llama 2 7B（MHA）的 tokens/s；
# * `tps_llama3_kv`：Llama 3 8B（GQA）的 tokens/s；
# * `kv_share_llama2`：Llama 2 7B 这一步读的字节里，KV cache 占的比例（0 到 1 之间）。
#
# 三个数共 1 分，每个数 1/3 分。（为什么不用 A2 的 4,096 个 token？A2 算过：一张 80 GB 的卡放不下 64 个 4,096 token 的 Llama 2 序列，只能放 30 个。）

# %% nbgrader={"grade": false, "grade_id": "kv_decode_function", "locked": false, "schema_version": 3, "solution": true}
def decode_tokens_per_second_kv(n_params, bytes_per_param, kv_bytes_per_token, context_tokens, bandwidth_gb_s, peak_tflops, batch):
    """Tokens per second of batched decoding when each step reads the weights once and every sequence's KV cache."""
    ### BEGIN SOLUTION
    bytes_per_step = n_params * bytes_per_param + batch * kv_bytes_per_token * context_tokens
    memory_bound = batch * bandwidth_gb_s * 1e9 / bytes_per_step
    compute_bound = peak_tflops * 1e12 / (2 * n_params)
    return float(min(memory_bound, compute_bound))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_decode_tokens_per_second_kv", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does decode_tokens_per_second_kv return a positive number, no more than the weights-only rate?"""
with_kv = call(decode_tokens_per_second_kv, 7e9, 2, 524288, 1024, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, 8, what="decode_tokens_per_second_kv")
expect_number(with_kv, "decode_tokens_per_second_kv(7e9, 2, 524288, 1024, ..., 8)", low=0)
weights_only = 8 * GPU_BANDWIDTH_GB_S * 1e9 / (7e9 * 2)  # A1's memory-bound rate at batch 8
assert float(with_kv) < weights_only, "reading the KV cache too must make decoding slower than A1's weights-only rate"
print(f"7B fp16, batch 8, 1,024-token contexts: {float(with_kv):,.0f} tokens/s with the KV cache, {float(weights_only):,.0f} weights only")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(decode_tokens_per_second_kv, "test_decode_tokens_per_second_kv")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "kv_decode_numbers", "locked": false, "schema_version": 3, "solution": true}
DECODE_CONTEXT, DECODE_BATCH = 1024, 64
tps_llama2_kv = None
tps_llama3_kv = None
kv_share_llama2 = None
### BEGIN SOLUTION
tps_llama2_kv = decode_tokens_per_second_kv(LLAMA2_7B["n_params"], 2, kv_llama2, DECODE_CONTEXT, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, DECODE_BATCH)
tps_llama3_kv = decode_tokens_per_second_kv(LLAMA3_8B["n_params"], 2, kv_llama3, DECODE_CONTEXT, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, DECODE_BATCH)
kv_bytes_llama2 = DECODE_BATCH * kv_llama2 * DECODE_CONTEXT
kv_share_llama2 = kv_bytes_llama2 / (LLAMA2_7B["n_params"] * 2 + kv_bytes_llama2)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_kv_decode_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the two rates positive numbers and the KV share between 0 and 1?"""
expect_number(tps_llama2_kv, "tps_llama2_kv", low=0)
expect_number(tps_llama3_kv, "tps_llama3_kv", low=0)
expect_number(kv_share_llama2, "kv_share_llama2", low=0, high=1)
print(f"batch {DECODE_BATCH}, {DECODE_CONTEXT:,}-token contexts: Llama 2 7B {tps_llama2_kv:,.0f} tokens/s "
      f"({kv_share_llama2:.0%} of the bytes read are KV cache), Llama 3 8B {tps_llama3_kv:,.0f} tokens/s")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"tps_llama2_kv": tps_llama2_kv, "tps_llama3_kv": tps_llama3_kv, "kv_share_llama2": kv_share_llama2}, "test_kv_decode_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "kv_decode_table_intro", "locked": true, "schema_version": 3, "solution": false}
# 下面的单元格用 **你的** 两个函数列出不同 batch 大小下的吞吐量：只算权重时 batch 64 约是 batch 1 的 64 倍；算上 KV cache 后，Llama 2 7B 在 batch 64 时只有约 18 倍，而且再加大 batch 也只能逼近 $B / (\text{KV} \cdot L)$（所有带宽都用来读 KV cache）。最后一列是 $n \to \infty$ 时每读一个字节做的运算次数 $2N / (\text{KV} \cdot L)$：Llama 2 约 25、Llama 3 约 120，都小于 H100 的 $F/B \approx 295$——这个上下文长度下解码始终是 memory-bound。（实际系统中 batch 还受显存限制：80 GB 的卡上 1,024 token 的 Llama 2 序列最多放 123 个。）

# %% nbgrader={"grade": false, "grade_id": "kv_decode_table", "locked": true, "schema_version": 3, "solution": false}
print(f"{'batch':>6} | {'weights only':>12} | {'Llama 2 7B + KV':>15} | {'Llama 3 8B + KV':>15}")
for n in (1, 8, 64, 256, 1024):
    row = [decode_tokens_per_second(LLAMA2_7B["n_params"], 2, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, n)]
    for model, kv in ((LLAMA2_7B, kv_llama2), (LLAMA3_8B, kv_llama3)):
        row.append(decode_tokens_per_second_kv(model["n_params"], 2, kv, DECODE_CONTEXT, GPU_BANDWIDTH_GB_S, GPU_PEAK_TFLOPS, n))
    print(f"{n:>6} | {row[0]:>12,.0f} | {row[1]:>15,.0f} | {row[2]:>15,.0f}")
for label, model, kv in (("Llama 2 7B", LLAMA2_7B, kv_llama2), ("Llama 3 8B", LLAMA3_8B, kv_llama3)):
    print(f"{label}: at most {2 * model['n_params'] / (kv * DECODE_CONTEXT):.0f} FLOPs per byte read as the batch grows "
          f"(the H100's ridge point: {GPU_PEAK_TFLOPS * 1e12 / (GPU_BANDWIDTH_GB_S * 1e9):.0f})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "cost_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A4 每百万 token 的成本（2 分）
#
# 自建推理的成本就是 GPU 的租金摊到每个 token 上：
#
# $$\text{每百万 token 的成本} = \frac{\text{每小时价格}}{\text{每小时的 token 数}} \times 10^6 = \frac{\text{每小时价格}}{\text{tokens/s} \times 3600} \times 10^6 .$$
#
# 同一个公式也适用于"每百万次预测"（把 token 换成预测）：第二部分会用它给压缩后的模型算账。
#
# 实现 `cost_per_million(price_per_hour, items_per_second)`（返回一个数），然后用 `GPU_PRICE_PER_HOUR` 算 Llama 2 7B（fp16）每百万个输出 token 的成本（美元）：batch 1 时用 A1 的 `tps_batch1`，赋给 `cost_batch1`；batch 64 时用 A3 **算上 KV cache** 的 `tps_llama2_kv`，赋给 `cost_batch64`。函数 1 分，两个数 1 分（每个 0.5 分；用你自己前面算出的吞吐量算对了就得分）。
#
# **和公开 API 价格比一比**（每百万 token，美元；价格经常变化，下表只是当时的公开价格，使用前请查官方价格页）：
#
# | 模型 | 输入 | 输出 | 日期与来源 |
# | --- | --- | --- | --- |
# | OpenAI GPT-4o mini | 0.15 | 0.60 | OpenAI 发布公告，2024-07-18 |
# | OpenAI GPT-4o（2024-08-06 版） | 2.50 | 10.00 | OpenAI 价格页，2024 年 8 月 |
# | Anthropic Claude 3.5 Sonnet | 3.00 | 15.00 | Anthropic 发布公告，2024-06-20 |
# | Google Gemini 1.5 Flash（≤128k 上下文） | 0.075 | 0.30 | Google 降价公告，2024-08 |
# | DeepSeek-V2 | 1 元（约 0.14） | 2 元（约 0.28） | DeepSeek 发布公告，2024-05-06 |
# | DeepSeek-V3 | 0.27（缓存未命中） | 1.10 | DeepSeek 价格页，2025-02-08 起 |
#
# 你会看到：batch 1 时自建一个 7B 模型每百万个输出 token 约 3.4 美元——比 GPT-4o mini、Gemini 1.5 Flash、DeepSeek-V2 / V3 的输出价贵 3–12 倍，却比 GPT-4o（10 美元）和 Claude 3.5 Sonnet（15 美元）便宜（但它们是大得多、好得多的模型）。batch 64、1,024 token 的上下文时约 0.19 美元，便宜约 18 倍——不是 64 倍，因为每个序列的 KV cache 都要单独读（A3）；只算权重会得出 0.05 美元，低估 3.5 倍。API 厂商能把价格压得这么低，靠的正是把成千上万个用户的请求拼成大 batch（continuous batching），再用 GQA、KV cache 量化、量化权重和 MoE 减少每一步要读的字节。（比较时注意：7B 模型和这些大模型的质量不同；自建还要算空闲时间、工程和运维；这里的 GPU 价格是假设的，见下面的表。）

# %% nbgrader={"grade": false, "grade_id": "cost_per_million", "locked": false, "schema_version": 3, "solution": true}
def cost_per_million(price_per_hour, items_per_second):
    """Cost of one million tokens (or predictions) at a rental price per hour and a throughput per second."""
    ### BEGIN SOLUTION
    return float(price_per_hour / (items_per_second * 3600.0) * 1e6)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_cost_per_million", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does cost_per_million return a positive number?"""
example = call(cost_per_million, 3.0, 1000.0, what="cost_per_million")
expect_number(example, "cost_per_million(3.0, 1000.0)", low=0)
print(f"3 USD per hour at 1,000 tokens/s: {float(example):.3f} USD per million tokens")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(cost_per_million, "test_cost_per_million")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "cost_numbers", "locked": false, "schema_version": 3, "solution": true}
cost_batch1 = None
cost_batch64 = None
### BEGIN SOLUTION
cost_batch1 = cost_per_million(GPU_PRICE_PER_HOUR, tps_batch1)
cost_batch64 = cost_per_million(GPU_PRICE_PER_HOUR, tps_llama2_kv)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_cost_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are both costs positive numbers?"""
expect_number(cost_batch1, "cost_batch1", low=0)
expect_number(cost_batch64, "cost_batch64", low=0)
print(f"Llama 2 7B fp16 on one H100 at {GPU_PRICE_PER_HOUR} USD/h: {cost_batch1:.2f} USD per million tokens at batch 1, "
      f"{cost_batch64:.3f} at batch 64 with the KV cache read")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"cost_batch1": cost_batch1, "cost_batch64": cost_batch64}, "test_cost_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "price_range_intro", "locked": true, "schema_version": 3, "solution": false}
# **GPU 的价格是假设的。** 下面用你的 `cost_per_million` 把同样的吞吐量放到不同的租用价格上：从小云厂商的约 2 美元到大云厂商 2023–2025 年按需价的约 12 美元 / 卡·时（来源见第一部分开头）。成本和价格成正比：按大云厂商 2023 年的按需价（约 12 美元），batch 1 的自建成本（约 13.7 美元）就超过了 GPT-4o 的输出价（10 美元），batch 64 也要约 0.76 美元。

# %% nbgrader={"grade": false, "grade_id": "price_range", "locked": true, "schema_version": 3, "solution": false}
for price in (2.0, GPU_PRICE_PER_HOUR, 7.0, 12.3):
    print(f"{price:5.2f} USD per GPU-hour: {cost_per_million(price, tps_batch1):6.2f} USD per million tokens at batch 1, "
          f"{cost_per_million(price, tps_llama2_kv):.3f} at batch 64 (1,024-token contexts)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "tokens_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A5 分词与账单（2 分）
#
# API 按 token 收费，而同样的内容用不同语言写，token 数可能差很多：这取决于分词器的词表（vocabulary）。我们用课程已经带着的真实分词器来测：作业 03 的 BERT / MiniLM 用的 WordPiece 词表（uncased，约 3 万个词条，主要是英文）。下面的单元格用 `course.presets` 找到它（离线时是 all-MiniLM-L6-v2 的词表），并给出同一段话的中文和英文版本。
#
# 计算并赋值：
#
# * `zh_tokens_per_char`：中文文本的 token 数除以它的字符数（`len(ZH_TEXT)`，标点也算字符）；
# * `en_tokens_per_word`：英文文本的 token 数除以它的词数（`len(EN_TEXT.split())`）；
# * `zh_unk_share`：中文文本的 token 里 `[UNK]`（词表里没有的字）所占的比例；
# * `bill_ratio`：同样的内容，用中文发送比用英文发送多付几倍的钱（两段文本 token 数之比：中文 / 英文）。
#
# 用 `tokenizer.tokenize(text)` 得到 token id（一个数组，不含 `[CLS]`、`[SEP]`），`tokenizer.id_to_token(i)` 把 id 变回词条。每个数 0.5 分。评分程序用它自己加载的同一个分词器（同样由 `course.presets` 决定）重新数一遍，所以老师换了预设（`COURSE_BERT_PRESET`）时，正确答案跟着词表变。
#
# 注意：这只是 **这个** 词表的结果。BERT 的 WordPiece 把每个汉字切成单独的 token，词表里没有的汉字变成 `[UNK]`（信息直接丢了）；为中文训练过的分词器（例如 Qwen、DeepSeek 的 BPE 词表）常把常见词合成一个 token，每个汉字不到一个 token。我们没有在这里测量它们（离线、没有它们的词表），所以不给数字；要点是：**账单按 token 算，先用你要用的那个模型的分词器数一数**。

# %% nbgrader={"grade": false, "grade_id": "tokenizer", "locked": true, "schema_version": 3, "solution": false}
from course.runtime import import_tensorflow

tf = import_tensorflow()  # before Keras: keeps TensorFlow's C++ start-up notices out of the notebook
import keras
import keras_hub

from course.presets import resolve_bert_preset

preset, preset_source = resolve_bert_preset()
tokenizer = keras_hub.tokenizers.BertTokenizer.from_preset(preset)
print("vocabulary size:", tokenizer.vocabulary_size())

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
print([tokenizer.id_to_token(int(i)) for i in keras.ops.convert_to_numpy(tokenizer.tokenize(EN_TEXT))][:16], "...")

# %% nbgrader={"grade": false, "grade_id": "token_numbers", "locked": false, "schema_version": 3, "solution": true}
zh_tokens_per_char = None
en_tokens_per_word = None
zh_unk_share = None
bill_ratio = None
### BEGIN SOLUTION
zh_ids = keras.ops.convert_to_numpy(tokenizer.tokenize(ZH_TEXT))
en_ids = keras.ops.convert_to_numpy(tokenizer.tokenize(EN_TEXT))
zh_tokens_per_char = len(zh_ids) / len(ZH_TEXT)
en_tokens_per_word = len(en_ids) / len(EN_TEXT.split())
zh_unk_share = sum(tokenizer.id_to_token(int(i)) == "[UNK]" for i in zh_ids) / len(zh_ids)
bill_ratio = len(zh_ids) / len(en_ids)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_token_numbers", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Are the four tokenization figures positive numbers, the [UNK] share at most 1?"""
expect_number(zh_tokens_per_char, "zh_tokens_per_char", low=0)
expect_number(en_tokens_per_word, "en_tokens_per_word", low=0)
expect_number(zh_unk_share, "zh_unk_share", low=0, high=1)
expect_number(bill_ratio, "bill_ratio", low=0)
print(f"{zh_tokens_per_char:.2f} tokens per Chinese character ({zh_unk_share:.0%} [UNK]), "
      f"{en_tokens_per_word:.2f} tokens per English word; the Chinese version costs {bill_ratio:.2f}x")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"zh_tokens_per_char": zh_tokens_per_char, "en_tokens_per_word": en_tokens_per_word,
         "zh_unk_share": zh_unk_share, "bill_ratio": bill_ratio}, "test_token_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "lora_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A6 LoRA / QLoRA 的显存（2 分）
#
# 全参数微调（full fine-tuning）一个 $d \times d$ 的权重矩阵要训练 $d^2$ 个参数。**LoRA**（Hu et al., 2021）冻结原矩阵 $W$，只训练一个低秩（low-rank）的增量 $\Delta W = A B$，$A$ 是 $d_\text{in} \times r$，$B$ 是 $r \times d_\text{out}$：可训练参数是 $r(d_\text{in} + d_\text{out})$，方阵时是 $2dr$。$r = 8$、$d = 4096$ 时，$2dr / d^2 = 2r/d \approx 0.4\%$。
#
# 显存（按作业 01 的算法）：全参数微调每个参数约 16 字节（fp16 权重和梯度、fp32 主权重、Adam 的两个动量）；LoRA 时冻结的基座只要 fp16 的权重（2 字节 / 参数，没有梯度和优化器状态），只有适配器（adapter）的参数要那 16 字节；**QLoRA**（Dettmers et al., 2023）再把冻结的基座量化成 4 bit（NF4，约 0.5 字节 / 参数；本题忽略量化常数和激活值）。keras-hub 的 backbone 用 `backbone.enable_lora(rank)` 打开 LoRA（默认加在注意力的 query 和 value 投影上）；第二部分只用它 **数** MiniLM 上 LoRA 的可训练参数，那里的 BERT 是全参数微调的（原因见 B4）。
#
# **LoRA 省什么、不省什么**：冻结的权重不需要权重梯度，也没有优化器状态，所以省下的是这两部分的显存，以及计算权重梯度（$\partial L / \partial W$，反向传播里约一半的矩阵乘法）和优化器更新的时间——LoRA 的论文（Hu et al., 2021）在 GPT-3 175B 上报告训练吞吐量提高约 25%。**不省的**是前向传播，以及把梯度传回输入（$\partial L / \partial x$）的那一半反向计算：梯度仍要穿过每一个冻结的层传到更前面的适配器。激活值的显存也基本不省。
#
# 对 Llama 2 7B（`LLAMA2_7B`，$d = 4096$，32 层），在每层的 $W_q$ 和 $W_v$ 两个 $4096 \times 4096$ 矩阵上加 rank $r = 8$ 的 LoRA。用你 01 的 `weight_memory_gb` 计算（GB = $10^9$ 字节）：
#
# * `lora_trainable`：LoRA 的可训练参数个数（整数）；
# * `full_ft_gb`：全参数微调时权重、梯度和优化器状态共多少 GB（16 字节 / 参数）；
# * `lora_gb`：LoRA 微调：fp16 的冻结基座 + 适配器每个参数 16 字节；
# * `qlora_gb`：QLoRA：int4 的冻结基座 + 适配器每个参数 16 字节。
#
# 每个数 0.5 分。

# %% nbgrader={"grade": false, "grade_id": "lora_numbers", "locked": false, "schema_version": 3, "solution": true}
D_MODEL, LORA_RANK, ADAPTED_PER_LAYER = 4096, 8, 2
lora_trainable = None
full_ft_gb = None
lora_gb = None
qlora_gb = None
### BEGIN SOLUTION
lora_trainable = LLAMA2_7B["n_layers"] * ADAPTED_PER_LAYER * LORA_RANK * (D_MODEL + D_MODEL)
full_ft_gb = LLAMA2_7B["n_params"] * 16 / 1e9
adapter_gb = lora_trainable * 16 / 1e9
lora_gb = weight_memory_gb(LLAMA2_7B["n_params"], "fp16") + adapter_gb
qlora_gb = weight_memory_gb(LLAMA2_7B["n_params"], "int4") + adapter_gb
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_lora_numbers", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Are the LoRA figures positive, the trainable count a whole number?"""
expect_number(lora_trainable, "lora_trainable", low=1, integer=True)
for name in ("full_ft_gb", "lora_gb", "qlora_gb"):
    expect_number(globals()[name], name, low=0)
print(f"LoRA trains {lora_trainable:,} parameters; memory: full {full_ft_gb:.1f} GB, LoRA {lora_gb:.1f} GB, QLoRA {qlora_gb:.2f} GB")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"lora_trainable": lora_trainable, "full_ft_gb": full_ft_gb, "lora_gb": lora_gb, "qlora_gb": qlora_gb}, "test_lora_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "moe_intro", "locked": true, "schema_version": 3, "solution": false}
# ### A7 混合专家模型：总参数与激活参数（2 分）
#
# MoE 层把一个大的前馈层（FFN）换成多个"专家"（experts），路由器（router）给每个 token 只挑几个专家。Mixtral 8x7B 每层 8 个专家、每个 token 用 2 个：总参数约 467 亿，每个 token 激活约 129 亿（注意力层是共享的，所以不是 8 × 7B）。
#
# * `moe_weight_gb`：fp16 时 **全部** 权重占多少 GB（用 `weight_memory_gb`）；
# * `moe_gflops_per_token`：每个 token 的计算量（GFLOPs，$2 \times$ 激活参数 / $10^9$）；
# * `dense_gflops_per_token`：同样总参数的稠密模型每个 token 的计算量（GFLOPs）。
#
# 三个数共 1 分（全对才得分）。再回答单选题 `q_moe`（1 分）：MoE 省下的是什么？
#
# * A. 显存：只需要把激活的专家放进显存，其余专家的权重不占显存；
# * B. 每个 token 的计算量（和 batch 1 时要读的权重字节数），但所有专家的权重都必须放在显存里（或者以很大的延迟从别处加载）；
# * C. 训练数据：每个专家只需要看到八分之一的数据，所以总的训练 token 数可以减少；
# * D. 什么都不省：总参数量一样，成本就一样。

# %% nbgrader={"grade": false, "grade_id": "moe_numbers", "locked": false, "schema_version": 3, "solution": true}
moe_weight_gb = None
moe_gflops_per_token = None
dense_gflops_per_token = None
q_moe = None  # one letter, e.g. "A"
### BEGIN SOLUTION
moe_weight_gb = weight_memory_gb(MIXTRAL_TOTAL_PARAMS, "fp16")
moe_gflops_per_token = 2 * MIXTRAL_ACTIVE_PARAMS / 1e9
dense_gflops_per_token = 2 * MIXTRAL_TOTAL_PARAMS / 1e9
q_moe = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_moe_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the three MoE figures positive numbers?"""
for name in ("moe_weight_gb", "moe_gflops_per_token", "dense_gflops_per_token"):
    expect_number(globals()[name], name, low=0)
print(f"Mixtral 8x7B: {moe_weight_gb:.1f} GB of fp16 weights, {moe_gflops_per_token:.1f} GFLOPs per token "
      f"(a dense model of the same size: {dense_gflops_per_token:.1f})")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"moe_weight_gb": moe_weight_gb, "moe_gflops_per_token": moe_gflops_per_token,
         "dense_gflops_per_token": dense_gflops_per_token}, "test_moe_numbers")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q_moe", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is q_moe one of the letters A-D?"""
expect_choice(q_moe, "ABCD", "q_moe")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q_moe": q_moe}, "test_q_moe")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "why_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### A8 书面回答：价格为什么会降（3 分，人工评分）
#
# 面试题："过去两年大模型 API 的价格降了一到两个数量级，为什么能降？"用你在 A1–A7 里算出的数字回答（不要只列名词），至少讲三个原因，每个原因说清楚它省的是 **显存、带宽还是算力**，以及它怎样变成更低的每百万 token 成本。最后说一个这些计算没有考虑、但真实定价要考虑的因素。5–8 句话。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分）**
#
# 数字按"跟随"原则评分：学生引用自己在 A1–A7 算出的数字、推理与这些数字一致即可。参考值：Llama 2 7B fp16 batch 1 约 249 tokens/s，只算权重时 batch 64 的上限约 1.6 万 tokens/s、拐点约 295；算上 KV cache（batch 64、每个序列 1,024 token）约 4,480 tokens/s（每一步读的字节 72% 是 KV cache），Llama 3 8B（GQA）约 8,700 tokens/s；每百万 token 约 3.35 美元（batch 1）→ 约 0.19 美元（batch 64，算上 KV cache；只算权重会得出 0.05 美元）；Llama 2 7B 每 token 0.5 MiB KV cache、30 个 4k 用户，Llama 3 8B 0.125 MiB、119 个；LoRA 约 419 万可训练参数，显存约 108 → 13.5 → 3.4 GB；Mixtral 93.4 GB 权重、每 token 25.8 GFLOPs。
#
# 1. 三个原因各 0.75 分（最多 2.25 分），每个原因要有：机制 + 省的是哪种资源 + 一个数字。例如：
#    - 批处理：batch 1 时 memory-bound，batch 增大时同样读一遍权重服务更多请求；但每个序列的 KV cache 仍要各读一遍，所以 batch 64 只快约 18 倍（不是 64 倍），成本从约 3.35 降到约 0.19 美元；
#    - 量化：每个参数的字节数减半，batch 1 的解码速度约翻倍、显存省下来放更多 KV cache；
#    - GQA / KV cache 压缩：KV cache 小 4 倍，每一步要读的字节少了（batch 64 时吞吐量约 1.9 倍），并发用户也从 30 到 119，batch 能更大；
#    - MoE：每 token 计算量只有同规模稠密模型的约 28%，但权重显存不省；
#    - LoRA / QLoRA：微调（定制模型）的显存从约 108 GB 降到约 3.4 GB，一张消费级卡就能做；
#    - 蒸馏 / 剪枝：更小的模型（第二部分的测量）。
#    只有机制没有数字或没有说省的资源：每个 0.5 分；只有名词：0 分。把批处理说成"batch 64 便宜 64 倍"而不提 KV cache 的：该原因最多 0.5 分。
# 2. 一个没有考虑的因素（0.75 分）：GPU 的利用率 / 空闲时间、预填充（prefill）阶段是 compute-bound、注意力的计算随上下文增长、延迟要求限制 batch 大小、GPU 的租用价格本身（大云厂商的按需价是本题假设的 3–4 倍）、硬件折旧与电费、厂商的竞争和补贴定价、模型质量差异等。说得出一个并解释为什么影响价格：0.75 分；只列名词：0.25 分。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "why_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 第一是批处理：Llama 2 7B fp16 在 H100 上 batch 1 只有约 249 tokens/s，因为解码是 memory-bound，每个 token 都要把 13.5 GB 权重读一遍；batch 64 时同样读一遍权重服务 64 个请求，但每个序列 1,024 个 token 的 KV cache 也要各读一遍（每一步 34 GB，占读取量的 72%），所以是约 4,480 tokens/s、快约 18 倍，每百万 token 的成本从约 3.35 美元降到约 0.19 美元。省的是带宽：一次读取的权重被更多请求共用。
# 第二是减小 KV cache：GQA 让 Llama 3 8B 每个 token 的 KV cache 从 0.5 MiB 降到 0.125 MiB，同样 batch 64 时每一步要读的字节少得多，吞吐量约 8,700 tokens/s（Llama 2 的 1.9 倍）；一张 80 GB 卡上 4k 上下文的并发用户也从 30 个增加到 119 个，batch 能更大。省的是带宽和显存。
# 第三是量化：int8 / int4 把每个参数的字节数减半或减到四分之一，batch 1 时要读的字节数同比例下降，解码速度近似翻倍，省下的显存还能放更多 KV cache。
# 第四是 MoE：Mixtral 每个 token 只算 25.8 GFLOPs，是同样 467 亿参数稠密模型的约 28%，省的是算力（和 batch 1 时的带宽），但 93 GB 权重一点不少。
# 另外 LoRA / QLoRA 把定制一个 7B 模型的显存从约 108 GB 降到约 3.4 GB，让微调也便宜了。
# 这些计算没有考虑 GPU 的利用率：真实服务有波峰波谷，空闲时间的租金也要摊到 token 上，延迟要求也限制了 batch 的大小，所以实际价格高于理论下限；GPU 的租金本身也差好几倍（大云厂商的按需价约是这里假设的 3–4 倍）；反过来，厂商之间的竞争和补贴也会让价格低于成本。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "lab_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第二部分 在真实模型上测量压缩（10 分自动评分，2 分人工评分）
#
# 先训练一个参考 CNN（和作业 02 的满分结构相同：两组 `Conv2D` + `MaxPooling2D`、`Dropout`、`Dense(128)`），只是最后一层 **不加 softmax**，直接输出 logits，损失用 `from_logits=True`：蒸馏需要 logits（温度要除在 logits 上）。它是下面所有压缩版本的起点，也是蒸馏的 teacher。训练轮数和 batch 大小来自硬件配置（profile），CPU 配置下只用离线的 5,000 张训练图，所以整个 notebook 能在 5 分钟内跑完。
#
# **Keras 3.15 实际提供了什么**（我们在课程环境里逐一运行过）：
#
# * `Model.quantize("int8")` / `"int4"`：只量化 `Dense`、`EinsumDense`、`Embedding` 层；**`Conv2D` 没有 `quantize` 方法，保持 float32**。int8 是按输出通道（per-channel）的对称 abs-max 量化，权重存成 `int8` 加一个 float32 的 scale；int4 按块（block，每块 128 个输入）做带零点（zero-point）的非对称量化：两个 4 bit 的值打包进一个 `int8`，每块每个输出存一个 float32 的 scale 和一个 int8 的零点，每个输入还存一个 float32 的下标（`g_idx`，记录输入属于哪一块）。这些元数据正是作业 01 里"每个权重不止 4 bit"的那笔账（B1 之后算给你看）。
# * `keras.distillation.Distiller` 和 `keras.distillation.LogitsDistillation` 存在；但 `LogitsDistillation` 的默认参数 `loss="kl_divergence"` 在 3.15.1 里是 **错的**：字符串被转成函数 `keras.losses.kl_divergence`，而不是 `KLDivergence` 类的实例，于是库里只对后者做的 softmax（和 $T^2$）被跳过，KL 直接算在除以 $T$ 的 logits 上（负数被截断），学生学到的是噪声（我们测到 0.45 的准确率）。所以下面显式传入 `loss=keras.losses.KLDivergence()`：这时库里计算的正是作业 01 的 $T^2 \cdot \mathrm{KL}(p^{(t)} \| p^{(s)})$。
# * 剪枝：Keras 3 没有剪枝 API（TensorFlow Model Optimization Toolkit 只支持 Keras 2）。你用 01 的 `magnitude_prune` 剪，`course.compression.KeepPruned` 在微调时每个 batch 之后把剪掉的权重重新置 0。
# * keras-hub 的 `backbone.enable_lora(rank)` 存在；B4 只用它数 LoRA 的可训练参数，BERT 本身是全参数微调的（原因见 B4）。
#
# 成本按 A4 的公式：用测得的每个 batch 的延迟和一个 **写明的** 硬件价格算每百万次预测的成本。这里的"硬件"是运行 notebook 的这台机器；我们 **假设** 它相当于一台 2 vCPU 的云服务器，每小时 0.10 美元（`CPU_PRICE_PER_HOUR`，只是为了计算）。

# %% nbgrader={"grade": false, "grade_id": "lab_setup", "locked": true, "schema_version": 3, "solution": false}
import os
import time

import matplotlib.pyplot as plt

from course import compression
from course.data import load_mnist
from course.profiles import get_profile

profile = get_profile()
SEED = 42
CPU_PRICE_PER_HOUR = 0.10  # USD, an assumption: a 2-vCPU cloud machine
LATENCY_BATCH = 256  # images per timed forward pass
WORK_DIR = "compressed_models"
os.makedirs(WORK_DIR, exist_ok=True)
notebook_started = time.monotonic()

(x_train, y_train), (x_test, y_test) = load_mnist()
if profile.compress_train_limit is not None:
    x_train, y_train = x_train[: profile.compress_train_limit], y_train[: profile.compress_train_limit]
x_train = (x_train.astype("float32") / 255.0)[..., np.newaxis]
x_test = (x_test.astype("float32") / 255.0)[..., np.newaxis]
latency_batch = x_test[:LATENCY_BATCH]
TEACHER_EPOCHS, BATCH_SIZE = profile.mnist_epochs, profile.mnist_batch_size
LOGITS_LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # the models below output logits
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}; profile {profile.name}: "
      f"{len(x_train):,} training digits, {TEACHER_EPOCHS} epochs, batch {BATCH_SIZE}")

# %% nbgrader={"grade": false, "grade_id": "teacher", "locked": true, "schema_version": 3, "solution": false}
def build_reference_cnn():
    """The CNN of assignment 02, returning logits (no softmax) so that it can teach by distillation."""
    cnn = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(rate=0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ],
        name="reference_cnn",
    )
    cnn.compile(optimizer="adam", loss=LOGITS_LOSS, metrics=["accuracy"])
    return cnn


keras.utils.set_random_seed(SEED)
started = time.monotonic()
teacher = build_reference_cnn()
teacher.fit(x_train, y_train, epochs=TEACHER_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
print(f"reference CNN: {teacher.count_params():,} parameters, trained in {time.monotonic() - started:.0f} s, "
      f"test accuracy {compression.accuracy(teacher, x_test, y_test):.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "measure_intro", "locked": true, "schema_version": 3, "solution": false}
# 下面的 `measure` 给每个版本量四个数：准确率（10,000 张测试图）、权重字节数（`compression.weight_bytes`：每个变量的元素个数乘以它的 dtype 的字节数，不含优化器状态）、保存成 `.keras` 文件的大小，以及一个 batch（256 张图）的中位数延迟；再用你的 `cost_per_million` 算每百万次预测的成本。
#
# 注意文件大小：一个训练过的模型的 `.keras` 文件里还存着 **优化器状态**（Adam 的两个动量，各和权重一样大），所以它是权重的约 3 倍。部署时不需要它们，所以下面保存的是一个不带优化器的副本 `deployable(model)`：用 `from_config` 按同样的结构新建、再复制权重。（`keras.models.clone_model` 不行：我们实测过，它连编译状态一起复制，保存的文件里仍有优化器状态。）

# %% nbgrader={"grade": false, "grade_id": "measure", "locked": true, "schema_version": 3, "solution": false}
results = {}


def deployable(model):
    """An uncompiled copy with the same weights: what a server loads (no optimizer state)."""
    copy = model.__class__.from_config(model.get_config())  # clone_model would copy the compile state too
    copy.set_weights(model.get_weights())
    return copy


def measure(name, model, note=""):
    """Measures a variant of the CNN and records it in `results`."""
    path = os.path.join(WORK_DIR, f"{name}.keras")
    model.save(path)
    latency = compression.latency_ms(model, latency_batch)
    results[name] = {
        "accuracy": compression.accuracy(model, x_test, y_test),
        "params": int(model.count_params()),
        "weight_bytes": compression.weight_bytes(model),
        "file_bytes": os.path.getsize(path),
        "latency_ms": latency,
        "cost_per_million": cost_per_million(CPU_PRICE_PER_HOUR, LATENCY_BATCH / (latency / 1000.0)),
        "note": note,
    }
    r = results[name]
    print(f"{name:>14}: accuracy {r['accuracy']:.4f}, weights {r['weight_bytes'] / 1e3:,.0f} kB, "
          f"file {r['file_bytes'] / 1e3:,.0f} kB, {r['latency_ms']:.1f} ms per {LATENCY_BATCH} images, "
          f"{r['cost_per_million']:.4f} USD per million predictions")


float_model = deployable(teacher)
print(f"the trained model's own .keras file, optimizer state included: {compression.saved_size(teacher) / 1e3:,.0f} kB")
measure("float32", float_model, "the reference CNN")

# %% [markdown] nbgrader={"grade": false, "grade_id": "quantize_intro", "locked": true, "schema_version": 3, "solution": false}
# ### B1 int8 量化（3 分）
#
# 实现 `quantized_copy(model, mode)`：返回一个 **新** 模型：和 `model` 结构、权重都相同的未编译副本（用上面的 `deployable`），调用它的 `quantize(mode)` 后返回。不要改动传入的模型（后面剪枝和蒸馏还要用 float 的 teacher）。然后把 int8 版本命名为 `int8_model`，int4 版本命名为 `int4_model`。
#
# 评分程序在它自己的进程里加载你交上去的 `int8_model`，检查：
#
# * 它真的被量化了：每个 `Dense` 层的 kernel 都以 `int8` 存储（`quantization_mode == "int8"`），卷积层照原样（Keras 不量化 `Conv2D`）；
# * 文件里存的权重字节数不超过同一个模型用 float32 存储时的 `profile.compress_int8_max_weight_ratio` 倍（约三分之一：卷积层的 float32 权重让它比四分之一大）；
# * 评分程序测得的测试准确率不低于 `profile.compress_int8_min_accuracy`（作业 02 的准确率要求再放宽一点：量化允许的准确率损失）。

# %% nbgrader={"grade": false, "grade_id": "quantized_copy", "locked": false, "schema_version": 3, "solution": true}
def quantized_copy(model, mode):
    """Returns an uncompiled copy of model with its Dense layers quantized to mode ("int8" or "int4")."""
    ### BEGIN SOLUTION
    copy = deployable(model)
    copy.quantize(mode)
    return copy
    ### END SOLUTION


int8_model = None
int4_model = None
### BEGIN SOLUTION
int8_model = quantized_copy(teacher, "int8")
int4_model = quantized_copy(teacher, "int4")
### END SOLUTION
measure("int8", int8_model, "Model.quantize('int8'): Dense kernels int8, Conv2D float32")
measure("int4", int4_model, "Model.quantize('int4'): Dense kernels packed int4, Conv2D float32")
print("int8 model's weights:", [(w.path, w.dtype) for w in int8_model.weights if "dense" in w.path])

# %% nbgrader={"grade": true, "grade_id": "test_int8_model", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Is int8_model a Keras model whose Dense kernels are stored as int8?"""
assert isinstance(int8_model, keras.Model), "int8_model should be a Keras model"
assert int8_model is not teacher, "quantize a copy, not the reference CNN itself"
dense_kernels = [w for w in int8_model.weights if w.path.endswith("kernel") and "dense" in w.path]
assert dense_kernels and all(w.dtype == "int8" for w in dense_kernels), "the Dense kernels should be stored as int8"
print(f"int8: {results['int8']['weight_bytes'] / results['float32']['weight_bytes']:.3f} of the float32 weight bytes")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(int8_model, "test_int8_model")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "latency_note", "locked": true, "schema_version": 3, "solution": false}
# **看延迟**：这个 CNN 的 int8 / int4 版本在这台 CPU 上 **并不更快**。我们跑了两次完整的 notebook：每个 batch 的中位数延迟，float32 / int8 / int4 第一次是 14.0 / 16.7 / 17.2 ms，第二次是 24.6 / 17.4 / 14.4 ms——差别在测量噪声（机器上的其他负载）之内，两次的先后顺序甚至相反。Keras 的 int8 `Dense` 在每次调用时先把输入（激活值）量化成 int8、做整数矩阵乘法、再反量化（dequantize）；int4 还要先解包；TensorFlow 的 CPU 后端没有为这种模式优化的整数内核，而这个小 CNN 本来就不是 memory-bound。BERT 上差别就清楚了：int8 版本每个 batch 都更慢，但慢多少取决于机器和它上面的负载：我们在安静的 2 核机器上两次测到约 2.2 倍，机器忙的时候测到过约 5 倍。原因在 Keras 的 int8 `EinsumDense` 里（我们读过 Keras 3.15.1 的源码）：每次调用都要先把激活值量化成 int8（求 abs-max、相除、取整），再做矩阵乘法——TensorFlow 在 CPU 上要么用一个没有为这种形状优化的 int8 × int8 → int32 矩阵乘法，要么干脆把 int8 转回浮点数再乘——最后把结果除以两个 scale 反量化（dequantize）。这些逐元素运算和内存读写都是多出来的，而矩阵乘法本身也不比 oneDNN 优化过的 float32 内核快（TensorFlow 运行时自己会打印一行：oneDNN 只在支持 AVX-512 的 CPU 上提供 int8 内核，否则退回通用的 Eigen 实现——我们的 2 核机器就是这样）；BERT 的时间几乎都花在这些层上，所以慢得明显。量化能否加速取决于 **推理引擎有没有对应的低精度内核**（TensorRT、TFLite、llama.cpp、vLLM 等），以及模型是不是 memory-bound（大模型 batch 1 解码正是，见 A1）。这里真正省下的是 **存储和内存**。所以下面的成本（由延迟算出）对 CNN 的 float32、int8、int4 来说差别不可靠；你的机器上可能又是另一个顺序。

# %% [markdown] nbgrader={"grade": false, "grade_id": "int4_bits_intro", "locked": true, "schema_version": 3, "solution": false}
# **int4 为什么是 194 kB，而不是 float32 的八分之一？** 两个原因。第一，`Conv2D` 没有被量化，它们的 float32 权重（约 75 kB）原样留着。第二，就是作业 01 讲过的元数据：Keras 的 int4 把两个 4 bit 的值打包进一个字节，但每 128 个输入一块（block），每块、每个输出还要存一个 float32 的 scale 和一个 int8 的零点，每个输入再存一个 float32 的下标 `g_idx`。下面的单元格把每个 int4 `Dense` 层的字节拆开，算出 **包括元数据在内的每个权重的比特数**：大的那层（1,600 × 128）约 4.6 bit，最后那层（128 × 10）只有 1,280 个权重，元数据摊不开，超过 7 bit。01 的估算（每 128 个一组、fp16 scale：约 4.1 bit）更省，是因为这里 scale 用 float32、还多了零点和 `g_idx`。

# %% nbgrader={"grade": false, "grade_id": "int4_bits", "locked": true, "schema_version": 3, "solution": false}
def variable_bytes(variable):
    """Bytes a variable takes as stored."""
    return int(keras.ops.convert_to_numpy(variable).nbytes)


for layer in int4_model.layers:
    if getattr(layer, "quantization_mode", None) != "int4":
        continue
    parts = {v.path.rsplit("/", 1)[-1]: variable_bytes(v) for v in layer.weights}
    n_weights = int(parts["g_idx"] // 4) * layer.units  # one float32 g_idx entry per input
    metadata = parts["kernel_scale"] + parts["kernel_zero"] + parts["g_idx"]
    print(f"{layer.name}: {n_weights:,} weights; packed int4 {parts['kernel']:,} B, scales {parts['kernel_scale']:,} B, "
          f"zero-points {parts['kernel_zero']:,} B, g_idx {parts['g_idx']:,} B -> "
          f"{8 * (parts['kernel'] + metadata) / n_weights:.2f} bits per weight")
conv_bytes = sum(variable_bytes(v) for layer in int4_model.layers if isinstance(layer, keras.layers.Conv2D) for v in layer.weights)
print(f"Conv2D layers (float32): {conv_bytes:,} B of the int4 model's {compression.weight_bytes(int4_model):,} B")

# %% [markdown] nbgrader={"grade": false, "grade_id": "prune_intro", "locked": true, "schema_version": 3, "solution": false}
# ### B2 剪枝到 50 / 80 / 90% 的稀疏度（3 分）
#
# 实现 `prune_model(model, sparsity)`：对 `model` 的每个 `Conv2D` 和 `Dense` 层的 kernel（`compression.prunable_kernels(model)` 按顺序给出这些变量），用你 01 的 `magnitude_prune` 把它剪到 `sparsity`（每个 kernel 各自剪，偏置 bias 不剪），用 `variable.assign(...)` 写回模型；返回一个字典 `{variable.path: 布尔数组}`，`True` 表示保留的权重（即剪完后不为 0 的位置）。
#
# 然后对 50%、80%、90% 三个稀疏度各做一次：从 teacher 复制一份（`deployable`），剪枝，**重新编译**（`compile`，学习率 `5e-4` 的 Adam、`loss=LOGITS_LOSS`），用 `compression.KeepPruned(model, masks).callback()` 微调 `profile.compress_finetune_epochs` 轮（batch 大小 `BATCH_SIZE`）。没有这个 callback，优化器的每一步都会让被剪掉的权重重新变成非零，稀疏度就没了。把三个模型放进字典 `pruned_models = {0.5: ..., 0.8: ..., 0.9: ...}`。
#
# 评分程序检查 80% 的那个模型（`pruned_models[0.8]`）：所有 `Conv2D` 和 `Dense` kernel 里恰好为 0 的比例至少是 `profile.compress_pruned_sparsity`，测试准确率不低于 `profile.compress_pruned_min_accuracy`。
#
# **稀疏的模型并没有变小**——除非以稀疏格式存储或运行。`.keras` 文件里 0 也是 4 个字节，稠密的矩阵乘法也照样乘 0。下面的 `measure` 会显示文件大小和延迟都没变；真正变小的是 **压缩后** 的大小（gzip：0 很好压缩；`compression.gzip_size` 只压缩部署时的权重，不含优化器状态）和 **稀疏格式**（每个非零值存值和一个下标，`compression.sparse_bytes`：90% 稀疏时约为稠密的 20%，80% 时约 40%，50% 时反而和稠密一样大）。要让稀疏变成速度，需要稀疏内核或结构化稀疏（例如 NVIDIA 的 2:4 稀疏）。

# %% nbgrader={"grade": false, "grade_id": "prune_model", "locked": false, "schema_version": 3, "solution": true}
def prune_model(model, sparsity):
    """Prunes each Conv2D and Dense kernel of model to the given sparsity in place; returns {path: kept mask}."""
    ### BEGIN SOLUTION
    masks = {}
    for kernel in compression.prunable_kernels(model):
        pruned = magnitude_prune(keras.ops.convert_to_numpy(kernel), sparsity)
        kernel.assign(pruned)
        masks[kernel.path] = pruned != 0
    return masks
    ### END SOLUTION


pruned_models = {}
### BEGIN SOLUTION
for target in (0.5, 0.8, 0.9):
    keras.utils.set_random_seed(SEED)
    pruned = deployable(teacher)
    masks = prune_model(pruned, target)
    pruned.compile(optimizer=keras.optimizers.Adam(5e-4), loss=LOGITS_LOSS, metrics=["accuracy"])
    pruned.fit(x_train, y_train, epochs=profile.compress_finetune_epochs, batch_size=BATCH_SIZE,
               verbose=0, callbacks=[compression.KeepPruned(pruned, masks).callback()])
    pruned_models[target] = pruned
### END SOLUTION
for target, pruned in sorted(pruned_models.items()):
    name = f"pruned {target:.0%}"
    measure(name, deployable(pruned), "magnitude pruning, fine-tuned with the masks kept")
    results[name].update(sparsity=compression.sparsity(pruned), gzip_bytes=compression.gzip_size(pruned),
                         sparse_bytes=compression.sparse_bytes(pruned))
    print(f"{'':>16}sparsity {results[name]['sparsity']:.3f}, gzip {results[name]['gzip_bytes'] / 1e3:,.0f} kB, "
          f"sparse format {results[name]['sparse_bytes'] / 1e3:,.0f} kB")
results["float32"].update(gzip_bytes=compression.gzip_size(float_model), sparse_bytes=compression.sparse_bytes(float_model))

# %% nbgrader={"grade": true, "grade_id": "test_pruned_model", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Does pruned_models hold a Keras model for each of 0.5, 0.8 and 0.9?"""
assert isinstance(pruned_models, dict) and sorted(pruned_models) == [0.5, 0.8, 0.9], "pruned_models should have the keys 0.5, 0.8, 0.9"
assert all(isinstance(m, keras.Model) for m in pruned_models.values()), "each value should be a Keras model"
print({k: round(compression.sparsity(m), 3) for k, m in pruned_models.items()})
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(pruned_models[0.8], "test_pruned_model")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "distill_intro", "locked": true, "schema_version": 3, "solution": false}
# ### B3 蒸馏：参数量不到十分之一的 student（3 分）
#
# 实现 `build_student()`：返回一个 **新的、未编译的** CNN，输入 `(28, 28, 1)`，输出 10 个 logits（最后一层不加激活），参数量不超过 teacher 的十分之一（`profile.compress_student_max_params`）。提示：两组很窄的 `Conv2D`（例如 8 和 16 个卷积核）+ `MaxPooling2D`，`Flatten`，一个小的 `Dense`，约 1.4 万个参数。只用标准 Keras 层（评分程序用 safe mode 加载）。
#
# 然后：
#
# 1. 用 `keras.distillation.Distiller`（参数依次是 teacher、student、蒸馏损失 `keras.distillation.LogitsDistillation(temperature=4.0, loss=keras.losses.KLDivergence())`，再加 `student_loss_weight=0.1`）蒸馏：总损失 = 0.1 × 硬标签的交叉熵 + 0.9 × $T^2 \cdot \mathrm{KL}$（作业 01 的公式，$T = 4$）。`compile` 时 `optimizer="adam"`、`loss=LOGITS_LOSS`（上面定义的 `from_logits=True` 的交叉熵），训练 `profile.compress_student_epochs` 轮、batch 大小 `BATCH_SIZE`。蒸馏后的 student 命名为 `student`；
# 2. 用 **同样的结构、同样的种子、同样的轮数**，只用硬标签训练一个对照组（twin），命名为 `twin`。
#
# 两次训练前都调用 `keras.utils.set_random_seed(SEED)`，让两个模型从同样的初始权重出发，差别只来自 teacher 的软标签。评分程序检查 `student`：参数量不超过预算，测试准确率不低于 `profile.compress_student_min_accuracy`（这个阈值来自四个种子的实测：蒸馏的 student 是 0.9562–0.9643，只用标签的 twin 是 0.9509–0.9614，所以 twin 也都过了 0.94——阈值量的是 student 离 teacher 有多远，不区分二者；蒸馏的好处是每个种子上 student 都比 twin 高，高 0.21–0.56 个百分点，见 `course/profiles.py`）。

# %% nbgrader={"grade": false, "grade_id": "build_student", "locked": false, "schema_version": 3, "solution": true}
def build_student():
    """Returns a new, uncompiled small CNN (28x28x1 -> 10 logits) with at most a tenth of the teacher's parameters."""
    ### BEGIN SOLUTION
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(8, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(16, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10),
        ],
        name="student_cnn",
    )
    ### END SOLUTION


student = None
twin = None
### BEGIN SOLUTION
keras.utils.set_random_seed(SEED)
student = build_student()
kd_loss = keras.distillation.LogitsDistillation(temperature=4.0, loss=keras.losses.KLDivergence())
distiller = keras.distillation.Distiller(teacher, student, kd_loss, student_loss_weight=0.1)
distiller.compile(optimizer="adam", loss=LOGITS_LOSS)
distiller.fit(x_train, y_train, epochs=profile.compress_student_epochs, batch_size=BATCH_SIZE, verbose=0)

keras.utils.set_random_seed(SEED)
twin = build_student()
twin.compile(optimizer="adam", loss=LOGITS_LOSS)
twin.fit(x_train, y_train, epochs=profile.compress_student_epochs, batch_size=BATCH_SIZE, verbose=0)
### END SOLUTION
measure("distilled", deployable(student), "distilled student (T = 4)")
measure("label-only twin", deployable(twin), "same student trained on labels only")

# %% nbgrader={"grade": true, "grade_id": "test_distilled_student", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Is student a Keras model within the parameter budget, with a twin of the same size?"""
assert isinstance(student, keras.Model) and isinstance(twin, keras.Model), "student and twin should be Keras models"
assert student.count_params() <= profile.compress_student_max_params, (
    f"the student has {student.count_params():,} parameters, over the budget of {profile.compress_student_max_params:,}")
assert twin.count_params() == student.count_params(), "the twin should have the student's structure"
print(f"student: {student.count_params():,} parameters ({student.count_params() / teacher.count_params():.1%} of the teacher)")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(student, "test_distilled_student")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "bert_intro", "locked": true, "schema_version": 3, "solution": false}
# ### B4 把作业 03 的 BERT 分类器量化成 int8（不单独计分，进入 B5 的测量表）
#
# 作业 03 在 CPU 上微调 BERT 要 4 分钟，超出了这份作业的时间预算。这里用同样的配方（AdamW、10% 线性 warm-up 后 cosine 衰减到 0，峰值学习率 `1e-4`）快速微调一个同样的 `BertTextClassifier`（离线时是 all-MiniLM-L6-v2 的权重），但序列更短（`profile.compress_bert_sequence_length` 个 token）、评论更少（`profile.compress_bert_train_size` 条训练、`profile.compress_bert_eval_size` 条评估）。所以这里的准确率比作业 03 低，只用来比较 float32 和 int8 **之间** 的差别。
#
# **LoRA 呢？这里只数，不用它训练。** `backbone.enable_lora(rank)` 在 keras-hub 0.32 里确实存在，下面的单元格用它数一数 MiniLM 上 rank 4 的 LoRA 要训练多少参数（A6 的公式在真实模型上的样子），然后把这个探针模型删掉。真正微调的 `bert` 是 **全参数** 微调的：我们实测过，在同样的 CPU 预算里用 rank 4、学习率 1e-3 的 LoRA 训练 800 条评论一轮（50 步），准确率停在 0.50（随机水平）。只有几十步时，从零初始化的低秩增量还来不及学到东西；LoRA 通常要比全参数微调更高的学习率和更多的步数。LoRA 在这里能省的（权重梯度和优化器状态，见 A6）在一个 2,270 万参数的模型上本来也不多。
#
# 然后 `bert.quantize("int8")`：所有 `EinsumDense`（注意力投影、前馈层）、`Dense` 和 `Embedding` 都变成 int8。运行下面两个单元格即可。

# %% nbgrader={"grade": false, "grade_id": "bert_finetune", "locked": true, "schema_version": 3, "solution": false}
from course.checks.bert import evaluation_sample
from course.data import load_imdb_arrays

(imdb_train_texts, imdb_train_labels), (imdb_test_texts, imdb_test_labels) = load_imdb_arrays()
train_index = np.random.default_rng(SEED).permutation(len(imdb_train_texts))[: profile.compress_bert_train_size]
bert_train_texts = [imdb_train_texts[i] for i in train_index]
bert_train_labels = np.asarray(imdb_train_labels)[train_index]
bert_eval_texts, bert_eval_labels = evaluation_sample(imdb_test_texts, imdb_test_labels, profile.compress_bert_eval_size)

lora_probe = keras_hub.models.BertBackbone.from_preset(preset)
lora_probe.enable_lora(rank=4)
lora_trainable_minilm = sum(int(np.prod(w.shape)) for w in lora_probe.trainable_weights)
print(f"LoRA rank 4 on the backbone's query and value projections: {lora_trainable_minilm:,} trainable of "
      f"{lora_probe.count_params():,} parameters ({lora_trainable_minilm / lora_probe.count_params():.2%})")
del lora_probe

keras.utils.set_random_seed(SEED)
started = time.monotonic()
bert_prep = keras_hub.models.BertTextClassifierPreprocessor.from_preset(preset, sequence_length=profile.compress_bert_sequence_length)
bert = keras_hub.models.BertTextClassifier.from_preset(preset, num_classes=2, preprocessor=bert_prep)
bert_steps = math.ceil(len(bert_train_texts) / 16)
bert.compile(
    optimizer=keras.optimizers.AdamW(
        keras.optimizers.schedules.CosineDecay(0.0, bert_steps, warmup_target=1e-4, warmup_steps=max(1, bert_steps // 10)),
        weight_decay=0.01,
    ),
    loss=LOGITS_LOSS,
)
bert.fit(bert_train_texts, bert_train_labels, batch_size=16, epochs=1, verbose=0)
print(f"BERT: {bert.count_params():,} parameters, fine-tuned on {len(bert_train_texts):,} reviews of "
      f"{profile.compress_bert_sequence_length} tokens in {time.monotonic() - started:.0f} s")

# %% nbgrader={"grade": false, "grade_id": "bert_quantize", "locked": true, "schema_version": 3, "solution": false}
BERT_LATENCY_BATCH = 32
bert_latency_batch = bert_eval_texts[:BERT_LATENCY_BATCH]


def measure_bert(name, model, note):
    """Measures a BERT variant on the held-out reviews and records it in `results`."""
    path = os.path.join(WORK_DIR, f"bert_{name}.keras")
    model.save(path)
    logits = np.asarray(model.predict(bert_eval_texts, batch_size=BERT_LATENCY_BATCH, verbose=0))
    latency = compression.latency_ms(model, bert_latency_batch, repeats=3, warmup=1)
    results[f"BERT {name}"] = {
        "accuracy": float(np.mean(np.argmax(logits, axis=-1) == bert_eval_labels)),
        "params": int(model.count_params()),
        "weight_bytes": compression.weight_bytes(model),
        "file_bytes": os.path.getsize(path),
        "latency_ms": latency,
        "cost_per_million": cost_per_million(CPU_PRICE_PER_HOUR, BERT_LATENCY_BATCH / (latency / 1000.0)),
        "note": note,
    }
    r = results[f"BERT {name}"]
    print(f"BERT {name}: accuracy {r['accuracy']:.3f} on {len(bert_eval_labels)} reviews, weights {r['weight_bytes'] / 1e6:.1f} MB, "
          f"file {r['file_bytes'] / 1e6:.1f} MB, {latency:.0f} ms per {BERT_LATENCY_BATCH} reviews, "
          f"{r['cost_per_million']:.3f} USD per million predictions")


bert.compile(loss=LOGITS_LOSS)  # a fresh, unbuilt optimizer: the file holds no optimizer state
measure_bert("float32", bert, "fine-tuned MiniLM classifier")
started = time.monotonic()
bert.quantize("int8")
print(f"quantized in {time.monotonic() - started:.0f} s; int8 weights: {sum(w.dtype == 'int8' for w in bert.weights)} of {len(bert.weights)}")
measure_bert("int8", bert, "Model.quantize('int8'): EinsumDense, Dense and Embedding int8")

# %% [markdown] nbgrader={"grade": false, "grade_id": "table_intro", "locked": true, "schema_version": 3, "solution": false}
# ### B5 测量表与帕累托前沿（1 分自动评分，2 分人工评分）
#
# 把上面所有 CNN 版本（`float32`、`int8`、`int4`、三个剪枝版本、`distilled`、`label-only twin`）和两个 BERT 版本放进一张表：字典 `table`，键是 `results` 里的名字，值是字典，至少包含 `"accuracy"`、`"weight_bytes"`、`"latency_ms"`、`"cost_per_million"` 四个数（直接从 `results` 取即可）。评分程序检查这张表的 **自洽性**：每一行的 `cost_per_million` 必须等于用这一行的延迟、对应的 batch 大小（CNN 256，BERT 32）和 `CPU_PRICE_PER_HOUR = 0.10` 算出来的成本；int8 的权重字节数必须小于 float32 的；准确率、延迟这些测量值因机器而异，不和参考答案比较。
#
# 下面的单元格画出 CNN 各版本的准确率–成本图（对数横轴），并用 `compression.pareto_front` 标出帕累托前沿：没有别的版本 **既更便宜又更准**（两者都不差、至少一项更好）的版本。

# %% nbgrader={"grade": false, "grade_id": "table", "locked": false, "schema_version": 3, "solution": true}
table = {}
### BEGIN SOLUTION
for name, row in results.items():
    table[name] = {key: row[key] for key in ("accuracy", "weight_bytes", "latency_ms", "cost_per_million")}
### END SOLUTION
header = f"{'variant':>16} | {'accuracy':>8} | {'weights kB':>10} | {'file kB':>9} | {'ms/batch':>8} | {'USD per 1M':>10}"
print(header)
print("-" * len(header))
for name, row in results.items():
    print(f"{name:>16} | {row['accuracy']:8.4f} | {row['weight_bytes'] / 1e3:10,.0f} | {row['file_bytes'] / 1e3:9,.0f} | "
          f"{row['latency_ms']:8.1f} | {row['cost_per_million']:10.4f}")

# %% nbgrader={"grade": true, "grade_id": "test_table", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does table hold the four numbers for every measured variant?"""
assert isinstance(table, dict) and set(table) == set(results), "table should have one entry per name in results"
for name, row in table.items():
    for key in ("accuracy", "weight_bytes", "latency_ms", "cost_per_million"):
        expect_number(row.get(key), f"table[{name!r}][{key!r}]", low=0)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"table": table, "price_per_hour": CPU_PRICE_PER_HOUR, "cnn_batch": LATENCY_BATCH, "bert_batch": BERT_LATENCY_BATCH}, "test_table")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "pareto_plot", "locked": true, "schema_version": 3, "solution": false}
cnn_names = [name for name in results if not name.startswith("BERT")]
fig, front = compression.plot_tradeoff(
    cnn_names,
    [results[n]["cost_per_million"] for n in cnn_names],
    [results[n]["accuracy"] for n in cnn_names],
    title=f"MNIST CNN variants: accuracy vs cost per million predictions ({CPU_PRICE_PER_HOUR} USD/h CPU)",
)
plt.show()
print("Pareto front, cheapest first:", [cnn_names[i] for i in front])
print(f"notebook time so far: {time.monotonic() - notebook_started:.0f} s (after the imports)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "ship_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### B5 书面回答：什么时候上线哪个版本（2 分，人工评分）
#
# 看你的表和图，对每个版本（float32、int8、int4、三个剪枝版本、蒸馏的 student、twin、BERT float32、BERT int8）各写 **一句话**：你会在什么情况下上线它（或者为什么不会）。要引用你测到的数字（准确率、大小、延迟或成本），并说清楚哪些好处只有在别的部署条件下才兑现（稀疏格式或稀疏内核、低精度内核、memory-bound 的场景）。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**：按学生自己测到的数字评分（各台机器的延迟不同）。
#
# 1. 覆盖全部版本，每句引用至少一个数字（1 分；漏掉两个以上或大多没有数字：0.5 分；只有结论：0 分）。
# 2. 判断合理（1 分），至少包括：蒸馏的 student 在帕累托前沿上（参数约为 teacher 的 6%，最快最便宜，准确率只低 1–2 个百分点），对准确率要求不极端的场景首选；int8 / int4 在这台 CPU 上不更快（CNN 的差别在噪声之内，BERT 慢 2–5 倍，倍数随机器和负载变化），只在存储 / 显存受限、或者有低精度内核的推理引擎上值得上线；剪枝的文件和延迟都没变小，只有以稀疏格式存储（gzip / 稀疏格式变小）或有稀疏内核时才有用，90% 的准确率下降太多（2 轮微调不够）；twin 和 student 成本相同而更不准，不上线；BERT int8 约为 float32 的四分之一大小、准确率几乎不变，但在这台 CPU 上慢 2–5 倍，适合内存受限的部署。答出其中三点以上：1 分；一到两点：0.5 分。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "ship_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# （以文末测量表的数字为例。）
# float32：准确率最高的基线，作为 teacher 和质量参照；在 CPU 上它已经很快，内存也不是问题时就上线它。
# int8：权重和文件约为 float32 的三分之一（282 / 900 kB）、准确率几乎不变（0.9777 / 0.9775），但在这台 CPU 上并不更快（两次测量的先后顺序相反），只在存储或内存受限（手机、嵌入式）或者推理引擎有 int8 内核时才值得上线。
# int4：权重再小三分之一（194 kB）、准确率同样几乎不变，速度同样不可靠，只在极端受限的存储场景下上线。
# 剪枝 50%：准确率不降，但文件和延迟都没变，只有 gzip 后变小（权重 gzip 后 480 kB，float32 是 833 kB）；稀疏格式反而和稠密一样大；除非下载大小很重要，否则不值得。
# 剪枝 80%：稀疏格式只有稠密的约 40%（361 kB）、gzip 后 223 kB，准确率下降约 1 个百分点，需要稀疏存储或稀疏内核才有意义。
# 剪枝 90%：2 轮微调后准确率下降太多，不上线（需要更长的、逐步的剪枝）。
# 蒸馏的 student：参数约为 teacher 的 6%，最快、每百万次预测最便宜，准确率只低约 2 个百分点，在帕累托前沿上，是大多数场景的首选。
# twin：和 student 一样大、一样快，但每次实测都更不准（0.9614 对 0.9643），没有理由上线它。
# BERT float32 与 int8：int8 版本约为四分之一大小（24 / 91 MB）、这 200 条评论上的准确率相同（0.580），但在这台 CPU 上每个 batch 慢 2.2 倍（安静时）到 4.6 倍（有别的负载时），每百万次预测的成本也高同样的倍数；内存受限时上线 int8，有 GPU 或 int8 内核时再测一次，否则上线 float32。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 测量结果与面试要点
#
# **参考答案的测量表**（2 核 CPU、离线数据、`cpu` 配置、`SEED = 42`；第二次完整运行的数字。延迟是 256 张图（CNN）或 32 条评论（BERT）一个 batch 的中位数；成本按 `CPU_PRICE_PER_HOUR = 0.10` 美元算。CNN 的延迟受机器上其他负载影响很大：第一次运行 float32 / int8 / int4 是 14.0 / 16.7 / 17.2 ms，见 B1 后的说明）：
#
# | 版本 | 准确率 | 权重 | `.keras` 文件 | 延迟 / batch | 每百万次预测 |
# | --- | --- | --- | --- | --- | --- |
# | float32（参考 CNN，225,034 参数） | 0.9775 | 900 kB | 931 kB | 24.6 ms | 0.0027 美元 |
# | int8（`Model.quantize`） | 0.9777 | 282 kB | 315 kB | 17.4 ms | 0.0019 美元 |
# | int4 | 0.9769 | 194 kB | 227 kB | 14.4 ms | 0.0016 美元 |
# | 剪枝 50%（gzip 480 kB，稀疏格式 900 kB） | 0.9769 | 900 kB | 931 kB | 20.5 ms | 0.0022 美元 |
# | 剪枝 80%（gzip 223 kB，稀疏格式 361 kB） | 0.9667 | 900 kB | 931 kB | 23.6 ms | 0.0026 美元 |
# | 剪枝 90%（gzip 121 kB，稀疏格式 181 kB） | 0.8737 | 900 kB | 931 kB | 23.1 ms | 0.0025 美元 |
# | 蒸馏的 student（14,410 参数，$T = 4$） | 0.9643 | 58 kB | 86 kB | 4.8 ms | 0.0005 美元 |
# | 只用标签的 twin | 0.9614 | 58 kB | 86 kB | 4.7 ms | 0.0005 美元 |
# | BERT float32（MiniLM，200 条评论） | 0.580 | 90.9 MB | 91.3 MB | 613 ms | 0.53 美元 |
# | BERT int8 | 0.580 | 23.6 MB | 24.1 MB | 1,380 ms | 1.20 美元 |
#
# 整个参考 notebook 在 2 核 CPU 上运行 174–202 秒（三次），kernel 的峰值内存约 2.4 GB（2,363–2,378 MiB，几乎都来自 BERT）。第三次运行的 CNN 延迟是 float32 / int8 / int4 16.4 / 16.6 / 15.3 ms，准确率和大小每次都相同。剪枝的 gzip 大小是部署时的权重（不含优化器状态：训练过的模型里 Adam 的两个动量各和权重一样大，而且不稀疏）原始字节 gzip 后的大小，float32 的是 833 kB（`compression.gzip_size`；2026-12-03 重新测量，和准确率一样每次相同）。2026-12-03 修订时又完整运行了一次（机器上同时有别的测试在跑）：BERT float32 / int8 每 32 条评论 296 / 1,375 ms，int8 慢 4.6 倍；CNN float32 / int8 / int4 10.7 / 12.2 / 12.2 ms。TensorFlow 在这台机器上打印 "oneDNN supports DT_INT8 only on platforms with AVX-512. Falling back to the default Eigen-based implementation"。
#
# - **batch 1 解码受内存带宽限制**：tokens/s ≈ 带宽 ÷ 每个 token 读的权重字节数；只看权重时，批处理让同一次读取服务多个请求，直到拐点 $n^* = F b / 2B$（H100、fp16 约 295）。
# - **每一步读的字节 = 权重 + batch 里每个序列的 KV cache**：Llama 2 7B、batch 64、1,024 token 的上下文时 KV cache 占 72%，吞吐量约 4,480 tokens/s，而不是只算权重的 1.6 万；MHA 的长上下文解码永远到不了 compute-bound。
# - **KV cache** = 2 × 层数 × KV 头数 × 头维度 × 字节数；GQA 把它缩小为 KV 头数之比：能同时服务的用户多几倍（30 → 119），同样 batch 的吞吐量也更高（约 1.9 倍）。
# - **成本** = 每小时价格 ÷ 每小时的 token 数；同一张卡，batch 64 比 batch 1 便宜约 18 倍（3.35 → 0.19 美元 / 百万 token），不是 64 倍；GPU 的租金本身在不同云厂商之间差 3–4 倍。
# - **量化省的是存储和内存**；只有在有低精度内核、并且是 memory-bound 的地方才省时间。Keras 3.15 不量化 `Conv2D`，所以这个 CNN 的 int8 权重是 float32 的 31% 而不是 25%。
# - **LoRA 省的是权重梯度和优化器状态**（显存，以及反向传播里算权重梯度的那一半），不省前向传播，也不省把梯度传回输入的那一半；这里的 BERT 是全参数微调的，LoRA 只用来数参数。
# - **int4 不是 4 bit**：Keras 的 int4 每块 128 个输入存 float32 的 scale、int8 的零点，每个输入再存一个 float32 下标，大的 Dense 层每个权重约 4.6 bit；194 kB 里还有 75 kB 是没被量化的卷积层。
# - **稀疏不等于变小**：不以稀疏格式存储或运行时，文件和延迟都不变；90% 的稀疏度需要比 2 轮更长的微调。
# - **蒸馏**：6.4% 的参数，准确率只低约 1.3 个百分点，每次实测都比只用标签训练的同一个小模型高（四个种子高 0.21–0.56 个百分点；两者都过了 0.94 的阈值）。注意 Keras 3.15.1 的 `LogitsDistillation` 默认损失的坑（见第二部分开头）。
# - **分词**：同样的内容，这个英文 WordPiece 词表给中文每个字一个 token，而且 74% 是 `[UNK]`；账单按 token 算，先数一数。
#
# 保存 notebook，然后按老师的要求提交。
