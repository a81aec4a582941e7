"""nbgrader preprocessors that keep one bad submission from hurting a batch, and hidden tests hidden.

``SafeExecute`` replaces nbgrader's ``Execute`` in autograding: when the kernel
dies (out of memory, killed), the submission still gets a recorded grade
instead of being dropped. ``RedactHiddenTests`` runs in ``generate_feedback``
so that feedback never shows hidden test code, mark schemes, or tracebacks
that quote hidden lines.
"""

import os
import shutil
from typing import Optional, Tuple

import nbformat

from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import DeduplicateIds, Execute, NbGraderPreprocessor, OverwriteCells
from nbgrader import utils
from nbformat.notebooknode import NotebookNode
from traitlets import Bool, Dict, Float, Integer, Unicode

from course import regions
from course.grading import context, events, integrity, judge
from course.grading.artifacts import ARTIFACT_DIR, Verdict
from course.grading.execution_cache import ExecutionCache, handed_in_files
from course.grading.kernel import SandboxedKernelManager
from course.grading.sandbox import LIMIT_REACHED, UNSANDBOXED, Sandbox, gpu_devices
from course.grading.secrets import MIN_LENGTH

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
    load), before the kernel starts, it
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

    max_output_bytes = Integer(
        16 * 2**20,
        help="Bytes of output (text and images) the grader keeps of one notebook's run; later output is "
        "dropped with a note in the cell and in the report.",
    ).tag(config=True)

    max_images = Integer(
        20, help="Image outputs the grader keeps of one notebook's run; later images are dropped with a note."
    ).tag(config=True)

    max_image_bytes = Integer(
        8 * 2**20, help="Bytes of image outputs the grader keeps of one notebook's run."
    ).tag(config=True)

    capped_message = Unicode(
        "[output removed by the grader: this notebook's output passed the grader's limit "
        "({what}); the cell still ran]\n",
        help="Stream text put in a cell whose output was dropped ({what} is filled in).",
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    @staticmethod
    def _size(content: dict) -> Tuple[int, bool]:
        """Bytes of an output message's payload, and whether it holds an image."""
        size = len(str(content.get("text", ""))) + len(str(content.get("evalue", "")))
        size += sum(len(str(line)) for line in content.get("traceback", []) or [])
        data = content.get("data") or {}
        image = False
        for mime, value in data.items():
            size += len(value) if isinstance(value, str) else len(str(value))
            image = image or str(mime).startswith("image/")
        return size, image

    def _over_cap(self, size: int, image: bool) -> Optional[str]:
        """Why an output of ``size`` bytes is dropped, or ``None`` (and then it is counted)."""
        if image and self._images >= self.max_images:
            return f"{self.max_images} images"
        if image and self._image_bytes + size > self.max_image_bytes:
            return f"{self.max_image_bytes / 2**20:g} MiB of images"
        if self._output_bytes + size > self.max_output_bytes:
            return f"{self.max_output_bytes / 2**20:g} MiB of output"
        self._output_bytes += size
        if image:
            self._images += 1
            self._image_bytes += size
        return None

    def output(self, outs, msg, display_id, cell_index):
        # Errors are never dropped: whether a cell raised decides its grade.
        if msg.get("msg_type") in ("stream", "display_data", "execute_result"):
            size, image = self._size(msg.get("content") or {})
            why = self._over_cap(size, image)
            if why is not None:
                self._capped.add(why)
                if cell_index not in self._capped_cells:
                    self._capped_cells.add(cell_index)
                    note = NotebookNode(output_type="stream", name="stdout", text=self.capped_message.format(what=why))
                    outs.append(note)
                return None
        return super().output(outs, msg, display_id, cell_index)

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") == "update_display_data":  # replaces an output: counted like a new one
            size, image = self._size(msg.get("content") or {})
            why = self._over_cap(size, image)
            if why is not None:
                self._capped.add(why)
                return None
        return super().process_message(msg, cell, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_dead = False
        self._output_bytes = self._images = self._image_bytes = 0
        self._capped, self._capped_cells = set(), set()
        # One profile and data source for the kernel and the verifiers (cheap once resolved).
        context.export_resolved()
        self._sandbox = Sandbox(parent=self)
        self._sandboxed = self._sandbox.active()  # raises SandboxUnavailable when required and unusable
        assignment = ((resources or {}).get("nbgrader") or {}).get("assignment")
        self._limits = self._sandbox.limits_for(assignment)
        cache = ExecutionCache(parent=self)
        key = self._cache_key(cache, nb, resources, assignment) if cache.enabled and self._sandboxed else None
        if key:
            executed = cache.replay(key, self._workdir(resources), resources)
            cache.log("hit" if executed is not None else "miss", key, self._what(resources))
            if executed is not None:
                return executed, resources
            before, mark = handed_in_files(self._workdir(resources)), len(events.peek(resources))
        try:
            nb, resources = self._preprocess(nb, resources, km)
        finally:
            if self._capped:
                what = ", ".join(sorted(self._capped))
                events.record(resources, events.OUTPUT_CAPPED, note=(
                    f"Its output passed the grader's limit ({what}); later output was dropped (each such cell "
                    "says so in its output). Grades are not affected."))
        if key:
            after = handed_in_files(self._workdir(resources))
            new = [name for name, digest in after.items() if before.get(name) != digest]
            stored = cache.store(key, nb, self._workdir(resources), new, events.peek(resources)[mark:])
            cache.log("stored" if stored else "not stored", key, self._what(resources))
        return nb, resources

    @staticmethod
    def _workdir(resources) -> str:
        return os.path.abspath(((resources or {}).get("metadata") or {}).get("path") or os.getcwd())

    @staticmethod
    def _what(resources) -> dict:
        info = (resources or {}).get("nbgrader") or {}
        return {name: str(info.get(name, "")) for name in ("assignment", "student", "notebook")}

    def _cache_key(self, cache: ExecutionCache, nb, resources, assignment: str) -> str:
        """The execution cache's key of this run (``course.grading.execution_cache``)."""
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        inputs = {
            "environment": {k: v for k, v in self._sandbox.environment(dict(os.environ)).items() if k != "PATH"},
            "limits": list(self._limits),
            "gpu": gpu_devices(),
            "execute": [self.timeout, self.interrupt_on_timeout, self.allow_errors, self.max_output_bytes,
                        self.max_images, self.max_image_bytes, self.startup_timeout],
        }
        return cache.key(
            nb,
            self._workdir(resources),
            coursedir.format_path(coursedir.source_directory, ".", assignment),
            os.path.join(coursedir.root, "nbgrader_config.py"),
            inputs,
        )

    def _preprocess(self, nb, resources=None, km=None):
        if not self._sandboxed:
            why = self._sandbox.status()[1]
            self.log.warning("%s: %s", UNSANDBOXED, why)
            events.record(resources, events.UNSANDBOXED, why=why)
        if (
            resources is not None
            and not self._sandboxed
            and self.record_baseline
        ):
            resources[BASELINE_KEY] = integrity.Baseline.take()
        return super().preprocess(nb, resources, km)

    async def _async_handle_timeout(self, timeout, cell=None):
        if cell is not None:
            index = self.nb.cells.index(cell) if cell in self.nb.cells else -1
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") or f"code cell {index + 1} (added by the student)"
            events.record(self.resources, events.CELL_TIMEOUT, cell=grade_id, seconds=timeout)
        return await super()._async_handle_timeout(timeout, cell)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.use_sandbox(self._sandbox, self._sandboxed, self._limits)
        return km

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
                events.record(resources, events.LIMIT, cell=grade_id, reason=reason)
                message = self.limit_message.format(reason=reason)
                cell.outputs = list(cell.get("outputs", [])) + [_error_output(LIMIT_EXCEEDED, message)]
                return cell, resources
            self.log.warning("Kernel died in cell %d; later cells are marked as not run", index)
            events.record(resources, events.KERNEL_DIED, index=index)
            cell.outputs = list(cell.get("outputs", [])) + [
                _error_output(KERNEL_DIED, self.died_message)
            ]
            return cell, resources


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
        failed = {c.metadata["nbgrader"]["grade_id"] for c in graded if _raised(c)}
        unjudged = sorted(c.metadata["nbgrader"]["grade_id"] for c in graded if c.metadata["nbgrader"]["grade_id"] not in key.questions)
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
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            verdict = verdicts.get(grade_id)
            if grade_id in failed and tampered is not None:
                # The cell scores zero anyway; say that files the grader relies on changed,
                # since later submissions of the batch are affected too.
                cell.outputs.insert(0, _error_output(GRADER_FAILED, tampered.message))
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
        cell.outputs = [_error_output(GRADER_FAILED, verdict.message)] + others
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


class StripForeignCells(NbGraderPreprocessor):
    """Removes nbgrader metadata that belongs to no cell of this notebook (a cell pasted from another one).

    A cell copied from another assignment keeps that notebook's nbgrader
    metadata; nbgrader 0.9.6 empties it, and ``add_missing_task_cells`` then
    fails on the missing ``grade_id``, which zeroes the whole submission.
    Here such a cell (an id the gradebook does not know for this notebook,
    or metadata without an id) becomes a plain cell of the student's, and
    an event is recorded for the submission's notes.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources.get("nbgrader") or {}
        try:
            with Gradebook(info["db_url"]) as gb:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
                known = {cell.name for cell in notebook.source_cells}
        except (KeyError, MissingEntry):
            return nb, resources
        foreign = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(grade_id, str) or grade_id not in known:
                foreign.append(str(grade_id)[:80])
                del cell.metadata["nbgrader"]
        if foreign:
            self.log.warning("Removed nbgrader metadata of %d cell(s) from another notebook", len(foreign))
            events.record(resources, events.FOREIGN_CELLS, ids=foreign)
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

    A locked cell's source after autograding is the instructor's version,
    hidden tests and mark schemes included. The cells redacted are found by
    the **source notebook's grade ids** (``source/<assignment>/<notebook>.ipynb``;
    without one, by the cell's own ``locked`` flag): each such cell gets the
    source's version with every hidden region replaced by a comment and every
    mark scheme removed. A student's cell is never parsed for region markers
    (a student who writes ``BEGIN HIDDEN TESTS`` in an answer must not stop
    their feedback), and its text is shown as they wrote it. In a cell that
    had hidden tests, or a graded one, every error traceback is cut to its
    last line (``AssertionError: message``). Any output line (of any cell)
    that quotes a hidden-test or mark-scheme line of the source is replaced,
    since student code can print the source of the cells it runs beside.
    """

    placeholder = Unicode(
        "# (hidden tests: not shown)",
        help="Text that stands in the feedback where hidden tests were.",
    ).tag(config=True)

    removed_line = Unicode(
        "[line removed from feedback: hidden test]",
        help="Text that replaces an output line quoting a hidden test or mark scheme.",
    ).tag(config=True)

    def source_cells(self, nb, resources) -> dict:
        """The instructor's cells, ``{grade_id: cell}``: the locked cells of the source notebook.

        Without a source notebook (a notebook graded outside a course), the
        cells that are locked in ``nb`` itself.
        """
        info = (resources or {}).get("nbgrader") or {}
        assignment, notebook = info.get("assignment"), info.get("notebook")
        path = None
        if assignment and notebook:
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            path = os.path.join(coursedir.root, coursedir.source_directory, assignment, f"{notebook}.ipynb")
        cells = nb.cells
        if path and os.path.isfile(path):
            cells = nbformat.read(path, as_version=4).cells
        found = {}
        for cell in cells:
            meta = cell.metadata.get("nbgrader") or {}
            if meta.get("grade_id") and (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
                found[meta["grade_id"]] = cell
        return found

    def preprocess(self, nb, resources):
        self._source = self.source_cells(nb, resources)
        hidden = set()
        for cell in self._source.values():
            try:
                inside, _ = regions.split(cell, [regions.HIDDEN_TESTS, regions.MARK_SCHEME])
            except Exception:  # the instructor's own cell does not parse: nothing to match
                continue
            hidden |= {line.strip() for line in inside}
        public = set()
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") not in self._source:
                continue
            public |= {line.strip() for line in self._redacted(cell).split("\n")}
        self._hidden = sorted((l for l in hidden - public if len(l) >= MIN_LENGTH), key=len, reverse=True)
        return super().preprocess(nb, resources)

    def _redacted(self, cell) -> str:
        """The source's version of an instructor cell, hidden tests and mark schemes taken out."""
        source_cell = self._source[cell.metadata["nbgrader"]["grade_id"]]
        try:
            text, _ = regions.replace(source_cell, regions.HIDDEN_TESTS, self.placeholder)
            return regions.replace(NotebookNode(source_cell, source=text), regions.MARK_SCHEME, "")[0]
        except Exception:  # an instructor cell nbgrader cannot parse: show nothing of it
            return self.placeholder

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
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        instructor = grade_id in self._source
        had_hidden = False
        if instructor:
            markers = regions.delimiters([regions.HIDDEN_TESTS])
            had_hidden = any(m in self._source[grade_id].source for m in markers)
            cell.source = self._redacted(cell)
        if cell.cell_type == "code" and (had_hidden or utils.is_grade(cell)):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    line = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [line]
        return cell, resources


__all__ = [
    "SafeExecute", "VerifyArtifacts", "normalise_outputs", "RestoreMissingCells", "StripForeignCells",
    "DropDuplicateIds", "RedactHiddenTests",
]
