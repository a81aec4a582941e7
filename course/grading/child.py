"""One way to run a function in a fresh, limited, usually sandboxed Python process and read its answer as data.

Every grader step that must not run in the grader's own process (the model
verifiers, ``course.grading.artifacts``; the re-run of a student's functions,
``course.grading.runner`` via ``course.grading.judge``; TensorFlow's view of
the GPU, ``course.grading.context``) goes through ``call_in_child``:

- the **request** (a ``'module:function'`` target and its payload) is written
  to a file as ``course.codec`` JSON (never pickle) and mounted read-only;
- the child is ``python -I`` (no ``PYTHONPATH``, no user site, no working
  directory on the path) importing the same ``course`` package as the grader,
  and resolves the target with ``load_target``, the one loader of
  ``'module:function'`` specs;
- the **answer** comes back in a result file (codec JSON lines), never from
  stdout, so nothing the child prints, the student's code included, can pass
  for a result; stdout only carries progress lines (``on_progress``);
- it runs with ``course.grading.bounded_run.run_sandboxed``: in the sandbox
  when one is given and usable (environment reduced to its allow-list), else
  as a plain process with the grader's secrets removed; the watchdog's
  ``Limits`` (wall clock = the timeout, memory, disk, processes) and the
  output caps apply either way.

The result file is as trustworthy as the child: for the function runner,
whose process is the student's, every item is only data to be checked.
"""

import importlib
import os
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from course import codec

#: Where the request and the result file appear in the child (bound there in the sandbox).
REQUEST_INSIDE = "/grading/request.json"
RESULT_INSIDE = "/grading/result.jsonl"
#: Prefix of a progress line on the child's stdout (``Reply.progress``).
PROGRESS_PREFIX = "CHILD-PROGRESS "
#: Most bytes of the result file the grader reads.
MAX_RESULT_BYTES = 80 * 2**20
#: Most bytes of the child's stdout the grader keeps (progress lines; the rest is noise).
MAX_STDOUT_BYTES = 2**20
#: Variables set for every child (quiet TensorFlow, fixed hashing, no display); the ``PYTHON*``
#: paths are removed (``-I`` ignores most of them anyway).
CHILD_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
DROPPED_ENV = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME")
#: What the child runs: ``-I`` leaves the ``course`` package off the path, so it is put first:
#: the one the grader imported (the sandbox mounts it), not whatever the environment installs.
_BOOT = "import sys; sys.path.insert(0, {root!r}); from course.grading.child import main; sys.exit(main())"


class ChildError(RuntimeError):
    """A child process gave no result: stopped at a limit, crashed, or ended before its target returned.

    Attributes:
        limit: The watchdog's reason when a limit stopped it, else ``None``.
    """

    def __init__(self, message: str, limit: Optional[str] = None):
        super().__init__(message)
        self.limit = limit


@dataclass
class ChildRun:
    """What one child process left.

    Attributes:
        result: What the target returned (``None`` unless ``finished``).
        finished: The target returned and its result was written.
        partial: Items the target reported as it went (``Reply.partial``), in order.
        returncode: The process's exit status.
        stderr: The end of its stderr.
        limit: The watchdog's reason when a limit stopped it.
    """

    result: Any = None
    finished: bool = False
    partial: List[Any] = field(default_factory=list)
    returncode: Optional[int] = None
    stderr: str = ""
    limit: Optional[str] = None

    def why(self) -> str:
        """Why there is no result: the limit, else the last line of stderr (``'no answer'``)."""
        if self.limit:
            return self.limit
        return ((self.stderr or "").strip().splitlines() or ["no answer"])[-1][:300]

    def value(self) -> Any:
        """The result.

        Raises:
            ChildError: The target did not return (``why``).
        """
        if not self.finished:
            raise ChildError(self.why(), self.limit)
        return self.result


def load_target(spec: Optional[str]) -> Optional[Callable]:
    """Imports ``'package.module:function'`` (``None`` for an empty spec): the one loader of such specs."""
    if not spec:
        return None
    module_name, _, name = spec.partition(":")
    return getattr(importlib.import_module(module_name), name)


def child_environment(env: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
    """The environment a child starts from (``run_sandboxed`` then reduces it to the allow-list)."""
    out = dict(os.environ if env is None else env, **CHILD_ENV)
    out.update(extra)
    for name in DROPPED_ENV:
        out.pop(name, None)
    return out


def _course_root() -> str:
    import course

    return os.path.dirname(os.path.dirname(os.path.abspath(course.__file__)))


def child_argv() -> List[str]:
    """The command line of a child (paths as seen inside the sandbox)."""
    return [sys.executable, "-I", "-c", _BOOT.format(root=_course_root()), REQUEST_INSIDE, RESULT_INSIDE]


def _read_result(path: str, run: ChildRun) -> None:
    """Fills ``run`` from the result file: complete, well-formed lines only, at most ``MAX_RESULT_BYTES``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        data = fh.read(MAX_RESULT_BYTES + 1)
    for raw in data[:MAX_RESULT_BYTES].split(b"\n"):
        try:
            item = codec.loads(raw.decode("utf-8"))
        except (ValueError, TypeError, RecursionError, UnicodeDecodeError):
            continue  # an unfinished or foreign line
        if not isinstance(item, dict) or len(item) != 1:
            continue
        if "partial" in item:
            run.partial.append(item["partial"])
        elif "result" in item:
            run.result, run.finished = item["result"], True


def _host_paths(value: Any, mapping: Mapping[str, str]) -> Any:
    """``value`` with every string that is an inside path replaced by its host path (for an unsandboxed child)."""
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, (list, tuple)):
        return type(value)(_host_paths(item, mapping) for item in value)
    if isinstance(value, dict):
        return {key: _host_paths(item, mapping) for key, item in value.items()}
    return value


def call_in_child(
    target: str,
    payload: Any,
    sandbox,
    limits,
    env: Optional[Mapping[str, str]] = None,
    read_only: Sequence[Tuple[str, str]] = (),
    verifier: bool = True,
    on_progress: Optional[Callable[[str, Any], None]] = None,
) -> ChildRun:
    """Runs ``target(payload, reply)`` in a fresh process and returns what it left.

    Args:
        target: ``'package.module:function'``; the function takes the payload
            and a ``Reply`` and returns the result (codec data).
        payload: Codec data: the request. Paths in it are as seen inside
            the sandbox (``read_only``); unsandboxed, strings equal to one are
            replaced by the host path.
        sandbox: A ``course.grading.sandbox.Sandbox``, or ``None`` for a plain
            process (trusted code only, or where grading runs unsandboxed).
        limits: ``course.grading.limits.Limits``; ``seconds`` is the timeout.
        env: The environment to start from (default the grader's), see ``child_environment``.
        read_only: More ``(host, inside)`` paths mounted read-only (artifacts).
        verifier: Mount ``Sandbox.verifier_only_paths`` (never for student code).
        on_progress: Called with each progress line's text and the ``Watchdog``
            (from a reader thread), so a caller can set ``Watchdog.deadline``.

    Returns:
        The ``ChildRun``; ``ChildRun.value()`` raises ``ChildError`` where the target did not return.
    """
    from course.grading.bounded_run import run_sandboxed

    def on_line(line: str, dog) -> None:
        if on_progress is not None and line.startswith(PROGRESS_PREFIX):
            on_progress(line[len(PROGRESS_PREFIX):], dog)

    if sandbox is not None and not sandbox.active():  # raises SandboxUnavailable where it is required
        sandbox = None
    if sandbox is None:
        payload = _host_paths(payload, {inside: host for host, inside in read_only})
    with tempfile.TemporaryDirectory(prefix="course-child-") as tmp:
        request, result = os.path.join(tmp, "request.json"), os.path.join(tmp, "result.jsonl")
        with open(request, "w", encoding="utf-8") as fh:
            fh.write(codec.dumps({"target": target, "payload": payload}))
        open(result, "wb").close()
        returncode, _, stderr, limit = run_sandboxed(
            child_argv(), sandbox, limits,
            read_only=[(request, REQUEST_INSIDE)] + list(read_only), read_write=[(result, RESULT_INSIDE)],
            env=child_environment(env), verifier=verifier, on_line=on_line, max_stdout=MAX_STDOUT_BYTES,
        )
        run = ChildRun(returncode=returncode, stderr=stderr, limit=limit)
        _read_result(result, run)
    if limit:  # a result written before the watchdog stopped it does not count
        run.finished, run.result = False, None
    return run


# ------------------------------------------------------------------ the child's side


class Reply:
    """How a target answers: ``partial`` items kept if it is stopped, ``progress`` lines read as it runs.

    The result file is opened only for each write, so no descriptor of it is
    open while the target's code (a student's, in the runner) runs.
    """

    def __init__(self, result_path: str, channel):
        self._path = result_path
        self._channel = channel

    def _write(self, item: dict) -> None:
        with open(self._path, "a", encoding="utf-8") as fh:
            fh.write(codec.dumps(item) + "\n")

    def partial(self, item: Any) -> None:
        """Keeps ``item`` (codec data) whatever happens next."""
        self._write({"partial": item})

    def progress(self, text: str) -> None:
        """Tells the grader ``text`` now (one line on the original stdout)."""
        self._channel.write(PROGRESS_PREFIX + text.replace("\n", " ") + "\n")
        self._channel.flush()

    def finish(self, result: Any) -> None:
        self._write({"result": result})


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the child: ``REQUEST RESULT``; runs the target, writes its result, exits at once."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        request = codec.loads(fh.read())
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    reply = Reply(argv[1], channel)
    reply.finish(load_target(request["target"])(request["payload"], reply))
    for stream in (sys.stdout, sys.stderr, channel):
        try:
            stream.flush()
        except (OSError, ValueError):
            continue
    os._exit(0)  # threads or atexit hooks left behind (the student's, TensorFlow's) do not get to run
