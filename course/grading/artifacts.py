"""Grading that student code cannot fake: models are judged outside the student's kernel.

A hidden test cell only *hands in* the student's model with
``hand_in(model, "test_cnn_accuracy")`` (``course.checks.handin``): it saves
it next to the notebook. After the notebook has run, the grader
(``course.grading.judge``, from nbgrader's ``VerifyArtifacts``) runs the
verifiers the answer key names for the notebook's model questions, all in
one fresh, isolated Python process: it loads the saved model with Keras' safe
mode (no custom classes, no Lambda code), loads the test data itself, and
computes what it checks. Nothing the student's code did in the kernel (an
overwritten variable, a patched ``evaluate``/``predict`` or ``course``
helper, a model that returns stored answers) reaches that process. If the
verifier fails, the test cell gets an error output and scores zero.

Run by hand: ``python -m course.grading.artifacts VERIFIER ARTIFACT [VERIFIER ARTIFACT ...]``.
"""

import importlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Sequence, Tuple

from course.checks.handin import ARTIFACT_DIR, artifact_path  # noqa: F401 (where hand-ins are stored)

RESULT_PREFIX = "VERIFY-RESULT "


@dataclass
class Verdict:
    """What the grader concluded about one test cell.

    Attributes:
        passed: Whether the test earns points.
        message: One or two sentences for the student.
        metrics: Numbers measured (accuracy, parameter count, seconds).
        score: The share of the cell's points earned, in ``[0, 1]``
            (partial credit when between).
    """

    passed: bool
    message: str
    metrics: dict = field(default_factory=dict)
    score: Optional[float] = None

    def __post_init__(self):
        if self.score is None:
            self.score = 1.0 if self.passed else 0.0
        self.score = max(0.0, min(1.0, float(self.score)))
        if not self.passed:
            self.score = 0.0


def load_verifier(spec: str):
    """Imports ``'package.module:function'``."""
    module_name, _, function = spec.partition(":")
    return getattr(importlib.import_module(module_name), function)


def run_verifier(spec: str, artifact: str, timeout: float = 1800, sandbox=None) -> Verdict:
    """Runs one verifier on one artifact in a fresh, isolated process (see ``run_verifiers``)."""
    return run_verifiers([(spec, artifact)], ["artifact"], timeout, sandbox)["artifact"]


def run_verifiers(pairs: Sequence[Tuple[str, str]], names: Sequence[str], timeout: float = 1800, sandbox=None) -> Dict[str, Verdict]:
    """Runs verifiers on artifacts, all in one fresh, isolated Python process.

    The process runs in the grading sandbox when one is given and usable
    (``course.grading.sandbox``): the artifacts are mounted read-only, the
    environment and ``course`` package too, with no network, and it is
    killed at the verifier limits (then every verdict is a failure).

    Args:
        pairs: ``('package.module:function', artifact path)``; the function
            takes the artifact path and returns a ``Verdict``.
        names: A name per pair (the test cell's ``grade_id``).
        timeout: Seconds before the verification counts as failed.
        sandbox: A ``course.grading.sandbox.Sandbox``, or ``None`` for a
            plain subprocess.

    Returns:
        Name → verdict (a failed one if nothing was handed in, or the process
        crashed or ran past a limit).
    """
    from course.grading.context import sidecar_path
    from course.grading.sandbox import Limits, run_sandboxed

    verdicts: Dict[str, Verdict] = {}
    argv = [sys.executable, "-I", "-m", "course.grading.artifacts"]
    mounts = []
    waiting = []
    for index, ((spec, artifact), name) in enumerate(zip(pairs, names)):
        if not os.path.isfile(artifact) or os.path.islink(artifact):
            verdicts[name] = Verdict(False, "No model was handed in for grading: the test cell did not get that far.")
            continue
        inside = f"/grading/{index}/{os.path.basename(artifact)}"
        mounts.append((artifact, inside))
        sidecar = sidecar_path(artifact)  # the profile the model was trained under
        if os.path.isfile(sidecar):
            mounts.append((sidecar, sidecar_path(inside)))
        argv += [spec, inside]
        waiting.append(name)
    if not waiting:
        return verdicts
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    for variable in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME"):
        env.pop(variable, None)
    limits = sandbox.verifier_limits_tuple() if sandbox is not None else Limits(timeout, 2**20)
    limits = Limits(min(timeout, limits.seconds), limits.memory_mb)
    started = time.monotonic()
    _, stdout, stderr, reason = run_sandboxed(argv, sandbox, limits, read_only=mounts, env=env)
    found = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    tail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
    for position, name in enumerate(waiting):
        if reason:
            verdicts[name] = Verdict(False, f"Grading the model was stopped: {reason}.")
        elif position < len(found):
            verdict = Verdict(**json.loads(found[position][len(RESULT_PREFIX):]))
            verdict.metrics.setdefault("verify_seconds", round(time.monotonic() - started, 1))
            verdicts[name] = verdict
        else:
            verdicts[name] = Verdict(False, f"The saved model could not be graded ({tail[0][:300]}).")
    return verdicts


def main(argv=None) -> int:
    """Entry point of the isolated process: one ``VERIFY-RESULT`` JSON line per (verifier, artifact) pair."""
    argv = sys.argv[1:] if argv is None else argv
    # Grading context (issue 14): a model trained under another profile is refused.
    from course.grading.context import profile_mismatch

    for spec, artifact in zip(argv[0::2], argv[1::2]):
        refusal = profile_mismatch(artifact)
        try:
            verdict = Verdict(False, refusal, {"refused": "profile"}) if refusal else load_verifier(spec)(artifact)
        except AssertionError as err:
            verdict = Verdict(False, str(err))
        print(RESULT_PREFIX + json.dumps(asdict(verdict)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
