# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # 作业 00：环境检查（Environment check）
#
# 在开始正式作业之前，请先在你将要使用的平台（本机 JupyterLab、Binder、Google Colab 或学校的 JupyterHub）上运行这个 notebook。它会确认：
#
# 1. 课程需要的软件包（TensorFlow、Keras、KerasHub 等）版本正确；
# 2. 课程选择的 **硬件配置（profile）**：有 GPU 时使用 `gpu` 配置（更多训练轮次、更大的模型），否则使用 `cpu` 配置；
# 3. MNIST 与 IMDB 两个数据集可以通过 `course` 工具包加载（在线时使用真实的下载器，离线时使用本地副本或仓库自带的小样本）。
#
# 最后有三道热身小题（每题 1 分，共 **3 分**），由 nbgrader 自动评分。可见的测试只检查答案的形式，正确性由隐藏测试检查。
#
# **操作方法**：从上到下依次运行所有单元格（菜单 *Run → Run All Cells*），在标有 `# YOUR CODE HERE` 的地方写代码，然后用 *Validate* 按钮检查。

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

import course
from course.environment import report

facts = report()

# %% [markdown] nbgrader={"grade": false, "grade_id": "mnist_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. MNIST 手写数字
#
# `course.data.load_mnist()` 返回的结构和 `keras.datasets.mnist.load_data()` 完全相同：`(x_train, y_train), (x_test, y_test)`，图像是形状为 `(n, 28, 28)` 的 `uint8` 数组，像素值 0–255。它会打印一行说明数据来自哪里（`online`、`local` 或 `sample`）。

# %% nbgrader={"grade": false, "grade_id": "mnist_load", "locked": true, "schema_version": 3, "solution": false}
from course.data import load_mnist
from course.plots import show_digits

(x_train, y_train), (x_test, y_test) = load_mnist()
print("x_train:", x_train.shape, x_train.dtype, " y_train:", y_train.shape)
print("x_test: ", x_test.shape, x_test.dtype, " y_test: ", y_test.shape)
show_digits(x_train, y_train, n=16, title="MNIST training digits");

# %% [markdown] nbgrader={"grade": false, "grade_id": "count_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 热身 1（1 分）：每个数字有多少张图片？
#
# 实现 `count_per_class(labels)`：返回长度为 10 的整数数组，第 `d` 个元素是标签等于 `d` 的样本数。某个数字一次也没出现时，它的计数是 0。提示：`np.bincount` 的 `minlength` 参数。

# %% nbgrader={"grade": false, "grade_id": "count_per_class", "locked": false, "schema_version": 3, "solution": true}
def count_per_class(labels):
    """Returns the number of labels equal to each digit 0–9."""
    ### BEGIN SOLUTION
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_count_per_class", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does count_per_class return one integer count per digit?"""
counts = count_per_class(y_train)
assert np.shape(counts) == (10,), "count_per_class should return 10 numbers"
assert int(np.sum(counts)) == len(y_train), "the counts should add up to the number of labels"
print("counts per digit:", counts)
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(count_per_class, "test_count_per_class")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "scale_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 热身 2（1 分）：把图像变成 CNN 能接受的输入
#
# 卷积层 `Conv2D` 需要 **通道维（channel axis）**：一张灰度图的形状应是 `(28, 28, 1)`，而不是 `(28, 28)`。原博客的参考代码只做了 `/ 255.0`，却声明了 `input_shape=(28, 28, 1)`。这段代码照原样 **能运行**：Keras 的模型发现输入比声明的少一维、而声明的最后一维是 1 时，会自动补上这一维。但这是一个 **潜伏的 bug（latent bug）**：单独调用的 `Conv2D` 层，以及导出后只接受固定输入签名 `(None, 28, 28, 1)` 的模型（SavedModel、TFLite），都会拒绝 `(n, 28, 28)` 的输入。作业 02 的第 2 节会把这三件事实际运行给你看。所以预处理时要显式地加上通道维，让数据的形状和模型声明的一致。
#
# 实现 `scale_images(x)`：输入 `uint8` 数组 `(n, 28, 28)`，返回浮点数的 NumPy 数组 `(n, 28, 28, 1)`，像素值线性缩放到 `[0, 1]`（0 → 0.0，255 → 1.0）。`float32` 或 `float64` 都算对（`x / 255.0` 得到的是 `float64`）；Keras 训练时用 `float32`，参考答案也返回 `float32`，它占的内存只有 `float64` 的一半。不要修改输入数组本身。

# %% nbgrader={"grade": false, "grade_id": "scale_images", "locked": false, "schema_version": 3, "solution": true}
def scale_images(x):
    """Scales uint8 images (n, 28, 28) to floating-point images (n, 28, 28, 1) in [0, 1]."""
    ### BEGIN SOLUTION
    return (np.asarray(x, dtype=np.float32) / 255.0)[..., np.newaxis]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_scale_images", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does scale_images return floating-point images with a channel axis?"""
scaled = scale_images(x_train[:10])
assert isinstance(scaled, np.ndarray), "scale_images should return a NumPy array"
assert scaled.shape == (10, 28, 28, 1), f"expected shape (10, 28, 28, 1), got {scaled.shape}"
assert scaled.dtype.kind == "f", f"scale_images should return floating-point values (float32 or float64), not {scaled.dtype}"
print("scaled:", scaled.shape, scaled.dtype, "min", scaled.min(), "max", scaled.max())
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(scale_images, "test_scale_images")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "imdb_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. IMDB 影评
#
# `course.data.load_imdb()` 返回两个 `tf.data.Dataset`（训练集、测试集），元素是 `(text, label)`，与 `tfds.load('imdb_reviews', as_supervised=True)` 相同；标签 0 表示负面（neg），1 表示正面（pos）。这里用 `load_imdb_arrays()` 得到普通的 Python 字符串和 NumPy 标签，便于查看。

# %% nbgrader={"grade": false, "grade_id": "imdb_load", "locked": true, "schema_version": 3, "solution": false}
from course.data import load_imdb_arrays

(train_texts, train_labels), (test_texts, test_labels) = load_imdb_arrays()
print(f"label {train_labels[0]} ({'pos' if train_labels[0] else 'neg'}):")
print(train_texts[0][:500], "...")

# %% [markdown] nbgrader={"grade": false, "grade_id": "positive_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 热身 3（1 分）：正面评论占多少？
#
# 实现 `positive_fraction(labels)`：返回标签为 1 的比例（0.0 到 1.0 之间的一个数）。做分类任务之前先看类别是否平衡，是一个好习惯：如果 90% 都是正面评论，一个永远回答“正面”的模型也有 90% 的准确率。

# %% nbgrader={"grade": false, "grade_id": "positive_fraction", "locked": false, "schema_version": 3, "solution": true}
def positive_fraction(labels):
    """Returns the share of labels equal to 1."""
    ### BEGIN SOLUTION
    labels = np.asarray(labels)
    return float(np.mean(labels == 1)) if labels.size else 0.0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_positive_fraction", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""Does positive_fraction return a share between 0 and 1?"""
share = positive_fraction(train_labels)
assert np.ndim(share) == 0, "positive_fraction should return a single number"
assert 0.0 <= float(share) <= 1.0, "a share must lie between 0 and 1"
print(f"positive reviews in the training split: {float(share):.1%}")
### BEGIN HIDDEN TESTS
from course.checks.handin import hand_in
hand_in(positive_fraction, "test_positive_fraction")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "outro", "locked": true, "schema_version": 3, "solution": false}
# ## 完成
#
# 如果上面所有单元格都运行成功，你的平台就准备好了。保存 notebook，然后提交（JupyterHub：*Assignments → Submit*；Colab：*File → Download → Download .ipynb*，按老师的要求上传）。
