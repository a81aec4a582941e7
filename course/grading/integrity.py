"""Tamper evidence for autograding: what the verifiers load must not change while student code runs.

The verifiers (``course.grading.artifacts``) judge a handed-in model in a fresh
process, but that process still loads code and data from disk: the Python
environment (Keras, TensorFlow, ...), the ``course`` package, the configured
data sets and BERT preset. A student's kernel runs as the same user and could
rewrite them: patch a Keras source file, edit ``course/checks/mnist.py``, or
replace the test labels in ``mnist.npz``.

So before a submission's kernel starts, the grader records a fingerprint of
every such file, and it compares before and after each verification. The
fingerprint is the size, modification time, status-change time (``ctime``)
and inode of each file. A user process can set a file's modification time
back (``os.utime``) but not its ``ctime``, so rewriting a file and restoring
its times is still seen, and replacing a file changes its inode. It costs one
``stat`` per file (about 80,000 files, one or two seconds), no reading.

What it cannot see: downloads into caches outside the watched folders (the
online path's Keras, TFDS and keras-hub caches), and anything done by a
process with more rights. A kernel that runs as another user, on a read-only
environment, closes those too; see docs/instructors.md, "The grading sandbox".
"""

import compileall
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional

import course
from course.config import Settings, get_settings

#: Folders whose cached bytecode is not watched: the kernel may write it
#: legitimately, and the verifier process does not trust it for the course
#: package (which is compiled before the fingerprint is taken).
SKIPPED_DIRS = ("__pycache__", ".ipynb_checkpoints")


class FileState(NamedTuple):
    """What is recorded of one file."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int


def course_package_dir() -> str:
    """The folder of the installed ``course`` package."""
    return os.path.dirname(os.path.abspath(course.__file__))


def isolated_import_path() -> List[str]:
    """The import path of ``python -I`` (how verifiers run): no working folder, no user site."""
    out = subprocess.run(
        [sys.executable, "-I", "-c", "import json, sys; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def watched_paths(settings: Optional[Settings] = None) -> List[str]:
    """Lists the files and folders that a verifier process reads.

    Args:
        settings: Settings to use instead of the environment's.

    Returns:
        Existing paths, sorted, without duplicates: the import path of an
        isolated interpreter (standard library, site-packages), the
        ``course`` package, and the configured local data and preset paths.
    """
    settings = settings or get_settings()
    candidates = isolated_import_path()
    candidates.append(course_package_dir())
    for value in (settings.mnist_path, settings.imdb_path, settings.bert_preset, settings.embedding_preset):
        if value and os.path.exists(value):
            candidates.append(value)
    paths = sorted({os.path.realpath(p) for p in candidates if os.path.exists(p)})
    # Drop paths inside another watched folder: each file is recorded once.
    return [p for p in paths if not any(p != q and p.startswith(q.rstrip(os.sep) + os.sep) for q in paths)]


def _state(path: str) -> FileState:
    st = os.stat(path, follow_symlinks=False)
    return FileState(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def fingerprint(paths: List[str]) -> Dict[str, FileState]:
    """Records every file under ``paths``.

    Args:
        paths: Files and folders.

    Returns:
        A map from each file's path to its ``FileState`` (cached bytecode
        folders in ``SKIPPED_DIRS`` left out).
    """
    found = {}
    for path in paths:
        if not os.path.isdir(path):
            if os.path.lexists(path):
                found[path] = _state(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
            for name in files:
                full = os.path.join(root, name)
                try:
                    found[full] = _state(full)
                except FileNotFoundError:  # removed while walking
                    continue
    return found


def differences(before: Dict[str, FileState], after: Dict[str, FileState]) -> List[str]:
    """Describes what changed between two fingerprints.

    Returns:
        Lines such as ``changed: /path``, ``added: /path``, ``removed: /path``,
        sorted by path; empty when nothing changed.
    """
    lines = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            lines.append(f"removed: {path}")
        elif path not in before:
            lines.append(f"added: {path}")
        elif before[path] != after[path]:
            lines.append(f"changed: {path}")
    return lines


#: The first fingerprint this grading process took of each set of watched paths.
#: A submission's kernel could change files and leave them changed (or leave a
#: process running that changes them later); comparing each new baseline with
#: this one keeps such a change from silently affecting later submissions.
_FIRST_SEEN: Dict[tuple, Dict[str, FileState]] = {}


@dataclass
class Baseline:
    """The fingerprint taken before a submission's kernel started.

    Attributes:
        paths: The watched files and folders.
        state: Their fingerprint.
        earlier: What had already changed, when the baseline was taken, since
            this grading process first recorded the same paths (empty for the
            first submission and whenever nothing changed).
    """

    paths: List[str]
    state: Dict[str, FileState]
    earlier: List[str] = field(default_factory=list)

    @classmethod
    def take(cls, settings: Optional[Settings] = None) -> "Baseline":
        """Compiles the ``course`` package, then records every watched file.

        Compiling first means the kernel finds up-to-date bytecode and writes
        none, and the verifier runs bytecode compiled by the grader.
        """
        compileall.compile_dir(course_package_dir(), quiet=2)
        paths = watched_paths(settings)
        state = fingerprint(paths)
        first = _FIRST_SEEN.setdefault(tuple(paths), state)
        return cls(paths, state, differences(first, state))

    def changes(self) -> List[str]:
        """What changed since the baseline was taken (see ``differences``)."""
        return differences(self.state, fingerprint(self.paths))


def tampering_message(changes: List[str], paths: List[str] = (), shown: int = 3, earlier: bool = False) -> str:
    """The sentence a student and the instructor read when grading files changed.

    Args:
        changes: Lines from ``differences``.
        paths: The watched roots; quoted paths are made relative to them
            (the feedback does not show the grader's folders).
        shown: How many changes to quote.
        earlier: The files had changed before this submission's kernel
            started (an earlier submission or another program changed them).

    Returns:
        The message.
    """
    roots = sorted((os.path.dirname(p.rstrip(os.sep)) for p in paths), key=len, reverse=True)

    def short(line: str) -> str:
        kind, _, path = line.partition(": ")
        for root in roots:
            if path.startswith(root + os.sep):
                return f"{kind}: {os.path.relpath(path, root)}"
        return f"{kind}: {os.path.basename(path)}"

    quoted = "; ".join(short(c) for c in changes[:shown])
    if len(changes) > shown:
        quoted += f"; and {len(changes) - shown} more"
    if earlier:
        return (
            "Files the grader relies on were changed before this notebook was graded, by an earlier "
            f"submission or another program ({quoted}). The model is not graded on them: the instructor "
            "restores the course files and grades again."
        )
    return (
        "Files the grader relies on changed while this notebook ran, so the model cannot be graded "
        f"({quoted}). Code in a notebook must not modify the course, its data or the installed packages."
    )
