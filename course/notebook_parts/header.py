# %% [markdown] id="launch"
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({{COLAB_URL}}) [![Binder](https://mybinder.org/badge_logo.svg)]({{BINDER_URL}})
#
# **在哪里运行**：本机 JupyterLab（`make lab`）、学校的 JupyterHub、Binder（免费，约 1–2 GB 内存，没有 GPU）或 Google Colab（可以选 GPU）。课程仓库的 `docs/students.md` 写了每个作业适合哪个平台。
#
# 下一个单元格只在 **Colab** 上做事：安装课程固定版本（pinned）的软件包和 `course` 工具包，TensorFlow 能使用 GPU 时选择 `gpu` 配置。在其他平台上（以及自动评分时）它什么也不做。请从它开始按顺序运行。
#
# **检查与提交**：JupyterLab / JupyterHub / Binder 上用工具栏的 *Validate* 按钮检查；Colab 上见 notebook 末尾的自检（self-check）和提交说明。

# %% id="colab-bootstrap" cellView="form" jupyter={"source_hidden": true}
#@title Colab setup (does nothing elsewhere)
# Colab only: install the course's pinned packages and the `course` helper, pick the profile
# (gpu where TensorFlow lists a GPU).
# On JupyterLab, JupyterHub, Binder and in the autograder this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib.metadata
    import importlib.util
    import os
    import subprocess

    def _course_missing(requirements):
        """Requirements whose exact version is not installed."""
        missing = []
        for requirement in requirements:
            name, _, version = requirement.partition("==")
            try:
                if not version or importlib.metadata.version(name) != version:
                    missing.append(requirement)
            except importlib.metadata.PackageNotFoundError:
                missing.append(requirement)
        return missing

    _requirements = "{{COLAB_REQUIREMENTS}}".split()
    _todo = _course_missing([r for r in _requirements if "==" in r])
    if importlib.util.find_spec("course") is None:
        _todo += [r for r in _requirements if "==" not in r]
    if _todo:
        print("Installing for Colab:", " ".join(_todo))
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_todo], check=True)
        if {"tensorflow", "keras", "numpy"} & set(sys.modules):
            print("Packages were already imported: use Runtime → Restart session, then run this cell again.")
    # The profile follows what TensorFlow itself can use, not what the runtime type says.
    if os.environ.get("COURSE_PROFILE", "auto") == "auto":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as _tf

        os.environ["COURSE_PROFILE"] = "gpu" if _tf.config.list_physical_devices("GPU") else "cpu"
    print("Colab ready; profile:", os.environ.get("COURSE_PROFILE", "auto"))
