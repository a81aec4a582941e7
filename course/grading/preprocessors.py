"""nbgrader preprocessors that keep one bad submission from hurting a batch, and hidden tests hidden.

``SafeExecute`` replaces nbgrader's ``Execute`` in autograding: when the kernel
dies (out of memory, killed), the submission still gets a recorded grade
instead of being dropped. ``RedactHiddenTests`` runs in ``generate_feedback``
so that feedback never shows hidden test code, mark schemes, or tracebacks
that quote hidden lines.
"""

import os
import re
from typing import Optional

from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import DeduplicateIds, Execute, NbGraderPreprocessor, OverwriteCells
from nbgrader import utils
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Float, Unicode

from course.grading import context, integrity
from course.grading.artifacts import Verdict, artifact_path, run_verifier
from course.grading.kernel import SandboxedKernelManager
from course.grading.sandbox import LIMIT_REACHED, UNSANDBOXED, Sandbox
from course.grading.secrets import MIN_LENGTH, split_lines

KERNEL_DIED = "KernelDied"
LIMIT_EXCEEDED = "LimitExceeded"
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
    """nbgrader's ``Execute``, sandboxed, within limits, and a dead kernel fails the remaining cells only.

    The kernel runs in the grading sandbox (``course.grading.sandbox``,
    configured by ``c.Sandbox``) with the assignment's wall-clock and memory
    limits. Where the sandbox cannot be used, the notebook runs unsandboxed
    (within the same limits) and the log says so (``UNSANDBOXED``), unless
    ``Sandbox.required`` is set: then the submission is not graded.

    nbgrader 0.9.6 lets ``DeadKernelError`` escape, which leaves the submission
    "failed" with no grade. Here the cell that killed the kernel gets a
    ``KernelDied`` error output and every later code cell a ``NotRun`` error
    output, so its tests score zero and the reason is visible in the feedback,
    while cells that ran before keep their results.

    Unsandboxed only (a sandboxed kernel cannot write to what verifiers
    load), before the kernel starts on a notebook with verified cells, it
    records what the verifiers will load (``course.grading.integrity``) and
    leaves that baseline in ``resources`` for ``VerifyArtifacts``.
    """

    record_baseline = Bool(
        True,
        help="When grading unsandboxed, fingerprint the files verifiers load before the kernel starts, "
        "so that VerifyArtifacts can see tampering.",
    ).tag(config=True)

    limit_message = Unicode(
        "Stopped by the grader: the notebook reached its {reason} (limit for this assignment). "
        "Cells below it were not run.",
        help="Error text put on the cell during which a sandbox limit stopped the kernel ({reason} is filled in).",
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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_dead = False
        # One profile and data source for the kernel and the verifiers (cheap once resolved).
        context.export_resolved()
        self._sandbox = Sandbox(parent=self)
        self._sandboxed = self._sandbox.active()  # raises SandboxUnavailable when required and unusable
        assignment = ((resources or {}).get("nbgrader") or {}).get("assignment")
        self._limits = self._sandbox.limits_for(assignment)
        if not self._sandboxed:
            self.log.warning("%s: %s", UNSANDBOXED, self._sandbox.status()[1])
        if (
            resources is not None
            and not self._sandboxed
            and self.record_baseline
            and self._has_verified_cells(nb)
        ):
            resources[BASELINE_KEY] = integrity.Baseline.take()
        return super().preprocess(nb, resources, km)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.use_sandbox(self._sandbox, self._sandboxed, self._limits)
        return km

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
            reason = getattr(self.km, "limit_reason", None)
            if reason:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"code cell {index + 1} (added by the student)"
                self.log.warning("%s in %s: %s", LIMIT_REACHED, grade_id, reason)
                message = self.limit_message.format(reason=reason)
                cell.outputs = list(cell.get("outputs", [])) + [_error_output(LIMIT_EXCEEDED, message)]
                return cell, resources
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

    Verifiers run in the grading sandbox (``c.Sandbox``) with the artifact
    mounted read-only. When grading runs unsandboxed, ``SafeExecute`` leaves
    an integrity baseline, and the watched files are compared with it before
    and after each verification: if the student's code changed any of them
    (the course package, the data, installed packages), the verdict is a
    failure that says so. Sandboxed, the kernel cannot write to them.
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

    _sandbox = None

    @property
    def sandbox(self) -> Sandbox:
        """The grading sandbox the verifiers run in (``c.Sandbox``)."""
        if self._sandbox is None:
            self._sandbox = Sandbox(parent=self)
        return self._sandbox

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
            # The cell scores zero anyway; if files the grader relies on changed, say so,
            # since later submissions of the batch are affected too.
            tampered = self._tampering(grade_id, resources.get(BASELINE_KEY))
            if tampered is not None:
                errors.insert(0, _error_output("GradingCheckFailed", tampered.message))
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

    def _tampering(self, grade_id: str, baseline) -> Optional[Verdict]:
        """A failed verdict when the watched files changed (before or during the kernel's run), else ``None``."""
        if baseline is None:
            return None
        if baseline.earlier:
            self.log.error(CHANGED_BEFORE + " of %s: %s", grade_id, baseline.earlier[:20])
            message = integrity.tampering_message(baseline.earlier, baseline.paths, earlier=True)
            return Verdict(False, message, {"changed_files": len(baseline.earlier)})
        changes = baseline.changes()
        if changes:
            self.log.error(CHANGED_DURING + " of %s: %s", grade_id, changes[:20])
            return Verdict(False, integrity.tampering_message(changes, baseline.paths), {"changed_files": len(changes)})
        return None

    def _verify(self, grade_id: str, artifact: str, baseline) -> Verdict:
        """Runs the verifier, unless the watched files changed (checked before and after)."""
        if baseline is None:
            if not self.sandbox.active():
                self.log.warning("No integrity baseline (SafeExecute did not record one): %s is verified without it", grade_id)
            return run_verifier(self.verifiers[grade_id], artifact, self.timeout, self.sandbox)
        tampered = self._tampering(grade_id, baseline)
        if tampered is not None:
            return tampered
        verdict = run_verifier(self.verifiers[grade_id], artifact, self.timeout, self.sandbox)
        return self._tampering(grade_id, baseline) or verdict


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, but a deleted graded cell is put back after its nearest surviving predecessor.

    nbgrader 0.9.6 looks for the cell before a deleted one among the graded
    and solution cells only; when that cell is a locked, non-graded one
    (an explanation, a data-loading cell), the lookup raises ``KeyError`` and
    the whole submission fails with every cell zero. Here the deleted cell
    goes right after the closest cell before it (in the source notebook) that
    the submission still has, of any kind, or first if there is none.
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        source_by_name = {cell.name: cell for cell in source_nb.source_cells}
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for name in order:
            if name not in grade_cells:
                continue
            present = {
                cell.metadata["nbgrader"].get("grade_id"): index
                for index, cell in enumerate(nb.cells)
                if "nbgrader" in cell.metadata
            }
            if name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", name)
            cell = self.missing_cell_transform(
                source_by_name[name], grade_cells[name].max_score, is_solution=name in solution_ids
            )
            position = 0
            for previous in reversed(order[: order.index(name)]):
                if previous in present:
                    position = present[previous] + 1
                    break
            nb.cells.insert(position, cell)
        return nb, resources


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
    """Removes hidden tests, mark schemes and revealing tracebacks and outputs from feedback.

    A grade cell's source after autograding is the instructor's version, hidden
    tests included. This preprocessor replaces each hidden region by a comment,
    each mark scheme by nothing, and, in a cell that had hidden tests, reduces
    every error traceback to its last line (``AssertionError: message``), so
    the student reads the check's message but not the code that raised it.
    Any output line (of any cell) that quotes a hidden-test or mark-scheme
    line of the notebook is replaced, since student code can print the
    source of the cells it runs beside.
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

    removed_line = Unicode(
        "[line removed from feedback: hidden test]",
        help="Text that replaces an output line quoting a hidden test or mark scheme.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        regions = [
            (self.begin_test_delimeter, self.end_test_delimeter),
            (self.begin_mark_scheme_delimeter, self.end_mark_scheme_delimeter),
        ]
        inside, outside = split_lines(nb, regions)
        self._hidden = sorted((l for l in inside - outside if len(l) >= MIN_LENGTH), key=len, reverse=True)
        return super().preprocess(nb, resources)

    def _scrub(self, text: str) -> str:
        """Replaces each line of an output that quotes a hidden line."""
        if not self._hidden or not isinstance(text, str):
            return text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if any(hidden in line for hidden in self._hidden):
                lines[i] = self.removed_line
        return "\n".join(lines)

    def _scrub_outputs(self, cell) -> None:
        """Student code can print a hidden test's source (IPython hooks see it): scrub every output."""
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = self._scrub("".join(output.text) if isinstance(output.text, list) else output.text)
            elif output.output_type == "error":
                output.evalue = self._scrub(output.evalue)
                output.traceback = [self._scrub(line) for line in output.get("traceback", [])]
            elif "data" in output:
                for mime, value in list(output.data.items()):
                    if isinstance(value, list):
                        value = "".join(value)
                    if isinstance(value, str):
                        output.data[mime] = self._scrub(value)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            self._scrub_outputs(cell)
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


__all__ = ["SafeExecute", "VerifyArtifacts", "RestoreMissingCells", "DropDuplicateIds", "RedactHiddenTests"]
