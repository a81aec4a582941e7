"""End-to-end grading: every assignment's synthetic students, through the course's nbgrader setup.

Runs nbgrader for real on a scratch copy of the course (slow: every
assignment's reference solution is executed, models included).
"""

import glob
import os

import pytest

from conftest import ROOT
from course.grading import exports, nbgrader_api
from course.grading.instructor_lines import REGIONS, normalise_html, secret_lines
from course.grading.students import ROBUSTNESS_ASSIGNMENT
ASSIGNMENTS = nbgrader_api.list_assignments(ROOT)

pytestmark = pytest.mark.slow


@pytest.fixture(params=ASSIGNMENTS)
def graded_assignment(request):
    """The assignment a test runs for (conftest groups tests by it for pytest-xdist)."""
    return request.param


@pytest.fixture
def graded(graded_assignment, graded_course):
    """The synthetic students of one assignment, graded once per test process (conftest's ``graded_course``);
    returns (assignment, root, api, records by student)."""
    return graded_course(graded_assignment)


def _feedback_text(root, assignment, student):
    pages = glob.glob(os.path.join(root, "feedback", f"demo-{student}", assignment, "*.html"))
    assert pages, f"no feedback for {student}"
    return "\n".join(normalise_html(open(p, encoding="utf-8").read()) for p in pages)


def test_perfect_student_gets_every_autograded_point(graded):
    """Does the reference solution pass every test, visible and hidden?"""
    assignment, root, api, records = graded
    r = records["perfect"]
    assert r.status == "graded" and r.auto_max > 0
    assert r.auto_score == r.auto_max, f"{assignment}: {r.auto_score}/{r.auto_max} {r.notes}"


def _cell_scores(api, assignment, student) -> dict:
    """Autograded points of each graded cell of a submission, from the gradebook: ``{grade_id: score}``."""
    with api.gradebook as gb:
        submission = gb.find_submission(assignment, student)
        return {g.name: g.score for nb in submission.notebooks for g in nb.grades if g.auto_score is not None}


def test_bert_cheater_earns_exactly_the_points_of_its_honest_part(graded):
    """Does 03's submission with cheats (hooks, a lookup table, an always-equal answer, patched math) score, cell by
    cell, what the same honest (partial) submission scores, except zero on each cheated cell?"""
    from test_cheats import BERT_CHEATED_TESTS

    assignment, root, api, records = graded
    if "cheater" not in records:
        pytest.skip(f"{assignment} has no cheating submission in this batch")
    honest = _cell_scores(api, assignment, "demo-partial")
    cheater = _cell_scores(api, assignment, "demo-cheater")
    cheated = set(BERT_CHEATED_TESTS.values())
    assert cheated <= set(honest) and set(cheater) == set(honest)
    assert honest["test_split_error"] > 0  # at least one cheat replaces an honest answer that scored
    assert cheater == {gid: 0 if gid in cheated else score for gid, score in honest.items()}
    assert records["cheater"].auto_score == pytest.approx(records["partial"].auto_score - honest["test_split_error"])


def test_untouched_release_gets_zero_without_errors(graded):
    """Does the untouched student version score zero and still grade cleanly?"""
    assignment, root, api, records = graded
    r = records["untouched"]
    assert r.status == "graded" and r.notes == []
    assert r.auto_score == 0 and r.score == 0


def test_partial_student_gets_partial_credit(graded):
    """Does a half-finished submission score strictly between zero and full marks?"""
    assignment, root, api, records = graded
    r = records["partial"]
    assert 0 < r.auto_score < r.auto_max


def test_feedback_never_shows_hidden_tests(graded):
    """Does feedback show a hidden-test or mark-scheme line (or, untouched, a solution line)?"""
    assignment, root, api, records = graded
    notebooks = glob.glob(os.path.join(root, "source", assignment, "*.ipynb"))
    everything = set().union(*(secret_lines(p) for p in notebooks))
    not_solutions = set().union(*(secret_lines(p, regions=REGIONS[1:]) for p in notebooks))
    for student, secrets in (("untouched", everything), ("partial", not_solutions)):
        text = _feedback_text(root, assignment, student)
        assert sorted(line for line in secrets if line in text) == []
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN MARK SCHEME" not in text


def test_grades_are_exported(graded, tmp_path):
    """Does the CSV export have a row for every graded student?"""
    assignment, root, api, records = graded
    path = exports.export_grades(api, str(tmp_path / "grades.csv"))
    text = open(path, encoding="utf-8").read()
    for record in records.values():
        assert f"{assignment}," in text and record.student in text


def _robust(graded):
    assignment, root, api, records = graded
    if assignment != ROBUSTNESS_ASSIGNMENT:
        pytest.skip("robustness students are graded on one assignment only")
    return assignment, root, api, records


def test_duplicated_cell_is_graded_and_explained(graded):
    """Does a test cell pasted twice still get a full, explained grade instead of aborting?"""
    assignment, root, api, records = _robust(graded)
    r = records["duplicate-cell"]
    assert r.status == "graded" and r.auto_score == r.auto_max
    assert any("duplicated" in n for n in r.notes)


def test_deleted_test_cell_is_restored_and_graded(graded):
    """Is a deleted test cell put back and graded, so its points are not silently lost?"""
    assignment, root, api, records = _robust(graded)
    r = records["deleted-test"]
    assert r.auto_score == r.auto_max == records["perfect"].auto_max
    assert any("missing cells" in n for n in r.notes)


def test_malformed_timestamp_does_not_stop_the_batch(graded):
    """Does a timestamp.txt that is no date end in a grade and a note (nbgrader alone crashes)?"""
    assignment, root, api, records = _robust(graded)
    r = records["bad-timestamp"]
    assert r.status == "graded" and r.auto_score == r.auto_max
    assert any("timestamp" in n for n in r.notes)
    assert os.path.exists(os.path.join(root, "submitted", "demo-bad-timestamp", assignment, "timestamp.txt.invalid"))


def test_kernel_death_keeps_earlier_points_and_explains(graded):
    """When the kernel dies, are earlier tests kept, later ones zero, and the reason in the feedback?"""
    assignment, root, api, records = _robust(graded)
    r = records["kernel-death"]
    assert r.status == "graded"
    assert 0 < r.auto_score < r.auto_max
    assert any("kernel died" in n.lower() for n in r.notes)
    text = _feedback_text(root, assignment, "kernel-death")
    assert "KernelDied" in text and "NotRun" in text


def test_every_student_is_in_the_table(graded):
    """Does the summary table list each graded student with points?"""
    assignment, root, api, records = graded
    table = exports.format_table(list(records.values()))
    for record in records.values():
        assert record.student in table
