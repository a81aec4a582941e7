"""Shared fixtures: the repository, the offline data copies, a scratch course directory, graded courses.

The suite runs in parallel with pytest-xdist (``make test``: ``-n 2 --dist
loadgroup``). Tests that share an expensive session fixture are put in one
``xdist_group`` here (``pytest_collection_modifyitems``), so the fixture is
built once, on one worker: each assignment's graded course (``graded_course``,
shared by tests/test_grading.py and tests/test_concepts.py), the MNIST cheats,
BERT's own model tests (``bert-models``) and 03's grading (``bert``). Groups are handed
out longest first (``MEASURED_SECONDS``).
"""

import os
import shutil

import pytest

from course_copy import ROOT, SHARED_DATA, SHARED_IMDB, SHARED_MNIST, copy_course, use_shared_data  # noqa: F401


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
MODULE_GROUPS = {"test_bert.py": "bert-models", "test_concepts.py": "grade-01_concepts"}
FIXTURE_GROUPS = {"cheats": "mnist-cheats", "batch": "hostile", "cheat_batch": "concept-cheats", "holes_batch": "holes"}
#: Seconds a group (or an ungrouped module's test) took in a CI run on 2 busy cores (``make test``'s
#: ``--durations``, 2026-12-02). Work is handed to the workers longest first, so that no long group
#: starts last and leaves the other worker idle (longest-processing-time-first scheduling).
MEASURED_SECONDS = {
    "grade-04_inference_cost": 890,
    "grade-05_tiny_gpt": 760,
    "bert": 730,
    "mnist-cheats": 280,
    "concept-cheats": 205,
    "hostile": 160,
    "holes": 140,
    "bert-models": 130,
    "grade-02_mnist_cnn": 110,
    "grade-00_setup": 105,
    "test_cluster.py": 90,
    "test_verify_gpu.py": 70,
    "test_script_free.py": 90,
    "test_browser.py": 65,
    "test_grading_sandbox.py": 30,
    "grade-01_concepts": 30,
}


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
    """Keeps the test order of ``pytest_collection_modifyitems`` (longest first) when pytest-xdist distributes groups.

    xdist would otherwise reorder its work units by their number of tests.
    """
    if getattr(config.option, "dist", "no") == "loadgroup":
        config.option.loadscopereorder = False


def expected_seconds(item) -> float:
    """How long the work unit of a test takes (``MEASURED_SECONDS`` of its group or module; 0 if short)."""
    group = xdist_group_of(item)
    if group in MEASURED_SECONDS:
        return MEASURED_SECONDS[group]
    return MEASURED_SECONDS.get(os.path.basename(str(item.fspath)), 0) if group is None else 0


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Puts tests that share an expensive fixture in one xdist group, longest groups first; skips ``gpu`` tests where
    TensorFlow lists no GPU."""
    items.sort(key=lambda item: -expected_seconds(item))  # stable: the order within a group is kept
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
EXTRA_SUBMISSIONS = {
    "01_concepts": [("test_concepts", "_write_wrong_submission", "demo-wrong")],
    "03_bert_imdb": [("test_cheats", "write_bert_cheater", "demo-cheater")],
    "04_inference_cost": [("test_compression", "_write_cheat_submission", "demo-cheat")],
    "05_tiny_gpt": [("test_tiny_gpt_cheats", "write_tiny_gpt_cheater", "demo-cheat")],
}


@pytest.fixture(scope="session")
def graded_course(released_course, tmp_path_factory):
    """Grades an assignment's synthetic students once per test process; returns ``grade(assignment)``.

    ``grade`` returns ``(assignment, root, api, {student: GradeRecord})``,
    student ids without ``demo-``. Every module that needs an assignment
    graded (tests/test_grading.py, tests/test_concepts.py) shares the result.
    """
    import importlib

    from course.grading import nbgrader_api
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
            for module, function, student in EXTRA_SUBMISSIONS.get(assignment, []):
                ids.append(getattr(importlib.import_module(module), function)(root, student))
            records = pipeline.grade_batch(api, assignment, ids, kernel_log=os.path.join(root, "kernels.log"))
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
