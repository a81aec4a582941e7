"""Tests for course/grading/context.py and the profile's choice by TensorFlow (course/profiles.py)."""

import os
import sys
import types

import pytest

from course import profiles
from course.grading import artifacts, context


def _fake_dev(monkeypatch, tmp_path, *names):
    """Points course.gpu at a fake /dev holding ``names``."""
    from course import gpu

    for name in names:
        (tmp_path / name).write_text("")
    monkeypatch.setattr(gpu, "DEV", str(tmp_path))


def _fake_tensorflow(monkeypatch, gpus):
    fake = types.ModuleType("tensorflow")
    fake.config = types.SimpleNamespace(list_physical_devices=lambda kind=None: list(gpus))
    monkeypatch.setitem(sys.modules, "tensorflow", fake)


def test_gpu_machine_whose_tensorflow_sees_no_gpu_gets_the_cpu_profile(course_env, tmp_path):
    """With an NVIDIA device node but a TensorFlow that lists no GPU (driver or CUDA mismatch), is the profile cpu?"""
    _fake_dev(course_env, tmp_path, "nvidia0")
    _fake_tensorflow(course_env, [])
    assert profiles.gpu_visible() is False and profiles.get_profile().name == "cpu"
    _fake_tensorflow(course_env, ["GPU:0"])
    assert profiles.gpu_visible() is True and profiles.get_profile().name == "gpu"


def test_no_device_node_means_no_gpu_without_importing_tensorflow(course_env, tmp_path):
    """Without a GPU device node, is the answer 'no GPU' without loading TensorFlow (which costs seconds)?"""
    _fake_dev(course_env, tmp_path)
    course_env.delitem(sys.modules, "tensorflow", raising=False)
    assert profiles.gpu_visible() is False
    assert "tensorflow" not in sys.modules


def test_hidden_devices_resolve_to_the_cpu_profile_without_a_child(monkeypatch, tmp_path):
    """Does CUDA_VISIBLE_DEVICES=-1 (or empty) make auto the cpu profile, with no child process asked?"""
    from course.grading import child

    _fake_dev(monkeypatch, tmp_path, "nvidia0")
    monkeypatch.setattr(child, "call_in_child", None)  # calling it would fail the test
    assert context.resolve_profile({"COURSE_PROFILE": "auto", "CUDA_VISIBLE_DEVICES": "-1"}) == "cpu"
    assert context.resolve_profile({"COURSE_PROFILE": "auto", "CUDA_VISIBLE_DEVICES": ""}) == "cpu"


def test_profile_is_resolved_once_from_the_setting_or_the_machine(monkeypatch, tmp_path):
    """Does the grader resolve COURSE_PROFILE to cpu or gpu (an explicit value wins, auto follows the machine)?"""
    assert context.resolve_profile({"COURSE_PROFILE": "gpu"}) == "gpu"
    _fake_dev(monkeypatch, tmp_path)
    assert context.resolve_profile({"COURSE_PROFILE": "auto"}) == "cpu"


def test_data_source_is_resolved_once(monkeypatch):
    """Does auto become local with both copies, online/sample by one probe without, and stay auto when mixed?"""
    import course.network

    assert context.resolve_data_source({"COURSE_DATA_SOURCE": "sample"}) == "sample"
    both = {"COURSE_MNIST_PATH": "/m.npz", "COURSE_IMDB_PATH": "/aclImdb"}
    assert context.resolve_data_source(both) == "local"
    assert context.resolve_data_source({"COURSE_MNIST_PATH": "/m.npz"}) == "auto"
    for answer, expected in ((True, "online"), (False, "sample")):
        monkeypatch.setattr(course.network, "host_reachable", lambda host, timeout=3.0, a=answer: a)
        assert context.resolve_data_source({}) == expected


def test_export_puts_the_context_into_the_environment_and_restore_takes_it_back(monkeypatch, tmp_path):
    """Do kernels and verifiers started by the grader inherit the resolved values, and is the old environment restored after?"""
    env = {"COURSE_PROFILE": "auto", "COURSE_MNIST_PATH": "/m.npz", "COURSE_IMDB_PATH": "/i"}
    _fake_dev(monkeypatch, tmp_path)
    previous = context.export_resolved(env)
    assert env["COURSE_PROFILE"] == "cpu" and env["COURSE_DATA_SOURCE"] == "local"
    context.restore(previous, env)
    assert env["COURSE_PROFILE"] == "auto" and "COURSE_DATA_SOURCE" not in env


def test_sidecar_records_the_profile_and_a_mismatch_is_refused(course_env, tmp_path):
    """Is a model trained under gpu refused under cpu with a message naming both, and accepted under gpu or without a sidecar?"""
    artifact = str(tmp_path / "test_cnn_accuracy.keras")
    course_env.setenv("COURSE_PROFILE", "gpu")
    context.write_sidecar(artifact)
    assert context.read_sidecar(artifact)["profile"] == "gpu"
    assert context.profile_mismatch(artifact) is None
    course_env.setenv("COURSE_PROFILE", "cpu")
    message = context.profile_mismatch(artifact)
    assert "gpu profile" in message and "cpu" in message and "COURSE_PROFILE=gpu" in message
    os.remove(context.sidecar_path(artifact))
    assert context.profile_mismatch(artifact) is None


def test_verifier_process_refuses_a_model_of_another_profile(course_env, tmp_path):
    """Run as nbgrader runs it (a fresh process), does a verifier refuse a gpu-trained model under the cpu profile before loading it?"""
    artifact = tmp_path / artifacts.ARTIFACT_DIR / "test_cnn_accuracy.keras"
    artifact.parent.mkdir()
    artifact.write_bytes(b"not even a model")
    course_env.setenv("COURSE_PROFILE", "gpu")
    context.write_sidecar(str(artifact))
    course_env.setenv("COURSE_PROFILE", "cpu")
    verdict = artifacts.run_verifier("course.grading.verifiers.mnist:verify_cnn_accuracy", str(artifact), timeout=120)
    assert not verdict.passed
    assert "trained under the gpu profile" in verdict.message
    assert verdict.metrics.get("refused") == "profile"


@pytest.mark.slow
def test_hand_in_writes_the_sidecar(course_env, tmp_path):
    """Does hand_in leave the profile in force beside the saved model?"""
    import keras

    course_env.chdir(tmp_path)
    course_env.setenv("COURSE_PROFILE", "cpu")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    from course.checks import handin

    handin.hand_in(model, "test_x")
    assert context.read_sidecar(handin.artifact_path("test_x"))["profile"] == "cpu"
