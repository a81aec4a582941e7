"""Shared fixtures: the repository, the offline data copies, a scratch course directory, graded courses.

The suite runs in parallel with pytest-xdist (``make test``: ``-n 2 --dist
loadgroup``). Tests that share an expensive session fixture are put in one
``xdist_group`` here (``pytest_collection_modifyitems``), so the fixture is
built once, on one worker: each assignment's graded course (``graded_course``,
shared by tests/test_grading.py and tests/test_concepts.py), the MNIST cheats,
BERT's own model tests (``bert-models``) and 03's grading (``bert``). Groups are handed
out longest first (``recorded_seconds``: what earlier runs on this machine measured).
"""

import json
import os
import shutil

import pytest

from course_copy import (  # noqa: F401
    DEFAULT_EXECUTION_CACHE,
    REAL_KERNELS,
    ROOT,
    SHARED_DATA,
    SHARED_IMDB,
    SHARED_MNIST,
    copy_course,
    use_shared_data,
)


@pytest.fixture(scope="session", autouse=True)
def offline_data_copies():
    """Points the course (and the kernels nbgrader starts) at the full offline copies, when present.

    This is what CI and an air-gapped grading server do; where the copies are
    absent the course falls back to its embedded sample.
    """
    saved = {k: os.environ.get(k) for k in ("COURSE_MNIST_PATH", "COURSE_IMDB_PATH")}
    use_shared_data()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def shared_mnist():
    """Path of the full offline MNIST copy; skips where it is not present."""
    if not os.path.exists(SHARED_MNIST):
        pytest.skip(f"offline MNIST copy not found at {SHARED_MNIST} (set COURSE_SHARED_DATA)")
    return SHARED_MNIST


@pytest.fixture
def shared_imdb():
    """Path of the full offline IMDB archive; skips where it is not present."""
    if not os.path.exists(SHARED_IMDB):
        pytest.skip(f"offline IMDB copy not found at {SHARED_IMDB} (set COURSE_SHARED_DATA)")
    return SHARED_IMDB


@pytest.fixture
def course_env(monkeypatch):
    """Clears every COURSE_* variable, so a test sets exactly what it needs."""
    for name in list(os.environ):
        if name.startswith("COURSE_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture(scope="module")
def keras():
    """Keras, imported after TensorFlow without its start-up notices."""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


@pytest.fixture
def sample_data(course_env):
    """The embedded MNIST sample (5,000 training, 10,000 test digits) on the CPU profile, as verifiers read it."""
    course_env.setenv("COURSE_DATA_SOURCE", "sample")
    course_env.setenv("COURSE_PROFILE", "cpu")
    return course_env


#: Assignments whose grading (a BERT fine-tuning) goes with the other BERT tests.
BERT_ASSIGNMENTS = ("03_bert_imdb",)
#: Test modules (or fixtures) whose tests share one expensive fixture -> their xdist group.
MODULE_GROUPS = {"test_bert.py": "bert-models", "test_concepts.py": "grade-01_concepts", "test_hub.py": "hub"}
FIXTURE_GROUPS = {"cheats": "mnist-cheats", "batch": "hostile", "holes_batch": "holes"}
#: Seconds a group (or an ungrouped module's tests) took, for a machine that has no record yet: work is
#: handed to the workers longest first, so that no long group starts last and leaves the other worker
#: idle (longest-processing-time-first scheduling). Each run records what it measured in
#: ``DURATIONS_FILE`` (``pytest_sessionfinish``), and later runs schedule by that record.
MEASURED_SECONDS = {
    "grade-04_inference_cost": 890,
    "grade-05_tiny_gpt": 760,
    "grade-06_rag": 400,
    "bert": 730,
    "mnist-cheats": 280,
    "hostile": 160,
    "holes": 140,
    "bert-models": 130,
    "grade-02_mnist_cnn": 110,
    "grade-00_setup": 105,
    "test_cluster.py": 90,
    "test_verify_gpu.py": 70,
    "test_script_free.py": 90,
    "test_browser.py": 65,
    "hub": 80,
    "test_service_restart.py": 75,
    "test_grading_sandbox.py": 30,
    "grade-01_concepts": 30,
}
#: Where each run records the seconds of its work units (beside the execution cache, outside the checkout).
DURATIONS_FILE = os.environ.get(
    "COURSE_TEST_DURATIONS", os.path.join(os.path.dirname(DEFAULT_EXECUTION_CACHE), "test-durations.json")
)


def recorded_seconds() -> dict:
    """``MEASURED_SECONDS`` updated with the seconds the last runs on this machine recorded."""
    seconds = dict(MEASURED_SECONDS)
    try:
        with open(DURATIONS_FILE, encoding="utf-8") as fh:
            seconds.update({str(k): float(v) for k, v in json.load(fh).items()})
    except (OSError, ValueError, AttributeError):
        pass
    return seconds


def unit_of(nodeid: str) -> str:
    """The work unit of a test report: its xdist group (``...@group``), else its module's file name."""
    if "@" in nodeid:
        return nodeid.rsplit("@", 1)[1]
    return os.path.basename(nodeid.split("::", 1)[0])


def pytest_runtest_logreport(report):
    """Adds the seconds of each test phase (setup, call, teardown) to its work unit (the controller's record)."""
    _durations[unit_of(report.nodeid)] = _durations.get(unit_of(report.nodeid), 0.0) + report.duration


_durations: dict = {}


def pytest_sessionfinish(session):
    """Records the seconds of every work unit that took 20 s or more (``DURATIONS_FILE``), in the controller."""
    if hasattr(session.config, "workerinput") or not _durations:
        return
    measured = {unit: round(sec) for unit, sec in _durations.items() if sec >= 20}
    try:
        with open(DURATIONS_FILE, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        record = {}
    record.update(measured)
    try:
        os.makedirs(os.path.dirname(DURATIONS_FILE), exist_ok=True)
        with open(DURATIONS_FILE, "w", encoding="utf-8") as fh:
            json.dump(dict(sorted(record.items())), fh, indent=1)
    except OSError:
        pass


def xdist_group_of(item):
    """The xdist group of a test, or None (free to run on any worker)."""
    for mark in item.iter_markers("xdist_group"):
        return mark.args[0] if mark.args else mark.kwargs.get("name")
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "graded_assignment" in callspec.params:
        assignment = callspec.params["graded_assignment"]
        return "bert" if assignment in BERT_ASSIGNMENTS else f"grade-{assignment}"
    for fixture, group in FIXTURE_GROUPS.items():
        if fixture in getattr(item, "fixturenames", ()):
            return group
    return MODULE_GROUPS.get(os.path.basename(str(item.fspath)))


def _suffix_group(item, group):
    """Appends ``@group`` to a worker's test id, which is what ``--dist loadgroup`` schedules by.

    pytest-xdist 3.8 does this by setting ``item._nodeid``, which pytest 9 no longer reads
    (its node id lives in ``item._id``), so without this every group is silently ignored and
    each worker builds the shared fixtures again.
    """
    if item.nodeid.endswith("@" + group) or not hasattr(item, "_id"):
        return
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


def pytest_configure(config):
    """Keeps the test order of ``pytest_collection_modifyitems`` (longest first) when pytest-xdist distributes groups,
    and switches the execution cache on (``COURSE_EXECUTION_CACHE``, default ``DEFAULT_EXECUTION_CACHE``; ``off``
    for none, as ``make test-full`` does).

    xdist would otherwise reorder its work units by their number of tests.
    """
    if getattr(config.option, "dist", "no") == "loadgroup":
        config.option.loadscopereorder = False
    os.environ.setdefault("COURSE_EXECUTION_CACHE", DEFAULT_EXECUTION_CACHE)
    if not hasattr(config, "workerinput"):  # the controller: where the summary is printed
        config._execution_cache_offset = _cache_log_size()


def _cache_dir():
    from course.grading.execution_cache import OFF

    value = os.environ.get("COURSE_EXECUTION_CACHE", "")
    return None if value.strip().lower() in OFF else os.path.expanduser(value)


def _cache_log_size() -> int:
    from course.grading.execution_cache import LOG_NAME

    folder = _cache_dir()
    path = os.path.join(folder, LOG_NAME) if folder else ""
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def pytest_terminal_summary(terminalreporter, config):
    """Says how many notebook runs this session replayed from the execution cache and which ones it ran."""
    folder = _cache_dir()
    if folder is None or not hasattr(config, "_execution_cache_offset"):
        terminalreporter.write_line("execution cache: off (every notebook ran in a real kernel)")
        return
    from course.grading.execution_cache import read_log

    entries, _ = read_log(folder, config._execution_cache_offset)
    hits = [e for e in entries if e.get("result") == "hit"]
    misses = [e for e in entries if e.get("result") == "miss"]
    terminalreporter.write_line(
        f"execution cache ({folder}): {len(hits)} hit(s), {len(misses)} miss(es) (ran for real), "
        f"{sum(e.get('result') == 'not stored' for e in entries)} run(s) not stored (limit, time-out, dead kernel)"
    )
    for entry in misses:
        terminalreporter.write_line(
            f"  execution cache miss: {entry.get('assignment')} / {entry.get('student')} / {entry.get('notebook')}"
        )


def expected_seconds(item, seconds=None) -> float:
    """How long the work unit of a test takes (``recorded_seconds`` of its group or module; 0 if short)."""
    seconds = recorded_seconds() if seconds is None else seconds
    group = xdist_group_of(item)
    if group in seconds:
        return seconds[group]
    return seconds.get(os.path.basename(str(item.fspath)), 0) if group is None else 0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Puts tests that share an expensive fixture in one xdist group, longest groups first; skips ``gpu`` tests where
    TensorFlow lists no GPU."""
    seconds = recorded_seconds()
    items.sort(key=lambda item: -expected_seconds(item, seconds))  # stable: the order within a group is kept
    for item in items:
        group = xdist_group_of(item)
        if group and not list(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group))
        if group and getattr(config.option, "loadgroup", False):  # set on xdist workers only
            _suffix_group(item, group)
    from course.profiles import gpu_visible

    if gpu_visible():
        return
    skip = pytest.mark.skip(reason="needs a visible GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A course directory with release/ generated for every assignment, once per test process.

    Tests that grade copy it (``copy_released``) instead of running nbgrader's
    generate_assignment again.
    """
    from course.grading import nbgrader_api

    root = copy_course(str(tmp_path_factory.mktemp("released")))
    api = nbgrader_api.make_api(root)
    nbgrader_api.generate_release(api, nbgrader_api.list_assignments(root))
    return root


def copy_released(released: str, target: str) -> str:
    """Copies a released course (source/, release/, config, the gradebook with its assignments) into ``target``."""
    for name in ("source", "release"):
        shutil.copytree(os.path.join(released, name), os.path.join(target, name))
    for name in ("nbgrader_config.py", "gradebook.db"):
        if os.path.exists(os.path.join(released, name)):
            shutil.copy(os.path.join(released, name), target)
    return target


#: Submissions graded with the synthetic students of one assignment, besides theirs:
#: ``{assignment: [(module, writer function, student id)]}``; a writer takes (root, student id).
#: A pair ``(module, writer function)`` writes several: it takes (root, assignment), returns their ids.
EXTRA_SUBMISSIONS = {
    "00_setup": [("test_cheats", "write_cheats")],
    "01_concepts": [("test_concepts", "_write_wrong_submission", "demo-wrong"), ("test_cheats", "write_cheats")],
    "03_bert_imdb": [("test_cheats", "write_bert_cheater", "demo-cheater")],
    "04_inference_cost": [("test_compression", "_write_cheat_submission", "demo-cheat")],
    "05_tiny_gpt": [("test_tiny_gpt_cheats", "write_tiny_gpt_cheater", "demo-cheat")],
    "06_rag": [("test_rag_cheats", "write_rag_cheater", "demo-cheat")],
}


@pytest.fixture(scope="session")
def graded_course(released_course, tmp_path_factory):
    """Grades an assignment's synthetic students once per test process; returns ``grade(assignment)``.

    ``grade`` returns ``(assignment, root, api, {student: GradeRecord})``,
    student ids without ``demo-``. Every module that needs an assignment
    graded (tests/test_grading.py, tests/test_concepts.py) shares the result.
    The batch is graded as instructors grade it: ``cluster.grade_class`` on a
    local Dask cluster (one worker: pytest-xdist already runs one batch per core).
    """
    import importlib

    from course.grading import cluster, nbgrader_api
    from course.grading.students import BASIC_STUDENTS, ROBUSTNESS_ASSIGNMENT, ROBUSTNESS_STUDENTS, write_students

    cache = {}

    def grade(assignment):
        if assignment not in cache:
            root = copy_released(released_course, str(tmp_path_factory.mktemp(assignment)))
            api = nbgrader_api.make_api(root)
            students = list(BASIC_STUDENTS)
            if assignment == ROBUSTNESS_ASSIGNMENT:
                students += list(ROBUSTNESS_STUDENTS)
            ids = write_students(root, assignment, students)
            for module, function, *student in EXTRA_SUBMISSIONS.get(assignment, []):
                writer = getattr(importlib.import_module(module), function)
                if student:
                    ids.append(writer(root, student[0]))
                else:
                    ids.extend(writer(root, assignment))
            records = cluster.grade_class(root, assignment, ids, workers=1, progress=False)
            cache[assignment] = (assignment, root, api, {r.student.replace("demo-", ""): r for r in records})
        return cache[assignment]

    return grade


def scratch_course(target, assignments, extra_config: str = "") -> str:
    """A scratch course directory with ``assignments`` released into its gradebook.

    Args:
        target: An empty folder.
        assignments: Assignment ids to release.
        extra_config: Lines appended to the copy's ``nbgrader_config.py``.

    Returns:
        The course directory.
    """
    from course.grading import nbgrader_api

    root = copy_course(str(target))
    if extra_config:
        with open(os.path.join(root, "nbgrader_config.py"), "a") as fh:
            fh.write("\n" + extra_config + "\n")
    nbgrader_api.generate_release(nbgrader_api.make_api(root), list(assignments))
    return root


def tools_env() -> dict:
    """The environment with this interpreter's scripts (nbgrader, alembic, dask) first on PATH."""
    import sys

    bindir = os.path.dirname(sys.executable)
    return dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
