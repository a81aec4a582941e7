"""Tests for handing in (course/checks/handin.py), verifying models in a fresh process (course/grading/artifacts.py)
and turning verdicts into the scores nbgrader reads (normalise_outputs, VerifyArtifacts)."""

import json
import os
import textwrap

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from course.checks import handin
from course.grading import artifacts
from course.grading.artifacts import Verdict
from course.grading.preprocessors.verify_artifacts import GRADER_FAILED, VerifyArtifacts, normalise_outputs


def test_missing_artifact_fails_without_starting_a_process(tmp_path):
    """Does a test cell that never handed a model in get a failed verdict that says so?"""
    verdict = artifacts.run_verifier("course.grading.verifiers.mnist:verify_cnn_accuracy", str(tmp_path / "none.keras"))
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
    verdict = artifacts.run_verifier("course.grading.verifiers.mnist:verify_cnn_accuracy", str(path), timeout=300)
    assert not verdict.passed and "planted" not in verdict.message
    assert "could not load" in verdict.message


@pytest.mark.parametrize("answer", [[1, 2], {1: "x"}, "text", 3, dict, None])
def test_hand_in_refuses_what_it_cannot_hand_in(tmp_path, monkeypatch, answer):
    """Does hand_in fail the test cell with a clear message for anything but a model, a function or a dict of named answers?"""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="hand_in takes a Keras model, a function or a dict of named answers, not "):
        handin.hand_in(answer, "test_something")
    assert not os.path.exists(os.path.join(tmp_path, handin.ARTIFACT_DIR))


def test_hand_in_of_values_and_functions_writes_json_where_the_grader_looks(tmp_path, monkeypatch):
    """Do values and functions go to <grade_id>.answer.json under .grading_artifacts/, as plain JSON, with nothing returned?"""
    monkeypatch.chdir(tmp_path)
    assert handin.hand_in({"a": 1.5, "b": float("inf")}, "test_values") is None
    assert handin.hand_in(len, "test_function") is None
    path = handin.artifact_path("test_values", str(tmp_path), suffix=handin.ANSWER_SUFFIX)
    assert path == os.path.join(str(tmp_path), ".grading_artifacts", "test_values.answer.json")
    with open(path) as fh:
        assert json.load(fh) == {"kind": "values", "values": {"a": 1.5, "b": {"__float__": "inf"}}}
    with open(handin.artifact_path("test_function", str(tmp_path), suffix=handin.ANSWER_SUFFIX)) as fh:
        assert json.load(fh) == {"kind": "function", "name": "len"}
    assert handin.artifact_path("test_model", "/x") == "/x/.grading_artifacts/test_model.keras"


def test_verdict_score_follows_passed():
    """Does a verdict's score default to 1 or 0, stay within [0, 1], and drop to 0 whenever the verdict failed?"""
    assert Verdict(True, "ok").score == 1.0 and Verdict(False, "no").score == 0.0
    assert Verdict(True, "part", score=0.25).score == 0.25
    assert Verdict(True, "too much", score=3).score == 1.0 and Verdict(True, "negative", score=-1).score == 0.0
    assert Verdict(False, "failed", score=0.9).score == 0.0


# ----------------------------------------------------------------- normalise_outputs, read by nbgrader


def _graded_cell(outputs, points=3):
    cell = new_code_cell("hand_in({'a': a}, 'test_x')")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_x", "points": points}
    cell.outputs = list(outputs)
    return cell


def _normalised(outputs, verdict, points=3):
    cell = _graded_cell(outputs, points)
    normalise_outputs(cell, verdict, float(points))
    nbformat.validate(new_notebook(cells=[cell]))
    return cell


def _stdout(text):
    return new_output("stream", name="stdout", text=text)


def _stderr(text):
    return new_output("stream", name="stderr", text=text)


def _result(text):
    return new_output("execute_result", data={"text/plain": text}, execution_count=4)


def _error():
    return new_output("error", ename="AssertionError", evalue="a is not correct.", traceback=["AssertionError: a is not correct."])


@pytest.mark.parametrize("verdict", [None, Verdict(True, "the answer is correct.")])
@pytest.mark.parametrize("shown, raw", [("0.0", 0.0), ("0.5", 0.5), ("3", 3.0), ("'a string'", 3.0)])
def test_an_execute_result_of_the_students_code_gives_no_points(verdict, shown, raw):
    """Does an execute_result the student's code made (a number or not) neither set nor cut the score, staying visible as display_data?"""
    assert determine_grade(_graded_cell([_result(shown)]))[0] == raw, "nbgrader alone would score what the student showed"
    cell = _normalised([_stdout("printed\n"), _result(shown)], verdict)
    assert determine_grade(cell) == (3, 3)
    assert [o.output_type for o in cell.outputs][:2] == ["stream", "display_data"]
    assert cell.outputs[1].data == {"text/plain": shown}


def test_an_execute_result_cannot_raise_a_partial_or_failed_verdict():
    """Does a student's execute_result of full points leave a partial verdict partial and a failed verdict at zero?"""
    assert determine_grade(_normalised([_result("3")], Verdict(True, "a: 1 of 2 right", score=0.5)))[0] == 1.5
    assert determine_grade(_normalised([_result("3")], Verdict(False, "a is not correct.")))[0] == 0


@pytest.mark.parametrize("verdict", [None, Verdict(True, "the answer is correct.")])
def test_stderr_output_does_not_remove_points(verdict):
    """Does a warning on stderr (which nbgrader alone scores zero) keep full points, shown as stdout with its text?"""
    outputs = [_stderr("UserWarning: deprecated\n"), _stdout("ok\n")]
    assert determine_grade(_graded_cell(outputs))[0] == 0, "nbgrader alone reads stderr as a failure"
    cell = _normalised(outputs, verdict)
    assert determine_grade(cell) == (3, 3)
    assert cell.outputs[0] == {"output_type": "stream", "name": "stdout", "text": "UserWarning: deprecated\n"}


@pytest.mark.parametrize(
    "verdict", [None, Verdict(True, "the answer is correct."), Verdict(True, "part", score=0.5), Verdict(False, "no")]
)
def test_a_cell_error_always_scores_zero(verdict):
    """Does a cell that raised score zero whatever the verdict, even after an execute_result, with its error first?"""
    outputs = [_stdout("before\n"), _result("3"), _error()]
    assert determine_grade(_graded_cell(outputs))[0] == 3, "nbgrader alone stops at the execute_result"
    cell = _normalised(outputs, verdict)
    assert determine_grade(cell)[0] == 0
    assert cell.outputs[0].output_type == "error" and cell.outputs[0].ename == "AssertionError"
    assert [o.output_type for o in cell.outputs[1:]] == ["stream", "display_data"]
    assert all(o.get("ename") != GRADER_FAILED for o in cell.outputs), "the cell's own error says why"


def test_a_failed_verdict_puts_the_graders_error_first():
    """Does a failed verdict put a GradingCheckFailed error with its message first, keeping the cell's outputs after it?"""
    cell = _normalised([_stdout("checked\n"), _result("1.0")], Verdict(False, "Your model's accuracy is 0.42."))
    assert determine_grade(cell)[0] == 0
    first = cell.outputs[0]
    assert (first.output_type, first.ename, first.evalue) == ("error", GRADER_FAILED, "Your model's accuracy is 0.42.")
    assert [o.output_type for o in cell.outputs[1:]] == ["stream", "display_data"]


def test_a_zero_score_counts_as_a_failure():
    """Is a passed verdict whose score rounds to nothing (0 of the points) scored zero with the grader's error?"""
    verdict = Verdict(True, "nothing", score=0.0)
    cell = _normalised([], verdict)
    assert determine_grade(cell)[0] == 0 and cell.outputs[0].ename == GRADER_FAILED


@pytest.mark.parametrize("score, points, earned", [(0.5, 3, 1.5), (0.75, 2, 1.5), (1 / 3, 3, 1.0), (0.8, 1, 0.8)])
def test_a_partial_verdict_puts_its_points_first(score, points, earned):
    """Does a partial verdict give exactly its share of the points, as an execute_result placed before everything else?"""
    cell = _normalised([_stderr("warn\n"), _result(str(points))], Verdict(True, "a: 1 of 2 right", score=score), points)
    assert determine_grade(cell) == (earned, points)
    assert cell.outputs[0].output_type == "execute_result"
    assert cell.outputs[1].text == f"Checked by the grader: a: 1 of 2 right, {earned:g} of {points:g} points.\n"
    assert [o.output_type for o in cell.outputs[2:]] == ["stream", "display_data"]


def test_a_passing_verdict_says_the_grader_checked_it():
    """Does a passing verdict keep full points and end the outputs with the grader's note?"""
    cell = _normalised([_stdout("ok\n")], Verdict(True, "fine"))
    assert determine_grade(cell)[0] == 3
    assert cell.outputs[0].text == "ok\n" and cell.outputs[-1].text == "Checked by the grader: fine\n"


def test_no_verdict_scores_by_whether_the_cell_raised():
    """Does a grade cell without a key entry score full points when it ran cleanly and zero when it raised?"""
    assert determine_grade(_normalised([_stdout("ok\n")], None))[0] == 3
    assert determine_grade(_normalised([_error()], None))[0] == 0
    assert _normalised([_stdout("ok\n")], None).outputs == [_stdout("ok\n")], "no grader note without a verdict"


# ----------------------------------------------------------------- VerifyArtifacts on a notebook

KEY = '''
from course.grading.compare import score_numbers
from course.grading.judge import ValueQuestion

def _numbers(values):
    return score_numbers([(values.get("a"), 2.0, "a"), (values.get("b"), 3, "b")])

QUESTIONS = {"test_numbers": ValueQuestion(_numbers), "test_raised": ValueQuestion(_numbers)}
'''


def test_verify_artifacts_scores_a_notebook_from_its_key(tmp_path, monkeypatch):
    """Does VerifyArtifacts score each grade cell from the key's verdict, zero a cell that raised, score an unkeyed cell by its outputs, and remove the hand-ins?"""
    root, folder = tmp_path / "course", tmp_path / "submitted"
    root.mkdir()
    folder.mkdir()
    (root / "tiny_key.py").write_text(textwrap.dedent(KEY))
    monkeypatch.chdir(folder)
    handin.hand_in({"a": 2.0, "b": 4}, "test_numbers")
    handin.hand_in({"a": 2.0, "b": 3}, "test_raised")
    cells = [
        _graded_cell([_result("2")], points=2),
        _graded_cell([_error()], points=2),
        _graded_cell([_stderr("warning\n")], points=1),
    ]
    for cell, grade_id in zip(cells, ["test_numbers", "test_raised", "test_unkeyed"]):
        cell.metadata["nbgrader"]["grade_id"] = grade_id
    monkeypatch.chdir(root)
    verify = VerifyArtifacts(answer_keys={"tiny": "tiny_key.py"})
    resources = {"metadata": {"path": str(folder)}, "unique_key": "tiny", "nbgrader": {"student": "alice", "assignment": "a1"}}
    nb, _ = verify.preprocess(new_notebook(cells=cells), resources)
    assert [determine_grade(c)[0] for c in nb.cells] == [1.0, 0, 1]
    assert "b has a wrong value; 1 of 2 numbers right, 1 of 2 points" in nb.cells[0].outputs[1].text
    assert nb.cells[1].outputs[0].ename == "AssertionError", "a cell that raised is not judged again"
    assert not os.path.exists(folder / handin.ARTIFACT_DIR)


def test_hand_in_saves_the_model_where_the_grader_looks_and_returns_nothing(tmp_path, monkeypatch):
    """Does hand_in write the .keras file (with its profile sidecar) at artifact_path, replace an earlier answer, and return None?"""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    monkeypatch.chdir(tmp_path)
    handin.hand_in({"a": 1}, "test_something")
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    assert handin.hand_in(model, "test_something") is None
    path = handin.artifact_path("test_something", str(tmp_path))
    assert path.endswith(".keras") and os.path.getsize(path) > 0
    assert os.path.isfile(path[: -len(".keras")] + ".json"), "the profile sidecar is written beside the model"
    assert not os.path.exists(handin.artifact_path("test_something", str(tmp_path), suffix=handin.ANSWER_SUFFIX))
