"""Tests for course/grading/artifacts.py: handing in models and verifying them in a fresh process."""

import os

import pytest

from course.grading import artifacts


def test_missing_artifact_fails_without_starting_a_process(tmp_path):
    """Does a test cell that never handed a model in get a failed verdict that says so?"""
    verdict = artifacts.run_verifier("course.checks.mnist:verify_cnn_accuracy", str(tmp_path / "none.keras"))
    assert not verdict.passed and "No model was handed in" in verdict.message


def test_crashing_verifier_gives_a_failed_verdict(tmp_path):
    """Does a verifier that crashes end in a failed verdict with the error's last line, not an exception?"""
    path = tmp_path / "m.keras"
    path.write_bytes(b"not a model")
    verdict = artifacts.run_verifier("course.checks.mnist:no_such_verifier", str(path), timeout=120)
    assert not verdict.passed
    assert "could not be graded" in verdict.message and "no_such_verifier" in verdict.message


def test_verifier_process_ignores_planted_modules(tmp_path, monkeypatch):
    """Is a `course` package planted on PYTHONPATH (or in the working directory) ignored by the fresh process?"""
    fake = tmp_path / "planted" / "course" / "checks"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "mnist.py").write_text(
        "from dataclasses import dataclass, field\n"
        "def verify_cnn_accuracy(path):\n"
        "    raise SystemExit('VERIFY-RESULT {\"passed\": true, \"message\": \"planted\", \"metrics\": {}}')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "planted"))
    monkeypatch.chdir(tmp_path / "planted")
    path = tmp_path / "m.keras"
    path.write_bytes(b"not a model")
    verdict = artifacts.run_verifier("course.checks.mnist:verify_cnn_accuracy", str(path), timeout=300)
    assert not verdict.passed and "planted" not in verdict.message
    assert "could not load" in verdict.message


def test_hand_in_refuses_what_is_not_a_keras_model(tmp_path, monkeypatch):
    """Does hand_in fail the test cell, with a clear message, when given something that is not a model?"""
    pytest.importorskip("keras")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="expected a Keras model"):
        artifacts.hand_in({"weights": []}, "test_something")
    assert not os.path.exists(artifacts.artifact_path("test_something"))


def _graded_cell(outputs):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell("hand_in(model, 'test_x')")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": 3}
    cell.outputs = outputs
    return cell


@pytest.mark.parametrize("verdict_passes, has_error", [(False, False), (True, True), (False, True)])
def test_verified_cell_with_a_failure_scores_zero_despite_an_execute_result(monkeypatch, verdict_passes, has_error):
    """Does a failed verdict or in-kernel error score zero even when an execute_result (hand_in's path) comes first?"""
    from nbformat.v4 import new_output
    from nbgrader import utils

    from course.grading import preprocessors

    monkeypatch.setattr(preprocessors, "run_verifier", lambda *a: artifacts.Verdict(verdict_passes, "judged"))
    outputs = [
        new_output("stream", name="stdout", text="checked\n"),
        new_output("execute_result", data={"text/plain": "'/x/.grading_artifacts/test_x.keras'"}, execution_count=1),
    ]
    if has_error:
        outputs.append(new_output("error", ename="AssertionError", evalue="wrong", traceback=[]))
    verify = preprocessors.VerifyArtifacts(verifiers={"test_x": "any:thing"})
    verify._directory = "."
    cell, _ = verify.preprocess_cell(_graded_cell(outputs), {}, 0)
    assert utils.determine_grade(cell)[0] == 0
    assert cell.outputs[0].output_type == "error" and len(cell.outputs) == len(outputs) + (not has_error)


def test_verified_cell_that_passes_keeps_its_points(monkeypatch):
    """Does a passing verdict leave full points and say that the grader checked it?"""
    from nbformat.v4 import new_output
    from nbgrader import utils

    from course.grading import preprocessors

    monkeypatch.setattr(preprocessors, "run_verifier", lambda *a: artifacts.Verdict(True, "fine"))
    verify = preprocessors.VerifyArtifacts(verifiers={"test_x": "any:thing"})
    verify._directory = "."
    cell, _ = verify.preprocess_cell(_graded_cell([new_output("stream", name="stdout", text="ok\n")]), {}, 0)
    assert utils.determine_grade(cell)[0] == 3
    assert "Checked by the grader: fine" in cell.outputs[-1].text


def test_hand_in_saves_the_model_where_the_grader_looks_and_returns_nothing(tmp_path, monkeypatch):
    """Does hand_in write the .keras file at artifact_path, and return None (no execute_result in the test cell)?"""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    monkeypatch.chdir(tmp_path)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    assert artifacts.hand_in(model, "test_something") is None
    assert os.path.getsize(artifacts.artifact_path("test_something", str(tmp_path))) > 0
