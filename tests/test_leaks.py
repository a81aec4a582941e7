"""Tests for course/grading/leaks.py and the matching in course/grading/instructor_lines.py: what counts as a leak."""

import os

import nbformat

from conftest import ROOT
from course.grading.instructor_lines import LeakIndex, normalise_text
from course.grading.leaks import find_leaks, own_text, scan_secrets

HIDDEN = 'hand_in({"q1_traits": q1_traits}, "test_q1_traits")'
SCHEME = "1. 降低成本与门槛（0.5 分）：引用降价前后的月成本，并用盈亏平衡点说明该公司不必自建 GPU 集群即可使用大模型。"
SOLUTION_LINES = ['"A": "advantage",', '"B": "disadvantage",', '"C": "neither",']


def test_normalising_removes_what_re_formatting_changes():
    """Do full-width letters, zero-width characters, case and whitespace all normalise away?"""
    assert normalise_text("ＨＡＮＤ_in( {\u200b'x' :\n 1 } )") == normalise_text("hand_in({'x':1})") == "hand_in({'x':1})"


def test_a_reformatted_or_partial_quote_of_a_hidden_line_is_found():
    """Is a hidden-test or mark-scheme line found re-indented, split over lines, upper-cased, with zero-width spaces, or in part?"""
    index = LeakIndex([HIDDEN, SCHEME])
    quotes = [
        "CELL SOURCE:   " + HIDDEN.upper(),
        "\n".join(HIDDEN[i:i + 7] for i in range(0, len(HIDDEN), 7)),
        "\u200b".join(HIDDEN),
        "printed: " + SCHEME[10:45],  # a piece of a long line
    ]
    for text in quotes:
        assert index.leaks(text), text
    assert index.leaks("nothing to see here") == []


def test_an_honest_one_line_answer_is_the_students_own():
    """Does a student who writes the answer on one line (and whose feedback shows it) keep their feedback?"""
    answer = 'q1_traits = {"A": "advantage", "B": "disadvantage", "C": "neither"}'
    feedback = f"In [3]: {answer}\nOut: checked by the grader"
    assert find_leaks(feedback, SOLUTION_LINES, own=answer) == []
    assert find_leaks(feedback, SOLUTION_LINES, own={answer}) == []
    # The same lines shown without the student having written them are a leak.
    assert find_leaks(feedback, SOLUTION_LINES, own="") == sorted(SOLUTION_LINES[:2])


def test_text_every_student_sees_is_no_leak():
    """Is a secret shingle that also stands in a public part of the notebook ignored?"""
    public = "The function hand_in({'x': x}, 'grade') is described in the notebook."
    assert LeakIndex(["hand_in({'x': x}, 'grade') # secret"], public).leaks("hand_in({'x': x}, 'grade')") == []


def test_the_course_scan_finds_hidden_tests_but_not_short_answer_values():
    """Does the course's scan look for hidden tests and mark schemes, and leave short solution values out?"""
    secrets, public = scan_secrets(ROOT)
    assert HIDDEN in secrets
    assert not set(SOLUTION_LINES) & secrets
    assert "expect_mapping" in public


def test_own_text_is_read_without_following_links(tmp_path):
    """Does a notebook linked to the source notebook count as nothing of the student's own?"""
    os.symlink(os.path.join(ROOT, "source", "01_concepts", "concepts.ipynb"), tmp_path / "concepts.ipynb")
    assert own_text(str(tmp_path)) == ""
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), str(tmp_path / "mine.ipynb"))
    assert own_text(str(tmp_path)) == "x = 1"


def test_no_release_notebook_rendered_as_feedback_counts_as_a_leak():
    """Does the rendered release version of every notebook (what every student sees) hold nothing the scan flags?"""
    import glob

    from nbconvert import HTMLExporter

    from course.grading.instructor_lines import normalise_html

    index = LeakIndex(*scan_secrets(ROOT))
    notebooks = sorted(glob.glob(os.path.join(ROOT, "release", "*", "*.ipynb")))
    assert notebooks
    for path in notebooks:
        html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
        assert index.leaks(normalise_html(html)) == [], path


def test_grade_cell_labels_of_feedback_are_no_leak():
    """Is the "Grade cell: <grade_id>" label that every feedback page prints public, although a hidden test's
    hand_in line carries the same long grade_id (04's test_decode_tokens_per_second withheld honest feedback)?"""
    index = LeakIndex(*scan_secrets(ROOT))
    labels = "\n".join(f"Grade cell: {gid}" for gid in ("test_decode_tokens_per_second", "test_kv_cache_bytes_per_token",
                                                          "test_max_concurrent_users", "test_decode_tokens_per_second_kv"))
    assert index.leaks(labels) == []
    assert index.leaks('hand_in(decode_tokens_per_second, "test_decode_tokens_per_second")') != []
