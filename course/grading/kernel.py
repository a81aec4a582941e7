"""The kernel manager of autograding: each submission's kernel in its own sandbox, within limits.

``SandboxedKernelManager`` is jupyter_client's ``AsyncKernelManager`` with
three changes, made by ``SafeExecute`` (``course.grading.preprocessors``)
before the kernel starts:

- when the sandbox is active, the kernel is launched by ``bwrap``
  (``course.grading.sandbox``) in a private copy of the submission folder,
  and talks to the grader over ZMQ ``ipc`` sockets in a private folder (the
  sandbox has no network); interrupts go as messages, since a signal to
  ``bwrap`` does not reach the kernel;
- a ``Watchdog`` enforces the assignment's wall-clock and memory limits,
  sandboxed or not, and says which one it enforced (``limit_reason``);
- the kernel's private copy holds no instructor-only text: nbgrader
  restored the locked cells of the notebook (with their mark schemes and
  hidden tests) before execution, and ``kernel_copy`` takes those regions out
  of every notebook in the copy (hidden tests reach the kernel only as the
  code it runs, a hand-in call);
- when the kernel is shut down, the models that hidden tests handed in
  (regular files in ``.grading_artifacts/``, nothing else) are copied back to
  the autograded folder for the verifiers; the private copy is removed.
"""

import os
import re
import shutil
import stat
import subprocess
import tempfile
from typing import Optional

import nbformat
from jupyter_client.manager import AsyncKernelManager

from course import regions

from course.checks.handin import ARTIFACT_DIR
from course.grading.limits import Limits, set_child_limits
from course.grading.sandbox import Sandbox, without_secrets
from course.grading.watchdog import Watchdog

#: Names of handed-in files that are copied back out of the sandbox: models and their
#: profile sidecars (``course.grading.context``).
ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.(keras|json)$")
#: Largest handed-in file copied back (a fine-tuned BERT-base is about 0.5 GB).
MAX_ARTIFACT_BYTES = 4 * 2**30


def copy_back_artifacts(private_workdir: str, target_dir: str) -> int:
    """Copies handed-in models out of a sandbox's private folder.

    Only regular files with an artifact's name are copied (no links, no
    folders), read without following links.

    Args:
        private_workdir: The sandbox's working folder on the host.
        target_dir: The autograded submission folder.

    Returns:
        How many files were copied.
    """
    source = os.path.join(private_workdir, ARTIFACT_DIR)
    if not os.path.isdir(source) or os.path.islink(source):
        return 0
    copied = 0
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        st = os.lstat(path)
        if not ARTIFACT_NAME.match(name) or not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ARTIFACT_BYTES:
            continue
        os.makedirs(os.path.join(target_dir, ARTIFACT_DIR), exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as src, open(os.path.join(target_dir, ARTIFACT_DIR, name), "wb") as dst:
            shutil.copyfileobj(src, dst, 16 * 2**20)
        copied += 1
    return copied


def strip_instructor_regions(nb) -> int:
    """Takes every mark scheme and hidden-test region out of a notebook, in place.

    A cell whose markers nbgrader cannot parse (a student's cell that
    merely contains the words) is left as it is: it is the student's own.

    Returns:
        How many cells changed.
    """
    changed = 0
    for cell in nb.cells:
        try:
            source = regions.without(cell, [regions.MARK_SCHEME, regions.HIDDEN_TESTS])
        except Exception:  # nbgrader's region parser raises on unbalanced markers
            continue
        if source != cell.source:
            cell.source = source
            changed += 1
    return changed


def kernel_copy(target: str, workdir: str) -> None:
    """Copies a submission folder for its kernel, without instructor-only text.

    Every notebook in the copy loses its mark schemes and hidden tests
    (``strip_instructor_regions``); links are copied as links (the sandbox
    has nothing they could point to).

    Args:
        target: The autograded submission folder (what nbgrader runs in).
        workdir: The private folder that becomes ``/submission``.
    """
    shutil.copytree(target, workdir, symlinks=True)
    for name in os.listdir(workdir):
        path = os.path.join(workdir, name)
        if not name.endswith(".ipynb") or os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # not a notebook nbgrader could run either: nothing to protect in it
            os.remove(path)
            continue
        strip_instructor_regions(nb)
        nbformat.write(nb, path)


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs sandboxed and within limits (see the module docstring)."""

    sandbox: Optional[Sandbox] = None
    sandboxed: bool = False
    limits: Optional[Limits] = None
    watchdog: Optional[Watchdog] = None
    _private: Optional[str] = None
    _target: Optional[str] = None

    def use_sandbox(self, sandbox: Sandbox, sandboxed: bool, limits: Limits) -> None:
        """Sets how the next kernel starts; call before ``start_kernel``.

        Args:
            sandbox: Sandbox settings.
            sandboxed: Whether to run the kernel in the sandbox.
            limits: Wall-clock and memory limits of the whole notebook.
        """
        self.sandbox, self.sandboxed, self.limits = sandbox, sandboxed, limits
        if sandboxed:
            self._private = tempfile.mkdtemp(prefix="course-sbx-")
            os.makedirs(os.path.join(self._private, "conn"))
            self.transport = "ipc"
            self.ip = os.path.join(self._private, "conn", "k")
            self.connection_file = os.path.join(self._private, "conn", "kernel.json")

    @property
    def limit_reason(self) -> Optional[str]:
        """Which limit stopped the kernel, or ``None``."""
        return self.watchdog.reason if self.watchdog else None

    async def _async_pre_start_kernel(self, **kw):
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        if self.sandboxed:
            # A signal to bwrap does not reach the kernel in its own PID namespace.
            self.kernel_spec.interrupt_mode = "message"
        return cmd, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.sandboxed:
            self._target = os.path.abspath(kw.get("cwd") or os.getcwd())
            workdir = os.path.join(self._private, "work")
            kernel_copy(self._target, workdir)
            env = kw.get("env") or dict(os.environ)
            kernel_cmd = self.sandbox.command(
                kernel_cmd, env, workdir=workdir, binds=[os.path.join(self._private, "conn")], limits=self.limits
            )
            kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            kw["cwd"] = self._private
            # Without a parent process id (meaningless across PID namespaces) ipykernel
            # prints its connection banner on stdout; its real output goes over ZMQ.
            kw["stdout"] = subprocess.DEVNULL
        else:
            kw["env"] = without_secrets(kw.get("env") or dict(os.environ))
        if self.limits is not None:
            limits = self.limits
            kw["preexec_fn"] = lambda: set_child_limits(limits)  # RLIMIT_FSIZE, RLIMIT_NPROC, no core
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.limits is not None and self.provisioner is not None and getattr(self.provisioner, "process", None):
            workdir = os.path.join(self._private, "work") if self.sandboxed else None
            self.watchdog = Watchdog(self.provisioner.process.pid, self.limits, workdir=workdir)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self.watchdog is not None:
            self.watchdog.stop()
        if self._private:
            if self._target:
                copy_back_artifacts(os.path.join(self._private, "work"), self._target)
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    cleanup_resources = _async_cleanup_resources
