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
"""

import fnmatch
import glob
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from functools import lru_cache
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from traitlets import Bool, Dict as DictTrait, List as ListTrait, Unicode
from traitlets.config import LoggingConfigurable

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

#: Log and note texts the pipeline looks for.
UNSANDBOXED = "Graded WITHOUT the sandbox"
LIMIT_REACHED = "Sandbox limit reached"


class SandboxUnavailable(RuntimeError):
    """Raised when the sandbox is required but cannot be used here."""


#: Disk a sandboxed run may write when its configuration names none (MiB): its working folder in
#: total, and any one file (a handed-in BERT model is about 0.5 GB).
DEFAULT_DISK_MB = 2048
#: Processes a sandboxed run may have at once when its configuration names none.
DEFAULT_PROCESSES = 256
#: Size of the sandbox's empty home folder (a tmpfs), MiB.
HOME_MB = 64
#: RLIMIT_NPROC of a sandboxed process (threads count too; enforced by the kernel for a grader
#: that is not root; the watchdog counts processes in every case).
NPROC_LIMIT = 4096


class Limits(NamedTuple):
    """Resource limits of one sandboxed run.

    Attributes:
        seconds: Wall-clock seconds for the whole run (the whole notebook).
        memory_mb: Memory of all its processes together, in MiB: resident
            memory plus what its private ``/tmp`` and home (tmpfs, in memory) hold.
        disk_mb: Disk it may write: the size of any one file (``RLIMIT_FSIZE``)
            and of its working folder in total.
        processes: Processes it may have at once.
    """

    seconds: float
    memory_mb: int
    disk_mb: int = DEFAULT_DISK_MB
    processes: int = DEFAULT_PROCESSES


def is_secret(name: str) -> bool:
    """Whether an environment variable is one of the grader's secrets (``ENV_SECRETS``)."""
    return any(fnmatch.fnmatchcase(name.upper(), p) for p in ENV_SECRETS)


def without_secrets(env: Dict[str, str]) -> Dict[str, str]:
    """The environment less the grader's secrets (for processes that run student code unsandboxed)."""
    return {k: v for k, v in env.items() if not is_secret(k)}


def _limits(merged: dict) -> Limits:
    return Limits(
        float(merged["seconds"]),
        int(merged["memory_mb"]),
        int(merged.get("disk_mb", DEFAULT_DISK_MB)),
        int(merged.get("processes", DEFAULT_PROCESSES)),
    )


def set_child_limits(limits: Limits) -> None:
    """Limits the calling process (and all it starts) before it runs a sandbox: no file larger than
    ``disk_mb`` (``RLIMIT_FSIZE``), no core dumps, at most ``NPROC_LIMIT`` tasks (``RLIMIT_NPROC``)."""
    import resource

    size = int(limits.disk_mb) * 2**20
    for name, value in (("RLIMIT_FSIZE", size), ("RLIMIT_CORE", 0), ("RLIMIT_NPROC", NPROC_LIMIT)):
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))
        except (ValueError, OSError):
            continue


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
    return _outermost([settings.mnist_path, settings.imdb_path, settings.bert_preset])


def gpu_devices() -> List[str]:
    """NVIDIA device files to pass through (none on a machine without a GPU)."""
    return sorted(glob.glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.isdir("/dev/dri") else [])


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
        return _limits(merged)

    def verifier_limits_tuple(self) -> Limits:
        """The limits of one verifier run."""
        merged = {"seconds": 1800, "memory_mb": 8192}
        merged.update(self.verifier_limits)
        return _limits(merged)

    def status(self) -> Tuple[bool, str]:
        """Whether the sandbox can be used here, and if not, why (one line)."""
        if not self.enabled:
            return False, "the sandbox is switched off (Sandbox.enabled = False)"
        return probe(self.bwrap)

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
        for device in gpu_devices():
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
def probe(bwrap: str = "bwrap") -> Tuple[bool, str]:
    """Tries the sandbox once (per program path and process).

    Returns:
        ``(True, "")`` when a sandboxed ``true`` ran, else ``(False, reason)``.
    """
    program = shutil.which(bwrap)
    if not program:
        return False, f"bubblewrap ('{bwrap}') is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    probe_cmd = Sandbox(bwrap=program).command(["/bin/true"], env={})
    try:
        proc = subprocess.run(probe_cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"bubblewrap could not start ({err})"
    if proc.returncode != 0:
        line = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"bubblewrap failed here ({line[:200]}); user namespaces may be disabled"
    return True, ""


class Watchdog:
    """Kills a process tree that runs too long or uses too much memory.

    A thread polls the resident memory of the process and all its
    descendants (the whole sandbox) every ``interval`` seconds.

    Args:
        pid: The process to watch (bwrap, or an unsandboxed kernel).
        limits: Wall-clock and memory limits.
        interval: Seconds between two looks.
    """

    def __init__(self, pid: int, limits: Limits, interval: float = 0.2, workdir: Optional[str] = None):
        self.pid = pid
        self.workdir = workdir
        self._disk_checked = 0.0
        self.limits = limits
        self.interval = interval
        self.started = time.monotonic()
        self.reason: Optional[str] = None
        self.peak_mb = 0.0
        #: A monotonic time after which the process is stopped (one call's limit), with its reason.
        self.deadline: Optional[Tuple[float, str]] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watchdog-{pid}", daemon=True)
        self._thread.start()

    def _processes(self) -> list:
        import psutil

        try:
            root = psutil.Process(self.pid)
            return [root] + root.children(recursive=True)
        except psutil.Error:
            return []

    def _memory_mb(self, procs=None) -> float:
        """Resident memory of every process, plus what the sandbox's tmpfs mounts hold."""
        import psutil

        procs = self._processes() if procs is None else procs
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return (total + self._tmpfs_bytes(procs)) / 2**20

    @staticmethod
    def _tmpfs_bytes(procs) -> int:
        """Bytes held by the private ``/tmp`` and home of the sandbox, seen through a process inside it.

        A process outside the sandbox (bwrap itself, an unsandboxed run) sees
        the host's ``/tmp``, which is not counted.
        """
        host_tmp = os.stat("/tmp").st_dev
        for proc in reversed(procs):
            try:
                if os.stat(f"/proc/{proc.pid}/root/tmp").st_dev == host_tmp:
                    continue
                used = 0
                for folder in ("tmp", INSIDE_HOME.lstrip("/")):
                    st = os.statvfs(f"/proc/{proc.pid}/root/{folder}")
                    used += (st.f_blocks - st.f_bfree) * st.f_frsize
                return used
            except OSError:
                continue
        return 0

    def _disk_mb(self, cap_entries: int = 20000) -> float:
        """What the working folder holds (walked without following links; ``inf`` past ``cap_entries``)."""
        total, seen = 0, 0
        stack = [self.workdir]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > cap_entries:
                    return float("inf")
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                else:
                    total += st.st_blocks * 512
        return total / 2**20

    def _kill(self) -> None:
        try:
            group = os.getpgid(self.pid)
            if group != os.getpgid(0):  # never the grader's own process group
                os.killpg(group, signal.SIGKILL)
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - self.started
            deadline = self.deadline
            procs = self._processes()
            memory = self._memory_mb(procs)
            self.peak_mb = max(self.peak_mb, memory)
            disk = 0.0
            if self.workdir and time.monotonic() - self._disk_checked >= 1.0:
                self._disk_checked = time.monotonic()
                disk = self._disk_mb()
            if memory > self.limits.memory_mb:
                self.reason = f"memory: it used more than {self.limits.memory_mb:,} MiB (memory and /tmp)"
            elif disk > self.limits.disk_mb:
                self.reason = f"disk: it wrote more than {self.limits.disk_mb:,} MiB to its folder"
            elif len(procs) > self.limits.processes:
                self.reason = f"processes: it started more than {self.limits.processes:,} processes"
            elif elapsed > self.limits.seconds:
                self.reason = f"time: it ran longer than {self.limits.seconds:,.0f} s"
            elif deadline is not None and time.monotonic() > deadline[0]:
                self.reason = deadline[1]
            if self.reason:
                self._kill()
                return

    def stop(self) -> None:
        """Stops watching (the process ended)."""
        self._stop.set()
        self._thread.join(timeout=5)


#: Most bytes of a sandboxed process's stdout the grader keeps (a result line included).
MAX_STDOUT_BYTES = 80 * 2**20
#: Most bytes of its stderr the grader keeps (the end of it, for a message).
MAX_STDERR_BYTES = 64 * 2**10
#: Longest line of stdout the grader keeps; a longer one is dropped whole.
MAX_LINE_BYTES = 72 * 2**20


def _child_limits(limits: Limits):
    """What a sandboxed program's process sets on itself before it starts (see ``set_child_limits``)."""
    return lambda: set_child_limits(limits)


def _read_stdout(stream, keep: List[bytes], on_line, cap: int) -> None:
    """Reads a process's stdout to its end, keeping at most ``cap`` bytes of whole lines; calls ``on_line``."""
    kept = 0
    partial = b""
    dropping = False
    while True:
        chunk = stream.read1(2**20) if hasattr(stream, "read1") else stream.read(2**20)
        if not chunk:
            break
        partial += chunk
        *lines, partial = partial.split(b"\n")
        if dropping and lines:  # the end of an overlong line
            lines, dropping = lines[1:], False
        if len(partial) > MAX_LINE_BYTES:
            partial, dropping = b"", True
        for raw in lines:
            if on_line is not None:
                on_line(raw.decode("utf-8", "replace"))
            if kept + len(raw) + 1 <= cap:
                keep.append(raw + b"\n")
                kept += len(raw) + 1
    if partial and not dropping and kept + len(partial) <= cap:
        keep.append(partial)


def _tail(fh, size: int) -> str:
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    fh.seek(max(0, end - size))
    return fh.read().decode("utf-8", "replace")


def run_sandboxed(
    argv: Sequence[str],
    sandbox: Optional[Sandbox],
    limits: Limits,
    read_only: Sequence[Tuple[str, str]] = (),
    env: Optional[Dict[str, str]] = None,
    verifier: bool = True,
    on_line=None,
    max_stdout: int = MAX_STDOUT_BYTES,
) -> Tuple[int, str, str, Optional[str]]:
    """Runs a verifier-like program to the end, sandboxed when possible, within ``limits``.

    What the grader keeps of its output is bounded: at most ``max_stdout``
    bytes of stdout (whole lines, none longer than ``MAX_LINE_BYTES``) and the
    last ``MAX_STDERR_BYTES`` of stderr, whatever the process writes.

    Args:
        argv: Program and arguments (paths as seen inside).
        sandbox: The sandbox settings; ``None`` or an inactive one runs it as is.
        limits: Wall-clock and memory limits.
        read_only: ``(host, inside)`` paths mounted read-only (the artifact).
        env: The environment to start from (default: the grader's).
        verifier: Mount ``Sandbox.verifier_only_paths`` (trusted code only:
            never for a process that runs student code).
        on_line: Called with each line of stdout as it comes (from a reader
            thread), with the ``Watchdog`` as second argument, so that a
            caller can set ``Watchdog.deadline`` (a limit per call).
        max_stdout: Most bytes of stdout kept.

    Returns:
        ``(returncode, stdout, stderr, limit_reason)``; ``limit_reason`` is
        ``None`` unless the watchdog stopped it.
    """
    env = dict(os.environ if env is None else env)
    if sandbox is not None and sandbox.active():
        cmd = sandbox.command(argv, env, read_only=read_only, verifier=verifier, limits=limits)
        launch_env = {"PATH": env.get("PATH", "/usr/bin:/bin")}
    else:
        mapping = dict((inside, host) for host, inside in read_only)
        cmd = [mapping.get(a, a) for a in argv]
        launch_env = without_secrets(env)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, env=launch_env, cwd=tempfile.gettempdir(),
            start_new_session=True, preexec_fn=_child_limits(limits),
        )
        dog = Watchdog(proc.pid, limits)
        kept: List[bytes] = []
        callback = (lambda line: on_line(line, dog)) if on_line is not None else None
        reader = threading.Thread(target=_read_stdout, args=(proc.stdout, kept, callback, max_stdout), daemon=True)
        reader.start()
        try:
            proc.wait()
            reader.join(timeout=30)
        finally:
            dog.stop()
            proc.stdout.close()
        return (
            proc.returncode,
            b"".join(kept).decode("utf-8", "replace"),
            _tail(err, MAX_STDERR_BYTES),
            dog.reason,
        )
