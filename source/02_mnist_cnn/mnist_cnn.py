# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 02：用卷积神经网络（CNN）识别 MNIST 手写数字
#
# 面试中常见的编程题：“用 CNN 实现 MNIST 分类”。原博客给了一段参考代码（`tf.keras`，“满分答案解析”里是两组 `Conv2D` + `MaxPooling2D`，`Flatten`，`Dense(128)`，`Dense(10, softmax)`）。它的预处理漏掉了通道维：代码照样能跑，却埋着一个到部署时才会暴露的 bug（第 2 节）。这个作业里你会：
#
# 1. 通过 `course` 工具包加载 MNIST，并做正确的预处理（**1 分**）；
# 2. 在函数 `build_cnn()` 里搭建并编译 CNN（**2 分**，测试会检查模型结构）；
# 3. 训练模型，并在测试集上达到当前硬件配置（profile）要求的最低准确率（**3 分**）；
# 4. 看结果：样本、训练曲线、混淆矩阵（confusion matrix）、分错的数字，并找出最常被混淆的一对数字（**1 分**）。
#
# 共 **7 分**，由 nbgrader 自动评分。可见的测试只检查答案的形式；正确性由隐藏测试检查。
#
# **关于准确率的评分**：你的代码打印的准确率只供你自己参考。评分时，隐藏测试会把你训练好的模型保存下来，由评分程序在 **另一个全新的 Python 进程** 里重新加载（Keras safe mode），用它自己加载和预处理的测试集、自己的计算来测准确率。所以改写变量、替换 `evaluate`/`predict` 或 `course` 里的函数都不会改变分数；用标准 Keras 层搭的模型才能被加载和评分。
#
# **运行时间**：有 GPU 时使用 `gpu` 配置（更多轮次、更大的 batch）；没有 GPU 时使用 `cpu` 配置，整个 notebook（含训练）在 2 核 CPU、离线数据上实测 25–35 秒（其中训练约 15 秒）。
#
# **操作方法**：从上到下依次运行所有单元格，在标有 `# YOUR CODE HERE` 的地方写代码，然后用 *Validate* 检查。

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
from course.runtime import import_tensorflow

tf = import_tensorflow()  # before Keras: keeps TensorFlow's C++ start-up notices out of the notebook
import keras
import numpy as np

from course.checks.mnist import required_accuracy
from course.data import load_mnist
from course.plots import plot_confusion_matrix, plot_history, show_digits
from course.profiles import get_profile

profile = get_profile()
SEED = 42
keras.utils.set_random_seed(SEED)  # Python, NumPy and TensorFlow random generators

print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}")
print(f"GPU: {[d.name for d in tf.config.list_physical_devices('GPU')] or 'none'}")
print(
    f"profile '{profile.name}': epochs={profile.mnist_epochs}, batch_size={profile.mnist_batch_size}, "
    f"at most {profile.mnist_train_limit or 'all'} training digits, parameter budget={profile.mnist_max_params:,}"
)

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. 数据
#
# `load_mnist()` 返回的结构和 `keras.datasets.mnist.load_data()` 完全相同：`(x_train, y_train), (x_test, y_test)`，图像是 `(n, 28, 28)` 的 `uint8` 数组（像素 0–255），标签是整数 0–9。联网时它就调用这个真实的下载器（60,000 张训练图）；离线时读取本地副本或课程自带的样本：**5,000 张真实训练图**（每个数字 500 张）和 **完整的 10,000 张官方测试集**。它打印的那一行说明数据来自哪里。
#
# CPU 配置下训练图的数量有上限（`profile.mnist_train_limit`），让训练时间可控。要求的测试准确率取决于配置和可用的训练数据：数据越少，能达到的准确率越低。

# %% nbgrader={"grade": false, "grade_id": "data_load", "locked": true, "schema_version": 3, "solution": false}
(x_train, y_train), (x_test, y_test) = load_mnist()
min_accuracy = required_accuracy(profile, len(x_train))  # the full 60,000 digits, or the offline subset
print(f"required test accuracy ({profile.name} profile, {len(x_train):,} training digits available): {min_accuracy}")
if profile.mnist_train_limit is not None:
    x_train, y_train = x_train[: profile.mnist_train_limit], y_train[: profile.mnist_train_limit]
print("x_train:", x_train.shape, x_train.dtype, " y_train:", y_train.shape, y_train.dtype)
print("x_test: ", x_test.shape, x_test.dtype, " y_test: ", y_test.shape, y_test.dtype)
print("training digits per class:", np.bincount(y_train, minlength=10))
show_digits(x_train, y_train, n=24, title="MNIST training digits");

# %% [markdown] nbgrader={"grade": false, "grade_id": "seed_bug_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. 原博客代码的潜伏 bug：缺少通道维（channel axis）
#
# 原博客的预处理只有 `train_images = train_images / 255.0`，得到的形状是 `(n, 28, 28)`；而模型第一层声明的是 `input_shape=(28, 28, 1)`。`Conv2D` 需要 4 维输入 `(batch, 高, 宽, 通道)`，灰度图只有 1 个通道。
#
# **博客的代码照原样能运行。** 我们在课程环境（TensorFlow 2.21 / Keras 3）和 TensorFlow 2.15（自带的 Keras 2）里都实际运行过：`model.fit`、`model.evaluate`、`model.predict` 都不报错。原因是 `Sequential` 和 functional 模型在调用时会把输入和声明的形状对齐：输入少一维、而声明的最后一维是 1 时，模型自动补上这一维。
#
# 所以这不是一个“跑不起来”的错误，而是一个 **潜伏的 bug（latent bug）**：数据的形状和模型声明的不一致，只是被模型的自动修正掩盖了。离开这层保护，它就会暴露：
#
# - **单独的层**：直接调用 `Conv2D` 层（把模型拆开做特征提取、写自定义的训练循环）时没有谁替你补维，它报 `expected min_ndim=4, found ndim=3`；
# - **导出的模型**：`model.export(...)` 得到的 SavedModel 有一个固定的输入签名 `TensorSpec(shape=(None, 28, 28, 1))`，TF Serving、TFLite 等部署环境只认这个签名，`(n, 28, 28)` 的输入会被拒绝（我们也试过转换成 TFLite：`Dimension mismatch. Got 3 but expected 4`）。训练时一切正常、上线时才出错，是最难查的一类 bug。
#
# 下面的单元格把这三件事都跑一遍：博客的模型（一组 `Conv2D` + `MaxPooling2D`，同样声明输入为 `(28, 28, 1)`）在 3 维输入上训练几个 batch 并评估；单独的 `Conv2D` 拒绝同样的输入；导出的模型拒绝同样的输入。结论：**显式地加上通道维，让数据的形状和模型声明的一致**，不要依赖框架的隐式修正。无论数据来自 NumPy 数组还是 `tf.data` 流水线，补维都只是模型调用时的行为，到了单独的层和导出的签名就没有了。
#
# 另外，`uint8 / 255.0` 得到的是 `float64`，内存是 `float32` 的两倍，而 Keras 最终还是按 `float32` 计算。

# %% nbgrader={"grade": false, "grade_id": "seed_bug_demo", "locked": true, "schema_version": 3, "solution": false}
import tempfile

seed_style = x_train[:256] / 255.0  # exactly what the seed code does: no channel axis, float64
print("seed-style batch:", seed_style.shape, seed_style.dtype)

# 1. The blog's model, declared for (28, 28, 1) images, trains and evaluates on (n, 28, 28) input.
# The blog passes input_shape=(28, 28, 1) to its first Conv2D; keras.Input declares the same shape.
blog_cnn = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
blog_cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
blog_cnn.fit(seed_style, y_train[:256], epochs=1, batch_size=64, verbose=0)  # four batches
_, blog_accuracy = blog_cnn.evaluate(x_test[:256] / 255.0, y_test[:256], verbose=0)
print(f"1. the blog's model trains and evaluates on {seed_style.shape[1:]} images without error "
      f"(accuracy after four batches: {blog_accuracy:.2f})")

# 2. A bare Conv2D layer gets no such help.
try:
    keras.layers.Conv2D(32, (3, 3), activation="relu")(seed_style)
except ValueError as err:
    print("2. a bare Conv2D rejects them:", str(err).split(". Full shape")[0])

# 3. The exported model accepts only its fixed serving signature.
with tempfile.TemporaryDirectory() as export_dir:
    blog_cnn.export(export_dir, verbose=False)
    served = tf.saved_model.load(export_dir)
    spec = served.signatures["serving_default"].structured_input_signature[1]
    print("3. the exported model's input signature:", list(spec.values())[0])
    rank4 = served.serve(tf.constant(seed_style[:4, ..., np.newaxis], dtype=tf.float32))
    print("   (4, 28, 28, 1) is served:", tuple(rank4.shape))
    try:
        served.serve(tf.constant(seed_style[:4], dtype=tf.float32))
    except (TypeError, ValueError) as err:
        print("   (4, 28, 28) is rejected:", str(err).split("\n")[0][:150], "...")

# %% [markdown] nbgrader={"grade": false, "grade_id": "preprocess_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 第 1 题（1 分）：预处理
#
# 实现 `preprocess(images)`：输入 `uint8` 数组 `(n, 28, 28)`，返回 `float32` 数组 `(n, 28, 28, 1)`，像素值线性缩放到 `[0, 1]`（0 → 0.0，255 → 1.0）。不要修改输入数组本身。提示：`np.newaxis` 或 `np.expand_dims`。

# %% nbgrader={"grade": false, "grade_id": "preprocess", "locked": false, "schema_version": 3, "solution": true}
def preprocess(images):
    """Scales uint8 images (n, 28, 28) to float32 (n, 28, 28, 1) in [0, 1]."""
    ### BEGIN SOLUTION
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_preprocess", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does preprocess return float32 images in [0, 1] with a channel axis?"""
ready = preprocess(x_train[:10])
assert isinstance(ready, np.ndarray), "preprocess should return a NumPy array"
assert ready.shape == (10, 28, 28, 1), f"expected shape (10, 28, 28, 1), got {ready.shape}"
assert ready.dtype == np.float32, f"expected float32, got {ready.dtype}"
print("preprocessed:", ready.shape, ready.dtype, "min", ready.min(), "max", ready.max())
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(preprocess, "test_preprocess")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "preprocess_apply", "locked": true, "schema_version": 3, "solution": false}
x_train_ready = preprocess(x_train)
x_test_ready = preprocess(x_test)
print("x_train_ready:", x_train_ready.shape, x_train_ready.dtype, " x_test_ready:", x_test_ready.shape)

# %% [markdown] nbgrader={"grade": false, "grade_id": "cnn_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. 搭建 CNN
#
# ### 第 2 题（2 分）：`build_cnn()`
#
# 实现 `build_cnn()`：不带参数，每次调用都 **新建** 并 **编译（compile）** 一个模型后返回。满分答案的结构（也可以更好，比如加 `Dropout`）：
#
# | 层 | 作用 |
# | --- | --- |
# | `keras.Input(shape=(28, 28, 1))` | 声明输入形状 |
# | `Conv2D(32, (3, 3), activation="relu")` + `MaxPooling2D((2, 2))` | 提取局部特征（边缘、笔画），池化减小尺寸 |
# | `Conv2D(64, (3, 3), activation="relu")` + `MaxPooling2D((2, 2))` | 组合成更大的形状 |
# | `Flatten()`、`Dense(128, activation="relu")` | 展平后分类 |
# | `Dense(10, activation="softmax")` | 10 个数字各自的概率 |
#
# 博客自己的两个版本并不一致：题目 6 的“答案 6”只有一组 `Conv2D` + `MaxPooling2D`；“满分答案解析”的文字说用了“两个卷积层、一个池化层、一个扁平化层和一个全连接层”，而紧接着的代码是两组 `Conv2D` + `MaxPooling2D` 和两个 `Dense` 层。上表按解析里的代码（它和文字描述的层数不符）。这里的结构测试要求至少两个卷积层和两个池化层，所以“答案 6”那样只有一组的结构不够。
#
# 编译：优化器 `"adam"`；标签是 **整数 0–9**（不做 one-hot），所以损失函数用 `"sparse_categorical_crossentropy"`；`metrics=["accuracy"]`。
#
# 测试会检查：输入形状 `(28, 28, 1)`；至少两个卷积层和池化层；输出是 10 类 softmax（如果最后一层不加激活、输出 logits，损失函数必须用 `SparseCategoricalCrossentropy(from_logits=True)`）；损失函数适合整数标签；参数量不超过 `profile.mnist_max_params`。
#
# 只用标准的 Keras 层，用 `keras.Sequential` 或 functional API 搭建：评分程序会把模型存成 `.keras` 文件，在另一个进程里用 safe mode 重新加载，自定义的类和 `Lambda` 层无法加载，不能得分。

# %% nbgrader={"grade": false, "grade_id": "build_cnn", "locked": false, "schema_version": 3, "solution": true}
def build_cnn():
    """Builds and compiles a new CNN for 28×28×1 digit images with 10 softmax outputs."""
    ### BEGIN SOLUTION
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="mnist_cnn",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "cnn_summary", "locked": true, "schema_version": 3, "solution": false}
build_cnn().summary()

# %% nbgrader={"grade": true, "grade_id": "test_cnn_structure", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""Does build_cnn return a compiled Keras CNN for (28, 28, 1) images with 10 outputs?"""
candidate = build_cnn()
assert isinstance(candidate, keras.Model), "build_cnn() should return a Keras model"
assert candidate.input_shape == (None, 28, 28, 1), f"the input shape should be (None, 28, 28, 1), got {candidate.input_shape}"
assert candidate.output_shape == (None, 10), f"the output shape should be (None, 10), got {candidate.output_shape}"
assert candidate.optimizer is not None, "build_cnn() should compile the model before returning it"
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(build_cnn(), "test_cnn_structure")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "train_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. 训练与评估
#
# ### 第 3 题（3 分）：训练到要求的准确率
#
# 在下面的单元格里：
#
# 1. 用 `build_cnn()` 新建模型，命名为 `model`；
# 2. 用 `model.fit` 在 `x_train_ready`、`y_train` 上训练，轮数和 batch 大小取自硬件配置：`epochs=profile.mnist_epochs`，`batch_size=profile.mnist_batch_size`；再用 `validation_split=0.1` 留出 10% 的训练图做验证集，观察是否过拟合。把 `fit` 的返回值命名为 `history`（Keras 会显示进度条）；
# 3. 用 `model.evaluate` 在测试集 `x_test_ready`、`y_test` 上评估，把准确率命名为 `test_accuracy`。
#
# 注意：验证集来自训练集，测试集只在最后评估一次；不要把测试集用来训练或挑选模型。
#
# 评分程序要求的测试准确率是 `min_accuracy`（加载数据的单元格打印了它：有完整的 60,000 张训练图时用 `profile.mnist_min_accuracy`，只有离线子集时用 `profile.mnist_subset_min_accuracy`），并且由评分程序自己重新测量。单元格开头固定了随机种子，同一台机器上每次运行结果相同。

# %% nbgrader={"grade": false, "grade_id": "train_cnn", "locked": false, "schema_version": 3, "solution": true}
keras.utils.set_random_seed(SEED)  # same initial weights, shuffling and dropout on every run
### BEGIN SOLUTION
model = build_cnn()
history = model.fit(
    x_train_ready,
    y_train,
    epochs=profile.mnist_epochs,
    batch_size=profile.mnist_batch_size,
    validation_split=0.1,
)
test_loss, test_accuracy = model.evaluate(x_test_ready, y_test, verbose=0)
### END SOLUTION
print(f"test accuracy reported by your code: {test_accuracy:.4f}")

# %% nbgrader={"grade": true, "grade_id": "test_cnn_accuracy", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""Is `model` a trained Keras model whose test accuracy reaches the profile's threshold?"""
assert isinstance(model, keras.Model), "`model` should be the Keras model you trained"
assert "accuracy" in history.history, "compile with metrics=['accuracy'] and keep what model.fit returns in `history`"
assert test_accuracy >= min_accuracy, f"test accuracy {test_accuracy:.4f} is below the required {min_accuracy}"
print(f"your test accuracy {test_accuracy:.4f} ≥ {min_accuracy}; the grader will measure it again")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(model, "test_cnn_accuracy")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "results_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. 看结果
#
# **训练曲线**：训练集（`accuracy`、`loss`）和验证集（`val_accuracy`、`val_loss`）的曲线。训练准确率一直上升而验证准确率停滞甚至下降，说明开始过拟合（overfitting）：只有 5,000 张训练图时尤其明显，`Dropout` 和更多数据都能缓解。

# %% nbgrader={"grade": false, "grade_id": "curves", "locked": true, "schema_version": 3, "solution": false}
plot_history(history);

# %% [markdown] nbgrader={"grade": false, "grade_id": "confusion_intro", "locked": true, "schema_version": 3, "solution": false}
# **混淆矩阵**：第 `i` 行第 `j` 列是“真实数字为 `i`、被预测为 `j`”的测试图数量。对角线是预测正确的，其余格子是各种错误。

# %% nbgrader={"grade": false, "grade_id": "confusion", "locked": true, "schema_version": 3, "solution": false}
probabilities = model.predict(x_test_ready, verbose=0)
y_pred = probabilities.argmax(axis=1)
fig, matrix = plot_confusion_matrix(y_test, y_pred, [str(d) for d in range(10)])
print(f"correct: {np.trace(matrix):,} of {matrix.sum():,} test digits")

# %% [markdown] nbgrader={"grade": false, "grade_id": "misclassified_intro", "locked": true, "schema_version": 3, "solution": false}
# **分错的数字**：标题是“真实 → 预测”。很多错例连人都难以辨认，也有一些是模型确实还没学好的写法。

# %% nbgrader={"grade": false, "grade_id": "misclassified", "locked": true, "schema_version": 3, "solution": false}
wrong = np.flatnonzero(y_pred != y_test)
print(f"{len(wrong)} misclassified test digits; the first 24:")
show_digits(x_test[wrong], y_test[wrong], y_pred[wrong], n=24, title="misclassified (true→predicted)");

# %% [markdown] nbgrader={"grade": false, "grade_id": "confused_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 第 4 题（1 分）：最常被混淆的一对数字
#
# 实现 `most_confused_pair(matrix)`：输入 10×10 的混淆矩阵（行是真实数字，列是预测），返回 **不在对角线上** 的最大格子的位置 `(真实数字, 预测数字)`，两个都是 `int`。不要修改传入的矩阵。注意 `(4, 9)` 和 `(9, 4)` 是两种不同的错误。

# %% nbgrader={"grade": false, "grade_id": "most_confused_pair", "locked": false, "schema_version": 3, "solution": true}
def most_confused_pair(matrix):
    """Returns (true digit, predicted digit) of the largest off-diagonal count of a confusion matrix."""
    ### BEGIN SOLUTION
    errors = np.array(matrix, dtype=np.int64)  # a copy: the caller's matrix stays as it is
    np.fill_diagonal(errors, -1)
    true, predicted = np.unravel_index(np.argmax(errors), errors.shape)
    return int(true), int(predicted)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_most_confused_pair", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does most_confused_pair return two different digits?"""
pair = most_confused_pair(matrix)
assert len(pair) == 2, "most_confused_pair should return (true digit, predicted digit)"
true_digit, predicted_digit = (int(v) for v in pair)
assert 0 <= true_digit <= 9 and 0 <= predicted_digit <= 9, "both should be digits 0–9"
assert true_digit != predicted_digit, "the diagonal holds correct predictions, not confusions"
print(f"most often, a {true_digit} was taken for a {predicted_digit} ({matrix[true_digit, predicted_digit]} times)")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(most_confused_pair, "test_most_confused_pair")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "confused_show", "locked": true, "schema_version": 3, "solution": false}
true_digit, predicted_digit = most_confused_pair(matrix)
mask = np.flatnonzero((y_test == true_digit) & (y_pred == predicted_digit))
show_digits(x_test[mask], y_test[mask], y_pred[mask], n=16, title=f"true {true_digit}, predicted {predicted_digit}");

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 面试要点
#
# - **为什么用 CNN 而不是全连接网络？** 卷积核在整张图上共享权重（weight sharing），只看局部区域（local receptive field），所以参数少；卷积是 **平移等变（translation-equivariant）** 的：输入平移，特征图跟着平移同样的距离，同一个笔画在哪里都能被同一个卷积核认出来。池化再带来 **有限的局部平移不变性**（几个像素以内的位移常常不改变池化后的结果），但整个 CNN 并不是对任意平移都不敏感（最后的 `Flatten` + `Dense` 仍然和位置有关）。上面第一层 `Conv2D(32, (3, 3))` 只有 320 个参数；把 784 个像素直接接到 128 个神经元的 `Dense` 层就要 100,480 个。
# - **池化（pooling）做什么？** 把特征图缩小（卷积后 26×26 → 池化后 13×13，11×11 → 5×5），减少计算量，并让特征对小的位移更稳定。
# - **softmax 与损失函数**：最后一层 softmax 输出 10 个和为 1 的概率；整数标签用 `sparse_categorical_crossentropy`，one-hot 标签用 `categorical_crossentropy`。如果最后一层不加 softmax，直接输出 logits，要设 `from_logits=True`，数值上更稳定。
# - **原博客代码的问题**：缺少通道维 `(n, 28, 28) → (n, 28, 28, 1)`：模型会替你补上所以能跑，但单独的层和导出的模型会拒绝它，是一个潜伏的 bug；只训练、不看验证集，也就看不出过拟合；`uint8 / 255.0` 得到 `float64`。用 `model.evaluate` 在独立的测试集上评估本身是对的；本课程让评分程序在另一个进程里重新测量，是防止作弊的评分选择，不是博客的错误。博客两处给出的网络结构也互相矛盾（见第 3 节）。
# - **对照博客的“满分答案解析”**：它列出的五步——模型架构设计、数据预处理、模型编译、模型训练、模型评估——你都做过了：第 3 节搭建并编译 CNN，第 1 题做了带通道维的预处理，第 3 题训练并在独立的测试集上评估，第 5 节还做了博客没有的误差分析（曲线、混淆矩阵、错例）。
# - **数据量的影响**：离线的 5,000 张训练图能让这个 CNN 达到约 0.97；用全部 60,000 张（GPU 配置）可以达到 0.99 以上。
#
# 保存 notebook，然后按老师的要求提交。
