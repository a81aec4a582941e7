"""Grading a whole class in parallel on Dask distributed: resumable, observable, one writer.

``grade_class`` sends every submission of an assignment to Dask workers as a
``GradingTask`` (bytes: the submission, the assignment's source, a gradebook
template without students) and writes each ``GradingResult`` that comes back
into the course: this process is the only one that writes ``gradebook.db``,
``autograded/``, ``feedback/`` and ``exports/``. Workers need only the course
environment and the data and preset paths (``COURSE_*``), no shared
filesystem, so the same call grades on this machine (a ``LocalCluster`` with
``workers`` processes) or on an existing cluster (``scheduler``).

- **Nothing is lost**: a worker that dies mid-notebook has its submission
  retried once on another worker (Dask's ``allowed-failures``); if that fails
  too, the submission is recorded as failed, every cell zero, with a note.
- **Resumable**: each graded submission gets a marker in its autograded folder
  with a digest of the submitted files; a later run skips submissions whose
  files did not change (``force`` regrades all). Results are written one by
  one, each in its own transaction, so stopping the run (Ctrl-C) leaves a
  consistent gradebook.
- **Observable**: a progress bar (done/total, failures, ETA), the dashboard
  link when Dask serves one, and one line per submission in ``exports/grading.log``.
"""

import json
import os
import time
from dataclasses import asdict
from typing import Dict, Iterable, List, Optional

from course.grading import autograde, context, nbgrader_api
from course.grading.intake import expected_cells, inspect_submission
from course.grading.leaks import scan_batch
from course.grading.worker import (
    MARKER,
    GradingTask,
    course_files,
    grade_task,
    import_result,
    read_tree,
    submission_digest,
    template_gradebook,
)


class NotReleased(RuntimeError):
    """Raised when the assignment to grade is not in the gradebook yet."""


#: Thread settings a grading process inherits (its kernels and verifiers see them through the sandbox).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def thread_environment(workers: int, cores: Optional[int] = None) -> Dict[str, str]:
    """Thread counts for ``workers`` grading processes sharing ``cores``, so they do not oversubscribe them."""
    per_worker = max(1, (cores or os.cpu_count() or 1) // max(1, workers))
    env = {name: str(per_worker) for name in THREAD_VARIABLES}
    env["TF_NUM_INTEROP_THREADS"] = "1"
    return env


def start_client(workers: Optional[int] = None, scheduler: Optional[str] = None):
    """Connects to a Dask scheduler, or starts a local cluster of ``workers`` processes.

    Args:
        workers: Worker processes of the local cluster (one thread each).
        scheduler: Address of an existing scheduler (``tcp://host:8786``).

    Returns:
        ``(client, cluster)``; ``cluster`` is ``None`` for an existing scheduler.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    workers = workers or default_workers()
    # A submission whose worker dies is retried once, then reported as failed.
    dask.config.set({"distributed.scheduler.allowed-failures": 1})
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env=thread_environment(workers),
        silence_logs=50,
    )
    return Client(cluster), cluster


def default_workers() -> int:
    """Worker processes for this machine: one per core, at most four (each TensorFlow kernel is large)."""
    return max(1, min(4, os.cpu_count() or 1))


def dashboard_link(client) -> Optional[str]:
    """The Dask dashboard's address, when one is served (it needs ``bokeh``)."""
    try:
        info = client.scheduler_info()
    except (OSError, TimeoutError):
        return None
    return client.dashboard_link if info.get("services", {}).get("dashboard") else None


def _marker(api, assignment: str, student: str) -> Optional[dict]:
    folder = api.coursedir.format_path(api.coursedir.autograded_directory, student, assignment)
    try:
        with open(os.path.join(folder, MARKER), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _write_marker(api, record, digest: str) -> None:
    folder = api.coursedir.format_path(api.coursedir.autograded_directory, record.student, record.assignment)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, MARKER), "w", encoding="utf-8") as fh:
        json.dump({"digest": digest, "record": asdict(record)}, fh)


def submissions_of(course_root: str, assignment: str) -> List[str]:
    """Students with a submission of ``assignment`` in ``submitted/``, sorted."""
    folder = os.path.join(course_root, "submitted")
    if not os.path.isdir(folder):
        return []
    return sorted(s for s in os.listdir(folder) if os.path.isdir(os.path.join(folder, s, assignment)))


def check_released(api, assignment: str) -> None:
    """Raises ``NotReleased`` with what to run when the gradebook does not know the assignment."""
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise NotReleased(
                f"Assignment {assignment!r} is not in the gradebook: release it first with "
                f"`python -m course release {assignment}` (or `nbgrader generate_assignment {assignment}`)."
            ) from None


class _Log:
    """One line per submission, appended to ``exports/grading.log``."""

    def __init__(self, path: str):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")

    def line(self, text: str) -> None:
        self.fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _failed(api, task: GradingTask, cause: str):
    record = autograde.GradeRecord(student=task.student, assignment=task.assignment, status="failed")
    record.notes = list(task.notes) + [
        f"Not graded: {cause}. Every cell was given zero; run the same command again to grade it."
    ]
    autograde.record_zero(api, task.assignment, task.student)
    return record


def grade_class(
    course_root: str,
    assignment: str,
    students: Optional[Iterable[str]] = None,
    client=None,
    workers: Optional[int] = None,
    scheduler: Optional[str] = None,
    force: bool = False,
    feedback: bool = True,
    resources: Optional[Dict[str, float]] = None,
    progress: bool = True,
    resolve_here: bool = True,
) -> List["autograde.GradeRecord"]:
    """Grades every submission of one assignment on Dask workers.

    Args:
        course_root: The course directory.
        assignment: Assignment id (must be released into the gradebook).
        students: Student ids (default: every submission in ``submitted/``).
        client: A Dask client to use (else one is started and closed here).
        workers: Local worker processes when no client or scheduler is given.
        scheduler: Address of an existing Dask scheduler.
        force: Regrade submissions that were graded and did not change.
        feedback: Generate HTML feedback.
        resources: Dask resources each task needs (``{"GPU": 1}`` sends it to GPU workers only).
        progress: Show a progress bar.
        resolve_here: Resolve the profile and data source here, once, for every
            worker (``course.grading.context``); off for remote workers, which
            resolve their own unless they are set explicitly here.

    Returns:
        One ``GradeRecord`` per student (skipped ones from their last grading), in student order.

    Raises:
        NotReleased: The assignment is not in the gradebook.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker
    from tqdm import tqdm

    api = nbgrader_api.make_api(course_root)
    check_released(api, assignment)
    students = list(students) if students is not None else submissions_of(course_root, assignment)
    log = _Log(os.path.join(course_root, "exports", "grading.log"))
    with api.gradebook as gb:
        expected = expected_cells(gb, assignment)
    records: Dict[str, autograde.GradeRecord] = {}
    tasks: Dict[str, GradingTask] = {}
    if resolve_here:
        environment = context.resolve()
    else:
        environment = {
            name: os.environ[name]
            for name in ("COURSE_PROFILE", "COURSE_DATA_SOURCE")
            if os.environ.get(name, "auto").strip().lower() not in ("", "auto")
        }
    shared = course_files(course_root, assignment)
    template = os.path.join(course_root, "exports", f".template-{assignment}.db")
    template_gradebook(course_root, assignment, template)
    with open(template, "rb") as fh:
        gradebook = fh.read()
    os.remove(template)
    for student in students:
        folder = os.path.join(course_root, "submitted", student, assignment)
        notes = inspect_submission(folder, expected)
        files = read_tree(folder)
        digest = submission_digest(files)
        marker = _marker(api, assignment, student)
        if not force and marker and marker.get("digest") == digest and autograde.scores(api, assignment, student):
            records[student] = autograde.GradeRecord(**marker["record"])
            log.line(f"{assignment} / {student}: up to date, not graded again")
            continue
        tasks[student] = GradingTask(assignment, student, shared, gradebook, files, notes, feedback, digest, environment)

    own_client = client is None
    cluster = None
    if own_client and tasks:
        client, cluster = start_client(workers, scheduler)
    if tasks:
        link = dashboard_link(client)
        if link:
            print(f"Dask dashboard: {link}", flush=True)
    failures = 0
    graded = []
    bar = tqdm(total=len(tasks), desc=f"grading {assignment}", unit="submission", disable=not progress or not tasks)
    try:
        futures = {}
        for student, task in tasks.items():
            key = f"grade-{assignment}-{student}-{time.time_ns()}"
            futures[client.submit(grade_task, task, key=key, pure=False, resources=resources)] = student
        for future in as_completed(list(futures)) if futures else []:
            student = futures[future]
            task = tasks[student]
            try:
                result = future.result()
            except KilledWorker:
                record = _failed(api, task, "the worker grading it died twice (killed, or out of memory)")
            except Exception as err:  # a grading bug must not stop the batch; it is reported
                record = _failed(api, task, f"grading raised {type(err).__name__}: {err}")
            else:
                import_result(api, task, result)
                record = autograde.GradeRecord(**result.record)
            records[student] = record
            graded.append(record)
            failures += record.status != "graded"
            bar.set_postfix(failed=failures)
            bar.update(1)
            log.line(f"{assignment} / {student}: {record.score:g}/{record.max_score:g} {record.status} ({record.seconds:.0f} s)")
    except KeyboardInterrupt:
        log.line(f"{assignment}: interrupted; {len(graded)} of {len(tasks)} submissions graded and saved")
        raise
    finally:
        bar.close()
        if graded:
            scan_batch(course_root, graded)
            for record in graded:
                if record.status == "graded":
                    _write_marker(api, record, tasks[record.student].digest)
        log.close()
        if own_client and client is not None:
            client.close()
            if cluster is not None:
                cluster.close()
    return [records[s] for s in students if s in records]

