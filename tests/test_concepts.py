"""Tests of assignment 01_concepts: its structure, its secrecy, and how it grades.

The fast tests read the source notebook; the slow ones run nbgrader on a
scratch copy of the course with a perfect, an untouched and a partly wrong
submission, and check the exact points.
"""

import glob
import math
import os
import re
import tempfile

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course.grading import judge
from course.grading.instructor_lines import REGIONS, normalise_html, secret_lines
from course.grading.students import write_changed_submission

ASSIGNMENT = "01_concepts"
SOURCE = os.path.join(ROOT, "source", ASSIGNMENT, "concepts.ipynb")
KEY = judge.load_key(os.path.join(ROOT, "source", ASSIGNMENT, "concepts_key.py"))
RELEASE = os.path.join(ROOT, "release", ASSIGNMENT, "concepts.ipynb")

#: section (grade_id prefix of its answer cells) -> (autograded points, manually graded points)
SECTIONS = {
    "background": (5, 0),
    "economics": (7, 2),
    "q1": (2, 3),
    "q2": (3, 2),
    "q3": (7, 3),
    "q4": (5, 4),
    "q5": (5, 3),
}
AUTO_MAX, MANUAL_MAX = 34, 17

#: test cell -> section, for test cells not named after their section
TEST_SECTIONS = {
    "test_transformer_params": "background",
    "test_weight_memory_gb": "background",
    "test_cost_numbers": "background",
    "test_workload_cost": "economics",
    "test_break_even_requests": "economics",
    "test_price_cut_numbers": "economics",
    "test_break_even_numbers": "economics",
    "test_magnitude_prune": "q3",
    "test_quantize_int8": "q3",
    "test_dequantize_int8": "q3",
    "test_softmax_t": "q4",
    "test_distillation_loss": "q4",
    "test_mlm_example": "q5",
    "test_clm_example": "q5",
}

#: solution cell -> what a partly wrong student writes there instead, and the points that costs
WRONG_ANSWERS = {
    # wrong type: a string instead of a dict (test_q1_traits, 2 points)
    "q1_traits": ('q1_traits = "advantage"', 2),
    # forgets the T**2 factor (test_distillation_loss, 2 points)
    "distillation_loss": (
        "def distillation_loss(student_logits, teacher_logits, T):\n"
        "    p_t = softmax_t(teacher_logits, T)\n"
        "    p_s = softmax_t(student_logits, T)\n"
        "    return float(np.mean(np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=-1)))",
        2,
    ),
    # prunes nothing: right shape and dtype, wrong values (test_magnitude_prune, 2 points)
    "magnitude_prune": ("def magnitude_prune(weights, sparsity):\n    return np.array(weights, copy=True)", 2),
    # no guard for an API that is not dearer than self-hosting (test_break_even_requests, 2 points)
    "break_even_requests": (
        "def break_even_requests(fixed_monthly_cost, self_cost_per_request, api_cost_per_request):\n"
        "    return fixed_monthly_cost / (api_cost_per_request - self_cost_per_request)",
        2,
    ),
    # the common wrong answer about BERT and GPT (test_q5_objectives, 1 point), one statement of five wrong
    # (test_q5_statements: partial credit, 0.2 of 1 point lost)
    "q5_choices": (
        'q5_objectives = {"BERT": "C", "GPT": "D"}\n'
        'q5_statements = {"A": True, "B": False, "C": True, "D": True, "E": True}',
        1.2,
    ),
    # misses one of the four newly viable applications (test_q2_newly_viable: 0.5 of 2 points lost)
    "q2_newly_viable": ('q2_newly_viable = {"contract_review", "review_sentiment", "code_completion"}', 0.5),
    # reads 2.4 as "at least how many requests" and truncates with int(): a reasonable reading, no point lost
    "break_even_numbers": (
        "api_per_request_before = workload_cost(1, INPUT_TOKENS, OUTPUT_TOKENS, PRICE_IN_BEFORE, PRICE_OUT_BEFORE)\n"
        "break_even_before = int(break_even_requests(SELF_HOST_FIXED, SELF_HOST_PER_REQUEST, api_per_request_before))\n"
        "break_even_after = math.ceil(break_even_requests(SELF_HOST_FIXED, SELF_HOST_PER_REQUEST, "
        "api_per_request_before * (1 - PRICE_CUT)))",
        0,
    ),
}


def _cells():
    return nbformat.read(SOURCE, as_version=4).cells


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _section(grade_id: str) -> str:
    if grade_id in TEST_SECTIONS:
        return TEST_SECTIONS[grade_id]
    name = grade_id[len("test_"):] if grade_id.startswith("test_") else grade_id
    return name.split("_")[0]


def test_points_per_section_match_the_table_in_the_notebook():
    """Do the graded cells of each section add up to the points the notebook announces?"""
    found = {section: [0, 0] for section in SECTIONS}
    for cell in _cells():
        meta = _meta(cell)
        if not meta.get("grade"):
            continue
        manual = bool(meta.get("solution"))
        found[_section(meta["grade_id"])][1 if manual else 0] += meta["points"]
    assert {k: tuple(v) for k, v in found.items()} == SECTIONS
    intro = _cells()[0].source
    assert f"**{AUTO_MAX}** | **{MANUAL_MAX}** | **{AUTO_MAX + MANUAL_MAX}**" in intro
    for auto, manual in SECTIONS.values():
        assert re.search(rf"\| {auto} \| {manual or '–'} \| {auto + manual} \|", intro)


def test_every_interview_question_has_an_autograded_and_a_written_part():
    """Does each of the five questions have an autograded test and a manually graded answer?"""
    for question in ("q1", "q2", "q3", "q4", "q5"):
        auto, manual = SECTIONS[question]
        assert auto > 0 and manual > 0, question
    written = [_meta(c)["grade_id"] for c in _cells() if _meta(c).get("grade") and _meta(c).get("solution")]
    assert written == ["economics_written", "q1_written", "q2_written", "q3_written", "q4_reason", "q4_written", "q5_written"]


def test_every_written_answer_follows_a_task_cell_with_a_mark_scheme():
    """Is each written answer preceded by a zero-point task cell holding its rubric as a mark scheme?"""
    cells = _cells()
    for index, cell in enumerate(cells):
        meta = _meta(cell)
        if not (meta.get("grade") and meta.get("solution")):
            continue
        assert cell.cell_type == "markdown"
        task = cells[index - 1]
        assert _meta(task).get("task") is True and _meta(task).get("points") == 0, meta["grade_id"]
        assert "### BEGIN MARK SCHEME" in task.source and "### END MARK SCHEME" in task.source
        assert f"{meta['points']} 分" in task.source, "the task states the points of the answer"
        assert "### BEGIN SOLUTION" in cell.source, "the model answer is a solution region"


def test_the_wrong_pretraining_answer_is_explained_to_students():
    """Does the released notebook warn about the 'data-based vs task-based' answer and give the right distinction?"""
    text = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    assert "常见的错误答案" in text and "基于数据的预训练" in text
    for term in ("masked language modelling", "双向 Transformer encoder", "next-token prediction", "causal mask"):
        assert term in text


def test_release_has_no_rubric_model_answer_or_hidden_test():
    """Does any secret line of this assignment appear in its release notebook, even inside a longer line?"""
    secrets = secret_lines(SOURCE)
    assert len(secrets) > 100
    text = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    assert sorted(line for line in secrets if line in text) == []
    for marker in ("MARK SCHEME", "BEGIN SOLUTION", "HIDDEN TESTS", "评分标准（共"):
        assert marker not in text


def _key_literals():
    """Number and string literals of the answer key that are specific enough to be answers."""
    with open(os.path.join(os.path.dirname(SOURCE), "concepts_key.py"), encoding="utf-8") as fh:
        block = fh.read()
    literals = set(re.findall(r"\d+\.\d{3,}|\d{6,}", block))
    strings = {s for s in re.findall(r'"([^"\n]{6,})"', block) if s.strip(" ,") == s}
    literals |= {s for s in strings if not s.startswith(("for ", "when ", "at ", "with ")) and s != "strict_dtype"}
    return literals - {_meta(cell).get("grade_id") for cell in _cells()}  # cell names are not answers


def test_course_package_holds_no_answer_of_this_assignment():
    """Does any expected value of the answer key appear in course/, which students receive?"""
    literals = _key_literals()
    assert "124439808" in literals and "contract_review" in literals
    visible = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    literals = {lit for lit in literals if lit not in visible}  # options, names: part of the questions
    text = "\n".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(ROOT, "course", "**", "*.py"), recursive=True))
    assert sorted(lit for lit in literals if lit in text) == []


def _write_wrong_submission(root: str, student: str) -> str:
    changes = {grade_id: answer[0] for grade_id, answer in WRONG_ANSWERS.items()}
    return write_changed_submission(root, ASSIGNMENT, student, "perfect", changes, prefix="")


@pytest.fixture
def graded(graded_course):
    """A perfect, an untouched and a partly wrong submission (``demo-wrong``), graded once with the
    other synthetic students of this assignment (conftest's ``graded_course``); returns (root, records by student)."""
    _, root, _, records = graded_course(ASSIGNMENT)
    return root, records


def _feedback(root: str, student: str) -> str:
    pages = glob.glob(os.path.join(root, "feedback", f"demo-{student}", ASSIGNMENT, "*.html"))
    assert pages, f"no feedback for {student}"
    return "\n".join(normalise_html(open(p, encoding="utf-8").read()) for p in pages)


@pytest.mark.slow
def test_reference_earns_every_autograded_point_quickly(graded):
    """Does the reference solution earn all 34 autograded points, with 17 left to manual grading, in under a minute?"""
    root, records = graded
    r = records["perfect"]
    assert (r.status, r.auto_score, r.auto_max, r.max_score) == ("graded", AUTO_MAX, AUTO_MAX, AUTO_MAX + MANUAL_MAX)
    assert r.seconds < 60


@pytest.mark.slow
def test_untouched_release_earns_zero_without_errors(graded):
    """Does the untouched student version score zero and grade without notes?"""
    root, records = graded
    r = records["untouched"]
    assert (r.status, r.score, r.auto_score, r.notes) == ("graded", 0, 0, [])


@pytest.mark.slow
def test_partly_wrong_submission_gets_exactly_the_points_of_its_right_answers(graded):
    """Does a submission with specific wrong answers lose exactly their points (partial credit included), and only theirs?"""
    root, records = graded
    r = records["wrong"]
    lost = sum(points for _, points in WRONG_ANSWERS.values())
    assert r.status == "graded" and r.notes == []
    assert math.isclose(r.auto_score, AUTO_MAX - lost) and math.isclose(lost, 9.7)


@pytest.mark.slow
def test_wrong_answers_get_clear_messages_in_the_feedback(graded):
    """Does the feedback explain each failure (wrong type, wrong result) without a traceback into hidden code?"""
    root, records = graded
    text = _feedback(root, "wrong")
    assert "q1_traits must be a dict from each item to your answer; it is a str." in text
    assert "distillation_loss returns a wrong result at T = 4" in text
    assert "magnitude_prune returns a wrong result for a 3x4 matrix at 50%" in text
    assert "break_even_requests raised ZeroDivisionError" in text
    assert "q5_objectives is not correct: none of its 2 items is right." in text
    assert "q5_statements: 4 of 5 items right, 0.8 of 1 points." in text
    assert "q2_newly_viable: 3 of the 4 correct options chosen, 0 wrong option(s) chosen, 1.5 of 2 points." in text
    assert "most recent call last" not in text and "check_cases(" not in text


@pytest.mark.slow
def test_feedback_shows_no_rubric_or_hidden_test(graded):
    """Does any hidden-test or mark-scheme line reach a student's feedback, even inside a longer line?"""
    root, records = graded
    secrets = secret_lines(os.path.join(root, "source", ASSIGNMENT, "concepts.ipynb"), regions=REGIONS[1:])
    for student in ("perfect", "untouched", "wrong"):
        text = _feedback(root, student)
        assert sorted(line for line in secrets if line in text) == [], student
        assert "MARK SCHEME" not in text and "HIDDEN TESTS" not in text and "评分标准（共" not in text


# ------------------------------------------------------------- partial credit and corrections, in-process


@pytest.fixture(scope="module")
def reference_kernel():
    """The namespace of a perfect student's kernel: every code cell of the source notebook run in order."""
    import matplotlib

    matplotlib.use("Agg")
    namespace = {}
    for cell in _cells():
        if cell.cell_type == "code":
            exec(compile(cell.source, _meta(cell).get("grade_id", "cell"), "exec"), namespace)
    return namespace


def _run_test_cell(grade_id, namespace, **answers):
    """Runs one test cell like a kernel (its hand-in included) and judges the hand-in with the answer key.

    Returns the points nbgrader records; raises ``AssertionError`` (the student's message) when the cell scores zero.
    """
    cell = next(c for c in _cells() if _meta(c).get("grade_id") == grade_id)
    scope = {**namespace, **answers}
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            exec(compile(cell.source, grade_id, "exec"), scope)
        finally:
            os.chdir(here)
        record, why = judge.read_answer(tmp, grade_id)
    assert record is not None, why
    verdict = judge.run_judge(KEY.questions[grade_id].judge, judge.answer_values(record))
    if not verdict.passed:
        raise AssertionError(verdict.message)
    return verdict.score * _meta(cell)["points"]


PARTIAL_CREDIT_CELLS = ["test_q1_traits", "test_price_cut_numbers", "test_break_even_numbers", "test_q2_newly_viable", "test_q5_statements"]


@pytest.mark.parametrize("grade_id", PARTIAL_CREDIT_CELLS)
def test_partial_credit_cells_give_the_reference_full_points(reference_kernel, grade_id):
    """Does the grader give each multi-item test cell its full points for the reference answers?"""
    points = next(_meta(c)["points"] for c in _cells() if _meta(c).get("grade_id") == grade_id)
    assert _run_test_cell(grade_id, reference_kernel) == points


@pytest.mark.parametrize(
    "grade_id, answers, expected",
    [
        ("test_q1_traits", {"q1_traits": {"A": "advantage", "B": "disadvantage", "C": "advantage", "D": "advantage",
                                          "E": "disadvantage", "F": "neither", "G": "advantage", "H": "disadvantage"}}, 1.75),
        ("test_price_cut_numbers", {"margin_after": 0.5}, 1.5),
        ("test_price_cut_numbers", {"cost_after": 14400.0 * 0.5, "margin_after": 0.5}, 1.0),
        ("test_break_even_numbers", {"break_even_before": 434782, "break_even_after": 50_000_001}, 1.0),
        ("test_break_even_numbers", {"break_even_before": 434783, "break_even_after": 1.0}, 0.5),
        ("test_q2_newly_viable", {"q2_newly_viable": {"contract_review", "review_sentiment", "code_completion", "book_translation", "video_captioning"}}, 1.5),
        ("test_q5_statements", {"q5_statements": {"A": True, "B": True, "C": True, "D": True, "E": False}}, 0.8),
    ],
)
def test_partial_credit_is_given_per_item(reference_kernel, grade_id, answers, expected):
    """Does one wrong item cost only its own share of the cell's points (and a rounded break-even point nothing)?"""
    assert _run_test_cell(grade_id, reference_kernel, **answers) == expected


@pytest.mark.parametrize(
    "grade_id, answers",
    [
        ("test_q1_traits", {"q1_traits": {k: "neither" if k in "ABDEGH" else "advantage" for k in "ABCDEFGH"}}),
        ("test_q2_newly_viable", {"q2_newly_viable": set()}),
        ("test_q5_statements", {"q5_statements": {k: not v for k, v in {"A": True, "B": False, "C": True, "D": True, "E": False}.items()}}),
        ("test_price_cut_numbers", {"cost_before": 1.0, "cost_after": 1.0, "margin_before": 0.0, "margin_after": 0.0}),
    ],
)
def test_nothing_right_fails_the_cell(reference_kernel, grade_id, answers):
    """Does an answer with no right item fail (zero points) with a message instead of scoring?"""
    with pytest.raises(AssertionError):
        _run_test_cell(grade_id, reference_kernel, **answers)


def test_applications_fit_in_one_request(reference_kernel):
    """Does every application of 2.2 ask for an output one API request can give (at most 8,192 tokens)?"""
    assert all(t_out <= 8192 for _, t_out, _ in reference_kernel["APPLICATIONS"].values())


def test_temperature_flattens_ratios_as_the_notebook_now_teaches(reference_kernel):
    """Does raising T push the ratio of two class probabilities toward 1, as option B and the intro now say?"""
    softmax_t = reference_kernel["softmax_t"]
    logits = np.array([1.0, 2.0, 3.0])
    ratio = {T: softmax_t(logits, T).max() / softmax_t(logits, T).min() for T in (1.0, 10.0)}
    assert math.isclose(ratio[1.0], math.e**2) and math.isclose(ratio[10.0], math.e**0.2)
    text = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    assert "相对大小更明显" not in text and "不是变得更明显，而是被压缩了" in text
    assert "参数越多，需要的训练数据就越少" not in text and "每个参数 20 个 token" in text
    assert "知识蒸馏" in text and '"模型蒸馏"' in text


def test_quantization_demo_shows_the_outlier_cost(reference_kernel):
    """Is the per-tensor step 6.35x coarser with the 6.35 outlier, and does the max-abs clip never trigger?"""
    quantize_int8 = reference_kernel["quantize_int8"]
    x = np.random.default_rng(2).uniform(-1.0, 1.0, size=10_000).astype(np.float32)
    x[0] = 6.35
    q, scale = quantize_int8(x)
    assert math.isclose(scale / (np.abs(x[1:]).max() / 127), 6.35, rel_tol=1e-3)
    assert np.abs(np.round(x / scale)).max() <= 127, "with max-abs scaling the clip has nothing to cut"
