"""Grading that student code cannot fake: models are judged outside the student's kernel.

A hidden test cell only *hands in* the student's model with
``hand_in(model, "test_cnn_accuracy")``: it saves it next to the notebook.
After the notebook has run, nbgrader's ``VerifyArtifacts`` preprocessor (in
the grader's process) runs the verifier registered for that test cell in a
fresh, isolated Python process: it loads the saved model with Keras' safe
mode (no custom classes, no Lambda code), loads the test data itself, and
computes what it checks. Nothing the student's code did in the kernel (an
overwritten variable, a patched ``evaluate``/``predict`` or ``course``
helper, a model that returns stored answers) reaches that process. If the
verifier fails, the test cell gets an error output and scores zero.

Run by hand: ``python -m course.grading.artifacts VERIFIER ARTIFACT``.
"""

import importlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Optional

ARTIFACT_DIR = ".grading_artifacts"
RESULT_PREFIX = "VERIFY-RESULT "


@dataclass
class Verdict:
    """What a verifier concluded.

    Attributes:
        passed: Whether the test is passed.
        message: One or two sentences for the student.
        metrics: Numbers measured (accuracy, parameter count, seconds).
    """

    passed: bool
    message: str
    metrics: dict = field(default_factory=dict)


def artifact_path(grade_id: str, directory: Optional[str] = None) -> str:
    """Where the model handed in for ``grade_id`` is stored (``.keras`` file)."""
    return os.path.join(directory or os.getcwd(), ARTIFACT_DIR, f"{grade_id}.keras")


def hand_in(model, grade_id: str) -> None:
    """Saves the student's model for the grader (called by a hidden test cell).

    It returns nothing on purpose: as the last line of a test cell, a value
    would become an ``execute_result``, which nbgrader reads as partial credit
    (and which would show the grader's path in the feedback). The file is at
    ``artifact_path(grade_id)``.

    Args:
        model: A Keras model.
        grade_id: The test cell's ``grade_id``.

    Raises:
        AssertionError: The object is not a Keras model or cannot be saved.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise AssertionError(f"expected a Keras model, got {type(model).__name__}.")
    path = artifact_path(grade_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    try:
        model.save(path)
    except Exception as err:  # Keras raises many kinds of errors for unsavable models
        raise AssertionError(f"the model could not be saved for grading ({type(err).__name__}: {err}).") from None
    # Grading context (issue 14): the profile the model was trained under, for the verifier.
    from course.grading.context import write_sidecar

    write_sidecar(path)


def load_verifier(spec: str):
    """Imports ``'package.module:function'``."""
    module_name, _, function = spec.partition(":")
    return getattr(importlib.import_module(module_name), function)


def run_verifier(spec: str, artifact: str, timeout: float = 1800, sandbox=None) -> Verdict:
    """Runs a verifier on an artifact in a fresh, isolated Python process.

    The process runs in the grading sandbox when one is given and usable
    (``course.grading.sandbox``): the artifact is mounted read-only, the
    environment and ``course`` package too, with no network, and it is
    killed at the verifier limits.

    Args:
        spec: ``'package.module:function'``; the function takes the artifact
            path and returns a ``Verdict``.
        artifact: The saved model.
        timeout: Seconds before the verification counts as failed.
        sandbox: A ``course.grading.sandbox.Sandbox``, or ``None`` for a
            plain subprocess.

    Returns:
        The verdict (a failed one if the process crashed or ran past a limit).
    """
    from course.grading.context import sidecar_path
    from course.grading.sandbox import Limits, run_sandboxed

    if not os.path.exists(artifact):
        return Verdict(False, "No model was handed in for grading: the test cell did not get that far.")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    for name in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME"):
        env.pop(name, None)
    limits = sandbox.verifier_limits_tuple() if sandbox is not None else Limits(timeout, 2**20)
    limits = Limits(min(timeout, limits.seconds), limits.memory_mb)
    inside = f"/grading/{os.path.basename(artifact)}"
    mounts = [(artifact, inside)]
    sidecar = sidecar_path(artifact)  # the profile the model was trained under
    if os.path.isfile(sidecar):
        mounts.append((sidecar, sidecar_path(inside)))
    argv = [sys.executable, "-I", "-m", "course.grading.artifacts", spec, inside]
    started = time.monotonic()
    _, stdout, stderr, reason = run_sandboxed(argv, sandbox, limits, read_only=mounts, env=env)
    if reason:
        return Verdict(False, f"Grading the model was stopped: {reason}.")
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            verdict = Verdict(**json.loads(line[len(RESULT_PREFIX):]))
            verdict.metrics.setdefault("verify_seconds", round(time.monotonic() - started, 1))
            return verdict
    tail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
    return Verdict(False, f"The saved model could not be graded ({tail[0][:300]}).")


def main(argv=None) -> int:
    """Entry point of the isolated process: prints one ``VERIFY-RESULT`` JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    spec, artifact = argv
    # Grading context (issue 14): a model trained under another profile is refused.
    from course.grading.context import profile_mismatch

    refusal = profile_mismatch(artifact)
    try:
        verdict = Verdict(False, refusal, {"refused": "profile"}) if refusal else load_verifier(spec)(artifact)
    except AssertionError as err:
        verdict = Verdict(False, str(err))
    print(RESULT_PREFIX + json.dumps(asdict(verdict)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
