"""A content-addressed cache of kernel executions: the same inputs are run once, then replayed.

Off unless ``c.ExecutionCache.directory`` names a folder (the test suite sets
it through ``COURSE_EXECUTION_CACHE``; ``make test-full`` switches it off).
Where it is on, ``SafeExecute`` looks a sandboxed run up by a key
(``ExecutionCache.key``) that hashes everything the kernel's run can depend on:

- the notebook as it is about to run (locked cells and hidden tests restored)
  and every other file of the submission folder, what earlier notebooks of
  the same submission handed in included (nbgrader's ``timestamp.txt``
  aside: it records when the files were copied, not what they hold);
- the assignment's source folder (notebooks and answer key) and the course's
  ``nbgrader_config.py``;
- every module of the ``course`` package the kernel or the sandbox can run
  (all of it but the grader-side judging code listed in ``GRADER_ONLY``, which
  only runs after the kernel and therefore still runs on a hit);
- the installed distributions and their versions, the Python version and
  the machine (what the locks resolved to);
- the data (content digests of ``COURSE_MNIST_PATH``, ``COURSE_IMDB_PATH``,
  ``COURSE_BERT_PRESET``), the environment the sandbox passes to the kernel,
  the GPU device files, whether it runs sandboxed, its limits and the
  execution settings (time-outs, output caps).

On a hit the executed notebook, the files its hidden tests handed in
(``.grading_artifacts/``) and the output-cap event are replayed; everything
the grader decides after the run (judges, verifiers, notes, feedback, the leak
scan) runs as on a miss. On a miss the kernel runs, and its result is stored
unless the run was cut short by a limit, a dead kernel or a cell time-out
(those depend on the machine's load, not on the inputs) or ran unsandboxed.
Every look-up appends one line to ``log.jsonl`` in the cache folder, so that
a run can say how many executions it replayed and which ones it ran.

Entries are written to a temporary folder and renamed into place, so two
graders filling the same key never leave a half-written entry. The oldest
entries are removed when the folder grows past ``max_gigabytes``.

One module for one job (key, store, replay, trim): about a third of it is this
description and the docstrings, which say exactly what a hit may skip.
"""

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from importlib import metadata
from functools import lru_cache
from typing import Dict, Iterable, List

import nbformat
from traitlets import Float, Unicode
from traitlets.config import LoggingConfigurable

from course.checks.handin import ARTIFACT_DIR
from course.grading import events

#: Format of an entry; bump it when what an entry holds changes.
FORMAT = "execution-cache-1"
#: Modules of ``course/grading`` (relative paths) that only judge after the kernel has run:
#: changing them must not invalidate executions, since a hit runs them again anyway.
GRADER_ONLY = (
    "grading/artifacts.py",
    "grading/autograde.py",
    "grading/child.py",
    "grading/cluster.py",
    "grading/compare.py",
    "grading/embeddings.py",
    "grading/exports.py",
    "grading/instructor_lines.py",
    "grading/judge.py",
    "grading/leaks.py",
    "grading/notes.py",
    "grading/preprocessors/redact_hidden_tests.py",
    "grading/preprocessors/verify_artifacts.py",
    "grading/report.py",
    "grading/rerun.py",
    "grading/returns.py",
    "grading/runner.py",
    "grading/sanitize.py",
    "grading/shared_judges.py",
    "grading/students.py",
    "grading/token_counts.py",
    "grading/verifiers/",
    "grading/service/",
    "tools/hub.py",
)
#: Files of a submission folder left out of the key (see the module docstring).
UNKEYED_FILES = ("timestamp.txt",)
#: Settings whose value is a path: the key holds the content digest of what they name instead.
PATH_SETTINGS = ("COURSE_MNIST_PATH", "COURSE_IMDB_PATH", "COURSE_BERT_PRESET", "COURSE_EMBEDDING_PRESET")
#: Events of a run that make it unfit to store (they depend on the machine's load).
UNSTORED_EVENTS = (events.LIMIT, events.KERNEL_DIED, events.CELL_TIMEOUT, events.UNSANDBOXED)
#: Events of a run that are replayed with it.
REPLAYED_EVENTS = (events.OUTPUT_CAPPED,)
LOG_NAME = "log.jsonl"
#: Values of the switch that mean "no cache".
OFF = ("", "0", "off", "no", "false", "none")

_digests: Dict[tuple, str] = {}


def _file_digest(path: str) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) for this process."""
    st = os.stat(path)
    memo = (path, st.st_size, st.st_mtime_ns)
    if memo not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(4 * 2**20), b""):
                h.update(block)
        _digests[memo] = h.hexdigest()
    return _digests[memo]


def tree_digest(root: str, skip: Iterable[str] = ()) -> Dict[str, str]:
    """Digests of every file under ``root`` by relative path (links by their target), ``__pycache__`` left out.

    Args:
        root: A file or folder; a missing one gives ``{}``.
        skip: Relative paths to leave out; one ending in ``/`` leaves out a folder.

    Returns:
        ``{relative path: digest}`` (``{".": digest}`` for a file).
    """
    skip = tuple(skip)
    if os.path.isfile(root):
        return {".": _file_digest(root)}
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if rel in skip or any(s.endswith("/") and rel.startswith(s) for s in skip) or name.endswith(".pyc"):
                continue
            if os.path.islink(path):
                found[rel] = "link:" + os.readlink(path)
            elif os.path.isfile(path):
                found[rel] = _file_digest(path)
    return found


@lru_cache(maxsize=1)
def installed_distributions() -> List[str]:
    """``name==version`` of every installed distribution, sorted, with the Python version and machine."""
    names = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]})
    return names + [f"python {sys.version}", f"machine {platform.machine()}"]


class ExecutionCache(LoggingConfigurable):
    """Where executions are stored, and how they are keyed, found and replayed (see the module docstring)."""

    directory = Unicode(
        "",
        help="Folder of the execution cache (outside the course, e.g. ~/.cache/llm-course/executions); "
        "empty or 'off': every notebook runs. Meant for the course's own test suite; a hit replays a "
        "stored run of the very same inputs, and the grader still judges it.",
    ).tag(config=True)

    max_gigabytes = Float(
        20.0, help="Size of the cache folder past which its least recently used entries are removed."
    ).tag(config=True)

    @property
    def enabled(self) -> bool:
        """Whether a cache folder is configured."""
        return self.directory.strip().lower() not in OFF

    @property
    def root(self) -> str:
        """The cache folder, with ``~`` expanded."""
        return os.path.abspath(os.path.expanduser(self.directory.strip()))

    def key(self, nb, workdir: str, source_dir: str, config_file: str, inputs: dict) -> str:
        """The key of one notebook's run.

        Args:
            nb: The notebook about to run.
            workdir: The submission folder the kernel starts in.
            source_dir: The assignment's source folder.
            config_file: The course's ``nbgrader_config.py``.
            inputs: Everything else that shapes the run (environment, limits, settings), JSON-able.

        Returns:
            A hex digest.
        """
        import course

        package = os.path.dirname(os.path.abspath(course.__file__))
        env = dict(inputs.get("environment") or {})
        data = {name: tree_digest(env.pop(name)) for name in PATH_SETTINGS if env.get(name)}
        parts = {
            "format": FORMAT,
            "notebook": nbformat.writes(nb),
            "submission": tree_digest(workdir, skip=UNKEYED_FILES),
            "source": tree_digest(source_dir),
            "config": tree_digest(config_file),
            "course": tree_digest(package, skip=GRADER_ONLY + ("sample_data/",)),
            "sample_data": tree_digest(os.path.join(package, "sample_data")),
            "distributions": installed_distributions(),
            "data": data,
            "inputs": dict(inputs, environment=env),
        }
        #: Digest of each part of the last key, and the kernel's environment, for telling why a look-up missed.
        self.last_parts = {
            name: hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()[:12]
            for name, part in parts.items()
        }
        self.last_parts["environment"] = env
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def _entry(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key)

    def log(self, result: str, key: str, what: dict) -> None:
        """Appends one look-up (``hit``, ``miss``, ``stored``, ``not stored``) to the cache's log.

        A miss also records the digest of each part of its key and the kernel's environment
        (``last_parts``; allow-listed settings only, never a secret), so that two log lines
        show which input differed.
        """
        if result == "miss" and getattr(self, "last_parts", None):
            what = dict(what, parts=self.last_parts)
        os.makedirs(self.root, exist_ok=True)
        line = json.dumps(dict(what, result=result, key=key[:16], time=time.time()))
        with open(os.path.join(self.root, LOG_NAME), "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def replay(self, key: str, workdir: str, resources: dict):
        """The stored executed notebook of ``key``, with its hand-ins and events restored; ``None`` on a miss.

        Args:
            key: The run's key.
            workdir: The submission folder: the handed-in files are written to its ``.grading_artifacts/``.
            resources: nbgrader's resources of the notebook (the replayed events go there).
        """
        entry = self._entry(key)
        try:
            with open(os.path.join(entry, "notebook.ipynb"), encoding="utf-8") as fh:
                executed = nbformat.read(fh, as_version=4)
            with open(os.path.join(entry, "events.json"), encoding="utf-8") as fh:
                replayed = json.load(fh)
        except (OSError, ValueError):
            return None
        stored = os.path.join(entry, "artifacts")
        if os.path.isdir(stored):
            target = os.path.join(workdir, ARTIFACT_DIR)
            os.makedirs(target, exist_ok=True)
            for name in sorted(os.listdir(stored)):
                shutil.copyfile(os.path.join(stored, name), os.path.join(target, name))
        for event in replayed:
            event = dict(event)
            events.record(resources, event.pop("kind"), **event)
        os.utime(entry)  # least recently used goes first
        return executed

    def store(self, key: str, executed, workdir: str, handed_in: Iterable[str], recorded: List[dict]) -> bool:
        """Stores one run, unless an event in ``recorded`` makes it unfit (``UNSTORED_EVENTS``).

        Args:
            key: The run's key.
            executed: The executed notebook.
            workdir: The submission folder.
            handed_in: Names of the files this run wrote to ``.grading_artifacts/``.
            recorded: The events recorded during the run.

        Returns:
            Whether it was stored.
        """
        if any(e.get("kind") in UNSTORED_EVENTS for e in recorded):
            return False
        entry = self._entry(key)
        if os.path.isdir(entry):
            return True
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".staging-", dir=os.path.dirname(entry))
        try:
            nbformat.write(executed, os.path.join(staging, "notebook.ipynb"))
            with open(os.path.join(staging, "events.json"), "w", encoding="utf-8") as fh:
                json.dump([e for e in recorded if e.get("kind") in REPLAYED_EVENTS], fh)
            names = sorted(handed_in)
            if names:
                os.makedirs(os.path.join(staging, "artifacts"))
                for name in names:
                    shutil.copyfile(os.path.join(workdir, ARTIFACT_DIR, name), os.path.join(staging, "artifacts", name))
            os.rename(staging, entry)
        except OSError:  # another grader stored the same key first, or the disk is full: not fatal
            shutil.rmtree(staging, ignore_errors=True)
            return os.path.isdir(entry)
        self.trim()
        return True

    def trim(self) -> None:
        """Removes the least recently used entries while the folder is larger than ``max_gigabytes``."""
        entries = []
        total = 0
        for shard in os.listdir(self.root):
            folder = os.path.join(self.root, shard)
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                path = os.path.join(folder, name)
                if name.startswith(".staging-"):
                    continue
                size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
                entries.append((os.path.getmtime(path), size, path))
                total += size
        for _, size, path in sorted(entries):
            if total <= self.max_gigabytes * 2**30:
                break
            shutil.rmtree(path, ignore_errors=True)
            total -= size


def handed_in_files(workdir: str) -> Dict[str, str]:
    """Digests of the regular files in a submission folder's ``.grading_artifacts/``, by name."""
    folder = os.path.join(workdir, ARTIFACT_DIR)
    if not os.path.isdir(folder) or os.path.islink(folder):
        return {}
    return {
        name: _file_digest(os.path.join(folder, name))
        for name in sorted(os.listdir(folder))
        if os.path.isfile(os.path.join(folder, name)) and not os.path.islink(os.path.join(folder, name))
    }


def read_log(cache_dir: str, offset: int = 0):
    """The look-ups logged in a cache folder from byte ``offset`` on.

    Returns:
        ``(entries, end offset)``.
    """
    path = os.path.join(os.path.expanduser(cache_dir), LOG_NAME)
    try:
        with open(path, encoding="utf-8") as fh:
            fh.seek(offset)
            text = fh.read()
            end = fh.tell()
    except OSError:
        return [], offset
    entries = []
    for line in text.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries, end
