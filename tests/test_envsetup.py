"""Tests for course/tools/envsetup.py and the two locks: the right lock is chosen, the CPU one really works."""

import importlib.metadata
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from course.tools import envsetup, lockfile


def test_gpu_flag_overrides_detection():
    """Does GPU=1 / GPU=0 pick the GPU / CPU lock whatever the machine has?"""
    assert envsetup.choose("1", detect=lambda: (False, "none"))[0] == "gpu"
    assert envsetup.choose("0", detect=lambda: (True, "GPU 0: H100"))[0] == "cpu"
    with pytest.raises(ValueError):
        envsetup.choose("maybe")


def test_auto_follows_the_nvidia_gpu_and_says_why():
    """In auto mode, is the GPU lock chosen exactly where an NVIDIA GPU is present, with the reason and the override?"""
    kind, reason = envsetup.choose("auto", detect=lambda: (True, "NVIDIA device /dev/nvidia0 found"))
    assert kind == "gpu" and "/dev/nvidia0" in reason and "GPU=0/1" in reason
    assert envsetup.choose("auto", detect=lambda: (False, "no NVIDIA GPU found"))[0] == "cpu"
    assert envsetup.lock_for("gpu") == "requirements-gpu.lock" and envsetup.lock_for("cpu") == "requirements.lock"


def test_plan_rebuilds_only_what_changed():
    """Is a venv from the other lock recreated, a current one left alone, and dev tools added or kept as asked?"""
    cpu = {"kind": "cpu", "runtime": "a"}
    cpu_dev = {"kind": "cpu", "runtime": "a", "dev": "d"}
    assert envsetup.plan({}, cpu) == ["recreate", "runtime"]
    assert envsetup.plan(cpu, cpu) == []
    assert envsetup.plan(cpu_dev, cpu) == []  # make demo after make test keeps pytest
    assert envsetup.plan(cpu, cpu_dev) == ["dev"]
    assert envsetup.plan(cpu_dev, {"kind": "gpu", "runtime": "b"}) == ["recreate", "runtime", "dev"]
    assert envsetup.plan(cpu_dev, {"kind": "cpu", "runtime": "a", "dev": "e"}) == ["dev"]


def test_gpu_check_says_why_in_one_line():
    """After installing the GPU lock, is the outcome of TensorFlow's own GPU listing one line, with the cause and the fallback?"""
    assert "gpu profile" in envsetup.gpu_check_message(1)
    for gpus in (0, None):
        message = envsetup.gpu_check_message(gpus)
        assert "\n" not in message and "cpu profile" in message
    assert "driver" in envsetup.gpu_check_message(0)


def test_this_environment_is_stamped_with_its_lock():
    """Was the running environment built by envsetup from the lock it says, and is it current?"""
    stamp = envsetup.read_stamp(os.path.dirname(os.path.dirname(sys.executable)))
    if not stamp:
        pytest.skip("not running in a venv made by `make env`")
    assert envsetup.plan(stamp, envsetup.wanted_stamp(stamp["kind"], dev=True)) == []


def test_cpu_environment_has_tensorflow_cpu_and_no_gpu_wheel():
    """Does the CPU environment hold tensorflow-cpu, and neither the 572 MB tensorflow wheel nor NVIDIA wheels?"""
    stamp = envsetup.read_stamp(os.path.dirname(os.path.dirname(sys.executable)))
    if stamp.get("kind") != "cpu":
        pytest.skip("not the CPU environment")
    names = {lockfile.normalize(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    assert "tensorflow-cpu" in names and "tensorflow" not in names
    assert not {n for n in names if n.startswith("nvidia-")}
    assert "tensorflow-text" in names  # installed with --no-deps from requirements-nodeps.txt


BERT_PREPROCESSING = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras_hub
import tensorflow_text
from course.presets import offline_preset_path
path = offline_preset_path()
pre = keras_hub.models.BertTextClassifierPreprocessor.from_preset(path, sequence_length=16)
x = pre(["A wonderful, moving film.", "Dull."])
ids = x["token_ids"].numpy()
print("SHAPE", ids.shape, "CLS", int(ids[0, 0]), "PAD", int((ids[1] == 0).sum()))
"""


@pytest.mark.xdist_group("bert")
def test_cpu_environment_runs_keras_hub_bert_preprocessing():
    """With tensorflow-cpu and tensorflow-text installed without dependencies, does keras-hub's BERT preprocessing import and tokenize?"""
    out = subprocess.run([sys.executable, "-c", BERT_PREPROCESSING], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [l for l in out.stdout.splitlines() if l.startswith("SHAPE")][0]
    assert line.startswith("SHAPE (2, 16) CLS 101 ")  # [CLS] of the uncased WordPiece vocabulary
    assert int(line.split()[-1]) > 0  # the short review is padded


def test_both_locks_come_from_one_set_of_top_level_pins():
    """Do the CPU and GPU locks pin every runtime top-level package, TensorFlow at one version, and agree on every shared package?"""
    cpu = lockfile.read_pins(os.path.join(ROOT, lockfile.CPU_LOCK))
    gpu = lockfile.read_pins(os.path.join(ROOT, lockfile.GPU_LOCK))
    for kind, lock in (("cpu", cpu), ("gpu", gpu)):
        wanted = lockfile.top_level_pins(ROOT, kind)
        assert {k: lock.get(k) for k in wanted} == wanted, kind
    assert cpu["tensorflow-cpu"] == gpu["tensorflow"]
    assert "tensorflow" not in cpu and not [n for n in cpu if n.startswith("nvidia-")]
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12", "nvidia-cuda-runtime-cu12"} <= set(gpu)
    shared = set(cpu) & set(gpu)
    assert {k: cpu[k] for k in shared} == {k: gpu[k] for k in shared}
    assert set(gpu) - set(cpu) == {"tensorflow"} | {n for n in gpu if n.startswith("nvidia-")}


def test_locks_are_resolved_with_hashes_and_complete():
    """Does every pin of each lock carry a hash (pip/uv --require-hashes), and is tensorflow-text left to the no-deps file?"""
    for name in (lockfile.CPU_LOCK, lockfile.GPU_LOCK, lockfile.DEV_LOCK):
        with open(os.path.join(ROOT, name), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        pins = [i for i, line in enumerate(lines) if lockfile.PIN.match(line)]
        assert len(pins) == len(lockfile.read_pins(os.path.join(ROOT, name))) > 20
        assert all(lines[i + 1].strip().startswith("--hash=sha256:") for i in pins), name
        assert "tensorflow-text" not in lockfile.read_pins(os.path.join(ROOT, name))
    nodeps = lockfile.read_pins(os.path.join(ROOT, lockfile.NODEPS))
    assert nodeps["tensorflow-text"].startswith(lockfile.read_pins(os.path.join(ROOT, lockfile.CPU_LOCK))["tensorflow-cpu"][:4])


def test_dev_tools_stay_out_of_the_runtime_lock_and_agree_with_it():
    """Are test and authoring tools only in the development lock, at the runtime lock's versions for what they share?"""
    runtime = lockfile.read_pins(os.path.join(ROOT, lockfile.CPU_LOCK))
    dev = lockfile.read_pins(os.path.join(ROOT, lockfile.DEV_LOCK))
    for tool in ("pytest", "pytest-timeout", "pytest-xdist", "playwright", "jupytext"):
        assert tool in dev and tool not in runtime, tool
    shared = set(runtime) & set(dev)
    assert {k: runtime[k] for k in shared} == {k: dev[k] for k in shared}
    wanted = lockfile.read_pins(os.path.join(ROOT, "requirements-dev.in"))
    assert {k: dev[k] for k in wanted} == wanted


def test_lock_command_uses_the_resolver_for_linux_python_311_with_hashes():
    """Is each lock re-resolved by uv pip compile for Linux x86_64 / Python 3.11 with hashes (not a pip freeze)?"""
    command = lockfile.compile_command("uv", "requirements-cpu.in", "requirements.lock", [])
    assert command[:3] == ["uv", "pip", "compile"] and "--generate-hashes" in command
    assert command[command.index("--python-version") + 1] == "3.11"
    assert command[command.index("--python-platform") + 1].startswith("x86_64-manylinux")


RUNTIME_IMPORTS = """
import sys
for name in ("jupytext", "pytest", "_pytest", "playwright", "xdist", "pytest_timeout"):
    sys.modules[name] = None  # as in Binder, Colab and `make env`: the development set is absent
import course.tools.cli, course.grading.nbgrader_api, course.grading.preprocessors, course.grading.context
import course.tools.studentlab, course.selfcheck, course.tools.links, course.environment
print("ok")
"""


def test_runtime_needs_no_development_tool():
    """Does everything students and graders run import without the development set (jupytext, pytest, playwright)?"""
    out = subprocess.run([sys.executable, "-c", RUNTIME_IMPORTS], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
