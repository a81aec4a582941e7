"""Hand-in: what a hidden test gives the grader. Runs in the student's kernel.

A hidden test decides nothing. It hands over what the grader needs and the
grader judges it in its own process (``course.grading.judge``):

* ``hand_in(model, grade_id)``: a Keras model, saved as a ``.keras`` file;
  a verifier loads it in Keras' safe mode in a fresh process;
* ``hand_in({"name": value, ...}, grade_id)``: answers (numbers, strings,
  choices, arrays), written as JSON (``course.codec``), compared with the
  expected answers in the grader's process;
* ``hand_in(function, grade_id)``: a function the task asks for; the grader
  re-runs the cells that define it in a fresh sandboxed process and calls it
  on inputs of its own.

Everything is written under ``.grading_artifacts/`` next to the notebook. The
function returns nothing on purpose: as the last line of a test cell a value
would be an ``execute_result``. Nothing in this module is trusted by the
grader: whatever a student's code does to it only changes what is handed in.
"""

import json
import os
from typing import Any, Optional

from course import codec

__all__ = ["hand_in", "artifact_path", "ARTIFACT_DIR", "ANSWER_SUFFIX"]

ARTIFACT_DIR = ".grading_artifacts"
#: Suffix of a hand-in that is not a model (a model's ``.json`` file is its profile sidecar).
ANSWER_SUFFIX = ".answer.json"


def artifact_path(grade_id: str, directory: Optional[str] = None, suffix: str = ".keras") -> str:
    """Where the hand-in for ``grade_id`` is stored (``.keras`` for a model, ``ANSWER_SUFFIX`` otherwise)."""
    return os.path.join(directory or os.getcwd(), ARTIFACT_DIR, f"{grade_id}{suffix}")


def _replace(path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    base = path[: -len(ANSWER_SUFFIX)] if path.endswith(ANSWER_SUFFIX) else os.path.splitext(path)[0]
    for suffix in (".keras", ".json", ANSWER_SUFFIX):
        stale = base + suffix
        if os.path.lexists(stale):
            os.remove(stale)


def _is_keras_model(answer: Any) -> bool:
    import sys

    keras = sys.modules.get("keras")
    return keras is not None and isinstance(answer, keras.Model)


def hand_in(answer: Any, grade_id: str) -> None:
    """Hands an answer to the grader (called by a hidden test cell).

    Args:
        answer: A Keras model, a function, or a dict from names to values.
        grade_id: The test cell's ``grade_id``.

    Raises:
        AssertionError: The answer is of none of those kinds, or a model
            cannot be saved.
    """
    if _is_keras_model(answer):
        path = artifact_path(grade_id)
        _replace(path)
        try:
            answer.save(path)
        except Exception as err:  # Keras raises many kinds of errors for unsavable models
            raise AssertionError(f"the model could not be saved for grading ({type(err).__name__}: {err}).") from None
        _write_sidecar(path)
        return
    if callable(answer) and not isinstance(answer, type):
        record = {"kind": "function", "name": str(getattr(answer, "__name__", ""))[:200]}
    elif isinstance(answer, dict) and all(isinstance(k, str) for k in answer):
        record = {"kind": "values", "values": {name: codec.encode(value) for name, value in answer.items()}}
    else:
        raise AssertionError(
            f"hand_in takes a Keras model, a function or a dict of named answers, not {type(answer).__name__}."
        )
    path = artifact_path(grade_id, suffix=ANSWER_SUFFIX)
    _replace(path)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh, allow_nan=False)


#: The sidecar of a handed-in model: ``<grade_id>.json`` beside ``<grade_id>.keras``.
SIDECAR_SUFFIX = ".json"


def sidecar_path(artifact: str) -> str:
    """The sidecar of a handed-in model: ``<grade_id>.json`` beside ``<grade_id>.keras``."""
    return os.path.splitext(artifact)[0] + SIDECAR_SUFFIX


def write_sidecar(artifact: str) -> None:
    """Records, beside a handed-in model, the profile and data source it was trained under.

    The grader's verifier reads it (``course.grading.context.profile_mismatch``)
    and refuses a model trained under another profile than it grades with.
    """
    from course.config import get_settings
    from course.profiles import get_profile

    settings = get_settings()
    record = {"profile": get_profile(settings).name, "data_source": settings.data_source}
    with open(sidecar_path(artifact), "w", encoding="utf-8") as fh:
        json.dump(record, fh)


def _write_sidecar(path: str) -> None:
    """Records beside a model the profile it was trained under (the verifier refuses another one)."""
    write_sidecar(path)
