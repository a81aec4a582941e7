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
"""

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Sequence, Tuple

from course.checks.handin import ARTIFACT_DIR, artifact_path  # where hand-ins are stored

__all__ = ["ARTIFACT_DIR", "artifact_path", "Verdict", "run_verifier", "run_verifiers", "verify_all"]


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


def run_verifier(spec: str, artifact: str, timeout: float = 1800, sandbox=None) -> Verdict:
    """Runs one verifier on one artifact in a fresh, isolated process (see ``run_verifiers``)."""
    return run_verifiers([(spec, artifact)], ["artifact"], timeout, sandbox)["artifact"]


def run_verifiers(pairs: Sequence[Tuple[str, str]], names: Sequence[str], timeout: float = 1800, sandbox=None) -> Dict[str, Verdict]:
    """Runs verifiers on artifacts, all in one fresh, isolated Python process (``course.grading.child``).

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
    from course.grading.child import call_in_child
    from course.grading.context import sidecar_path
    from course.grading.limits import Limits

    verdicts: Dict[str, Verdict] = {}
    mounts, jobs, waiting = [], [], []
    for index, ((spec, artifact), name) in enumerate(zip(pairs, names)):
        if not os.path.isfile(artifact) or os.path.islink(artifact):
            verdicts[name] = Verdict(False, "No model was handed in for grading: the test cell did not get that far.")
            continue
        inside = f"/grading/{index}/{os.path.basename(artifact)}"
        mounts.append((artifact, inside))
        sidecar = sidecar_path(artifact)  # the profile the model was trained under
        if os.path.isfile(sidecar):
            mounts.append((sidecar, sidecar_path(inside)))
        jobs.append((spec, inside))
        waiting.append(name)
    if not waiting:
        return verdicts
    limits = sandbox.verifier_limits_tuple() if sandbox is not None else Limits(timeout, 2**20)
    limits = Limits(min(timeout, limits.seconds), limits.memory_mb)
    started = time.monotonic()
    run = call_in_child("course.grading.artifacts:verify_all", jobs, sandbox, limits, read_only=mounts)
    for position, name in enumerate(waiting):
        if run.limit:
            verdicts[name] = Verdict(False, f"Grading the model was stopped: {run.limit}.")
        elif position < len(run.partial):
            try:
                verdict = Verdict(**run.partial[position])
            except TypeError:
                verdict = Verdict(False, "The saved model could not be graded (its verdict was unreadable).")
            verdict.metrics.setdefault("verify_seconds", round(time.monotonic() - started, 1))
            verdicts[name] = verdict
        else:
            verdicts[name] = Verdict(False, f"The saved model could not be graded ({run.why()}).")
    return verdicts


def verify_all(jobs: Sequence[Tuple[str, str]], reply) -> int:
    """The child's side (``course.grading.child``): one verdict per ``(verifier, artifact)`` pair, kept as it comes."""
    from course.grading.child import load_target
    # Grading context (issue 14): a model trained under another profile is refused.
    from course.grading.context import profile_mismatch

    for spec, artifact in jobs:
        refusal = profile_mismatch(artifact)
        try:
            verdict = Verdict(False, refusal, {"refused": "profile"}) if refusal else load_target(spec)(artifact)
        except AssertionError as err:
            verdict = Verdict(False, str(err))
        reply.partial(asdict(verdict))
    return len(jobs)
