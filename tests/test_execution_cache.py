"""Tests for course/grading/execution_cache.py: what the key covers, what a hit replays, what is never stored."""

import json
import os
import shutil

import nbformat
import pytest

from conftest import scratch_course
from course.checks.handin import ARTIFACT_DIR
from course.grading import events
from course.grading.execution_cache import ExecutionCache, handed_in_files, read_log, tree_digest
from course.grading.students import write_students


#: The assignment graded end to end (NumPy only: its kernel starts in seconds).
ASSIGNMENT = "01_concepts"


def _notebook(source="x = 1"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, id="c1")]
    return nb


@pytest.fixture
def setup(tmp_path):
    """A cache, a submission folder, a source folder and a config file."""
    work, source = tmp_path / "work", tmp_path / "source"
    work.mkdir()
    source.mkdir()
    (work / "data.csv").write_text("1,2\n")
    (work / "timestamp.txt").write_text("2026-12-03 10:00:00")
    (source / "nb_key.py").write_text("KEY = 1\n")
    config = tmp_path / "nbgrader_config.py"
    config.write_text("c = get_config()\n")
    cache = ExecutionCache(directory=str(tmp_path / "cache"))

    def key(nb=None, inputs=None):
        return cache.key(nb or _notebook(), str(work), str(source), str(config), inputs or {"environment": {}})

    return cache, work, source, config, key


def test_key_changes_with_every_input_the_kernel_can_read(setup):
    """Does the key change with the notebook, a submission file, the source or key, the config and the settings?"""
    cache, work, source, config, key = setup
    first = key()
    assert key() == first
    assert key(_notebook("x = 2")) != first
    (work / "data.csv").write_text("1,3\n")
    second = key()
    assert second != first
    (source / "nb_key.py").write_text("KEY = 2\n")
    third = key()
    assert third != second
    config.write_text("c = get_config()\nc.Execute.timeout = 5\n")
    fourth = key()
    assert fourth != third
    assert key(inputs={"environment": {"OMP_NUM_THREADS": "1"}}) != fourth
    assert key(inputs={"environment": {}, "limits": [10, 100]}) != fourth


def test_key_ignores_the_submission_time_but_not_earlier_hand_ins(setup):
    """Is the key the same when only nbgrader's timestamp.txt differs, and another when an earlier notebook's
    hand-in (which the kernel can read) differs?"""
    cache, work, source, config, key = setup
    first = key()
    (work / "timestamp.txt").write_text("2027-01-01 00:00:00")
    assert key() == first
    (work / ARTIFACT_DIR).mkdir()
    (work / ARTIFACT_DIR / "model.keras").write_bytes(b"an earlier notebook's model")
    assert key() != first


def test_data_is_keyed_by_content_not_by_path(setup, tmp_path):
    """Do two copies of the same data at different paths give one key, and a changed copy another?"""
    cache, work, source, config, key = setup
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    one.write_bytes(b"digits")
    two.write_bytes(b"digits")
    first = key(inputs={"environment": {"COURSE_MNIST_PATH": str(one)}})
    assert key(inputs={"environment": {"COURSE_MNIST_PATH": str(two)}}) == first
    two.write_bytes(b"other digits")
    assert key(inputs={"environment": {"COURSE_MNIST_PATH": str(two)}}) != first


def test_key_covers_kernel_side_modules_but_not_the_judges(monkeypatch, tmp_path, setup):
    """Does changing a kernel-side module of the package change the key, and changing a judge not?"""
    import course

    cache, work, source, config, key = setup
    package = tmp_path / "pkg" / "course"
    shutil.copytree(os.path.dirname(course.__file__), package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(course, "__file__", str(package / "__init__.py"))
    first = key()
    with open(package / "grading" / "judge.py", "a") as fh:
        fh.write("\n# a judge changed\n")
    assert key() == first
    with open(package / "checks" / "handin.py", "a") as fh:
        fh.write("\n# the kernel's hand-in changed\n")
    assert key() != first


def test_store_and_replay_round_trip(setup):
    """Does a hit give back the executed notebook, the files it handed in and its output-cap event?"""
    cache, work, source, config, key = setup
    k = key()
    resources = {"nbgrader": {"assignment": "a", "student": "s"}}
    (work / ARTIFACT_DIR).mkdir()
    (work / ARTIFACT_DIR / "answers.json").write_text('{"x": 1}')
    executed = _notebook()
    executed.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    recorded = [{"kind": events.OUTPUT_CAPPED, "note": "capped"}]
    assert cache.store(k, executed, str(work), ["answers.json"], recorded)
    shutil.rmtree(work / ARTIFACT_DIR)
    events.take("a", "s")
    replayed = cache.replay(k, str(work), resources)
    assert replayed.cells[0].outputs[0]["text"] == "1\n"
    assert json.loads((work / ARTIFACT_DIR / "answers.json").read_text()) == {"x": 1}
    assert events.take("a", "s") == [{"kind": events.OUTPUT_CAPPED, "note": "capped"}]
    assert cache.replay("0" * 64, str(work), resources) is None


@pytest.mark.parametrize("kind", [events.LIMIT, events.KERNEL_DIED, events.CELL_TIMEOUT, events.UNSANDBOXED])
def test_runs_cut_short_by_the_machine_are_never_stored(setup, kind):
    """Is a run stopped by a limit, a dead kernel or a time-out (or run unsandboxed) left out of the cache?"""
    cache, work, source, config, key = setup
    k = key()
    assert not cache.store(k, _notebook(), str(work), [], [{"kind": kind}])
    assert cache.replay(k, str(work), {}) is None


def test_trim_removes_least_recently_used_entries(setup):
    """Does the cache stay under its size by removing the entries used longest ago?"""
    cache, work, source, config, key = setup
    cache.max_gigabytes = 0.0  # everything but what fits in 0 bytes goes
    (work / ARTIFACT_DIR).mkdir()
    (work / ARTIFACT_DIR / "m.keras").write_bytes(b"x" * 1000)
    cache.store(key(), _notebook(), str(work), ["m.keras"], [])
    shards = [d for d in os.listdir(cache.root) if os.path.isdir(os.path.join(cache.root, d))]
    assert all(not os.listdir(os.path.join(cache.root, d)) for d in shards)


def test_a_miss_logs_which_part_of_its_key_differs(setup, tmp_path):
    """Does the log line of a miss carry a digest per part of the key, so that two misses show what changed?"""
    cache, work, source, config, key = setup
    first = key()
    cache.log("miss", first, {"student": "s"})
    (work / "data.csv").write_text("changed\n")
    second = key(inputs={"environment": {"OMP_NUM_THREADS": "1"}})
    cache.log("miss", second, {"student": "s"})
    cache.log("hit", second, {"student": "s"})
    one, two, hit = read_log(cache.directory)[0]
    changed = {name for name in one["parts"] if one["parts"][name] != two["parts"][name]}
    assert changed == {"submission", "inputs", "environment"}
    assert two["parts"]["environment"] == {"OMP_NUM_THREADS": "1"} and "parts" not in hit


def test_switched_off_by_empty_or_off():
    """Is the cache off for an empty folder name or 'off'?"""
    assert not ExecutionCache(directory="").enabled
    assert not ExecutionCache(directory="off").enabled
    assert ExecutionCache(directory="~/x").enabled


def test_tree_digest_and_handed_in_files(tmp_path):
    """Does a folder's digest name links by their target and skip caches, and are hand-ins listed by content?"""
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"c")
    os.symlink("/etc/passwd", tmp_path / "link")
    found = tree_digest(str(tmp_path))
    assert set(found) == {"a.txt", "link"} and found["link"] == "link:/etc/passwd"
    (tmp_path / ARTIFACT_DIR).mkdir()
    (tmp_path / ARTIFACT_DIR / "m.json").write_text("{}")
    assert list(handed_in_files(str(tmp_path))) == ["m.json"]


@pytest.mark.slow
def test_a_hit_is_graded_again_from_what_it_replays(tmp_path, monkeypatch):
    """Does a second grading of the same submissions replay their runs (logged hits) with the same grades, and
    are the grades decided again from what is replayed (a stored entry without its hand-ins scores zero)?"""
    from course.grading import cluster

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("COURSE_EXECUTION_CACHE", str(cache_dir))
    scores = []
    for run in range(3):
        root = scratch_course(tmp_path / f"run{run}", [ASSIGNMENT])
        write_students(root, ASSIGNMENT, ["perfect", "untouched"])
        records = cluster.grade_class(root, ASSIGNMENT, workers=1, progress=False)
        scores.append({r.student: r.score for r in records})
        if run == 1:  # take the hand-ins out of every stored entry: the grader must notice
            for folder, dirs, _ in os.walk(cache_dir):
                if "artifacts" in dirs:
                    shutil.rmtree(os.path.join(folder, "artifacts"))
    results = [e["result"] for e in read_log(str(cache_dir))[0]]
    assert results[:4] == ["miss", "stored", "miss", "stored"]
    assert results[4:] == ["hit"] * 4
    assert scores[0] == scores[1]
    assert scores[0]["demo-perfect"] >= 30 and scores[0]["demo-untouched"] == 0
    assert scores[2]["demo-perfect"] < scores[0]["demo-perfect"]
