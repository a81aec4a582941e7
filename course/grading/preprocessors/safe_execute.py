"""SafeExecute: runs a submission in the grading sandbox, within limits, so that a dead kernel still leaves a grade."""

import os
from typing import Optional, Tuple

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from course import regions
from course.grading import context, events, integrity
from course.grading.kernel import SandboxedKernelManager
from course.grading.execution_cache import ExecutionCache, handed_in_files
from course.gpu import nvidia_gpu
from course.grading.sandbox import LIMIT_REACHED, UNSANDBOXED, Sandbox

KERNEL_DIED = "KernelDied"
LIMIT_EXCEEDED = "LimitExceeded"
NOT_RUN = "NotRun"
#: Key of ``resources`` under which SafeExecute leaves the integrity baseline for VerifyArtifacts.
BASELINE_KEY = "course_integrity_baseline"


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An ``error`` output the grader puts on a cell (one-line traceback)."""
    return NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def _cell_name(cell, index: int) -> str:
    """How notes name a cell: its ``grade_id``, or its position when the student added it."""
    return regions.grade_id(cell) or f"code cell {index + 1} (added by the student)"


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
        workdir = self._workdir(resources)
        key = self._cache_key(cache, nb, workdir, assignment) if cache.enabled and self._sandboxed else None
        if key:
            executed = cache.replay(key, workdir, resources)
            cache.log("hit" if executed is not None else "miss", key, self._what(resources))
            if executed is not None:
                return executed, resources
            before, mark = handed_in_files(workdir), len(events.peek(resources))
        try:
            nb, resources = self._preprocess(nb, resources, km)
        finally:
            if self._capped:
                what = ", ".join(sorted(self._capped))
                events.record(resources, events.OUTPUT_CAPPED, note=(
                    f"Its output passed the grader's limit ({what}); later output was dropped (each such cell "
                    "says so in its output). Grades are not affected."))
        if key:
            new = [name for name, digest in handed_in_files(workdir).items() if before.get(name) != digest]
            stored = cache.store(key, nb, workdir, new, events.peek(resources)[mark:])
            cache.log("stored" if stored else "not stored", key, self._what(resources))
        return nb, resources

    @staticmethod
    def _workdir(resources) -> str:
        return os.path.abspath(((resources or {}).get("metadata") or {}).get("path") or os.getcwd())

    @staticmethod
    def _what(resources) -> dict:
        info = (resources or {}).get("nbgrader") or {}
        return {name: str(info.get(name, "")) for name in ("assignment", "student", "notebook")}

    def _cache_key(self, cache: ExecutionCache, nb, workdir: str, assignment: str) -> str:
        """The execution cache's key of this run (``course.grading.execution_cache``)."""
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        inputs = {
            "environment": {k: v for k, v in self._sandbox.environment(dict(os.environ)).items() if k != "PATH"},
            "limits": list(self._limits),
            "gpu": list(nvidia_gpu().nodes),
            "execute": [self.timeout, self.interrupt_on_timeout, self.allow_errors, self.max_output_bytes,
                        self.max_images, self.max_image_bytes, self.startup_timeout],
        }
        return cache.key(
            nb,
            workdir,
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
            events.record(self.resources, events.CELL_TIMEOUT, cell=_cell_name(cell, index), seconds=timeout)
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
            cell.outputs = [error_output(NOT_RUN, self.not_run_message)]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_dead = True
            reason = getattr(self.km, "limit_reason", None)
            if reason:
                grade_id = _cell_name(cell, index)
                self.log.warning("%s in %s: %s", LIMIT_REACHED, grade_id, reason)
                events.record(resources, events.LIMIT, cell=grade_id, reason=reason)
                message = self.limit_message.format(reason=reason)
                cell.outputs = list(cell.get("outputs", [])) + [error_output(LIMIT_EXCEEDED, message)]
                return cell, resources
            self.log.warning("Kernel died in cell %d; later cells are marked as not run", index)
            events.record(resources, events.KERNEL_DIED, index=index)
            cell.outputs = list(cell.get("outputs", [])) + [
                error_output(KERNEL_DIED, self.died_message)
            ]
            return cell, resources
