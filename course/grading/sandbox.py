"""Isolation of student code during grading, built on bubblewrap (``bwrap``).

Every process that runs or judges student code while grading (the notebook's
kernel, the verifiers that judge handed-in models) starts inside a sandbox:

- **only its own files**: a private copy of the one submission as the working
  directory (``/submission``), the Python environment, the ``course`` package
  and the configured data and preset paths mounted read-only, private
  ``/tmp`` and an empty ``$HOME``; nothing else of the course directory
  (``source/``, ``gradebook.db``, other students) exists inside;
- **no network**: its own network namespace with only loopback; the kernel
  talks to the grader over ZMQ ``ipc`` sockets in a folder bound into it;
- **nothing outlives it**: its own PID namespace, killed with the submission
  (``--die-with-parent``), so a daemon started by student code dies too;
- **limits per assignment**: wall-clock seconds for the whole notebook,
  memory, disk and processes. A watchdog sums the resident memory of every
  process in the sandbox plus what its private ``/tmp`` and home hold (tmpfs
  is memory; both are also bounded with ``bwrap --size``), walks the working
  folder for the disk it uses, counts processes, and kills the sandbox over
  any limit; every process gets ``RLIMIT_FSIZE`` (no one file larger than
  the disk limit), ``RLIMIT_NPROC`` and no core dumps;
- **environment reduced to an allow-list, by name** (the course's settings,
  locale, thread counts); the grader's secrets (``COURSE_GRADING_SALT``) never
  reach a process that runs student code, sandboxed or not.

Where bubblewrap or user namespaces are unavailable, grading still runs
(unsandboxed, with a warning for every submission) unless ``Sandbox.required``
is set. The limits apply in both cases.

Configured in ``nbgrader_config.py`` (``c.Sandbox....``), so plain
``nbgrader autograde`` and formgrader get the same sandbox as
``python -m course grade``.

Why one module of this size: its one job is the sandbox's settings and the
``bwrap`` command built from them (mounts, environment, device files), and a
third of it is this description and the settings' help texts; the limits
(``limits.py``), the watchdog (``watchdog.py``) and bounded runs
(``bounded_run.py``) live apart.
"""

import fnmatch
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from traitlets import Bool, Dict as DictTrait, List as ListTrait, Unicode
from traitlets.config import LoggingConfigurable

from course.gpu import nvidia_gpu
from course.grading.limits import DEFAULT_DISK_MB, Limits, limits_from

#: Where the submission's private copy appears inside the sandbox.
INSIDE_WORKDIR = "/submission"
#: The empty home folder inside the sandbox.
INSIDE_HOME = "/home/student"
#: The course's own settings a sandboxed process needs (``course.config``), by name: never a
#: pattern, so that a secret of the grader's (``COURSE_GRADING_SALT``) is not passed in.
COURSE_SETTINGS = (
    "COURSE_PROFILE",
    "COURSE_DATA_SOURCE",
    "COURSE_MNIST_PATH",
    "COURSE_IMDB_PATH",
    "COURSE_BERT_PRESET",
    "COURSE_EMBEDDING_PRESET",
    "COURSE_NETWORK_TIMEOUT",
)
#: Environment variables passed into a sandbox, by name; everything else is dropped.
ENV_ALLOW = COURSE_SETTINGS + (
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "KERAS_BACKEND",
    "PYTHONHASHSEED",
)
#: The grader's secrets: never passed to a process that runs or judges student code, whatever
#: ``Sandbox.env_allow`` says, sandboxed or not (shell-style patterns).
ENV_SECRETS = ("COURSE_GRADING_SALT", "*SECRET*", "*TOKEN*", "*PASSWORD*", "*_KEY", "*SALT*")
#: Parts of /etc that programs need (dynamic linker, users, certificates, fonts, time zone).
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/fonts",
    "/etc/alternatives",
    "/etc/matplotlibrc",
)
#: Top-level system folders: bound read-only, or recreated as the symbolic links they are.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

#: Words that open the log lines and the notes (``course.grading.notes``) of these two events.
UNSANDBOXED = "Graded WITHOUT the sandbox"
LIMIT_REACHED = "Sandbox limit reached"


class SandboxUnavailable(RuntimeError):
    """Raised when the sandbox is required but cannot be used here."""


#: Size of the sandbox's empty home folder (a tmpfs), MiB.
HOME_MB = 64

def is_secret(name: str) -> bool:
    """Whether an environment variable is one of the grader's secrets (``ENV_SECRETS``)."""
    return any(fnmatch.fnmatchcase(name.upper(), p) for p in ENV_SECRETS)


def without_secrets(env: Dict[str, str]) -> Dict[str, str]:
    """The environment less the grader's secrets (for processes that run student code unsandboxed)."""
    return {k: v for k, v in env.items() if not is_secret(k)}



def filter_environment(env: Dict[str, str], allow: Sequence[str] = ENV_ALLOW) -> Dict[str, str]:
    """Keeps only the variables named in ``allow``, and never a secret (``ENV_SECRETS``).

    Args:
        env: Variables of the grader.
        allow: Names (shell-style patterns are accepted, but the defaults are exact names).

    Returns:
        The variables a sandboxed process may see.
    """
    return {
        k: v for k, v in env.items() if any(fnmatch.fnmatchcase(k, p) for p in allow) and not is_secret(k)
    }


def _outermost(paths: Iterable[str]) -> List[str]:
    """Existing real paths, sorted, without those inside another one of them."""
    real = sorted({os.path.realpath(p) for p in paths if p and os.path.exists(p)})
    return [p for p in real if not any(p != q and p.startswith(q.rstrip(os.sep) + os.sep) for q in real)]


def python_paths() -> List[str]:
    """Folders the course's Python needs: the environment, the base interpreter, the ``course`` package."""
    import course

    candidates = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    candidates.append(os.path.dirname(os.path.realpath(sys.executable)))
    candidates.append(os.path.dirname(os.path.abspath(course.__file__)))
    # The environment itself, as it is named (a venv's bin/python is a link into the base).
    return sorted(set(_outermost(candidates)) | {os.path.abspath(sys.prefix)})


def data_paths() -> List[str]:
    """The configured local data sets and preset (``COURSE_MNIST_PATH``, ...), where they exist."""
    from course.config import get_settings

    settings = get_settings()
    return _outermost([settings.mnist_path, settings.imdb_path, settings.bert_preset, settings.embedding_preset])


class Sandbox(LoggingConfigurable):
    """How grading isolates student code; see the module docstring."""

    enabled = Bool(
        True,
        help="Run grading kernels and verifiers inside bubblewrap wherever it works on this machine.",
    ).tag(config=True)

    required = Bool(
        False,
        help="Refuse to grade when the sandbox cannot be used (instead of grading unsandboxed with a warning).",
    ).tag(config=True)

    bwrap = Unicode("bwrap", help="The bubblewrap program (Debian package 'bubblewrap').").tag(config=True)

    limits = DictTrait(
        {},
        help="Per-assignment limits, {assignment_id: {'seconds': s, 'memory_mb': m, 'disk_mb': d, "
        "'processes': p}}: wall-clock seconds for the whole notebook, memory of the kernel and its children "
        "(with what its /tmp holds), disk written to its folder (and the largest file), processes at once. "
        "The function runner gets the same limits.",
    ).tag(config=True)

    default_limits = DictTrait(
        {"seconds": 1800, "memory_mb": 8192},
        help="Limits of an assignment that 'limits' does not name.",
    ).tag(config=True)

    verifier_limits = DictTrait(
        {"seconds": 1800, "memory_mb": 8192},
        help="Limits of one verifier process (judging one handed-in model).",
    ).tag(config=True)

    env_allow = ListTrait(
        list(ENV_ALLOW),
        help="Names of the grader's environment variables that sandboxed processes see (the grader's "
        "secrets, ENV_SECRETS, never are).",
    ).tag(config=True)

    read_only_paths = ListTrait(
        [],
        help="More host paths mounted read-only into every sandbox (kernels and verifiers).",
    ).tag(config=True)

    verifier_only_paths = ListTrait(
        [],
        help="Host paths mounted read-only into verifiers only (the grader's evaluation data); "
        "student kernels never see them.",
    ).tag(config=True)

    def limits_for(self, assignment: Optional[str]) -> Limits:
        """The limits of one assignment's notebook (``default_limits`` for one not configured)."""
        merged = dict(self.default_limits)
        merged.update(self.limits.get(assignment or "", {}))
        return limits_from(merged)

    def verifier_limits_tuple(self) -> Limits:
        """The limits of one verifier run."""
        merged = {"seconds": 1800, "memory_mb": 8192}
        merged.update(self.verifier_limits)
        return limits_from(merged)

    def status(self) -> Tuple[bool, str]:
        """Whether the sandbox can be used here, and if not, why (one line)."""
        if not self.enabled:
            return False, "the sandbox is switched off (Sandbox.enabled = False)"
        return check_bwrap(self.bwrap)

    def active(self) -> bool:
        """Whether grading runs sandboxed.

        Raises:
            SandboxUnavailable: ``required`` is set and the sandbox cannot be used.
        """
        ok, why = self.status()
        if not ok and self.required:
            raise SandboxUnavailable(f"The grading sandbox is required but cannot be used: {why}.")
        return ok

    def environment(self, env: Dict[str, str]) -> Dict[str, str]:
        """The environment of a sandboxed process, from the grader's ``env``."""
        inside = filter_environment(env, self.env_allow)
        inside.update(
            HOME=INSIDE_HOME,
            TMPDIR="/tmp",
            PATH=os.pathsep.join([os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
            MPLCONFIGDIR="/tmp/matplotlib",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            PYTHONNOUSERSITE="1",
        )
        inside.setdefault("LC_ALL", env.get("LC_ALL") or "C.UTF-8")
        return inside

    def command(
        self,
        argv: Sequence[str],
        env: Dict[str, str],
        workdir: Optional[str] = None,
        binds: Sequence[str] = (),
        read_only: Sequence[Tuple[str, str]] = (),
        verifier: bool = False,
        chdir: Optional[str] = None,
        limits: Optional[Limits] = None,
        read_write: Sequence[Tuple[str, str]] = (),
    ) -> List[str]:
        """The ``bwrap`` command line that runs ``argv`` in a sandbox.

        Args:
            argv: The program and its arguments (paths as seen inside).
            env: The grader's environment; reduced with ``environment``.
            workdir: A host folder that appears read-write as ``/submission``
                and is the working directory.
            binds: Host folders bound read-write at the same path (the kernel's
                connection folder).
            read_only: ``(host_path, inside_path)`` pairs bound read-only.
            verifier: Also mount ``verifier_only_paths``.
            chdir: Working directory inside when ``workdir`` is not given.
            limits: Bound the private ``/tmp`` to the memory limit (tmpfs is
                memory); the home folder is ``HOME_MB``.
            read_write: ``(host_path, inside_path)`` pairs bound read-write (a result file).

        Returns:
            The full command line.
        """
        cmd = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--uid",
            "1000",
            "--gid",
            "1000",
            "--hostname",
            "grader-sandbox",
        ]
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                cmd += ["--ro-bind", path, path]
        for path in ETC_FILES:
            cmd += ["--ro-bind-try", path, path]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--ro-bind-try", "/sys", "/sys"]
        for device in nvidia_gpu().nodes:  # none on a machine without a GPU
            cmd += ["--dev-bind-try", device, device]
        tmp_mb = limits.memory_mb if limits is not None else DEFAULT_DISK_MB
        cmd += ["--size", str(tmp_mb * 2**20), "--tmpfs", "/tmp", "--size", str(HOME_MB * 2**20), "--tmpfs", INSIDE_HOME]
        mounted = python_paths() + data_paths() + list(self.read_only_paths)
        if verifier:
            mounted += list(self.verifier_only_paths)
        for path in _outermost(mounted) + [os.path.abspath(sys.prefix)]:
            if os.path.exists(path):
                cmd += ["--ro-bind", path, path]
        for host, inside in read_only:
            cmd += ["--ro-bind", host, inside]
        for host, inside in read_write:
            cmd += ["--bind", host, inside]
        for path in binds:
            cmd += ["--bind", path, path]
        if workdir:
            cmd += ["--bind", workdir, INSIDE_WORKDIR, "--chdir", INSIDE_WORKDIR]
        else:
            cmd += ["--chdir", chdir or "/tmp"]
        cmd.append("--clearenv")
        for key, value in sorted(self.environment(env).items()):
            cmd += ["--setenv", key, value]
        return cmd + ["--"] + list(argv)


@lru_cache(maxsize=None)
def check_bwrap(bwrap: str = "bwrap") -> Tuple[bool, str]:
    """Whether bubblewrap can run a sandbox here: tries it once (per program path and process).

    Returns:
        ``(True, "")`` when a sandboxed ``true`` ran, else ``(False, reason)``.
    """
    program = shutil.which(bwrap)
    if not program:
        return False, f"bubblewrap ('{bwrap}') is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    cmd = Sandbox(bwrap=program).command(["/bin/true"], env={})
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"bubblewrap could not start ({err})"
    if proc.returncode != 0:
        line = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"bubblewrap failed here ({line[:200]}); user namespaces may be disabled"
    return True, ""
