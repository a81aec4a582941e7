"""Tests of course/gpu.py: the one place that says whether an NVIDIA GPU is present and which device files it has."""

import subprocess
import sys
import types

import pytest

from conftest import ROOT
from course import gpu, profiles
from course.tools import envsetup


@pytest.fixture
def fake_dev(tmp_path, monkeypatch):
    """A fake /dev (``gpu.DEV``) and no nvidia-smi; returns a function that adds device files."""
    monkeypatch.setattr(gpu, "DEV", str(tmp_path))
    monkeypatch.setattr(gpu.shutil, "which", lambda name: None)

    def add(*names):
        for name in names:
            (tmp_path / name).mkdir() if name == "dri" else (tmp_path / name).write_text("")
    return add


def _fake_smi(monkeypatch, stdout, returncode=0):
    monkeypatch.setattr(gpu.shutil, "which", lambda name: "/usr/bin/nvidia-smi" if name == "nvidia-smi" else None)
    asked = []

    def run(cmd, **kw):
        asked.append(cmd)
        return types.SimpleNamespace(returncode=returncode, stdout=stdout, stderr="")
    monkeypatch.setattr(gpu.subprocess, "run", run)
    return asked


def test_gpu_device_files_mean_a_gpu_and_every_node_is_passed_through(fake_dev):
    """With /dev/nvidia0, nvidiactl, nvidia-uvm and dri, is a GPU present, with nvidia0 as its GPU and all four as nodes?"""
    fake_dev("nvidia0", "nvidiactl", "nvidia-uvm", "dri", "null")
    found = gpu.nvidia_gpu({})
    assert found.present and found.usable and found.gpus == (f"{gpu.DEV}/nvidia0",)
    assert [n.rsplit("/", 1)[1] for n in found.nodes] == ["dri", "nvidia-uvm", "nvidia0", "nvidiactl"]
    assert "nvidia0" in found.found


def test_wsl_gpu_counts_as_a_gpu(fake_dev):
    """Is WSL's /dev/dxg a GPU for the profile, the lock choice and the sandbox alike?"""
    fake_dev("dxg")
    found = gpu.nvidia_gpu({})
    assert found.present and found.gpus == found.nodes == (f"{gpu.DEV}/dxg",)


def test_control_files_alone_are_no_gpu(fake_dev):
    """Are nvidiactl or /dev/dri without a GPU device file no GPU (yet passed through as nodes)?"""
    fake_dev("nvidiactl", "dri")
    found = gpu.nvidia_gpu({})
    assert not found.present and not found.usable and found.gpus == () and len(found.nodes) == 2


@pytest.mark.parametrize("hidden", ["", "-1"])
def test_cuda_visible_devices_hides_the_gpu(fake_dev, hidden):
    """Does CUDA_VISIBLE_DEVICES empty or -1 leave the GPU present but not usable?"""
    fake_dev("nvidia0")
    found = gpu.nvidia_gpu({"CUDA_VISIBLE_DEVICES": hidden})
    assert found.present and found.hidden and not found.usable
    assert gpu.nvidia_gpu({"CUDA_VISIBLE_DEVICES": "0"}).usable


def test_nvidia_smi_is_asked_only_without_device_files_and_only_when_wanted(fake_dev, monkeypatch):
    """Is nvidia-smi asked only for the lock choice (ask_smi) and only when no GPU device file exists?"""
    asked = _fake_smi(monkeypatch, "GPU 0: NVIDIA H100 (UUID: GPU-1)\n")
    assert not gpu.nvidia_gpu({}).present and asked == []
    found = gpu.nvidia_gpu({}, ask_smi=True)
    assert found.present and found.found == "GPU 0: NVIDIA H100 (UUID: GPU-1)" and asked == [["/usr/bin/nvidia-smi", "-L"]]
    fake_dev("nvidia0")
    assert gpu.nvidia_gpu({}, ask_smi=True).present and len(asked) == 1


def test_nvidia_smi_that_lists_nothing_or_is_missing_means_no_gpu(fake_dev, monkeypatch):
    """Do an nvidia-smi that fails, and no nvidia-smi at all, each say why there is no GPU?"""
    assert gpu.nvidia_gpu({}, ask_smi=True).found.startswith("no NVIDIA GPU found")
    _fake_smi(monkeypatch, "", returncode=9)
    assert gpu.nvidia_gpu({}, ask_smi=True).found == "nvidia-smi lists no GPU"


def test_the_three_users_agree(fake_dev, monkeypatch):
    """Do the lock choice, the profile and the sandbox read the same fake /dev (no TensorFlow loaded without a GPU)?"""
    from course.grading.sandbox import Sandbox

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert envsetup.nvidia_present()[0] is False and profiles.gpu_visible() is False
    assert "tensorflow" not in sys.modules
    assert not any(gpu.DEV in part for part in Sandbox().command(["true"], env={}))
    fake_dev("nvidia0", "nvidiactl")
    assert envsetup.nvidia_present() == (True, f"NVIDIA device {gpu.DEV}/nvidia0 found")
    cmd = Sandbox().command(["true"], env={})
    assert [cmd[i + 1] for i, part in enumerate(cmd) if part == "--dev-bind-try"] == [f"{gpu.DEV}/nvidia0", f"{gpu.DEV}/nvidiactl"]


def test_gpu_module_needs_only_the_standard_library():
    """Does course.gpu (and course.tools.envsetup, which uses it) import with no site-packages, as make env runs it?"""
    code = "import sys; import course.tools.envsetup, course.gpu; print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'tensorflow', 'traitlets')))"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {ROOT!r}); " + code],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
