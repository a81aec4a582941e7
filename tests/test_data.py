"""Tests for course/data.py: every source, the same shapes, and fast, clear failures."""

import tarfile
import time

import numpy as np
import pytest

from course import data
from course.config import get_settings


def settings(**env):
    return get_settings({f"COURSE_{k.upper()}": v for k, v in env.items()})


def test_embedded_mnist_sample_has_keras_layout():
    """Does the embedded sample load like keras.datasets.mnist.load_data()?"""
    splits = data.load_mnist(settings(data_source="sample"), verbose=False)
    (x_train, y_train), (x_test, y_test) = splits
    assert splits.source == "sample"
    assert x_train.shape == (5000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_test)) == set(range(10))
    assert x_train.max() == 255


def test_embedded_imdb_sample_is_balanced_and_shuffled():
    """Is the IMDB sample balanced, and is its order mixed so that a prefix has both classes?"""
    (train_texts, train_labels), (test_texts, test_labels) = data.load_imdb_arrays(
        settings=settings(data_source="sample"), verbose=False
    )
    assert len(train_texts) == 2000 and len(test_texts) == 1000
    assert train_labels.mean() == 0.5 and test_labels.mean() == 0.5
    assert 0.3 < train_labels[:100].mean() < 0.7
    assert all(isinstance(t, str) and len(t) > 20 for t in train_texts[:50])


def test_shared_mnist_loads_offline(shared_mnist):
    """Does the local path read the full offline MNIST copy (5,000 + 10,000 digits)?"""
    splits = data.load_mnist(settings(mnist_path=shared_mnist), verbose=False)
    (x_train, y_train), (x_test, y_test) = splits
    assert splits.source == "local" and splits.location == shared_mnist
    assert x_train.shape == (5000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_shared_imdb_loads_offline(shared_imdb):
    """Does the local path read all 25,000 + 25,000 labelled reviews of the archive, balanced?"""
    splits = data.load_imdb_arrays(settings=settings(imdb_path=shared_imdb), verbose=False)
    (train_texts, train_labels), (test_texts, test_labels) = splits
    assert splits.source == "local"
    assert len(train_texts) == 25000 and len(test_texts) == 25000
    assert train_labels.sum() == 12500 and test_labels.sum() == 12500


def test_imdb_directory_and_archive_agree(tmp_path):
    """Do an aclImdb directory and the same reviews as an archive load identically?"""
    with tarfile.open(data.IMDB_SAMPLE) as archive:
        archive.extractall(tmp_path, filter="data")
    from_dir = data.load_imdb_arrays(settings=settings(imdb_path=str(tmp_path / "aclImdb")), verbose=False)
    from_tar = data.load_imdb_arrays(settings=settings(data_source="sample"), verbose=False)
    for (t1, l1), (t2, l2) in zip(from_dir, from_tar):
        assert t1 == t2 and np.array_equal(l1, l2)


def test_imdb_tf_data_matches_tfds_types():
    """Does load_imdb give tf.data datasets of (scalar string, scalar int64) like tfds as_supervised?"""
    import tensorflow as tf

    train, test = data.load_imdb(settings=settings(data_source="sample"), verbose=False)
    text_spec, label_spec = train.element_spec
    assert text_spec.dtype == tf.string and text_spec.shape == ()
    assert label_spec.dtype == tf.int64 and label_spec.shape == ()
    assert int(test.cardinality()) == 1000


def test_loaders_say_which_source_they_used(capsys):
    """Does a loader print one line naming its source?"""
    data.load_mnist(settings(data_source="sample"))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "sample" in out[0] and "MNIST" in out[0]


@pytest.mark.parametrize(
    "env,setting",
    [
        ({"data_source": "local"}, "COURSE_MNIST_PATH"),
        ({"mnist_path": "/nowhere/mnist.npz"}, "COURSE_MNIST_PATH"),
        ({"data_source": "online", "network_timeout": "1"}, "COURSE_MNIST_PATH"),
    ],
)
def test_mnist_fails_fast_and_clearly_when_pointed_nowhere(env, setting):
    """With no reachable source, does the loader fail within seconds, in one line naming the setting?"""
    started = time.monotonic()
    with pytest.raises(data.DataSourceError) as info:
        data.load_mnist(settings(**env), verbose=False)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "\n" not in message and setting in message


def test_imdb_fails_fast_when_pointed_nowhere():
    """Does a wrong IMDB path fail at once, naming COURSE_IMDB_PATH?"""
    started = time.monotonic()
    with pytest.raises(data.DataSourceError, match="COURSE_IMDB_PATH"):
        data.load_imdb_arrays(settings=settings(imdb_path="/nowhere/aclImdb"), verbose=False)
    assert time.monotonic() - started < 5


def test_bad_files_are_reported_not_crashed(tmp_path):
    """Is a file in the wrong layout reported as a DataSourceError naming the setting?"""
    bad = tmp_path / "mnist.npz"
    np.savez(bad, images=np.zeros(3))
    with pytest.raises(data.DataSourceError, match="COURSE_MNIST_PATH"):
        data.load_mnist(settings(mnist_path=str(bad)), verbose=False)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(data.DataSourceError, match="COURSE_IMDB_PATH"):
        data.load_imdb_arrays(settings=settings(imdb_path=str(empty)), verbose=False)


def test_auto_falls_back_to_the_sample_when_offline(monkeypatch):
    """In auto mode with no local copy and no network, is the embedded sample used?"""
    monkeypatch.setattr(data, "host_reachable", lambda *a, **k: False)
    splits = data.load_mnist(settings(), verbose=False)
    assert splits.source == "sample"


def test_auto_prefers_the_real_loader_when_online(monkeypatch):
    """In auto mode with network, is the real Keras loader called?"""
    import keras

    monkeypatch.setattr(data, "host_reachable", lambda *a, **k: True)
    calls = []
    fake = ((np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.uint8)),) * 2
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: calls.append(1) or fake)
    splits = data.load_mnist(settings(), verbose=False)
    assert calls == [1] and splits.source == "online"


def test_network_probe_is_bounded():
    """Does the network probe answer within its timeout for an unresolvable host?"""
    from course.network import host_reachable

    started = time.monotonic()
    assert host_reachable("no-such-host.invalid", timeout=1.0) is False
    assert time.monotonic() - started < 2.5
