"""Tests for course/config.py."""

import pytest

from course.config import SETTINGS, describe_settings, get_settings


def test_defaults_without_any_setting():
    """With nothing configured, is the course in auto mode with no local copies?"""
    s = get_settings({})
    assert s.data_source == "auto"
    assert s.profile == "auto"
    assert s.mnist_path is None and s.imdb_path is None and s.bert_preset is None


def test_reads_every_setting():
    """Are all documented variables read, case-insensitively for choices?"""
    s = get_settings(
        {
            "COURSE_DATA_SOURCE": "LOCAL",
            "COURSE_MNIST_PATH": "/d/mnist.npz",
            "COURSE_IMDB_PATH": "/d/aclImdb",
            "COURSE_BERT_PRESET": "/d/bert",
            "COURSE_EMBEDDING_PRESET": "/d/minilm",
            "COURSE_PROFILE": "gpu",
            "COURSE_NETWORK_TIMEOUT": "0.5",
        }
    )
    assert (s.data_source, s.mnist_path, s.imdb_path, s.bert_preset, s.profile, s.network_timeout, s.embedding_preset) == (
        "local",
        "/d/mnist.npz",
        "/d/aclImdb",
        "/d/bert",
        "gpu",
        0.5,
        "/d/minilm",
    )


@pytest.mark.parametrize(
    "name,value",
    [("COURSE_DATA_SOURCE", "internet"), ("COURSE_PROFILE", "tpu"), ("COURSE_NETWORK_TIMEOUT", "soon")],
)
def test_rejects_unknown_values(name, value):
    """Does a typo in a setting fail with a message naming the variable?"""
    with pytest.raises(ValueError, match=name):
        get_settings({name: value})


def test_every_setting_is_documented():
    """Does the settings help list each variable with a help text?"""
    text = describe_settings()
    for name, (_, help_text) in SETTINGS.items():
        assert name in text and help_text
