"""VerifyArtifacts: decides every autograded cell's score from the answer key, outside the student's kernel."""

import os
import shutil
from typing import Optional

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict, Float

from course import regions
from course.grading import events, integrity, judge
from course.grading.artifacts import ARTIFACT_DIR, Verdict
from course.grading.preprocessors.safe_execute import BASELINE_KEY, error_output
from course.grading.sandbox import Sandbox

#: Log lines of VerifyArtifacts when watched files changed (the events become the submission's notes).
CHANGED_DURING = "Files changed during grading"
CHANGED_BEFORE = "Files changed before grading"


class VerifyArtifacts(NbGraderPreprocessor):
    """Decides every autograded cell's score outside the student's kernel, after the notebook ran.

    The notebook's answer key (``source/<assignment>/<notebook>_key.py``,
    or the file ``answer_keys`` names) says how to judge each test cell's hand-in
    (``course.grading.judge``): values are compared in this process, functions
    are re-run in one fresh sandboxed process, models are judged by verifiers
    in another. Then every grade cell's outputs are normalised
    (``normalise_outputs``) so that nbgrader's ``determine_grade`` reads
    exactly the score decided here: zero when the cell raised or the verdict
    failed, the verdict's share of the points otherwise. An ``execute_result``
    or stderr output of the student's code can neither grant nor remove
    points.

    When grading runs unsandboxed, ``SafeExecute`` leaves an integrity
    baseline, and the watched files (the course package with its keys, the
    data, installed packages) are compared with it before and after judging:
    if the student's code changed any of them, every judged cell fails with
    a message that says so.
    """

    answer_keys = Dict(
        {},
        help="Map from a notebook's name (without .ipynb) to its answer key file (relative to the course "
        "root); by default source/<assignment>/<notebook>_key.py.",
    ).tag(config=True)

    verifiers = Dict(
        {},
        help="Extra model questions: map from a test cell's grade_id to the verifier ('module:function') "
        "that judges the model it hands in (the answer keys name their own).",
    ).tag(config=True)

    timeout = Float(1800, help="Seconds the verification of one notebook's models may take.").tag(config=True)

    call_timeout = Float(
        judge.CALL_SECONDS,
        help="Seconds one call of a student's function may take when the grader re-runs it; enforced from "
        "outside the runner process (the whole runner is bounded by the assignment's Sandbox limits).",
    ).tag(config=True)

    keep_artifacts = Bool(
        False,
        help="Keep hand-ins in autograded/ after judging (a BERT model is hundreds of MB).",
    ).tag(config=True)

    _sandbox = None

    @property
    def sandbox(self) -> Sandbox:
        """The grading sandbox the runner and verifiers run in (``c.Sandbox``)."""
        if self._sandbox is None:
            self._sandbox = Sandbox(parent=self)
        return self._sandbox

    def key_for(self, assignment: str, notebook: str) -> judge.AnswerKey:
        """The answer key of a notebook (empty when it has none), with ``verifiers`` added."""
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        if notebook in self.answer_keys:
            path = os.path.join(coursedir.root, self.answer_keys[notebook])
        else:
            path = judge.key_path(os.path.join(coursedir.root, coursedir.source_directory, assignment), notebook)
        key = judge.load_key(path) if os.path.isfile(path) else judge.AnswerKey({})
        for grade_id, spec in self.verifiers.items():
            key.questions.setdefault(grade_id, judge.ModelQuestion(spec))
        return key

    _resources = None

    def preprocess(self, nb, resources):
        self._resources = resources
        directory = resources.get("metadata", {}).get("path") or "."
        notebook = resources.get("unique_key") or resources.get("metadata", {}).get("name") or ""
        notebook = os.path.basename(notebook)
        student = (resources.get("nbgrader") or {}).get("student") or ""
        key = self.key_for((resources.get("nbgrader") or {}).get("assignment") or "", notebook)
        baseline = resources.get(BASELINE_KEY)
        graded = [c for c in nb.cells if c.cell_type == "code" and utils.is_grade(c)]
        failed = {regions.grade_id(c) for c in graded if _raised(c)}
        unjudged = sorted(regions.grade_id(c) for c in graded if regions.grade_id(c) not in key.questions)
        if unjudged:
            self.log.warning("No answer key entry for %s of %s: scored by whether the cell raised", unjudged, notebook)
        tampered = self._tampering("the answers", baseline)
        if tampered is None:
            # The function runner runs student code: the assignment's own limits, not a verifier's.
            runner_limits = self.sandbox.limits_for((resources.get("nbgrader") or {}).get("assignment"))
            verdicts = judge.judge_notebook(
                nb, key, directory, (student, notebook), sandbox=self.sandbox, runner_limits=runner_limits,
                verifier_timeout=self.timeout, skip=failed, log=self.log, call_seconds=self.call_timeout,
                on_runner=lambda kind, **data: events.record(resources, kind, **data),
            )
            tampered = self._tampering("the answers", baseline)
        if tampered is not None:
            verdicts = {gid: tampered for gid in key.questions}
        for cell in graded:
            grade_id = regions.grade_id(cell)
            verdict = verdicts.get(grade_id)
            if grade_id in failed and tampered is not None:
                # The cell scores zero anyway; say that files the grader relies on changed,
                # since later submissions of the batch are affected too.
                cell.outputs.insert(0, error_output(GRADER_FAILED, tampered.message))
                verdict = tampered
            if verdict is not None:
                self.log.info("Verdict of %s: %s %.3g %s", grade_id, verdict.passed, verdict.score, verdict.metrics)
            normalise_outputs(cell, verdict, float(cell.metadata["nbgrader"].get("points", 0) or 0))
        if not self.keep_artifacts:
            shutil.rmtree(os.path.join(directory, ARTIFACT_DIR), ignore_errors=True)
        return nb, resources

    def _tampering(self, what: str, baseline) -> Optional[Verdict]:
        """A failed verdict when the watched files changed (before or during the kernel's run), else ``None``."""
        if baseline is None:
            return None
        if baseline.earlier:
            self.log.error(CHANGED_BEFORE + " of %s: %s", what, baseline.earlier[:20])
            events.record(self._resources, events.CHANGED_BEFORE, files=len(baseline.earlier))
            message = integrity.tampering_message(baseline.earlier, baseline.paths, earlier=True)
            return Verdict(False, message, {"changed_files": len(baseline.earlier)})
        changes = baseline.changes()
        if changes:
            self.log.error(CHANGED_DURING + " of %s: %s", what, changes[:20])
            events.record(self._resources, events.CHANGED_DURING, files=len(changes))
            return Verdict(False, integrity.tampering_message(changes, baseline.paths), {"changed_files": len(changes)})
        return None


#: Names of the outputs the grader adds (the student's code cannot have produced them before normalising).
GRADER_FAILED = "GradingCheckFailed"


def _raised(cell) -> bool:
    """Whether the test cell raised in the kernel (or the kernel died or hit a limit there)."""
    return any(o.output_type == "error" for o in cell.get("outputs", []))


def normalise_outputs(cell, verdict: Optional[Verdict], points: float) -> None:
    """Rewrites a grade cell's outputs so that nbgrader's score is exactly the grader's decision.

    nbgrader 0.9.6 (``utils.determine_grade``) reads a code cell's outputs in
    order: an error or any stderr output scores zero, the first
    ``execute_result`` decides (full points when it is not a number),
    otherwise full points. Here every ``execute_result`` of the student's run
    becomes ``display_data`` and every stderr stream becomes stdout (they are
    still shown), and the decision goes first: the cell's own errors, or a
    ``GradingCheckFailed`` error for a failed verdict, or an
    ``execute_result`` holding the points of a partial verdict.

    Args:
        cell: A grade cell after execution.
        verdict: The grader's verdict (``None``: no key entry; the cell
            scores by whether it raised).
        points: The cell's points.
    """
    outputs = []
    for output in cell.get("outputs", []):
        if output.output_type == "execute_result":
            output = NotebookNode(output_type="display_data", data=output.get("data", {}), metadata=output.get("metadata", {}))
        elif output.output_type == "stream" and output.get("name") == "stderr":
            output = NotebookNode(output_type="stream", name="stdout", text=output.get("text", ""))
        outputs.append(output)
    errors = [o for o in outputs if o.output_type == "error"]
    others = [o for o in outputs if o.output_type != "error"]
    if errors:
        cell.outputs = errors + others
    elif verdict is None:
        cell.outputs = others
    elif not verdict.passed or verdict.score <= 0:
        cell.outputs = [error_output(GRADER_FAILED, verdict.message)] + others
    elif verdict.score < 1:
        earned = round(points * verdict.score, 4)
        cell.outputs = [
            NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                         data={"text/plain": repr(float(earned))}),
            NotebookNode(output_type="stream", name="stdout",
                         text=f"Checked by the grader: {verdict.message}, {earned:g} of {points:g} points.\n"),
        ] + others
    else:
        cell.outputs = others + [
            NotebookNode(output_type="stream", name="stdout", text=f"Checked by the grader: {verdict.message}\n")
        ]
