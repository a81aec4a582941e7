"""nbgrader preprocessors that keep one bad submission from hurting a batch, and hidden tests hidden.

``SafeExecute`` replaces nbgrader's ``Execute`` in autograding: when the kernel
dies (out of memory, killed), the submission still gets a recorded grade
instead of being dropped. ``RedactHiddenTests`` runs in ``generate_feedback``
so that feedback never shows hidden test code, mark schemes, or tracebacks
that quote hidden lines.
"""

import os
import re

from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import DeduplicateIds, Execute, NbGraderPreprocessor
from nbgrader import utils
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Float, Unicode

from course.grading import integrity
from course.grading.artifacts import Verdict, artifact_path, run_verifier

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
#: Log lines of VerifyArtifacts when watched files changed (the pipeline turns them into notes).
CHANGED_DURING = "Files changed during grading"
CHANGED_BEFORE = "Files changed before grading"
#: Key of ``resources`` under which SafeExecute leaves the integrity baseline for VerifyArtifacts.
BASELINE_KEY = "course_integrity_baseline"


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


class SafeExecute(Execute):
    """nbgrader's ``Execute``, but a dead kernel fails the remaining cells instead of the whole submission.

    nbgrader 0.9.6 lets ``DeadKernelError`` escape, which leaves the submission
    "failed" with no grade. Here the cell that killed the kernel gets a
    ``KernelDied`` error output and every later code cell a ``NotRun`` error
    output, so its tests score zero and the reason is visible in the feedback,
    while cells that ran before keep their results.

    Before the kernel starts on a notebook with verified cells, it records
    what the verifiers will load (``course.grading.integrity``) and leaves
    that baseline in ``resources`` for ``VerifyArtifacts``.
    """

    record_baseline = Bool(
        True,
        help="Fingerprint the files verifiers load before the kernel starts, so that VerifyArtifacts can see tampering.",
    ).tag(config=True)

    died_message = Unicode(
        "The kernel stopped while running this cell (out of memory, or killed). "
        "Cells below it were not run.",
        help="Error text put on the cell during which the kernel died.",
    ).tag(config=True)

    not_run_message = Unicode(
        "Not run: the kernel stopped in an earlier cell.",
        help="Error text put on code cells after the one that killed the kernel.",
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_dead = False
        if resources is not None and self.record_baseline and self._has_verified_cells(nb):
            resources[BASELINE_KEY] = integrity.Baseline.take()
        return super().preprocess(nb, resources, km)

    def _has_verified_cells(self, nb) -> bool:
        """Whether a cell of ``nb`` has a verifier configured (``VerifyArtifacts.verifiers``)."""
        verifiers = self.config.get("VerifyArtifacts", {}).get("verifiers", {})
        grade_ids = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        return bool(grade_ids & set(verifiers))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._kernel_dead:
            cell.outputs = [_error_output(NOT_RUN, self.not_run_message)]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_dead = True
            self.log.warning("Kernel died in cell %d; later cells are marked as not run", index)
            cell.outputs = list(cell.get("outputs", [])) + [
                _error_output(KERNEL_DIED, self.died_message)
            ]
            return cell, resources


class VerifyArtifacts(NbGraderPreprocessor):
    """Judges handed-in models outside the student's kernel, after the notebook ran.

    For each test cell whose ``grade_id`` has a registered verifier and that
    ran without error, the verifier is run in a fresh process on the model
    the cell handed in (see ``course.grading.artifacts``). A failed verdict
    adds an error output to the cell, so nbgrader scores it zero and the
    student reads why in the feedback.

    nbgrader's ``determine_grade`` reads a cell's outputs in order and stops
    at the first ``execute_result``, which it takes as partial credit (full
    points when it is not a number). A hidden test that ends with
    ``hand_in(...)`` has such an output (the path), and student code can add
    one through IPython's hooks, so in a verified cell every error output is
    put first: a failed verdict or a failed in-kernel check always scores zero.

    When ``SafeExecute`` left an integrity baseline, the watched files are
    compared with it before and after each verification: if the student's
    code changed any of them (the course package, the data, installed
    packages), the verdict is a failure that says so.
    """

    verifiers = Dict(
        {},
        help="Map from a test cell's grade_id to the verifier ('module:function') that judges its artifact.",
    ).tag(config=True)

    timeout = Float(1800, help="Seconds one verification may take.").tag(config=True)

    keep_artifacts = Bool(
        False,
        help="Keep handed-in models in autograded/ after verification (a BERT model is hundreds of MB).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self._directory = resources.get("metadata", {}).get("path") or "."
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id not in self.verifiers or not utils.is_grade(cell):
            return cell, resources
        outputs = list(cell.get("outputs", []))
        errors = [o for o in outputs if o.output_type == "error"]
        if errors:
            cell.outputs = errors + [o for o in outputs if o.output_type != "error"]
            return cell, resources
        artifact = artifact_path(grade_id, self._directory)
        verdict = self._verify(grade_id, artifact, resources.get(BASELINE_KEY))
        if not self.keep_artifacts and os.path.exists(artifact):
            os.remove(artifact)
        self.log.info("Verifier of %s: %s %s", grade_id, verdict.passed, verdict.metrics)
        if not verdict.passed:
            cell.outputs = [_error_output("GradingCheckFailed", verdict.message)] + outputs
        else:
            cell.outputs.append(
                NotebookNode(output_type="stream", name="stdout", text=f"Checked by the grader: {verdict.message}\n")
            )
        return cell, resources

    def _verify(self, grade_id: str, artifact: str, baseline) -> Verdict:
        """Runs the verifier, unless the watched files changed (checked before and after)."""
        if baseline is None:
            self.log.warning("No integrity baseline (SafeExecute did not record one): %s is verified without it", grade_id)
            return run_verifier(self.verifiers[grade_id], artifact, self.timeout)
        if baseline.earlier:
            self.log.error(CHANGED_BEFORE + " of %s: %s", grade_id, baseline.earlier[:20])
            message = integrity.tampering_message(baseline.earlier, baseline.paths, earlier=True)
            return Verdict(False, message, {"changed_files": len(baseline.earlier)})
        changes = baseline.changes()
        if not changes:
            verdict = run_verifier(self.verifiers[grade_id], artifact, self.timeout)
            changes = baseline.changes()
            if not changes:
                return verdict
        self.log.error(CHANGED_DURING + " of %s: %s", grade_id, changes[:20])
        return Verdict(False, integrity.tampering_message(changes, baseline.paths), {"changed_files": len(changes)})


class DropDuplicateIds(DeduplicateIds):
    """nbgrader's ``DeduplicateIds``, but it removes a duplicate's nbgrader metadata altogether.

    nbgrader 0.9.6 leaves ``{}`` behind, and with ``add_missing_cells`` on,
    ``OverwriteCells`` then fails on the missing ``grade_id``, which aborts
    the submission. Here every copy but the last becomes a plain cell.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class RedactHiddenTests(NbGraderPreprocessor):
    """Removes hidden tests, mark schemes and revealing tracebacks from feedback.

    A grade cell's source after autograding is the instructor's version, hidden
    tests included. This preprocessor replaces each hidden region by a comment,
    each mark scheme by nothing, and, in a cell that had hidden tests, reduces
    every error traceback to its last line (``AssertionError: message``), so
    the student reads the check's message but not the code that raised it.
    """

    begin_test_delimeter = Unicode(
        "BEGIN HIDDEN TESTS", help="The delimiter marking the beginning of hidden tests cases"
    ).tag(config=True)

    end_test_delimeter = Unicode(
        "END HIDDEN TESTS", help="The delimiter marking the end of hidden tests cases"
    ).tag(config=True)

    begin_mark_scheme_delimeter = Unicode(
        "BEGIN MARK SCHEME", help="The delimiter marking the beginning of a mark scheme"
    ).tag(config=True)

    end_mark_scheme_delimeter = Unicode(
        "END MARK SCHEME", help="The delimiter marking the end of a mark scheme"
    ).tag(config=True)

    placeholder = Unicode(
        "# (hidden tests: not shown)",
        help="Text that stands in the feedback where hidden tests were.",
    ).tag(config=True)

    @staticmethod
    def _cut(source: str, begin: str, end: str, placeholder: str):
        """Returns ``(source without the begin..end regions, whether any was cut)``."""
        pattern = re.compile(
            r"^[^\n]*" + re.escape(begin) + r".*?" + re.escape(end) + r"[^\n]*$",
            re.DOTALL | re.MULTILINE,
        )
        new, count = pattern.subn(placeholder, source)
        return new, count > 0

    def preprocess_cell(self, cell, resources, cell_index):
        source = cell.source
        source, had_hidden = self._cut(
            source, self.begin_test_delimeter, self.end_test_delimeter, self.placeholder
        )
        source, _ = self._cut(
            source, self.begin_mark_scheme_delimeter, self.end_mark_scheme_delimeter, ""
        )
        cell.source = source
        if cell.cell_type == "code" and (had_hidden or utils.is_grade(cell)):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    line = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [line]
        return cell, resources


__all__ = ["SafeExecute", "VerifyArtifacts", "DropDuplicateIds", "RedactHiddenTests"]
