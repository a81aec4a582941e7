"""Follow-through: chained answers judged against the student's own earlier results (course.grading.judge).

A ``ValueQuestion`` may name earlier test cells (``follows``) and calls of
the student's own functions (``calls``, re-run by the sandboxed runner); its
judge then gets a ``FollowThrough`` with that data. These tests run the real
``judge_notebook`` on a tiny notebook whose hand-ins the real ``hand_in`` wrote.
"""

import pytest
from nbformat.v4 import new_code_cell, new_notebook

import test_judge
from course.checks.handin import hand_in
from course.grading.judge import FollowThrough, judge_notebook

KEY = '''
from course.grading.compare import score_numbers
from course.grading.judge import ValueQuestion

RUNNER_CELLS = ("helpers",)


def _base(values):
    return score_numbers([(values.get("base"), 10.0, "base")])


def _chained(values, own):
    """total = base + double(3), where base and double may be the student's own."""
    expected = 10.0 + 6.0
    candidates = []
    for base in (own.value("test_base", "base"), 10.0):
        for doubled in (own.result("double_3"), 6.0):
            if isinstance(base, (int, float)) and isinstance(doubled, (int, float)):
                candidates.append(base + doubled)
    total = values.get("total")
    if isinstance(total, (int, float)) and any(abs(total - c) < 1e-9 for c in candidates):
        expected = total
    return score_numbers([(total, expected, "total")])


QUESTIONS = {
    "test_base": ValueQuestion(_base),
    "test_total": ValueQuestion(_chained, follows=("test_base",), calls=(("double_3", "double", (3,)),)),
}
'''


def _cell(source, grade_id, grade=False, solution=False):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": not solution,
                                 "grade_id": grade_id, "schema_version": 3, **({"points": 1} if grade else {})}
    return cell


def _notebook(double_source):
    return new_notebook(cells=[
        _cell(double_source, "helpers", solution=True),
        _cell("hand_in({'base': base}, 'test_base')", "test_base", grade=True),
        _cell("hand_in({'total': total}, 'test_total')", "test_total", grade=True),
    ])


@pytest.fixture
def key(tmp_path):
    return test_judge.key_from_text(tmp_path, KEY, "chain")


#: The folder a notebook 'ran' in, where the real hand_in writes (test_judge's fixture).
submission = test_judge.submission


def _scores(key, submission, double_source="def double(x):\n    return 2 * x"):
    verdicts = judge_notebook(_notebook(double_source), key, submission, ("alice", "chain"), sandbox=None)
    return {gid: v.score for gid, v in verdicts.items()}


def test_right_answers_earn_everything(key, submission):
    """Do right answers at every step earn every point with follow-through enabled?"""
    hand_in({"base": 10.0}, "test_base")
    hand_in({"total": 16.0}, "test_total")
    assert _scores(key, submission) == {"test_base": 1.0, "test_total": 1.0}


def test_a_step_done_right_on_a_wrong_earlier_hand_in_earns_its_points(key, submission):
    """Is the mistake marked once: a wrong base loses test_base, and a total computed right from it still scores?"""
    hand_in({"base": 11.0}, "test_base")
    hand_in({"total": 17.0}, "test_total")
    assert _scores(key, submission) == {"test_base": 0.0, "test_total": 1.0}


def test_a_step_done_right_on_the_students_own_function_earns_its_points(key, submission):
    """Does the runner re-run the student's own (wrong) function, and a total that follows from it score?"""
    hand_in({"base": 10.0}, "test_base")
    hand_in({"total": 19.0}, "test_total")  # 10 + triple(3): the student's own "double"
    assert _scores(key, submission, "def double(x):\n    return 3 * x") == {"test_base": 1.0, "test_total": 1.0}


def test_a_total_that_follows_from_nothing_scores_zero(key, submission):
    """Is a chained answer that matches neither the key nor the student's own results still wrong?"""
    hand_in({"base": 11.0}, "test_base")
    hand_in({"total": 42.0}, "test_total")
    assert _scores(key, submission, "def double(x):\n    return 3 * x")["test_total"] == 0.0


def test_a_function_that_raises_gives_no_follow_through_and_no_crash(key, submission):
    """Does a student function that raises leave follow-through empty (judged against the key only)?"""
    hand_in({"base": 10.0}, "test_base")
    hand_in({"total": 16.0}, "test_total")
    assert _scores(key, submission, "def double(x):\n    raise RuntimeError('no')") == {"test_base": 1.0, "test_total": 1.0}


def test_follow_through_record_defaults():
    """Does an empty FollowThrough answer None for every earlier value and call?"""
    own = FollowThrough()
    assert own.value("test_x", "x") is None and own.result("call") is None
    assert FollowThrough({"test_x": None}).value("test_x", "x") is None
