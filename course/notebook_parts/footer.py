# %% [markdown] id="check-and-submit"
# ## 检查与提交（Check and submit）
#
# - **JupyterLab / JupyterHub / Binder**：保存后点工具栏的 *Validate*，它会在新的 kernel 里从头运行整个 notebook 并报告可见测试（visible tests）的结果。JupyterHub 上在 *Assignments* 面板点 *Submit* 提交。Binder 的内存有限（1–2 GB）：点 *Validate* 之前先 *Kernel → Shut Down Kernel*，因为它会另开一个 kernel；Binder 的环境是临时的，关掉页面前 *File → Download* 下载 `.ipynb`，按老师的要求提交。
# - **Colab**（nbgrader 不能在 Colab 上运行）：*Runtime → Run all* 之后，下一个单元格会重新运行本 notebook 的可见测试，逐题报告 PASS / FAIL；任何时候也可以在一个新单元格里运行 `from course.selfcheck import run_visible_tests; run_visible_tests()`。然后 *File → Download → Download .ipynb*，不要改文件名，按老师的要求上传。
#
# 可见测试只检查答案的形式；最终分数由老师用 nbgrader 自动评分（autograde）决定，其中还有隐藏测试（hidden tests）。老师把收到的 `.ipynb` 放进 `submitted/<学号>/<作业>/`，运行 `python -m course grade <作业>`，再把反馈（feedback）发回给你。

# %% id="colab-self-check"
# Colab only: re-run this notebook's visible tests and report PASS / FAIL per question.
import sys

if "google.colab" in sys.modules:
    from course.selfcheck import run_visible_tests

    run_visible_tests()
