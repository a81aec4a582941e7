"""Data loaders for MNIST and IMDB: real online loaders, local copies, or the embedded sample.

Which source is used is decided by the settings in ``course.config``:

* ``online``: the real loaders, ``keras.datasets.mnist.load_data()`` and
  ``tfds.load('imdb_reviews')``.
* ``local``: full local copies in the official layouts
  (``COURSE_MNIST_PATH``, ``COURSE_IMDB_PATH``).
* ``sample``: the small real sample shipped in ``course/sample_data``.
* ``auto`` (default): local copies if configured, else online if the download
  host answers within a few seconds, else the embedded sample.

Every path returns the same types and shapes, and the loaders print one line
saying which source they used.
"""

import io
import os
import tarfile
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from course.config import Settings, get_settings
from course.network import host_reachable

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_data")
MNIST_SAMPLE = os.path.join(SAMPLE_DIR, "mnist_sample.npz")
IMDB_SAMPLE = os.path.join(SAMPLE_DIR, "imdb_sample.tar.gz")

MNIST_HOST = "storage.googleapis.com"
IMDB_HOST = "ai.stanford.edu"

IMDB_CLASS_NAMES = ("neg", "pos")


class DataSourceError(RuntimeError):
    """No configured source of a data set can be read."""


class LoadedSplits(tuple):
    """A tuple of splits that also tells where they came from.

    It unpacks like the tuple the real loader returns, e.g.
    ``(x_train, y_train), (x_test, y_test) = load_mnist()``.

    Attributes:
        source: ``'online'``, ``'local'`` or ``'sample'``.
        location: The file, directory or loader the data came from.
    """

    def __new__(cls, splits, source: str, location: str):
        self = super().__new__(cls, splits)
        self.source = source
        self.location = location
        return self


def _choose_source(
    name: str, local_path: Optional[str], setting: str, host: str, settings: Settings
) -> Tuple[str, str]:
    """Decides where a data set comes from.

    Args:
        name: Data set name, for messages.
        local_path: Configured local copy, or ``None``.
        setting: Name of the variable that configures the local copy.
        host: Download host of the online loader.
        settings: Current settings.

    Returns:
        ``(source, location)``.

    Raises:
        DataSourceError: The requested source cannot be used; the message
            says in one line what is missing and which setting to use.
    """
    mode = settings.data_source
    if mode == "local" or (mode == "auto" and local_path):
        if not local_path:
            raise DataSourceError(
                f"{name}: COURSE_DATA_SOURCE=local but {setting} is not set; "
                f"set {setting} to your local copy, or use COURSE_DATA_SOURCE=sample."
            )
        if not os.path.exists(local_path):
            raise DataSourceError(
                f"{name}: {setting}={local_path} does not exist; point {setting} at a "
                f"local copy, or unset it to use the online loader or the embedded sample."
            )
        return "local", local_path
    if mode == "sample":
        return "sample", None
    reachable = host_reachable(host, timeout=settings.network_timeout)
    if mode == "online" and not reachable:
        raise DataSourceError(
            f"{name}: COURSE_DATA_SOURCE=online but {host} cannot be reached; set "
            f"{setting} to a local copy, or COURSE_DATA_SOURCE=sample for the embedded sample."
        )
    if reachable:
        return "online", None
    return "sample", None


def _announce(name: str, splits: LoadedSplits, sizes: Sequence[int]) -> None:
    sizes_text = " + ".join(f"{n:,}" for n in sizes)
    print(f"{name}: {sizes_text} examples from {splits.source} ({splits.location})")


def _load_from_source(
    name: str,
    setting: str,
    host: str,
    sample: str,
    online: Callable[[], Tuple[object, str]],
    read: Callable[[str], object],
    sizes: Callable[[object], List[int]],
    settings: Optional[Settings],
    verbose: bool,
) -> LoadedSplits:
    """Loads a data set from the source ``_choose_source`` picks, and says which when ``verbose``.

    Args:
        name: Data set name, for messages.
        setting: Name of the variable that configures the local copy, ``COURSE_<NAME>_PATH`` (the
            setting ``<name>_path``).
        host: Download host of the online loader.
        sample: The embedded sample, read when no local copy is configured and the host is not used.
        online: Loads the data online; returns ``(splits, a description of the loader)``.
        read: Reads the splits from a local copy or the sample.
        sizes: Examples per split of what ``online`` or ``read`` returned, for the message.
        settings: Settings to use instead of the environment's.
        verbose: Print which source was used.

    Returns:
        The splits, with their source and location.

    Raises:
        DataSourceError: The configured source cannot be read.
    """
    settings = settings or get_settings()
    local_path = getattr(settings, setting[len("COURSE_"):].lower())
    source, location = _choose_source(name, local_path, setting, host, settings)
    if source == "online":
        splits, location = online()
    else:
        location = location or sample
        splits = read(location)
    result = LoadedSplits(splits, source, location)
    if verbose:
        _announce(name, result, sizes(splits))
    return result


# --------------------------------------------------------------------- MNIST


def read_mnist_npz(path: str):
    """Reads an ``mnist.npz`` in the layout that Keras caches.

    Args:
        path: The ``.npz`` file.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, images of
        shape ``(n, 28, 28)``.

    Raises:
        DataSourceError: The file is not an MNIST archive in Keras layout.
    """
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = [f[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError) as err:
        raise DataSourceError(
            f"MNIST: {path} is not an mnist.npz in Keras layout ({err}); "
            f"fix COURSE_MNIST_PATH."
        ) from err
    x_train, y_train, x_test, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


def load_mnist(settings: Optional[Settings] = None, verbose: bool = True) -> LoadedSplits:
    """Loads MNIST from the configured source.

    Args:
        settings: Settings to use instead of the environment's.
        verbose: Print which source was used.

    Returns:
        ``LoadedSplits(((x_train, y_train), (x_test, y_test)))`` with uint8
        images of shape ``(n, 28, 28)`` and uint8 labels, as
        ``keras.datasets.mnist.load_data()`` returns them.

    Raises:
        DataSourceError: The configured source cannot be read.
    """

    def online():
        import keras

        return keras.datasets.mnist.load_data(), "keras.datasets.mnist.load_data()"

    return _load_from_source("MNIST", "COURSE_MNIST_PATH", MNIST_HOST, MNIST_SAMPLE, online, read_mnist_npz,
                             lambda splits: [len(splits[0][0]), len(splits[1][0])], settings, verbose)


# ---------------------------------------------------------------------- IMDB


def _label_of(path: str, split: str) -> Optional[int]:
    """Returns 0/1 for ``.../<split>/neg|pos/<id>.txt``, else ``None``."""
    parts = path.replace(os.sep, "/").split("/")
    if len(parts) < 3 or parts[-3] != split or not parts[-1].endswith(".txt"):
        return None
    if parts[-2] not in IMDB_CLASS_NAMES:
        return None
    return IMDB_CLASS_NAMES.index(parts[-2])


def _read_aclimdb(path: str, splits: Sequence[str]) -> dict:
    """Reads labelled reviews from an aclImdb directory or ``.tar.gz`` archive.

    Returns:
        ``{split: (texts, labels)}`` in file-name order.
    """
    found = {split: [] for split in splits}
    if os.path.isdir(path):
        root = path
        if os.path.isdir(os.path.join(path, "aclImdb")):
            root = os.path.join(path, "aclImdb")
        for split in splits:
            for label, cls in enumerate(IMDB_CLASS_NAMES):
                folder = os.path.join(root, split, cls)
                if not os.path.isdir(folder):
                    continue
                for name in os.listdir(folder):
                    if name.endswith(".txt"):
                        with open(os.path.join(folder, name), encoding="utf-8") as fh:
                            found[split].append((f"{cls}/{name}", fh.read(), label))
    else:
        try:
            with tarfile.open(path, "r:*") as archive:
                for member in archive:
                    if not member.isfile():
                        continue
                    for split in splits:
                        label = _label_of(member.name, split)
                        if label is not None:
                            data = archive.extractfile(member).read()
                            found[split].append((member.name, data.decode("utf-8"), label))
        except (tarfile.TarError, OSError) as err:
            raise DataSourceError(
                f"IMDB: {path} is not a readable aclImdb archive ({err}); fix COURSE_IMDB_PATH."
            ) from err
    result = {}
    for split in splits:
        rows = sorted(found[split])
        if not rows:
            raise DataSourceError(
                f"IMDB: no labelled '{split}' reviews (aclImdb/{split}/neg|pos/*.txt) in {path}; "
                f"fix COURSE_IMDB_PATH."
            )
        result[split] = ([r[1] for r in rows], np.array([r[2] for r in rows], dtype=np.int64))
    return result


def _shuffled(texts: List[str], labels: np.ndarray, seed: int):
    """A fixed permutation, so that ``take(n)`` is not all of one class."""
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order], labels[order]


def load_imdb_arrays(
    splits: Sequence[str] = ("train", "test"),
    settings: Optional[Settings] = None,
    verbose: bool = True,
) -> LoadedSplits:
    """Loads IMDB reviews as Python strings and integer labels.

    Local copies and the sample are returned in a fixed shuffled order (the
    files are sorted by class on disk), so any prefix is a fair sample.

    Args:
        splits: Which splits, among ``'train'`` and ``'test'``.
        settings: Settings to use instead of the environment's.
        verbose: Print which source was used.

    Returns:
        ``LoadedSplits`` of one ``(texts, labels)`` pair per split: a list of
        ``str`` and an int64 array (0 = negative, 1 = positive).

    Raises:
        DataSourceError: The configured source cannot be read.
    """

    def online():
        import tensorflow_datasets as tfds

        pairs = []
        for split in splits:
            ds = tfds.load("imdb_reviews", split=split, as_supervised=True)
            texts, labels = [], []
            for text, label in tfds.as_numpy(ds):
                texts.append(text.decode("utf-8"))
                labels.append(label)
            pairs.append((texts, np.array(labels, dtype=np.int64)))
        return pairs, "tfds.load('imdb_reviews')"

    def read(location):
        found = _read_aclimdb(location, splits)
        return [_shuffled(*found[split], seed=i) for i, split in enumerate(splits)]

    return _load_from_source("IMDB", "COURSE_IMDB_PATH", IMDB_HOST, IMDB_SAMPLE, online, read,
                             lambda pairs: [len(p[0]) for p in pairs], settings, verbose)


def load_imdb(
    splits: Sequence[str] = ("train", "test"),
    settings: Optional[Settings] = None,
    verbose: bool = True,
) -> LoadedSplits:
    """Loads IMDB reviews as ``tf.data`` datasets, like ``tfds.load(..., as_supervised=True)``.

    Args:
        splits: Which splits, among ``'train'`` and ``'test'``.
        settings: Settings to use instead of the environment's.
        verbose: Print which source was used.

    Returns:
        ``LoadedSplits`` of one ``tf.data.Dataset`` per split, whose elements
        are ``(text, label)``: a scalar ``tf.string`` and a scalar ``tf.int64``.

    Raises:
        DataSourceError: The configured source cannot be read.
    """
    settings = settings or get_settings()
    arrays = load_imdb_arrays(splits, settings=settings, verbose=verbose)
    import tensorflow as tf

    datasets = [tf.data.Dataset.from_tensor_slices((texts, labels)) for texts, labels in arrays]
    return LoadedSplits(datasets, arrays.source, arrays.location)


def write_aclimdb_archive(path: str, splits: dict) -> None:
    """Writes reviews as an ``aclImdb`` ``.tar.gz`` in Stanford layout.

    Args:
        path: Archive to write.
        splits: ``{split: [(file_name, text, label), ...]}``.
    """
    with tarfile.open(path, "w:gz") as archive:
        for split, rows in splits.items():
            for name, text, label in rows:
                data = text.encode("utf-8")
                info = tarfile.TarInfo(f"aclImdb/{split}/{IMDB_CLASS_NAMES[label]}/{name}")
                info.size = len(data)
                info.mtime = 0
                archive.addfile(info, io.BytesIO(data))
