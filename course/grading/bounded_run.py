"""Runs a program to its end, sandboxed when possible, within limits, keeping a bounded part of its output.

The one way the grader starts a finite sandboxed process (the verifiers, the
function runner, through ``course.grading.child``): the watchdog enforces
``Limits`` from outside, ``set_child_limits`` from inside, and whatever the
process writes, the grader keeps at most ``max_stdout`` bytes of its stdout
(whole lines) and the last ``MAX_STDERR_BYTES`` of its stderr.
"""

import os
import subprocess
import tempfile
import threading
from typing import Dict, List, Optional, Sequence, Tuple

from course.grading.limits import Limits, set_child_limits
from course.grading.sandbox import Sandbox, without_secrets
from course.grading.watchdog import Watchdog

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
    read_write: Sequence[Tuple[str, str]] = (),
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
        read_write: ``(host, inside)`` paths mounted read-write (a result file).

    Returns:
        ``(returncode, stdout, stderr, limit_reason)``; ``limit_reason`` is
        ``None`` unless the watchdog stopped it.
    """
    env = dict(os.environ if env is None else env)
    if sandbox is not None and sandbox.active():
        cmd = sandbox.command(argv, env, read_only=read_only, verifier=verifier, limits=limits, read_write=read_write)
        launch_env = {"PATH": env.get("PATH", "/usr/bin:/bin")}
    else:
        mapping = dict((inside, host) for host, inside in list(read_only) + list(read_write))
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
