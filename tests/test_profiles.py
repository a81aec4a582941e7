"""Tests for course/profiles.py."""

import inspect
import re

import pytest

from course import profiles
from course.config import get_settings


def test_configuration_overrides_the_hardware():
    """Does COURSE_PROFILE pick the profile whatever the hardware?"""
    assert profiles.get_profile(get_settings({"COURSE_PROFILE": "gpu"})).name == "gpu"
    assert profiles.get_profile(get_settings({"COURSE_PROFILE": "cpu"})).name == "cpu"


def test_auto_follows_gpu_visibility(monkeypatch):
    """In auto mode, is the GPU profile chosen exactly when a GPU is visible?"""
    monkeypatch.setattr(profiles, "gpu_visible", lambda: True)
    assert profiles.get_profile(get_settings({})).name == "gpu"
    monkeypatch.setattr(profiles, "gpu_visible", lambda: False)
    assert profiles.get_profile(get_settings({})).name == "cpu"


def test_hidden_gpu_is_not_visible(monkeypatch):
    """Does CUDA_VISIBLE_DEVICES=-1 make auto choose the CPU profile (before TensorFlow loads)?"""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    monkeypatch.delitem(__import__("sys").modules, "tensorflow", raising=False)
    assert profiles.gpu_visible() is False


def test_every_threshold_says_where_it_comes_from():
    """Is each min-accuracy threshold marked MEASURED (with its run) or UNVERIFIED?"""
    source = inspect.getsource(profiles)
    for match in re.finditer(r"\n((?:\s*#[^\n]*\n)*)\s*(\w+_min_accuracy|\w+_max_bits_per_byte)=", source):
        comment = match.group(1)
        assert "MEASURED" in comment or "UNVERIFIED" in comment, match.group(2)


def test_thresholds_are_probabilities():
    """Are all thresholds accuracies in (0, 1)?"""
    for profile in profiles.PROFILES.values():
        assert 0 < profile.mnist_min_accuracy < 1 and 0 < profile.bert_min_accuracy < 1


@pytest.mark.gpu
def test_gpu_machine_gets_the_gpu_profile_and_tensorflow_sees_it(course_env):
    """On a GPU machine, does TensorFlow list the GPU and auto choose the GPU profile?"""
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    assert tf.config.list_physical_devices("GPU")
    assert profiles.get_profile(get_settings()).name == "gpu"
