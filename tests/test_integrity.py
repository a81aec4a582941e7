"""Tests for course/grading/integrity.py: files the verifiers load cannot be changed unseen during grading."""

import importlib.util
import os

import pytest

from course.config import get_settings
from course.grading import artifacts, integrity


def _tree(tmp_path):
    root = tmp_path / "watched"
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "checks.py").write_text("THRESHOLD = 0.95\n")
    (root / "labels.bin").write_bytes(bytes(range(10)))
    return root


def test_rewrite_with_restored_times_is_seen(tmp_path):
    """Is a file rewritten with content of the same size, its modification time set back, still reported as changed?"""
    root = _tree(tmp_path)
    target = root / "pkg" / "checks.py"
    before = integrity.fingerprint([str(root)])
    times = os.stat(target)
    target.write_text("THRESHOLD = 0.05\n")  # same size
    os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
    after = integrity.fingerprint([str(root)])
    assert os.stat(target).st_mtime_ns == times.st_mtime_ns
    assert integrity.differences(before, after) == [f"changed: {target}"]


def test_added_removed_and_replaced_files_are_seen(tmp_path):
    """Are an added file, a removed file and a file replaced by a copy (os.replace) all reported?"""
    root = _tree(tmp_path)
    before = integrity.fingerprint([str(root)])
    (root / "pkg" / "planted.py").write_text("x = 1\n")
    (root / "labels.bin").unlink()
    copy = tmp_path / "copy.py"
    copy.write_text((root / "pkg" / "checks.py").read_text())
    os.replace(copy, root / "pkg" / "checks.py")
    lines = integrity.differences(before, integrity.fingerprint([str(root)]))
    assert lines == [
        f"removed: {root / 'labels.bin'}",
        f"changed: {root / 'pkg' / 'checks.py'}",
        f"added: {root / 'pkg' / 'planted.py'}",
    ]


def test_bytecode_caches_are_not_watched(tmp_path):
    """Does a kernel writing bytecode caches (__pycache__) leave the fingerprint unchanged, so no honest student is flagged?"""
    root = _tree(tmp_path)
    before = integrity.fingerprint([str(root)])
    (root / "pkg" / "__pycache__" / "checks.cpython-311.pyc").write_bytes(b"\0" * 16)
    assert integrity.differences(before, integrity.fingerprint([str(root)])) == []


def test_watched_paths_cover_what_a_verifier_loads_and_not_the_course_folder(tmp_path):
    """Are the installed packages, the course package and configured data watched, and the grading folders (autograded/) not?"""
    data = tmp_path / "mnist.npz"
    data.write_bytes(b"npz")
    settings = get_settings({"COURSE_MNIST_PATH": str(data), "COURSE_IMDB_PATH": str(tmp_path / "absent")})
    paths = integrity.watched_paths(settings)
    keras_dir = os.path.dirname(os.path.dirname(os.path.realpath(importlib.util.find_spec("keras").origin)))
    assert any(keras_dir == p or keras_dir.startswith(p + os.sep) for p in paths)
    assert os.path.realpath(integrity.course_package_dir()) in paths
    assert str(data) in paths and str(tmp_path / "absent") not in paths
    course_root = os.path.dirname(integrity.course_package_dir())
    assert course_root not in paths  # autograded/, submitted/ and gradebook.db change during grading


def test_baseline_of_an_untouched_environment_shows_no_changes():
    """Does a baseline compared with itself, with nothing touched, report no change (no false alarm)?"""
    baseline = integrity.Baseline.take()
    assert len(baseline.state) > 1000
    assert baseline.changes() == []


def test_message_names_the_change_without_the_graders_folders():
    """Does the message quote what changed relative to its watched folder, not the grader's absolute paths?"""
    message = integrity.tampering_message(
        ["changed: /srv/env/site-packages/keras/src/ops/nn.py", "removed: /data/mnist.npz", "added: /srv/course/x.py", "added: /srv/course/y.py"],
        ["/srv/env/site-packages", "/data/mnist.npz", "/srv/course"],
    )
    assert "changed: site-packages/keras/src/ops/nn.py" in message and "removed: mnist.npz" in message
    assert "/srv" not in message and "/data" not in message and "and 1 more" in message


def _verified_cell():
    from nbformat.v4 import new_code_cell, new_output

    cell = new_code_cell("hand_in(model, 'test_x')")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": 2}
    cell.outputs = [new_output("stream", name="stdout", text="ok\n")]
    return cell


def _judge_cell(tmp_path, monkeypatch, baseline, verifier, cell=None):
    """Runs VerifyArtifacts on a one-cell notebook whose model question's verifier is ``verifier``; returns the cell."""
    from nbformat.v4 import new_notebook

    from course.grading import judge
    from course.grading.preprocessors import safe_execute, verify_artifacts

    monkeypatch.setattr(judge, "run_verifiers", lambda pairs, names, *a: {n: verifier(*p) for n, p in zip(names, pairs)})
    nb = new_notebook(cells=[cell or _verified_cell()])
    resources = {
        safe_execute.BASELINE_KEY: baseline,
        "metadata": {"path": str(tmp_path)},
        "unique_key": "nb",
        "nbgrader": {"assignment": "a", "student": "s"},
    }
    verify = verify_artifacts.VerifyArtifacts(verifiers={"test_x": "any:thing"})
    nb, _ = verify.preprocess(nb, resources)
    return nb.cells[0]


@pytest.mark.parametrize("when", ["before", "during"])
def test_tampered_files_fail_the_verified_cell(tmp_path, monkeypatch, when):
    """Does a change to a watched file, made by the kernel before or during verification, score the verified cell zero?"""
    from nbgrader import utils

    root = _tree(tmp_path)
    baseline = integrity.Baseline([str(root)], integrity.fingerprint([str(root)]))
    ran = []

    def verifier(*args):
        ran.append(args)
        if when == "during":  # e.g. a process the student's kernel left running
            (root / "labels.bin").write_bytes(bytes(10))
        return artifacts.Verdict(True, "accurate")

    if when == "before":
        (root / "labels.bin").write_bytes(bytes(10))
    cell = _judge_cell(tmp_path, monkeypatch, baseline, verifier)
    assert utils.determine_grade(cell)[0] == 0
    assert cell.outputs[0].ename == "GradingCheckFailed" and "changed: watched/labels.bin" in cell.outputs[0].evalue
    assert len(ran) == (when == "during")  # a tampered environment is not even used


def test_untouched_files_let_the_verdict_stand(tmp_path, monkeypatch):
    """With the baseline intact, does a passing verdict keep the cell's points?"""
    from nbgrader import utils

    root = _tree(tmp_path)
    baseline = integrity.Baseline([str(root)], integrity.fingerprint([str(root)]))
    cell = _judge_cell(tmp_path, monkeypatch, baseline, lambda *a: artifacts.Verdict(True, "accurate"))
    assert utils.determine_grade(cell)[0] == 2


def test_change_left_behind_by_an_earlier_submission_is_seen(tmp_path):
    """Is a data file changed between two submissions (after the first was verified) reported by the second's baseline?"""
    data = tmp_path / "mnist.npz"
    data.write_bytes(b"real labels")
    settings = get_settings({"COURSE_MNIST_PATH": str(data)})
    first = integrity.Baseline.take(settings)
    assert first.earlier == [] and first.changes() == []
    data.write_bytes(b"fake labels")  # e.g. by a process the first student's kernel left running
    second = integrity.Baseline.take(settings)
    assert second.earlier == [f"changed: {data}"]
    assert second.changes() == []  # nothing changed during the second submission itself


def test_earlier_change_refuses_verification_with_its_own_message(tmp_path, monkeypatch):
    """Does a submission graded after the files were changed score zero on verified cells, told it is not its fault?"""
    from nbgrader import utils

    root = _tree(tmp_path)
    state = integrity.fingerprint([str(root)])
    baseline = integrity.Baseline([str(root)], state, earlier=[f"changed: {root / 'labels.bin'}"])
    cell = _judge_cell(tmp_path, monkeypatch, baseline, lambda *a: artifacts.Verdict(True, "accurate"))
    assert utils.determine_grade(cell)[0] == 0
    assert "before this notebook was graded" in cell.outputs[0].evalue and "watched/labels.bin" in cell.outputs[0].evalue


def test_cell_that_already_failed_still_reports_changed_files(tmp_path, monkeypatch):
    """When a verified cell already failed in the kernel (a sabotaged check), is a change to the watched files still named?"""
    from nbformat.v4 import new_output

    root = _tree(tmp_path)
    baseline = integrity.Baseline([str(root)], integrity.fingerprint([str(root)]))
    (root / "pkg" / "checks.py").write_text("THRESHOLD = 0.0\n")
    cell = _verified_cell()
    cell.outputs.append(new_output("error", ename="AssertionError", evalue="wrong", traceback=[]))
    cell = _judge_cell(tmp_path, monkeypatch, baseline, lambda *a: pytest.fail("a failed cell is not verified"), cell)
    assert cell.outputs[0].ename == "GradingCheckFailed" and "changed: watched/pkg/checks.py" in cell.outputs[0].evalue
    assert cell.outputs[1].ename == "AssertionError"
