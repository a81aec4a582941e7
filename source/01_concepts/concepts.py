# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 01：大模型基础概念与降价的经济学（Large-model concepts and the economics of falling prices）
#
# 这份作业把博客《降价对大模型应用的推动力》的理论部分变成可以评分的练习：
#
# * **第一部分 背景**：大模型为什么"贵"——参数量（parameters）、显存（memory）与存储；
# * **第二部分 降价的经济学**：降价如何降低采用成本、提高竞争力、促进创新，用数字说话；
# * **题目 1–5**：博客里的五道面试题（什么是大模型、应用场景、模型压缩、知识蒸馏、预训练）。
#
# 每道题都有 **自动评分** 的部分（选择题、判断题、配对题、小计算、用 NumPy 实现的小函数）和 **人工评分** 的书面回答（像面试时那样用自己的话回答，老师按评分标准打分）。
#
# | 部分 | 自动评分 | 人工评分 | 合计 |
# | --- | --- | --- | --- |
# | 第一部分 背景：大模型的成本 | 5 | – | 5 |
# | 第二部分 降价的经济学 | 7 | 2 | 9 |
# | 题目 1 什么是大模型 | 2 | 3 | 5 |
# | 题目 2 应用场景 | 3 | 2 | 5 |
# | 题目 3 模型压缩 | 7 | 3 | 10 |
# | 题目 4 知识蒸馏 | 5 | 4 | 9 |
# | 题目 5 预训练 | 5 | 3 | 8 |
# | **合计** | **34** | **17** | **51** |
#
# **怎样作答**
#
# * 单选题：把选项字母（字符串）赋给变量，例如 `q4_temperature = "A"`；
# * 多选题：把所有正确选项的字母放进一个集合（set），例如 `q3_methods = {"A", "C"}`（列表或元组也可以，例如 `["A", "C"]`）；
# * 配对题：填写一个字典（dict），每个键对应一个选项，例如 `{"键 1": "选项", "键 2": "选项"}`；
# * 判断：`True` 或 `False`（不要写成字符串，也不要写成 `1` 或 `0`）；
# * 数值：`int`、`float` 或 NumPy 的数（例如 `np.float64`）都可以；要求整数的答案写成 `5.0` 这样值为整数的 float 也算对；
# * 计算题与函数：在 `# YOUR CODE HERE` 处写代码，删掉 `raise NotImplementedError()`。
#
# 可见的测试只检查答案的 **形式**（类型、范围），正确性由提交后运行的隐藏测试检查，所以可见测试通过不代表答对。由几个独立小项组成的题按小项给部分分：第一部分 1.3 的三个数、第二部分 2.3 的四个数和 2.4 的两个数、题目 1 的 1.1 配对、题目 2 的 2.1 配对和 2.2 的应用集合、题目 3 的 3.1 多选、题目 5 的 5.3 配对和 5.4 判断，题目里写明了每项的分值；其余测试单元格（函数、单选题、单个数值）是"全对得分、否则 0 分"。答案的形式不对（例如该写字典却写了字符串）时整题 0 分，可见测试会提前告诉你。这份作业只用 NumPy 和 matplotlib，不需要 TensorFlow，几秒钟就能跑完。
#
# **操作方法**：从上到下依次运行所有单元格（*Run → Run All Cells*），完成后用 *Validate* 检查。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import math

import matplotlib.pyplot as plt
import numpy as np

from course.checks import call
from course.checks.answers import (
    expect_array,
    expect_choice,
    expect_choices,
    expect_mapping,
    expect_number,
    expect_true_false,
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "background_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第一部分 背景：大模型为什么贵（5 分，自动评分）
#
# 随着深度学习的发展，大模型在自然语言处理（NLP）、图像识别（computer vision）、语音识别（speech recognition）等领域取得了显著成果。它们通常有更强的表示能力（representation power）和泛化能力（generalization），但代价是三类成本：
#
# 1. **计算（compute）**：训练一个有 $N$ 个参数的 Transformer、用 $D$ 个 token 训练，大约需要 $6ND$ 次浮点运算（FLOPs，Kaplan et al., 2020）；推理时每生成一个 token 大约需要 $2N$ 次。GPT-3 有 1750 亿参数、训练了约 3000 亿 token：$6 \times 1.75\times10^{11} \times 3\times10^{11} \approx 3\times10^{23}$ FLOPs，要数千张 GPU 跑数周。
# 2. **显存（memory）**：推理时至少要放下全部权重（weights），另外还有 KV cache 和激活值（activations）；全参数训练还要放梯度（gradients）和优化器状态（optimizer states）。
# 3. **存储与传输（storage）**：一个 checkpoint 就是几十到几百 GB，部署、备份、分发都要成本。
#
# 这就是大模型过去难以在企业落地（enterprise adoption）的原因：要买或租昂贵的 GPU、要有懂分布式训练和推理优化的工程师、延迟和吞吐难以保证，而投入产出比（ROI）又不确定。下面先把"贵"算清楚。
#
# ### 权重占多少显存
#
# 一个参数占的字节数取决于数值精度（precision / dtype）：
#
# | dtype | 每个参数的字节数 |
# | --- | --- |
# | `"fp32"`（单精度浮点） | 4 |
# | `"fp16"`、`"bf16"`（半精度） | 2 |
# | `"int8"`（8 位整数量化） | 1 |
# | `"int4"`（4 位整数量化） | 0.5 |
#
# 本作业里 **1 GB = $10^9$ 字节**（显卡厂商标注显存时常用 GiB = $2^{30}$ 字节，两者差约 7%）。
#
# 表中的字节数只算权重本身。实际的 int8 / int4 量化还要为每个张量、每个通道或每组权重存一个 scale（有时还有 zero-point，见题目 3），int4 按 32–128 个权重一组、每组一个 fp16 的 scale 时，平均约 **4.1–4.5 bit / 权重**，而不是正好 4 bit。本作业的计算题只算权重本身。
#
# 全参数训练（混合精度 mixed precision + Adam 优化器）时，每个参数大约要 **16 字节**：fp16 权重 2 + fp16 梯度 2 + fp32 主权重（master weights）4 + Adam 的两个动量（$m$ 和 $v$，各 fp32）8（Rajbhandari et al., ZeRO, 2020）。这还没算激活值。

# %% [markdown] nbgrader={"grade": false, "grade_id": "params_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.1 Transformer 的参数量（2 分）
#
# 实现 `transformer_params(vocab_size, n_ctx, d_model, n_layers, d_ff)`，返回一个 GPT-2 结构的 decoder-only Transformer 的 **精确** 参数个数（整数）。结构如下：
#
# * token embedding：`vocab_size × d_model`；learned position embedding：`n_ctx × d_model`；输出层与 token embedding **共享权重**（weight tying），不额外计参数；
# * `n_layers` 个相同的 block，每个 block 依次是：
#   * LayerNorm → 多头自注意力（multi-head self-attention）：Q、K、V 三个投影和一个输出投影，每个都是 `d_model → d_model` 的全连接层 **带 bias**（头数 `n_heads` 只决定怎么切分，不改变参数量）；
#   * LayerNorm → MLP：`d_model → d_ff` 全连接（带 bias）、GELU 激活、`d_ff → d_model` 全连接（带 bias）；
# * 每个 LayerNorm 有长度为 `d_model` 的缩放 $\gamma$ 和平移 $\beta$ 两组参数；最后一个 block 之后还有一个 final LayerNorm。
#
# 要求：返回一个整数（Python `int`、NumPy 整数，或值为整数的 `float` 如 `124439808.0` 都可以），结果必须精确。参数可能是 NumPy 整数（例如 `np.int32`），大模型的参数量会超过 `int32` 的范围（约 21 亿），先转成 Python `int` 再计算可以避免溢出。`n_layers = 0` 时只剩 embedding 和 final LayerNorm。
#
# 自查：GPT-2 small（`vocab_size=50257, n_ctx=1024, d_model=768, n_layers=12, d_ff=3072`）大约有 1.24 亿（124M）个参数。

# %% nbgrader={"grade": false, "grade_id": "transformer_params", "locked": false, "schema_version": 3, "solution": true}
def transformer_params(vocab_size, n_ctx, d_model, n_layers, d_ff):
    """Returns the exact number of parameters of a GPT-2-style decoder-only Transformer."""
    ### BEGIN SOLUTION
    vocab_size, n_ctx, d_model, n_layers, d_ff = (int(v) for v in (vocab_size, n_ctx, d_model, n_layers, d_ff))
    embeddings = vocab_size * d_model + n_ctx * d_model
    attention = 4 * (d_model * d_model + d_model)
    mlp = (d_model * d_ff + d_ff) + (d_ff * d_model + d_model)
    block_norms = 2 * (2 * d_model)
    return embeddings + n_layers * (attention + mlp + block_norms) + 2 * d_model
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_transformer_params", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does transformer_params return a positive whole number of parameters?"""
n_gpt2_small = call(transformer_params, 50257, 1024, 768, 12, 3072, what="transformer_params")
expect_number(n_gpt2_small, "transformer_params(50257, 1024, 768, 12, 3072)", low=1, integer=True)
print(f"GPT-2 small: {int(n_gpt2_small):,} parameters")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(transformer_params, "test_transformer_params")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "memory_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 权重的显存占用（2 分）
#
# 实现 `weight_memory_gb(n_params, dtype)`：返回 `n_params` 个参数以 `dtype` 精度存储时占用的 GB 数（`float`，1 GB = $10^9$ 字节）。`dtype` 是上表中的字符串之一：`"fp32"`、`"fp16"`、`"bf16"`、`"int8"`、`"int4"`；其他任何字符串（例如 `"double"`）都要 `raise ValueError`，不要悄悄返回一个数。

# %% nbgrader={"grade": false, "grade_id": "weight_memory_gb", "locked": false, "schema_version": 3, "solution": true}
def weight_memory_gb(n_params, dtype):
    """Returns the memory taken by n_params weights stored in dtype, in GB (10**9 bytes)."""
    ### BEGIN SOLUTION
    bytes_per_param = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0, "int4": 0.5}
    if dtype not in bytes_per_param:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {sorted(bytes_per_param)}")
    return float(n_params) * bytes_per_param[dtype] / 1e9
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_weight_memory_gb", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does weight_memory_gb return a non-negative number of GB for each supported dtype?"""
for dtype in ("fp32", "fp16", "bf16", "int8", "int4"):
    gb = call(weight_memory_gb, 7_000_000_000, dtype, what="weight_memory_gb")
    expect_number(gb, f"weight_memory_gb(7e9, {dtype!r})", low=0)
    print(f"7B parameters in {dtype}: {float(gb):.1f} GB")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(weight_memory_gb, "test_weight_memory_gb")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "scale_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.3 算一算：放得下吗？（1 分）
#
# 用你上面的两个函数（必要时加上 `math.ceil`）给下面三个变量赋值：
#
# * `gpt3_fp16_gb`：GPT-3 规模的模型（`vocab_size=50257, n_ctx=2048, d_model=12288, n_layers=96, d_ff=49152`）的 **fp16 权重** 占多少 GB；
# * `gpus_80gb`：只放权重（不算 KV cache 和激活值），至少需要几张 80 GB 显存的 GPU（整数）；
# * `train_7b_gb`：用混合精度 + Adam **全参数训练** 一个 70 亿（7B）参数的模型，按每个参数 16 字节计算，光是权重、梯度和优化器状态就要多少 GB。
#
# 每个数 1/3 分，分别判分：一个数算错不影响其他数的分数。

# %% nbgrader={"grade": false, "grade_id": "cost_numbers", "locked": false, "schema_version": 3, "solution": true}
gpt3_fp16_gb = None
gpus_80gb = None
train_7b_gb = None
### BEGIN SOLUTION
gpt3_fp16_gb = weight_memory_gb(transformer_params(50257, 2048, 12288, 96, 49152), "fp16")
gpus_80gb = math.ceil(gpt3_fp16_gb / 80)
train_7b_gb = 7_000_000_000 * 16 / 1e9
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_cost_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are the three memory figures positive numbers, the GPU count a whole number?"""
expect_number(gpt3_fp16_gb, "gpt3_fp16_gb", low=0)
expect_number(gpus_80gb, "gpus_80gb", low=1, integer=True)
expect_number(train_7b_gb, "train_7b_gb", low=0)
print(f"GPT-3 in fp16: {gpt3_fp16_gb:.0f} GB on {gpus_80gb} GPUs; training a 7B model: {train_7b_gb:.0f} GB")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"gpt3_fp16_gb": gpt3_fp16_gb, "gpus_80gb": gpus_80gb, "train_7b_gb": train_7b_gb}, "test_cost_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "economics_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 第二部分 降价的经济学（9 分：自动评分 7 分，书面回答 2 分）
#
# 2024 年 5 月起，国内外多家厂商大幅下调大模型 API 的价格，部分模型降幅超过 90%：DeepSeek-V2（5 月 6 日发布）每百万 token 输入 1 元、输出 2 元；字节跳动豆包的主力模型（5 月 15 日火山引擎发布会）每百万输入 token 0.8 元；阿里云（5 月 21 日）把通义千问 Qwen-Long 的输入价格降低 97%，到每百万 token 0.5 元，百度同日宣布文心 ERNIE Speed、ERNIE Lite 免费；OpenAI 的 GPT-4o（5 月 13 日）价格是 GPT-4 Turbo 的一半，GPT-4o mini（7 月 18 日）每百万输入 token 0.15 美元，比 GPT-3.5 Turbo 便宜 60% 以上。（来源：各厂商当天的发布公告和价格页。价格随时在变，下面的计算只用示例价格。）博客认为降价有三个作用：**降低成本**（企业以更低的成本用上高性能大模型，门槛降低）、**提高竞争力**（企业能以更有竞争力的价格提供基于大模型的服务）、**促进创新**（更多应用变得可行）。下面用一个简单的成本模型把这三点量化。
#
# **API 的成本。** API 按 token 计价，输入（input / prompt）和输出（output / completion）价格不同，通常以"元 / 百万 token"报价。一次请求输入 $t_\text{in}$ 个 token、输出 $t_\text{out}$ 个 token，输入、输出单价分别为 $p_\text{in}$、$p_\text{out}$（元 / 百万 token），则
#
# $$c_\text{API} = \frac{t_\text{in}\,p_\text{in} + t_\text{out}\,p_\text{out}}{10^6}\ \text{元 / 次}, \qquad \text{每月成本} = N \cdot c_\text{API},$$
#
# 其中 $N$ 是每月的请求数。价格下降比例为 $r$（例如 $r = 0.8$ 表示降价 80%）时，新单价是原价的 $1 - r$ 倍。
#
# **自建（self-hosting）的成本。** 自己部署一个开源模型：每月有固定成本 $F$（GPU 服务器租金或折旧、运维人力），每次请求还有很小的边际成本 $m$（电费、带宽）。每月成本为 $F + N m$。
#
# **盈亏平衡点（break-even point）。** 当 $N \cdot c_\text{API} = F + N m$ 时两者一样贵：
#
# $$N^* = \frac{F}{c_\text{API} - m}.$$
#
# 请求数超过 $N^*$ 时自建更便宜，低于 $N^*$ 时用 API 更便宜。如果 $c_\text{API} \le m$，API 永远更便宜，$N^* = \infty$。（这个模型忽略了自建的容量上限、延迟、数据合规等因素。）
#
# **毛利率（gross margin）。** 一家公司向客户按每次 $s$ 元收费，毛利率为 $(s - c)/s$。
#
# **示例（不计分）。** 一个文档摘要服务，每月 10 万次请求，每次 800 个输入 token、200 个输出 token；降价前 12 元 / 36 元每百万 token，降价 80%；自建固定成本 15,000 元 / 月，边际成本 0.001 元 / 次；向客户收费 0.02 元 / 次。
#
# | | 降价前 | 降价 80% 后 |
# | --- | --- | --- |
# | 单价（输入 / 输出，元 / 百万 token） | 12 / 36 | 2.4 / 7.2 |
# | 每次请求成本 $c_\text{API}$ | 0.0168 元 | 0.00336 元 |
# | 每月 API 成本（10 万次） | 1,680 元 | 336 元 |
# | 自建盈亏平衡点 $N^*$ | 约 94.9 万次 / 月 | 约 635.6 万次 / 月 |
# | 按 0.02 元 / 次收费的毛利率 | 16% | 83.2% |
#
# 读这张表：降价后同样的业务每月只花原来的五分之一（**降低成本**）；自建要到每月 600 多万次请求才划算，大多数企业直接用 API 即可，不必先投入 GPU 和团队（**采用门槛降低**）；同样的售价下毛利率从 16% 升到 83%，也可以把降价让利给客户（**提高竞争力**）。

# %% [markdown] nbgrader={"grade": false, "grade_id": "workload_cost_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.1 一批请求的 API 成本（2 分）
#
# 实现 `workload_cost(requests, input_tokens, output_tokens, input_price, output_price)`：返回 `requests` 次请求（每次 `input_tokens` 个输入 token、`output_tokens` 个输出 token）在给定单价（元 / 百万 token）下的总成本（元）。`requests` 可以是一个数，也可以是 NumPy 数组（对数组逐元素计算，返回同形状的数组），所以请只用普通的算术运算，不要用 `if` 判断数值。

# %% nbgrader={"grade": false, "grade_id": "workload_cost", "locked": false, "schema_version": 3, "solution": true}
def workload_cost(requests, input_tokens, output_tokens, input_price, output_price):
    """Returns the API cost in yuan of `requests` calls, prices given in yuan per million tokens."""
    ### BEGIN SOLUTION
    per_request = (input_tokens * input_price + output_tokens * output_price) / 1e6
    return requests * per_request
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_workload_cost", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does workload_cost return a non-negative cost, also for an array of request counts?"""
one = call(workload_cost, 100_000, 800, 200, 12.0, 36.0, what="workload_cost")
expect_number(one, "workload_cost(100_000, 800, 200, 12.0, 36.0)", low=0)
many = call(workload_cost, np.array([0, 10, 1000]), 800, 200, 12.0, 36.0, what="workload_cost")
expect_array(many, "workload_cost for an array of request counts", shape=(3,))
print(f"example workload: {float(one):,.2f} yuan per month")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(workload_cost, "test_workload_cost")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "break_even_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.2 自建与 API 的盈亏平衡点（2 分）
#
# 实现 `break_even_requests(fixed_monthly_cost, self_cost_per_request, api_cost_per_request)`：返回每月请求数的盈亏平衡点 $N^*$（`float`）。当 API 每次请求的成本不高于自建的边际成本时，返回 `math.inf`（不要除以零或返回负数）。

# %% nbgrader={"grade": false, "grade_id": "break_even_requests", "locked": false, "schema_version": 3, "solution": true}
def break_even_requests(fixed_monthly_cost, self_cost_per_request, api_cost_per_request):
    """Returns the monthly request count above which self-hosting is cheaper than the API."""
    ### BEGIN SOLUTION
    saving_per_request = api_cost_per_request - self_cost_per_request
    if saving_per_request <= 0:
        return math.inf
    return float(fixed_monthly_cost) / saving_per_request
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_break_even_requests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does break_even_requests return a non-negative number (or math.inf)?"""
n_star = call(break_even_requests, 15_000.0, 0.001, 0.0168, what="break_even_requests")
expect_number(n_star, "break_even_requests(15_000.0, 0.001, 0.0168)", low=0)
print(f"worked example: self-hosting pays off above {float(n_star):,.0f} requests per month")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(break_even_requests, "test_break_even_requests")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "scenario_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.3 降价前后的成本与毛利率（2 分）
#
# 一家公司做智能客服（customer-service assistant）。下面单元格里的常数描述了它的业务（价格为示例，量级与近年国内大模型 API 的价格相近）。用你的函数计算四个数并赋给变量：
#
# * `cost_before`、`cost_after`：降价前、降价后每月的 API 成本（元）；
# * `margin_before`、`margin_after`：按 `PRICE_PER_CONVERSATION` 向客户收费时，降价前、降价后的毛利率（0 到 1 之间的小数，例如 0.25 表示 25%）。
#
# 每个数 0.5 分，分别判分：一个数算错不影响其他数的分数。

# %% nbgrader={"grade": false, "grade_id": "scenario", "locked": true, "schema_version": 3, "solution": false}
# A customer-service assistant (the graded scenario of tasks 2.3 and 2.4)
REQUESTS_PER_MONTH = 300_000
INPUT_TOKENS, OUTPUT_TOKENS = 1_500, 300  # per request: question plus retrieved context in, answer out
PRICE_IN_BEFORE, PRICE_OUT_BEFORE = 20.0, 60.0  # yuan per million tokens
PRICE_CUT = 0.95  # prices fall by 95 %
PRICE_PER_CONVERSATION = 0.06  # yuan the company charges its customers per request
SELF_HOST_FIXED = 20_000.0  # yuan per month: GPU server rent and operations
SELF_HOST_PER_REQUEST = 0.002  # yuan per request: power and bandwidth

# %% nbgrader={"grade": false, "grade_id": "price_cut_numbers", "locked": false, "schema_version": 3, "solution": true}
cost_before = None
cost_after = None
margin_before = None
margin_after = None
### BEGIN SOLUTION
price_in_after = PRICE_IN_BEFORE * (1 - PRICE_CUT)
price_out_after = PRICE_OUT_BEFORE * (1 - PRICE_CUT)
cost_before = workload_cost(REQUESTS_PER_MONTH, INPUT_TOKENS, OUTPUT_TOKENS, PRICE_IN_BEFORE, PRICE_OUT_BEFORE)
cost_after = workload_cost(REQUESTS_PER_MONTH, INPUT_TOKENS, OUTPUT_TOKENS, price_in_after, price_out_after)
per_request_before = cost_before / REQUESTS_PER_MONTH
per_request_after = cost_after / REQUESTS_PER_MONTH
margin_before = (PRICE_PER_CONVERSATION - per_request_before) / PRICE_PER_CONVERSATION
margin_after = (PRICE_PER_CONVERSATION - per_request_after) / PRICE_PER_CONVERSATION
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_price_cut_numbers", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Are the monthly costs positive and the gross margins at most 1?"""
expect_number(cost_before, "cost_before", low=0)
expect_number(cost_after, "cost_after", low=0)
expect_number(margin_before, "margin_before", high=1)
expect_number(margin_after, "margin_after", high=1)
print(f"monthly API cost: {cost_before:,.0f} -> {cost_after:,.0f} yuan; gross margin: {margin_before:.0%} -> {margin_after:.0%}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"cost_before": cost_before, "cost_after": cost_after, "margin_before": margin_before, "margin_after": margin_after}, "test_price_cut_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "break_even_numbers_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.4 降价让盈亏平衡点移动了多少（1 分）
#
# 用 `break_even_requests` 和上面的常数计算降价前、降价后的盈亏平衡点 $N^*$，赋给 `break_even_before`、`break_even_after`：这家公司每月的请求数超过 $N^*$ 时，自建才比用 API 便宜。直接用函数的结果（不取整的 `float`）即可；如果你把它理解成"至少多少次请求"而取了整（`math.ceil`、`int`、`round` 都可以），也算对：测试允许与 $N^*$ 相差不超过 1 次。每个数 0.5 分。

# %% nbgrader={"grade": false, "grade_id": "break_even_numbers", "locked": false, "schema_version": 3, "solution": true}
break_even_before = None
break_even_after = None
### BEGIN SOLUTION
api_per_request_before = workload_cost(1, INPUT_TOKENS, OUTPUT_TOKENS, PRICE_IN_BEFORE, PRICE_OUT_BEFORE)
api_per_request_after = api_per_request_before * (1 - PRICE_CUT)
break_even_before = break_even_requests(SELF_HOST_FIXED, SELF_HOST_PER_REQUEST, api_per_request_before)
break_even_after = break_even_requests(SELF_HOST_FIXED, SELF_HOST_PER_REQUEST, api_per_request_after)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_break_even_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are both break-even points non-negative numbers?"""
expect_number(break_even_before, "break_even_before", low=0)
expect_number(break_even_after, "break_even_after", low=0)
print(f"self-hosting pays off above {break_even_before:,.0f} requests/month before the cut, {break_even_after:,.0f} after")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"break_even_before": break_even_before, "break_even_after": break_even_after}, "test_break_even_numbers")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "plot_intro", "locked": true, "schema_version": 3, "solution": false}
# 下面的图用 **你的** 函数画出这家公司的每月成本随请求数的变化（对数坐标）：两条 API 成本线（降价前、降价后）和自建成本线，交点就是盈亏平衡点。函数没实现时，这个单元格只打印一句提示。

# %% nbgrader={"grade": false, "grade_id": "plot_costs", "locked": true, "schema_version": 3, "solution": false}
requests = np.logspace(3, 8, 200)
prices = {
    "API, before the price cut": (PRICE_IN_BEFORE, PRICE_OUT_BEFORE),
    f"API, after a {PRICE_CUT:.0%} cut": (PRICE_IN_BEFORE * (1 - PRICE_CUT), PRICE_OUT_BEFORE * (1 - PRICE_CUT)),
}
try:
    curves, crossings = {}, []
    for label, (price_in, price_out) in prices.items():
        curves[label] = call(workload_cost, requests, INPUT_TOKENS, OUTPUT_TOKENS, price_in, price_out, what="workload_cost")
        expect_array(curves[label], "workload_cost for an array of request counts", shape=requests.shape)
        per_request = call(workload_cost, 1, INPUT_TOKENS, OUTPUT_TOKENS, price_in, price_out, what="workload_cost")
        crossings.append(call(break_even_requests, SELF_HOST_FIXED, SELF_HOST_PER_REQUEST, per_request, what="break_even_requests"))
except AssertionError as err:
    print("Implement workload_cost and break_even_requests above to see the plot.", err)
else:
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, cost in curves.items():
        ax.loglog(requests, cost, label=label)
    ax.loglog(requests, SELF_HOST_FIXED + SELF_HOST_PER_REQUEST * requests, "k--", label="self-hosting")
    for n_star in crossings:
        if math.isfinite(float(n_star)):
            ax.axvline(float(n_star), color="grey", lw=0.8)
    ax.axvline(REQUESTS_PER_MONTH, color="red", lw=0.8, ls=":", label="this company's volume")
    ax.set_xlabel("requests per month")
    ax.set_ylabel("cost per month (yuan)")
    ax.set_title("API vs self-hosting: break-even points (grey lines)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "economics_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 2.5 书面回答：降价的三个作用（2 分，人工评分）
#
# 用你在 2.3、2.4 算出的数字（不要只复述概念），分别说明降价如何 (1) 降低企业采用大模型的成本和门槛，(2) 提高企业的竞争力，(3) 促进创新；最后指出这个简单成本模型忽略了什么（至少一点）。4–6 句话即可，写在下面的单元格里。引用你自己算出的数字即可：前面算错了，这里按你的数字推理正确也能得满分。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分，每项 0.5 分）**
#
# 数字按"跟随（follow-through）"原则评分：参考值是月成本约 14,400 → 720 元、盈亏平衡点约 43 万 → 5,000 万次 / 月、毛利率约 20% → 96%；学生引用的是自己在 2.3、2.4 算出的数字时，即使与参考值不同，只要这里的推理与这些数字一致，就不因数字再扣分（算错已经在 2.3、2.4 扣过分）。
#
# 1. 降低成本与门槛（0.5 分）：引用降价前后的月成本，并用盈亏平衡点说明该公司（每月 30 万次）以及大多数中小企业不必自建 GPU 集群即可使用大模型。只引用了月成本、没有用盈亏平衡点说明门槛（或反过来）：0.25 分。只说"更便宜了"而没有数字：0 分。
# 2. 提高竞争力（0.5 分）：引用降价前后的毛利率，或者用数字说明可以把成本下降让利给客户、以更低价格吸引客户。有道理但没有数字：0.25 分。
# 3. 促进创新（0.5 分）：说明单次成本降到低于单次价值后，原本不划算的应用变得可行，并举出至少一个例子（长文档、高频小请求等，或者直接用题目 2.2 里找到的应用：举例即可，不要求引用 2.2）。只有机制没有例子，或只有例子没有机制：0.25 分；只说"促进创新"：0 分。
# 4. 模型的局限（0.5 分，任意一点即可）：自建有吞吐 / 容量上限，需要多台 GPU；延迟、数据隐私与合规可能要求私有化部署；API 有限流和价格变动风险；不同模型的质量不同；token 数只是估计；未计入工程人力等。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "economics_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 降价 95% 后，这家客服公司每月的 API 成本从 14,400 元降到 720 元，同时自建的盈亏平衡点从约 43 万次 / 月升到约 5,000 万次 / 月：它每月 30 万次请求，降价前已接近需要考虑自建，降价后完全没有必要投入 GPU 和运维团队，直接调用 API 即可，采用大模型的门槛大大降低。
# 竞争力方面，按每次 0.06 元收费时毛利率从 20% 升到 96%，公司既可以多赚，也可以降价抢客户。
# 创新方面，单次成本下降一个数量级后，许多"每次价值低于成本"的场景（长合同审查、代码补全、海量评论分析）变得有利可图，企业愿意尝试新应用。
# 这个模型忽略了自建的容量上限（一台服务器撑不住 5,000 万次请求）、延迟与数据合规要求、API 限流和未来价格变化，以及不同模型的质量差异。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q1_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 题目 1：什么是大模型？相比小模型有哪些优势和劣势？（5 分：自动评分 2 分，书面回答 3 分）
#
# **大模型**（large model，今天通常指大语言模型 LLM 等基础模型 foundation models）是参数量巨大（通常数十亿以上）、结构复杂（绝大多数基于 Transformer）、在海量数据上预训练（pre-training）的神经网络。
#
# * **优势**：更强的表示能力、更高的准确率、更好的泛化能力（包括在分布外数据上）；能做少样本 / 零样本学习（few-shot / zero-shot，in-context learning）；一个模型通过提示（prompt）或少量微调（fine-tuning）就能服务多种任务。
# * **劣势**：更高的计算成本（训练和推理都贵，推理延迟更高）；更大的存储和显存需求（第一部分算过：7B 模型的 fp16 权重约 14 GB）；更长的训练时间和更高的能耗；还会一本正经地编造事实（hallucination），可解释性差。
# * **数据也要跟着变多**：更大的模型每个训练样本学到的更多（sample efficiency 更高，Kaplan et al., 2020），但这不等于"参数越多，需要的数据越少"。按 compute-optimal 的缩放规律（Chinchilla，Hoffmann et al., 2022），给定计算预算时，参数量和训练 token 数应该大致同比例增长，约 **每个参数 20 个 token**：700 亿参数的 Chinchilla 用了 1.4 万亿 token。
#
# 所以在延迟敏感、数据量小、任务单一或要部署到手机 / 边缘设备的场景，小模型（或压缩后的模型，见题目 3）往往更合适。
#
# ### 1.1 配对（2 分）
#
# 判断下面每句话描述的是大模型相对小模型的 **优势**（`"advantage"`）、**劣势**（`"disadvantage"`），还是 **都不是**（`"neither"`，这句话本身就不对）。把答案写成字典 `q1_traits`，键是 `"A"`–`"H"`。每项 0.25 分，分别判分。
#
# * A. 只给几个示例（few-shot）甚至不给示例，就能完成没专门训练过的新任务。
# * B. 推理时每个 token 的计算量和参数量成正比，所以延迟和每次请求的成本更高。
# * C. 按 compute-optimal 的缩放规律（Chinchilla），参数量增大时，最优的训练 token 数应该减少。
# * D. 在分布外（out-of-distribution）的数据上通常泛化得更好。
# * E. 权重动辄十几到几百 GB，难以部署在手机或边缘设备上。
# * F. 参数足够多以后，模型就不会再产生事实错误（hallucination）。
# * G. 同一个模型通过提示或少量微调就能服务多种任务。
# * H. 训练一次要消耗大量 GPU 时间和电力。

# %% nbgrader={"grade": false, "grade_id": "q1_traits", "locked": false, "schema_version": 3, "solution": true}
# A dict from each letter "A"-"H" to "advantage", "disadvantage" or "neither".
q1_traits = None
### BEGIN SOLUTION
q1_traits = {
    "A": "advantage",
    "B": "disadvantage",
    "C": "neither",
    "D": "advantage",
    "E": "disadvantage",
    "F": "neither",
    "G": "advantage",
    "H": "disadvantage",
}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1_traits", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does q1_traits map each statement A-H to advantage, disadvantage or neither?"""
expect_mapping(q1_traits, "ABCDEFGH", ["advantage", "disadvantage", "neither"], "q1_traits")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q1_traits": q1_traits}, "test_q1_traits")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q1_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 1.2 书面回答（3 分，人工评分）
#
# 像在面试中那样回答：什么是大模型？相比小模型，它有哪些优势和劣势？什么情况下你仍然会选择小模型？请至少给出一个量级（数字，例如参数量、显存或计算量）来支撑你的说法：没有任何数字的回答拿不到满分。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分）**
#
# * 定义（1 分）：参数量巨大（数十亿以上）、结构复杂（通常是 Transformer）、在大规模数据上预训练的神经网络。只说"参数多的模型"：0.5 分。
# * 优势（1 分）：至少两点，来自"更强的表示能力、更高的准确率、更好的泛化能力"；提到 few-shot / in-context learning 或一个模型多任务可算作其中一点。只给出一点：0.5 分。
# * 劣势与取舍（1 分）：至少两点劣势，来自"更高的计算成本、更大的存储 / 显存需求、更长的训练时间"（推理延迟、能耗、幻觉也可），0.5 分（只给出一点：0.25 分）；说明何时选小模型（延迟、边缘部署、成本、任务简单）并给出至少一个量级（如 7B 模型 fp16 约 14 GB、GPT-3 有 1750 亿参数），0.5 分（说明了何时选小模型但全文没有任何数字：0.25 分）。题目要求了量级，所以没有数字的回答最多 2.75 分。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q1_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 大模型是参数量巨大（通常数十亿以上）、结构复杂（一般是 Transformer）、在海量数据上预训练的神经网络，例如 GPT-3（1750 亿参数）、LLaMA（70 亿到 650 亿参数）。2018 年的 BERT-base（1.1 亿）和 BERT-large（3.4 亿）当时算大，按今天的标准是中小模型。
# 优势：表示能力更强，准确率更高，泛化能力更好；能通过 in-context learning 做 few-shot 甚至 zero-shot 任务，一个模型靠提示或少量微调就能覆盖很多任务。
# 劣势：计算成本高（训练约 6ND FLOPs，推理每个 token 约 2N FLOPs，延迟高）、存储和显存需求大（7B 模型 fp16 权重约 14 GB，全参数训练约 112 GB）、训练时间长、能耗高，还会产生幻觉。
# 如果任务单一、数据不多、对延迟敏感或要部署到手机等边缘设备，我会选小模型，或者用剪枝、量化、蒸馏压缩后的模型。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q2_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 题目 2：大模型有哪些应用场景？（5 分：自动评分 3 分，书面回答 2 分）
#
# 博客列举了自然语言处理（文本分类、机器翻译）、图像识别、语音识别、推荐系统。今天常见的还有：智能客服与对话、搜索与检索增强生成（RAG）、代码生成与补全、文档理解与信息抽取、多模态（图文理解、图像生成）等。一个场景值不值得用大模型，要看效果，也要看 **每次请求的成本是否低于它带来的价值**——这正是降价推动"创新"的方式。
#
# ### 2.1 配对：场景属于哪个领域（1 分）
#
# 把每个场景对应到一个领域：`"nlp"`（自然语言处理）、`"vision"`（图像 / 视觉）、`"speech"`（语音）、`"recsys"`（推荐系统）。答案写成字典 `q2_domains`。
#
# * `"ticket_routing"`：把用户提交的工单按内容自动分到对应部门；
# * `"defect_detection"`：在产线照片中找出有缺陷的零件；
# * `"meeting_transcription"`：把会议录音转写成文字；
# * `"feed_ranking"`：决定短视频信息流里下一条给用户看什么；
# * `"contract_translation"`：把中文合同翻译成英文。
#
# 每个场景 0.2 分，分别判分。

# %% nbgrader={"grade": false, "grade_id": "q2_domains", "locked": false, "schema_version": 3, "solution": true}
# A dict from each scenario to "nlp", "vision", "speech" or "recsys".
q2_domains = None
### BEGIN SOLUTION
q2_domains = {
    "ticket_routing": "nlp",
    "defect_detection": "vision",
    "meeting_transcription": "speech",
    "feed_ranking": "recsys",
    "contract_translation": "nlp",
}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q2_domains", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does q2_domains map each of the five scenarios to one of the four domains?"""
SCENARIOS = ["ticket_routing", "defect_detection", "meeting_transcription", "feed_ranking", "contract_translation"]
expect_mapping(q2_domains, SCENARIOS, ["nlp", "vision", "speech", "recsys"], "q2_domains")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q2_domains": q2_domains}, "test_q2_domains")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "applications_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.2 哪些应用因为降价才变得划算（2 分）
#
# 下面的 `APPLICATIONS` 列出七个候选应用：每次请求的输入、输出 token 数，以及每次请求给企业带来的价值（元）。价格用第二部分客服公司的单价（`PRICE_IN_BEFORE`、`PRICE_OUT_BEFORE`，降价 `PRICE_CUT`）。一个应用 **划算** 指每次请求的 API 成本 **严格小于** 它的价值。
#
# 把 **降价前不划算、降价后划算** 的应用名放进集合 `q2_newly_viable`（例如 `{"email_drafting"}`）。提示：用 `workload_cost(1, ...)` 算每次请求的成本。
#
# 评分：每选对一个应用得 0.5 分，每多选一个不该选的应用扣 0.5 分，最低 0 分（所以把七个全选上拿不到满分）。
#
# 注意一次请求能输出的 token 数有上限（API 的 max output tokens 通常是几千到几万），翻译一本书这样的长任务要拆成很多次请求：`book_translation` 的一次请求只翻译一节。

# %% nbgrader={"grade": false, "grade_id": "applications", "locked": true, "schema_version": 3, "solution": false}
# name: (input tokens, output tokens, value per request in yuan)
APPLICATIONS = {
    "customer_service": (1_500, 300, 0.10),
    "email_drafting": (500, 400, 0.05),
    "contract_review": (60_000, 2_000, 0.80),
    "review_sentiment": (200, 5, 0.001),
    "code_completion": (2_000, 50, 0.005),
    "book_translation": (3_000, 4_000, 0.15),  # one section per request: a book takes many requests
    "video_captioning": (1_000_000, 8_000, 0.50),
}

# %% nbgrader={"grade": false, "grade_id": "q2_newly_viable", "locked": false, "schema_version": 3, "solution": true}
# A set of names from APPLICATIONS.
q2_newly_viable = None
### BEGIN SOLUTION
def _viable(price_in, price_out):
    return {name for name, (t_in, t_out, value) in APPLICATIONS.items()
            if workload_cost(1, t_in, t_out, price_in, price_out) < value}

q2_newly_viable = (_viable(PRICE_IN_BEFORE * (1 - PRICE_CUT), PRICE_OUT_BEFORE * (1 - PRICE_CUT))
                   - _viable(PRICE_IN_BEFORE, PRICE_OUT_BEFORE))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q2_newly_viable", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Is q2_newly_viable a set of application names from APPLICATIONS?"""
expect_choices(q2_newly_viable, list(APPLICATIONS), "q2_newly_viable")
print("newly viable:", sorted(q2_newly_viable))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q2_newly_viable": q2_newly_viable}, "test_q2_newly_viable")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q2_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 2.3 书面回答（2 分，人工评分）
#
# 列举至少四个大模型的应用场景，覆盖至少两个领域；然后挑其中一个，说明它为什么适合用大模型，以及落地时要注意的一项成本或风险。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 2 分）**
#
# * 列举（1 分）：至少四个具体场景，覆盖至少两个领域（博客的参考答案：自然语言处理如文本分类、机器翻译，图像识别，语音识别，推荐系统；智能客服、RAG 搜索、代码生成、多模态等也算）。只有三个或只覆盖一个领域：0.5 分。
# * 分析（1 分）：为所选场景说明适合的理由（泛化能力、少样本、一个模型多任务、理解长文本等，0.5 分），并指出一项成本或风险（每次请求成本与价值的比较、延迟、幻觉、数据隐私与合规，0.5 分）。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q2_written", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 应用场景：自然语言处理中的文本分类（工单分派、情感分析）、机器翻译、智能客服与 RAG 搜索、代码补全；图像识别（工业质检）；语音识别（会议转写）；推荐系统（信息流排序）。
# 以合同审查为例：合同长、条款表述多样，规则系统难以覆盖，大模型能理解长文本并泛化到没见过的条款写法，少量示例就能抽取关键条款。
# 风险是每份合同要处理几万 token，降价前单次成本高于价值；另外模型可能幻觉出不存在的条款，合同数据也涉及隐私，需要人工复核和合规的部署方式。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q3_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 题目 3：什么是模型压缩？有哪些方法？（10 分：自动评分 7 分，书面回答 3 分）
#
# **模型压缩**（model compression）指通过减少模型的参数数量、降低结构复杂度或计算量，使模型在保持较高性能的同时，降低计算成本和存储需求。常见方法：
#
# * **剪枝（pruning）**：去掉不重要的权重。最简单的是 **magnitude pruning**：绝对值小的权重贡献小，置为 0（非结构化剪枝 unstructured pruning，需要稀疏计算的支持才能真正加速）；也可以整行、整个通道或注意力头地剪（结构化剪枝 structured pruning，直接变小变快）。剪枝后通常要再微调恢复精度。
# * **量化（quantization）**：用更少的比特表示权重（和激活值），例如 fp32 → int8，显存和带宽省 4 倍。
#   * **对称量化（symmetric quantization）**：$s = \max|x| / 127$，$q = \operatorname{round}(x / s)$ 截断到 $[-127, 127]$ 并存为 int8；反量化（dequantization）$\hat{x} = q \cdot s$。实数 0 正好对应整数 0。
#   * **非对称量化（asymmetric / affine quantization）**：用 scale 和 **零点（zero-point）** 把区间 $[x_\min, x_\max]$ 映射到 uint8 的 $[0, 255]$：$s = (x_\max - x_\min) / 255$，$z = \operatorname{round}(-x_\min / s)$，$q = \operatorname{clip}(\operatorname{round}(x / s) + z, 0, 255)$，$\hat{x} = (q - z)\, s$。数据不以 0 为中心时（例如激活函数之后大多为正的激活值）更精确：对称量化有近一半的整数用不上。
#   * **粒度（granularity）**：整个张量共用一个 scale 是 **per-tensor**；权重矩阵的每个输出通道（每行）各用一个 scale 是 **per-channel**；LLM 的 4 bit 量化常按 32–128 个权重一组（**per-group**）。粒度越细，一个异常值（outlier）影响的范围越小，代价是多存一些 scale。
#   * **校准（calibration）与截断（clipping）**：范围不一定取 $\max|x|$。用一小批校准数据看数值的分布，把范围截在例如 99.9% 分位数、或使量化误差最小的位置：少数超出范围的值被截断（它们的误差变大），其余的值步长更小（误差变小）。
#   * **额外开销**：int4 每个权重 0.5 字节，但每组还要存 scale（有时还有 zero-point，通常是 fp16）：每 128 个权重一组约 4.1 bit / 权重，每 32 个一组约 4.5 bit / 权重。
# * **知识蒸馏（knowledge distillation）**：用大模型（teacher）的输出训练一个小模型（student），见题目 4。
# * **低秩分解（low-rank factorization）**：把大矩阵 $W \approx AB$ 分解成两个瘦矩阵；以及参数共享（weight sharing）等。
#
# ### 3.1 多选：哪些属于模型压缩方法（1 分）
#
# 把所有属于模型压缩的方法放进集合 `q3_methods`：
#
# * A. 剪枝（pruning）
# * B. 量化（quantization）
# * C. 知识蒸馏（knowledge distillation）
# * D. 低秩分解（low-rank factorization）
# * E. 数据增强（data augmentation）
# * F. 增加 Transformer 的层数
# * G. 提高训练时的学习率（learning rate）
#
# 评分：每选对一个方法得 0.25 分，每多选一个不该选的方法扣 0.25 分，最低 0 分（所以把七个全选上拿不到满分）。

# %% nbgrader={"grade": false, "grade_id": "q3_methods", "locked": false, "schema_version": 3, "solution": true}
# A set of letters, e.g. {"A", "G"}.
q3_methods = None
### BEGIN SOLUTION
q3_methods = {"A", "B", "C", "D"}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q3_methods", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is q3_methods a set of option letters A-G?"""
expect_choices(q3_methods, "ABCDEFG", "q3_methods")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q3_methods": q3_methods}, "test_q3_methods")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "prune_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.2 Magnitude pruning（2 分）
#
# 实现 `magnitude_prune(weights, sparsity)`：返回一个 **新** 数组（形状和 dtype 都与 `weights` 相同），其中绝对值最小的 $k = \lfloor \text{sparsity} \times n \rfloor$ 个元素被置为 0（$n$ 是元素总数），其余元素不变。
#
# * 绝对值相同时，按展平后（row-major，`ravel()` 的顺序）位置靠前的先剪——`np.argsort(..., kind="stable")` 正好是这个顺序；
# * `sparsity` 必须在 $[0, 1]$ 内，否则 `raise ValueError`；`sparsity = 0` 时原样返回（一个副本），`sparsity = 1` 时全为 0；
# * 不要修改传入的 `weights`。

# %% nbgrader={"grade": false, "grade_id": "magnitude_prune", "locked": false, "schema_version": 3, "solution": true}
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


# %% nbgrader={"grade": true, "grade_id": "test_magnitude_prune", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does magnitude_prune return an array of the input's shape and dtype?"""
w = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
pruned = call(magnitude_prune, w.copy(), 0.5, what="magnitude_prune")
expect_array(pruned, "magnitude_prune(w, 0.5)", shape=w.shape, dtype=np.float32)
print(f"zeros after pruning to 50% sparsity: {int(np.sum(pruned == 0))} of {w.size}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(magnitude_prune, "test_magnitude_prune")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "quantize_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.3 对称 int8 量化（2 分）
#
# 实现 `quantize_int8(x)`：对整个张量做对称量化（per-tensor），返回 `(q, scale)`：
#
# * `scale = max|x| / 127`，Python `float`；如果 `x` 全为 0，`scale = 1.0`（避免除以 0）；
# * `q = np.round(x / scale)`，截断（clip）到 $[-127, 127]$，转成 `np.int8`，形状与 `x` 相同（不使用 −128，正负范围对称）；
# * 不要修改传入的 `x`。
#
# 说明：scale 取 $\max|x| / 127$ 时，$|x / s| \le 127$ 总是成立，所以这里的 clip 其实不会起作用；当 scale 来自校准、比 $\max|x| / 127$ 小时（见下面 3.5 之后的演示），它才会真正截断。

# %% nbgrader={"grade": false, "grade_id": "quantize_int8", "locked": false, "schema_version": 3, "solution": true}
def quantize_int8(x):
    """Quantizes x symmetrically to int8; returns (q, scale) with x ≈ q * scale."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float32)
    max_abs = float(np.max(np.abs(x))) if x.size else 0.0
    scale = max_abs / 127.0 if max_abs > 0 else 1.0
    q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)
    return q, scale
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_quantize_int8", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does quantize_int8 return an int8 array of the input's shape and a positive scale?"""
x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
result = call(quantize_int8, x.copy(), what="quantize_int8")
assert isinstance(result, tuple) and len(result) == 2, "quantize_int8 must return a tuple (q, scale)"
expect_array(result[0], "q", shape=x.shape, dtype=np.int8)
expect_number(result[1], "scale", low=0)
print("q =", result[0].tolist(), " scale =", result[1])
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(quantize_int8, "test_quantize_int8")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "dequantize_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.4 反量化（1 分）
#
# 实现 `dequantize_int8(q, scale)`：返回 `q * scale`，dtype 为 `np.float32`，形状与 `q` 相同。注意 int8 的范围只有 $[-128, 127]$，先转成浮点数再乘。

# %% nbgrader={"grade": false, "grade_id": "dequantize_int8", "locked": false, "schema_version": 3, "solution": true}
def dequantize_int8(q, scale):
    """Returns the float32 approximation q * scale of the quantized tensor."""
    ### BEGIN SOLUTION
    return (np.asarray(q).astype(np.float64) * scale).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_dequantize_int8", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does dequantize_int8 return a float32 array of the shape of q?"""
x_hat = call(dequantize_int8, np.array([[-127, 0], [64, 127]], dtype=np.int8), 0.02, what="dequantize_int8")
expect_array(x_hat, "dequantize_int8(q, 0.02)", shape=(2, 2), dtype=np.float32)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(dequantize_int8, "test_dequantize_int8")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "error_bound_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.5 量化误差的上界（1 分）
#
# 按上面的方案量化一个最大绝对值为 6.35 的张量，再反量化。对任意一个元素，误差 $|x - \hat{x}|$ **最多** 是多少？把这个数赋给 `q3_error_bound`（不计浮点运算本身的舍入误差）。提示：`round` 最多把一个数移动多远？
#
# 下面的单元格会用你的函数在随机数据上验证你的答案（不计分）。

# %% nbgrader={"grade": false, "grade_id": "q3_error_bound", "locked": false, "schema_version": 3, "solution": true}
q3_error_bound = None
### BEGIN SOLUTION
q3_error_bound = (6.35 / 127) / 2
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q3_error_bound", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is q3_error_bound a positive number?"""
expect_number(q3_error_bound, "q3_error_bound", low=0)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q3_error_bound": q3_error_bound}, "test_q3_error_bound")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "error_bound_demo", "locked": true, "schema_version": 3, "solution": false}
x = np.random.default_rng(2).uniform(-1.0, 1.0, size=10_000).astype(np.float32)
x[0] = 6.35
try:
    q, scale = call(quantize_int8, x, what="quantize_int8")
    x_hat = call(dequantize_int8, q, scale, what="dequantize_int8")
except (AssertionError, TypeError, ValueError) as err:
    print("Implement quantize_int8 and dequantize_int8 above to run this check.", err)
else:
    print(f"largest error on 10,000 values: {float(np.max(np.abs(x - x_hat))):.5f}; scale / 2 = {scale / 2:.5f}")
    print(f"memory: {x.nbytes:,} bytes in float32 -> {np.asarray(q).nbytes:,} bytes in int8")
    print(f"step without the outlier: {np.abs(x[1:]).max() / 127:.5f}; with it: {scale:.5f} "
          f"({scale / (np.abs(x[1:]).max() / 127):.2f}x coarser for every other value)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "quant_schemes_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 一个 outlier 的代价：per-channel scale、截断与非对称量化（不计分）
#
# 上面的 10,000 个数里只有一个是 6.35，其余都在 $(-1, 1)$ 之间。per-tensor 的 scale 由这一个异常值决定：步长 $s = 6.35 / 127 = 0.05$，没有它时约为 $1 / 127 \approx 0.0079$。**一个 outlier 让其余每个值的量化步长都粗了约 6.35 倍**，它们的误差也大了约 6.35 倍。LLM 的权重和激活值里确实有这样的少数大值，这是低比特量化的主要难点之一。
#
# 下面的单元格用一个 64 × 256 的权重矩阵（每行是一个输出通道，第 0 行有一个 6.35）比较三种做法：
#
# * **per-tensor，$\max|x|$**：所有行的步长都是 0.05；
# * **per-channel**：每行一个 scale，只有 outlier 所在的第 0 行步长变粗，其余 63 行不受影响（outlier 本身仍然精确）；
# * **per-tensor，截断在 99.9% 分位数**（校准）：outlier 被截断到约 1，它自己的误差很大，换来其余所有值的小步长。哪种更好取决于 outlier 对模型输出有多重要：LLM 里的大值往往很重要，所以实际方法常把它们单独处理（如 LLM.int8() 用更高的精度保存 outlier 所在的维度）。
#
# 最后是非对称 uint8：对一组不以 0 为中心的数（$[-0.5, 3.5]$），zero-point 让 256 个整数都用在数据所在的区间上，步长和误差都只有对称 int8 的约 0.57 倍。

# %% nbgrader={"grade": false, "grade_id": "quant_schemes_demo", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(3)
w = rng.uniform(-1.0, 1.0, size=(64, 256)).astype(np.float32)  # 64 output channels (rows) of 256 weights
w[0, 0] = 6.35  # one outlier, in channel 0
others = np.ones(w.shape, dtype=bool)
others[0, 0] = False  # every weight but the outlier


def fake_quantize(values, max_abs):
    """Symmetric int8 quantization of values with range max_abs (a number, or one per row), then dequantization."""
    step = max_abs / 127
    return np.clip(np.round(values / step), -127, 127) * step, step


schemes = {
    "per-tensor, max|x|": np.abs(w).max(),
    "per-channel, max|x| of each row": np.abs(w).max(axis=1, keepdims=True),
    "per-tensor, clipped at the 99.9% quantile": np.quantile(np.abs(w), 0.999),
}
for name, max_abs in schemes.items():
    w_hat, step = fake_quantize(w, max_abs)
    print(f"{name:42s} step of row 1: {np.ravel(step)[-1]:.4f}; mean error of the other weights "
          f"{np.mean(np.abs(w - w_hat)[others]):.5f}; error on the outlier {abs(w[0, 0] - w_hat[0, 0]):.3f}")

a = rng.uniform(-0.5, 3.5, size=10_000).astype(np.float32)  # not centred on 0
a_min, a_max = float(a.min()), float(a.max())
step = (a_max - a_min) / 255
zero_point = int(np.round(-a_min / step))
q_u8 = np.clip(np.round(a / step) + zero_point, 0, 255).astype(np.uint8)
a_hat = (q_u8.astype(np.float32) - zero_point) * step
sym_hat, sym_step = fake_quantize(a, np.abs(a).max())
print(f"\nvalues in [{a_min:.2f}, {a_max:.2f}]: symmetric int8 step {sym_step:.4f}, mean error {np.mean(np.abs(a - sym_hat)):.5f}; "
      f"asymmetric uint8 step {step:.4f} with zero-point {zero_point}, mean error {np.mean(np.abs(a - a_hat)):.5f}")
for group, extra_bits in ((128, 16), (32, 16)):
    print(f"int4 in groups of {group} weights with one fp16 scale per group: {4 + extra_bits / group:.3f} bits per weight")

# %% [markdown] nbgrader={"grade": false, "grade_id": "q3_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 3.6 书面回答（3 分，人工评分）
#
# 什么是模型压缩？列出并比较至少三种方法：各自压缩的是什么、能省多少、代价是什么。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分）**
#
# * 定义（1 分）：通过降低参数数量、结构复杂度或计算量，使模型在保持较高性能的同时降低计算成本和存储需求（博客的参考答案）。只说"把模型变小"：0.5 分。
# * 方法（1.5 分，每种 0.5 分，至少三种）：剪枝（去掉不重要的权重或结构，非结构化剪枝需要稀疏计算支持才能加速）；量化（降低数值精度，如 fp32 → int8 省 4 倍显存，误差不超过 scale / 2）；知识蒸馏（用 teacher 的软标签训练小的 student）；低秩分解、参数共享也可以。
# * 代价与取舍（0.5 分）：精度损失、通常需要微调或校准数据、加速依赖硬件和推理框架的支持等，至少一点。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q3_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 模型压缩是在尽量保持模型性能的前提下，减少参数数量、结构复杂度或计算量，从而降低推理的计算成本、显存和存储需求，让模型能部署到更便宜的硬件或边缘设备上。
# 剪枝：把绝对值小、不重要的权重（或整个通道、注意力头）去掉；非结构化剪枝能把大部分权重置 0，但要有稀疏计算支持才真正变快，结构化剪枝直接变小变快，通常都需要再微调。
# 量化：用低精度表示权重和激活，fp32 → int8 显存和带宽省 4 倍；int4 加上每组的 scale 约 4.1–4.5 bit / 权重，约省 7 倍。对称量化的误差不超过 scale / 2，一个 outlier 会让整个张量的步长变粗，所以常用 per-channel / per-group 的 scale、截断校准或非对称（带 zero-point）的量化；代价是精度下降，需要校准数据，加速依赖硬件支持的整数运算。
# 知识蒸馏：用大模型（teacher）的软标签训练一个小模型（student），小模型可以小很多倍，但需要额外的训练成本。
# 低秩分解把大矩阵分解成两个小矩阵的乘积，也能减少参数和计算。几种方法可以组合使用，例如先蒸馏再量化。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 题目 4：什么是知识蒸馏？它的目的是什么？（9 分：自动评分 5 分，书面回答 4 分）
#
# 博客把这道题叫"模型蒸馏"，标准的术语是 **知识蒸馏**（knowledge distillation，Hinton, Vinyals & Dean, 2015），面试时请用这个名字。它把大模型（teacher）的知识传给小模型（student）：把 teacher 的输出概率作为 **软标签（soft labels / soft targets）**，训练 student 去拟合它们。目的：得到一个小而快、推理成本低、精度接近 teacher 的模型。
#
# **温度（temperature）$T$。** 带温度的 softmax 为
#
# $$p_i = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}.$$
#
# $T = 1$ 是普通的 softmax；$T > 1$ 让分布更平滑。注意平滑的含义：任意两类的概率之比 $p_i / p_j = \exp\big((z_i - z_j) / T\big)$ 随 $T$ 增大趋向 1，所以类别之间的相对大小 **不是变得更明显，而是被压缩了**（4.1 里 logits $[1, 2, 3]$ 在 $T = 10$ 时是 $[0.30, 0.33, 0.37]$）。温度真正的作用是让错误类别得到不可忽略的概率：$T = 1$ 时它们可能只有 $10^{-4}$，在损失里几乎没有分量；升温后，它们之间的相对顺序（例如"这张 3 有点像 8，不像 1"）才能通过损失传给 student。这些信息被称为 dark knowledge，是 one-hot 硬标签（hard labels）里没有的。
#
# **蒸馏损失。** 用同一个 $T$ 计算 teacher 的 $p^{(t)}$ 和 student 的 $p^{(s)}$，损失是 KL 散度（KL divergence）乘以 $T^2$：
#
# $$\mathcal{L}_\text{KD} = T^2 \cdot \mathrm{KL}\big(p^{(t)} \,\|\, p^{(s)}\big) = T^2 \sum_i p^{(t)}_i \big(\log p^{(t)}_i - \log p^{(s)}_i\big).$$
#
# 实际训练常用 $\alpha \cdot \mathrm{CE}(y, p^{(s)}_{T=1}) + (1 - \alpha)\,\mathcal{L}_\text{KD}$，把硬标签的交叉熵和蒸馏损失结合起来。
#
# **数值稳定性。** logits 可能很大（例如 1000），直接 `np.exp(1000)` 会溢出成 `inf`。先减去每行的最大值再求 `exp`，结果不变；计算 $\log p$ 时用 log-softmax：$\log p_i = z_i - \max z - \log \sum_j \exp(z_j - \max z)$，不要先算出 $p$ 再取 `np.log`（$p$ 下溢成 0 时会得到 `-inf`）。

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.1 带温度的 softmax（2 分）
#
# 实现 `softmax_t(logits, T)`：沿 **最后一个轴** 计算带温度的 softmax，支持 1-D（一个样本）和 2-D（一批样本，每行一个）的 NumPy 数组，返回同形状的浮点数组。logits 很大时也不能溢出；`T <= 0` 时 `raise ValueError`。

# %% nbgrader={"grade": false, "grade_id": "softmax_t", "locked": false, "schema_version": 3, "solution": true}
def softmax_t(logits, T):
    """Returns softmax(logits / T) along the last axis, computed stably."""
    ### BEGIN SOLUTION
    if T <= 0:
        raise ValueError(f"the temperature must be positive, got {T}")
    z = np.asarray(logits, dtype=np.float64) / T
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_t", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does softmax_t return probabilities of the input's shape that sum to 1?"""
probs = call(softmax_t, np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]]), 1.0, what="softmax_t")
expect_array(probs, "softmax_t(logits, 1.0)", shape=(2, 3))
assert np.allclose(np.sum(probs, axis=-1), 1.0), "each row of softmax_t's result should sum to 1"
print(np.round(probs, 3))
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(softmax_t, "test_softmax_t")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "distillation_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.2 蒸馏损失（2 分）
#
# 实现 `distillation_loss(student_logits, teacher_logits, T)`：返回上面的 $\mathcal{L}_\text{KD} = T^2 \cdot \mathrm{KL}(p^{(t)} \| p^{(s)})$（一个 `float`）。输入是 1-D（一个样本）或 2-D（一批样本）时，对每个样本求 KL，再 **对样本取平均**。logits 大到 ±1000 时结果也必须是准确的有限数（用 log-softmax）。

# %% nbgrader={"grade": false, "grade_id": "distillation_loss", "locked": false, "schema_version": 3, "solution": true}
def distillation_loss(student_logits, teacher_logits, T):
    """Returns T**2 * KL(teacher || student) of the temperature-T softmaxes, averaged over samples."""
    ### BEGIN SOLUTION
    def log_softmax_t(logits):
        z = np.atleast_2d(np.asarray(logits, dtype=np.float64)) / T
        z = z - np.max(z, axis=-1, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))

    log_p_student = log_softmax_t(student_logits)
    log_p_teacher = log_softmax_t(teacher_logits)
    kl_per_sample = np.sum(np.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
    return float(T**2 * np.mean(kl_per_sample))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_distillation_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does distillation_loss return one non-negative number?"""
loss = call(distillation_loss, np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]), 2.0, what="distillation_loss")
expect_number(loss, "distillation_loss(student, teacher, 2.0)", low=0)
print(f"distillation loss at T = 2: {float(loss):.4f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(distillation_loss, "test_distillation_loss")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_choices_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.3 单选：温度的作用（0.5 分）
#
# 把温度从 $T = 1$ 提高到 $T = 10$，softmax 输出的软标签会怎样？答案写在 `q4_temperature`。
#
# * A. 更尖锐：最大的概率更接近 1。
# * B. 更平滑：各类别的概率更接近（任意两类的概率之比更接近 1），错误类别得到不可忽略的概率，它们之间的相对顺序因此能进入损失。
# * C. 不变：softmax 的输出与 $T$ 无关。
# * D. 概率之和变大。
#
# ### 4.4 单选：为什么乘以 $T^2$（0.5 分）
#
# 蒸馏损失为什么要乘以 $T^2$？答案写在 `q4_t_squared`。
#
# * A. 为了让损失始终大于 1。
# * B. 软目标项对 logits 的梯度大约按 $1/T^2$ 缩小，乘以 $T^2$ 让它和硬标签项的量级相当，改变 $T$ 时不必重新调 $\alpha$。
# * C. 为了让 KL 散度变得对称。
# * D. 因为 $T^2$ 等于 student 与 teacher 参数量之比。
#
# 选择题猜对的机会是 25%，所以每题只占 0.5 分，另外 1 分给下面 4.5 里的理由（人工评分）。

# %% nbgrader={"grade": false, "grade_id": "q4_choices", "locked": false, "schema_version": 3, "solution": true}
q4_temperature = None  # one letter, e.g. "A"
q4_t_squared = None  # one letter
### BEGIN SOLUTION
q4_temperature = "B"
q4_t_squared = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q4_temperature", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Is q4_temperature one of the letters A-D?"""
expect_choice(q4_temperature, "ABCD", "q4_temperature")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q4_temperature": q4_temperature}, "test_q4_temperature")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q4_t_squared", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Is q4_t_squared one of the letters A-D?"""
expect_choice(q4_t_squared, "ABCD", "q4_t_squared")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q4_t_squared": q4_t_squared}, "test_q4_t_squared")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_reason_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 4.5 你的理由（1 分，人工评分）
#
# 用一两句话分别说明你在 4.3 和 4.4 的选择为什么对：4.3 请用 4.1 里你自己算出的数字（例如 $T = 1$ 和 $T = 10$ 时最大与最小概率之比）；4.4 请说明软目标项的梯度怎样随 $T$ 变化。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 1 分，每问 0.5 分）**
#
# * 4.3（0.5 分）：指出升温后概率之比 $p_i / p_j = \exp((z_i - z_j) / T)$ 趋向 1（分布变平、相对大小被压缩），而错误类别的概率变得不可忽略，使它们的相对顺序进入损失；并用数字支撑（例如 logits $[1, 2, 3]$：$T = 1$ 时最大 / 最小之比约 7.4，$T = 10$ 时约 1.22）。机制对但没有数字：0.25 分。说"错误类别之间的差别变得更明显"：0 分（这是错的）。
# * 4.4（0.5 分）：软目标项对 student logits 的梯度是 $(p^{(s)}_i - p^{(t)}_i) / T$，$T$ 较大时约为 $(z^{(s)}_i - z^{(t)}_i) / (N T^2)$，即按 $1/T^2$ 缩小；乘以 $T^2$ 使它与硬标签项的量级相当，改 $T$ 时不必重调 $\alpha$。只说"为了平衡两项损失"而没有 $1/T^2$：0.25 分。
# * 选择题选错、但理由里的推理正确并与正确选项一致时，理由照常给分。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q4_reason", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 4.3：logits [1, 2, 3] 在 T = 1 时概率是 [0.09, 0.24, 0.67]，最大与最小之比约 7.4；T = 10 时是 [0.30, 0.33, 0.37]，比值只有约 1.22。升温把所有概率之比 exp((z_i − z_j)/T) 压向 1，分布变平；好处是错误类别的概率不再接近 0，它们之间谁更像正确答案（dark knowledge）才能在损失里体现出来。
# 4.4：软目标项对 student 第 i 个 logit 的梯度是 (p_s,i − p_t,i)/T，T 大时约为 (z_s,i − z_t,i)/(N T²)，按 1/T² 缩小；乘以 T² 把它拉回和硬标签交叉熵相当的量级，换 T 时不用重新调 α。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 4.6 书面回答（3 分，人工评分）
#
# 什么是知识蒸馏？它的目的是什么？请解释软标签（soft labels）和温度（temperature）分别起什么作用。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分）**
#
# * 定义（1 分）：把大模型（teacher）的知识传给小模型（student）的方法；student 以 teacher 的输出作为软标签进行训练（博客的参考答案）。
# * 目的（1 分）：训练一个小模型来近似大模型，降低推理的计算成本、延迟和显存，便于部署，同时尽量保持精度。只说"压缩模型"：0.5 分。
# * 软标签与温度（1 分）：软标签包含类别之间的相似关系（dark knowledge），比 one-hot 硬标签信息更多（0.5 分）；温度 T > 1 让分布更平滑，使错误类别得到不可忽略的概率、它们的相对顺序能进入损失，损失常为 T² 缩放的 KL 散度并与硬标签交叉熵加权组合（0.5 分；说"温度让错误类别之间的差别更明显"的，这半分只给 0.25 分）。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q4_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 知识蒸馏是把大模型（teacher）学到的知识迁移到小模型（student）的方法：先训练好 teacher，再让 student 去拟合 teacher 的输出概率分布（软标签），通常同时也拟合真实的硬标签。
# 目的是得到一个参数少、推理快、显存占用小、精度接近 teacher 的模型，降低部署和推理成本，例如把大模型的能力放到手机或高并发的线上服务里。
# 软标签不只告诉 student 正确答案，还告诉它错误类别之间的相对可能性（例如这张 3 更像 8 而不像 1），这些 dark knowledge 让 student 学得更快、泛化更好。
# 温度 T 控制软标签的平滑程度：T 越大分布越平，错误类别的概率不再接近 0，它们之间的相对顺序才能被 student 学到（概率之比本身是被压缩的）；蒸馏损失是 teacher 与 student 在同一温度下的 KL 散度乘以 T²，乘 T² 是为了抵消梯度按 1/T² 缩小，和硬标签的交叉熵按 α 加权组合。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "q5_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 题目 5：什么是预训练？有哪些预训练方法？（8 分：自动评分 5 分，书面回答 3 分）
#
# **预训练**（pre-training）指先在大规模数据（通常是无标注文本）上用 **自监督（self-supervised）** 目标训练模型，让它学到语言和世界的通用知识；之后再针对具体任务做微调（fine-tuning）或直接用提示（prompting）。预训练方法主要按 **训练目标和模型结构** 区分：
#
# * **掩码语言模型（masked language modelling, MLM）——BERT**：随机选出约 15% 的 token，把它们替换成 `[MASK]`（BERT 实际按 80% `[MASK]`、10% 随机 token、10% 不变处理），让模型预测这些位置的原始 token。模型是 **双向 Transformer encoder**：每个位置都能看到左右两侧的上下文，只在被选中的位置上计算损失。擅长理解类任务：分类、序列标注、抽取式问答。（BERT 还有一个 next sentence prediction 目标，后来 RoBERTa 发现去掉它效果更好。）
# * **自回归 / 因果语言模型（autoregressive / causal LM）——GPT**：给定前面所有 token，预测下一个 token（next-token prediction）。模型是 **单向的 Transformer decoder**，用 causal mask 保证每个位置只能看到它左边的 token；长度为 $n$ 的序列在 $n - 1$ 个位置上都有损失。天然适合生成。
# * 其他：encoder-decoder 的去噪目标（T5 的 span corruption、BART）、对比学习（contrastive learning，如 CLIP 的图文对齐）等。
#
# > **⚠️ 一个常见的错误答案。** 网上流传的参考答案（包括本课程所用的博客）写道："预训练的方法包括基于数据的预训练（如 BERT）和基于任务的预训练（如 GPT）。"这是 **错的**：BERT 和 GPT 都是在大规模无标注文本上做自监督预训练，二者都"基于数据"；GPT 的 next-token prediction 也不针对任何具体任务，任务是在微调或提示时才出现的。二者真正的区别在于 **预训练目标和结构**：BERT 是 MLM + 双向 encoder，GPT 是自回归的下一个 token 预测 + 单向 decoder。面试时如果按"基于数据 / 基于任务"来区分，会被认为没有理解预训练。
#
# 下面两个函数把两种目标"要预测哪些 token、能看到什么上下文"具体化。token 用字符串列表表示。

# %% [markdown] nbgrader={"grade": false, "grade_id": "mlm_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 5.1 MLM 的输入和预测目标（2 分）
#
# 实现 `mlm_example(tokens, mask, mask_token="[MASK]")`，返回 `(inputs, targets)`：
#
# * `inputs`：一个新列表，`mask` 为 `True` 的位置换成 `mask_token`，其余位置保持原 token（这就是 BERT 看到的、两侧上下文都在的输入）；
# * `targets`：字典 `{位置: 原始 token}`，只包含被 mask 的位置（损失只在这些位置上计算）；
# * `mask` 是与 `tokens` 等长的布尔列表或 NumPy 数组；长度不同时 `raise ValueError`；不要修改传入的 `tokens`。

# %% nbgrader={"grade": false, "grade_id": "mlm_example", "locked": false, "schema_version": 3, "solution": true}
def mlm_example(tokens, mask, mask_token="[MASK]"):
    """Returns (inputs, targets) of a masked-LM training example: masked inputs, {position: original token}."""
    ### BEGIN SOLUTION
    if len(mask) != len(tokens):
        raise ValueError("mask and tokens must have the same length")
    inputs = [mask_token if bool(m) else token for token, m in zip(tokens, mask)]
    targets = {position: token for position, (token, m) in enumerate(zip(tokens, mask)) if bool(m)}
    return inputs, targets
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlm_example", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does mlm_example return a list of inputs as long as the sequence and a dict of targets?"""
sentence = ["大", "模型", "的", "价格", "下降", "了"]
result = call(mlm_example, list(sentence), [False, True, False, True, False, False], what="mlm_example")
assert isinstance(result, tuple) and len(result) == 2, "mlm_example must return a tuple (inputs, targets)"
assert isinstance(result[0], list) and len(result[0]) == len(sentence), "inputs must be a list as long as tokens"
assert isinstance(result[1], dict), "targets must be a dict {position: token}"
print("inputs: ", result[0])
print("targets:", result[1])
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(mlm_example, "test_mlm_example")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "clm_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 5.2 Causal LM 的预测目标（1 分）
#
# 实现 `clm_example(tokens)`：返回一个列表，按位置顺序列出 causal LM 在这个序列上做的每一次预测 `(prefix, target)`：`prefix` 是模型能看到的上下文（该位置左边的所有 token，写成 `tuple`），`target` 是要预测的下一个 token。第一个 token 左边没有上下文，不作为预测目标；序列长度不到 2 时返回空列表。

# %% nbgrader={"grade": false, "grade_id": "clm_example", "locked": false, "schema_version": 3, "solution": true}
def clm_example(tokens):
    """Returns [(prefix, next_token), ...]: every prediction a causal LM makes on the sequence."""
    ### BEGIN SOLUTION
    tokens = list(tokens)
    return [(tuple(tokens[:position]), tokens[position]) for position in range(1, len(tokens))]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_clm_example", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does clm_example return a list of (prefix, target) pairs?"""
pairs = call(clm_example, list(sentence), what="clm_example")
assert isinstance(pairs, list), "clm_example must return a list"
assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs), "each item must be a pair (prefix, target)"
for prefix, target in pairs:
    print(" ".join(prefix), "->", target)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(clm_example, "test_clm_example")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q5_choices_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 5.3 配对：BERT 和 GPT 的预训练（1 分）
#
# 为 BERT 和 GPT 各选一个最准确的描述，写成字典 `q5_objectives`（键为 `"BERT"`、`"GPT"`，值为选项字母）。每个 0.5 分，分别判分：
#
# * A. 掩码语言模型（MLM），双向 Transformer encoder
# * B. 自回归的下一个 token 预测（causal LM），单向 Transformer decoder
# * C. 基于数据的预训练
# * D. 基于任务的预训练
#
# ### 5.4 判断（1 分）
#
# 判断下面每句话是否正确，写成字典 `q5_statements`（键为 `"A"`–`"E"`，值为 `True` 或 `False`）。每句 0.2 分，分别判分：
#
# * A. BERT 和 GPT 的预训练都使用无标注文本，属于自监督学习。
# * B. GPT 的预训练需要人工标注的任务数据，所以叫"基于任务的预训练"。
# * C. BERT 预测被 mask 的 token 时，可以同时利用它左右两侧的上下文。
# * D. 对长度为 $n$ 的序列，causal LM 在 $n - 1$ 个位置上计算损失；BERT 只在被选中的约 15% 的位置上计算损失。
# * E. 因为 BERT 是双向的，它比 GPT 更适合逐个 token 地生成长文本。

# %% nbgrader={"grade": false, "grade_id": "q5_choices", "locked": false, "schema_version": 3, "solution": true}
q5_objectives = None  # {"BERT": letter, "GPT": letter}
q5_statements = None  # {"A": True or False, ..., "E": True or False}
### BEGIN SOLUTION
q5_objectives = {"BERT": "A", "GPT": "B"}
q5_statements = {"A": True, "B": False, "C": True, "D": True, "E": False}
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q5_objectives", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does q5_objectives give one letter A-D for BERT and for GPT?"""
expect_mapping(q5_objectives, ["BERT", "GPT"], list("ABCD"), "q5_objectives")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q5_objectives": q5_objectives}, "test_q5_objectives")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q5_statements", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does q5_statements give True or False for each statement A-E?"""
expect_mapping(q5_statements, "ABCDE", [True, False], "q5_statements")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"q5_statements": q5_statements}, "test_q5_statements")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q5_task", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": true}
# ### 5.5 书面回答（3 分，人工评分）
#
# 什么是预训练？有哪些预训练方法？请对比 BERT 和 GPT 的预训练目标与结构，并说明各自擅长什么任务。
#
# ### BEGIN MARK SCHEME
# **评分标准（共 3 分）**
#
# * 定义（1 分）：在大规模（通常无标注）数据上先训练模型，使其获得通用的先验知识，再针对具体任务微调或提示（博客参考答案的第一句是对的）。提到自监督更好。
# * 方法（1 分）：正确说明 MLM（BERT：mask 约 15% 的 token 并预测原 token，双向 encoder）和自回归 / causal LM（GPT：预测下一个 token，单向 decoder + causal mask），各 0.5 分。**若按"基于数据的预训练（BERT）/ 基于任务的预训练（GPT）"来区分，本项 0 分**（博客的参考答案在这里是错的）。
# * 对比与应用（1 分）：说明 BERT 擅长理解类任务（分类、抽取、序列标注）并与其双向结构联系起来，0.5 分；说明 GPT 擅长生成并与其自回归结构联系起来，0.5 分。只列任务、没有和结构联系：每项 0.25 分。提到其他方法（T5 / BART 的去噪、对比学习）或"预训练 + 微调"范式是补充，不额外加分，但可以弥补其中一项的 0.25 分。
# ### END MARK SCHEME

# %% [markdown] nbgrader={"grade": true, "grade_id": "q5_written", "locked": false, "points": 3, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# 预训练是先在海量无标注数据上用自监督目标训练模型，让它学到通用的语言知识和世界知识，再通过微调或提示把它用到具体任务上，这样下游任务只需要少量标注数据。
# 主要方法按训练目标和结构区分。BERT 用掩码语言模型：随机 mask 约 15% 的 token，让双向 Transformer encoder 利用左右两侧的上下文预测原始 token，损失只在被 mask 的位置上计算。GPT 用自回归语言模型：在 causal mask 下根据前面所有 token 预测下一个 token，是单向的 decoder，长度为 n 的序列在 n − 1 个位置上都有损失（除第一个 token 外，每个 token 都是一次预测的目标）。
# 此外还有 T5、BART 这类 encoder-decoder 的去噪目标，以及 CLIP 这样的对比学习。
# BERT 擅长文本分类、命名实体识别、抽取式问答等理解类任务；GPT 天然适合生成，也能通过提示完成多种任务。把两者说成"基于数据"和"基于任务"是错误的：两者都是在无标注数据上的自监督预训练。
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 完成
#
# 自动评分部分共 34 分，书面回答共 17 分（由老师按评分标准人工评分）。
#
# 回到博客的五道面试题：你现在能给出比博客参考答案更准确的回答——大模型的"大"有多大、贵在哪里（第一部分）；降价为什么推动应用，用成本、盈亏平衡点和毛利率说明（第二部分、题目 2）；压缩不只是"变小"，量化有 scale、zero-point、粒度和校准（题目 3）；博客所说的"模型蒸馏"就是知识蒸馏，温度压缩概率之比、让 dark knowledge 进入损失（题目 4）；预训练按目标和结构区分，而不是"基于数据 / 基于任务"（题目 5）。提交前请 *Restart Kernel and Run All Cells*，确认没有报错，然后保存并提交（JupyterHub：*Assignments → Submit*；Colab：*File → Download → Download .ipynb*，按老师的要求上传）。
