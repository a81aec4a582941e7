"""Course settings, read from environment variables.

Every switch between the real online loaders, full local copies and the
embedded sample is made here, by configuration, never by editing a notebook.
Kernels started by JupyterLab or by nbgrader inherit the environment of the
process that starts them, so an instructor sets these variables once (shell
profile, JupyterHub spawner, or ``nbgrader_config.py``) for every notebook.
"""

import os
from dataclasses import dataclass
from typing import Mapping, Optional

#: Name, default and help text of every setting the course reads.
SETTINGS = {
    "COURSE_DATA_SOURCE": (
        "auto",
        "Where data sets come from: 'auto' (local copies if configured, else "
        "the real online loaders if the network answers, else the embedded "
        "sample), 'online', 'local' or 'sample'.",
    ),
    "COURSE_MNIST_PATH": (
        "",
        "Path of a local MNIST 'mnist.npz' in Keras layout "
        "(x_train, y_train, x_test, y_test).",
    ),
    "COURSE_IMDB_PATH": (
        "",
        "Path of a local IMDB copy in Stanford layout: an 'aclImdb' directory "
        "or an 'aclImdb*.tar.gz' archive.",
    ),
    "COURSE_BERT_PRESET": (
        "",
        "keras-hub preset for the BERT assignment: a preset name (online) or a "
        "local preset directory (offline). Empty: the hardware profile decides.",
    ),
    "COURSE_EMBEDDING_PRESET": (
        "",
        "Sentence-embedding model of assignment 06: a keras-hub preset name or handle "
        "(e.g. 'hf://sentence-transformers/all-MiniLM-L6-v2') or a local preset directory. "
        "Empty: all-MiniLM-L6-v2 from Hugging Face online, else the installed offline copy.",
    ),
    "COURSE_PROFILE": (
        "auto",
        "Hardware profile: 'auto' (GPU if TensorFlow lists one, else CPU), 'cpu' or 'gpu'.",
    ),
    "COURSE_NETWORK_TIMEOUT": (
        "3",
        "Seconds to wait for the download host before treating the machine as offline.",
    ),
}

DATA_SOURCES = ("auto", "online", "local", "sample")


@dataclass(frozen=True)
class Settings:
    """A snapshot of the course settings.

    Attributes:
        data_source: One of ``DATA_SOURCES``.
        mnist_path: Local ``mnist.npz`` or ``None``.
        imdb_path: Local ``aclImdb`` directory or archive, or ``None``.
        bert_preset: keras-hub preset name or directory, or ``None``.
        profile: ``'auto'``, ``'cpu'`` or ``'gpu'``.
        network_timeout: Seconds to wait when probing the network.
        embedding_preset: Assignment 06's sentence-embedding preset name,
            handle or directory, or ``None``.
    """

    data_source: str
    mnist_path: Optional[str]
    imdb_path: Optional[str]
    bert_preset: Optional[str]
    profile: str
    network_timeout: float
    embedding_preset: Optional[str] = None


def get_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Reads the course settings.

    Args:
        environ: Mapping to read instead of ``os.environ`` (for tests).

    Returns:
        The current ``Settings``.

    Raises:
        ValueError: A setting has a value the course does not understand.
    """
    env = os.environ if environ is None else environ

    def read(name):
        value = env.get(name, "").strip()
        return value or SETTINGS[name][0]

    source = read("COURSE_DATA_SOURCE").lower()
    if source not in DATA_SOURCES:
        raise ValueError(
            f"COURSE_DATA_SOURCE={source!r} is not one of {', '.join(DATA_SOURCES)}."
        )
    profile = read("COURSE_PROFILE").lower()
    if profile not in ("auto", "cpu", "gpu"):
        raise ValueError(f"COURSE_PROFILE={profile!r} is not one of auto, cpu, gpu.")
    try:
        timeout = float(read("COURSE_NETWORK_TIMEOUT"))
    except ValueError:
        raise ValueError("COURSE_NETWORK_TIMEOUT must be a number of seconds.") from None
    return Settings(
        data_source=source,
        mnist_path=read("COURSE_MNIST_PATH") or None,
        imdb_path=read("COURSE_IMDB_PATH") or None,
        bert_preset=read("COURSE_BERT_PRESET") or None,
        profile=profile,
        network_timeout=timeout,
        embedding_preset=read("COURSE_EMBEDDING_PRESET") or None,
    )


def describe_settings() -> str:
    """Returns a help text listing every setting, its default and meaning."""
    lines = []
    for name, (default, text) in SETTINGS.items():
        lines.append(f"{name} (default {default!r}): {text}")
    return "\n".join(lines)
