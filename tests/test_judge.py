"""Tests of course/grading/judge.py: answer keys, hand-ins and the verdicts decided in the grader's process."""

import json
import os
import textwrap
import time

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.checks.handin import ANSWER_SUFFIX, artifact_path, hand_in
from course.grading import judge, rerun
from course.grading.artifacts import Verdict
from course.grading.judge import (
    AnswerKey,
    FunctionQuestion,
    answer_values,
    as_verdict,
    case_rng,
    judge_notebook,
    load_key,
    read_answer,
    run_judge,
)
from course.grading.limits import Limits
from course.grading.rerun import _definitions_only, runner_sources


def _cell(source, grade_id=None, grade=False, solution=False, points=None, kind="code"):
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    if grade_id is not None:
        meta = {"grade": grade, "solution": solution, "locked": not solution, "grade_id": grade_id, "schema_version": 3}
        if points is not None:
            meta["points"] = points
        cell.metadata["nbgrader"] = meta
    return cell


# ----------------------------------------------------------------- what the runner re-runs

STUDENT_CELL = '''
import numpy as np
from math import sqrt
%matplotlib inline
LIMIT = 5
NAMES: list = ["a", "b"]
TABLE = {"k": (1, -2.5, None)}
data = np.zeros(3)
print("training for hours")
for i in range(3):
    LIMIT += i
model.fit(data)
if True:
    FLAG = 1
later: int

def scaled(x):
    return x * LIMIT

async def fetch():
    return 1

class Helper:
    size = 2
'''


def test_definitions_only_keeps_imports_definitions_and_literal_assignments(capsys):
    """Are imports, defs, classes and literal assignments kept, and calls, loops, ifs, magics and computed values dropped?"""
    kept = _definitions_only(STUDENT_CELL)
    for dropped in ("np.zeros", "print", "for ", "fit", "FLAG", "matplotlib", "later"):
        assert dropped not in kept
    namespace = {}
    exec(kept, namespace)
    assert capsys.readouterr().out == "", "nothing the cell printed is run again"
    assert namespace["LIMIT"] == 5 and namespace["NAMES"] == ["a", "b"] and namespace["TABLE"] == {"k": (1, -2.5, None)}
    assert namespace["scaled"](2) == 10 and namespace["Helper"].size == 2
    assert namespace["np"] is np and namespace["sqrt"](9) == 3
    assert "fetch" in namespace and "data" not in namespace and "i" not in namespace


@pytest.mark.parametrize(
    "source",
    ["print('hello')\nmodel.fit(x)", "for i in range(3):\n    pass", "def broken(:\n    pass", "", "x = y + 1", "%time train()"],
)
def test_definitions_only_of_a_cell_with_nothing_to_keep_is_empty(source):
    """Does a cell of only calls, loops, computed values or a syntax error give an empty source?"""
    assert _definitions_only(source) == ""


def _runner_notebook():
    return new_notebook(cells=[
        _cell("# Task", "intro", kind="markdown"),
        _cell("import numpy as np", "imports"),
        _cell("HELPER = 3\nprint('student')\ndef helper():\n    return HELPER"),  # added by the student
        _cell("def square(x):\n    return x * x\nsquare(2)", "square", solution=True),
        _cell("assert square(2) == 4\nhand_in(square, 'test_square')", "test_square", grade=True, points=1),
        _cell("square(3)\ndef extra():\n    return 1"),  # added by the student
        _cell("SHOWN = plot()", "explain"),  # locked, not named in the key
        _cell("def cube(x):\n    return x ** 3", "cube", solution=True),
        _cell("def after():\n    return 2"),  # after the last named cell
        _cell("CONSTANT = 1", "late_locked"),
    ])


def test_runner_sources_order_and_selection():
    """Are named cells taken whole in notebook order, student cells definitions-only, and nothing after the last named cell?"""
    nb = _runner_notebook()
    sources = runner_sources(nb, ("cube", "square", "imports"))
    assert sources == [
        "import numpy as np",
        "HELPER = 3\n\ndef helper():\n    return HELPER",
        "def square(x):\n    return x * x\nsquare(2)",
        "def extra():\n    return 1",
        "def cube(x):\n    return x ** 3",
    ]


def test_runner_sources_without_named_cells_is_empty():
    """Does a key that names no cell of the notebook make the runner run nothing, not even the student's cells?"""
    assert runner_sources(_runner_notebook(), ()) == []
    assert runner_sources(_runner_notebook(), ("not_in_this_notebook",)) == []


# ----------------------------------------------------------------- hand-ins


def _write(directory, grade_id, content: bytes):
    path = artifact_path(grade_id, str(directory), suffix=ANSWER_SUFFIX)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(content)
    return path


NOTHING = "Nothing was handed in for grading: the test cell did not get that far."
UNREADABLE = "What was handed in for grading is not readable."


def test_read_answer_of_a_missing_hand_in(tmp_path):
    """Is a missing hand-in (or a folder in its place) reported as nothing handed in?"""
    assert read_answer(str(tmp_path), "test_q") == (None, NOTHING)
    os.makedirs(artifact_path("test_dir", str(tmp_path), suffix=ANSWER_SUFFIX))
    assert read_answer(str(tmp_path), "test_dir") == (None, NOTHING)


def test_read_answer_refuses_a_symlink(tmp_path, monkeypatch):
    """Is a hand-in that is a symlink (even to a well-formed answer) treated as nothing handed in?"""
    monkeypatch.chdir(tmp_path)
    hand_in({"a": 1}, "test_real")
    real = artifact_path("test_real", str(tmp_path), suffix=ANSWER_SUFFIX)
    link = artifact_path("test_link", str(tmp_path), suffix=ANSWER_SUFFIX)
    os.symlink(real, link)
    assert read_answer(str(tmp_path), "test_real")[0] == {"kind": "values", "values": {"a": 1}}
    assert read_answer(str(tmp_path), "test_link") == (None, NOTHING)


@pytest.mark.parametrize(
    "content",
    [b"\x80\x81 not utf-8", b"{not json", b"", b"[1, 2]", b'"values"', b'{"kind": "model"}', b'{"values": {"a": 1}}'],
)
def test_read_answer_refuses_garbage_and_wrong_kinds(tmp_path, content):
    """Is a hand-in that is not JSON, not a record, or of an unknown kind reported as unreadable?"""
    _write(tmp_path, "test_q", content)
    assert read_answer(str(tmp_path), "test_q") == (None, UNREADABLE)


def test_answer_values_decodes_handed_in_values(tmp_path, monkeypatch):
    """Are handed-in values decoded with their types, and a function record or malformed values not taken as values?"""
    monkeypatch.chdir(tmp_path)
    hand_in({"n": np.int32(3), "arr": np.arange(3, dtype=np.int8), "pair": (1, "x"), "s": {"A"}}, "test_v")
    values = answer_values(read_answer(str(tmp_path), "test_v")[0])
    assert type(values["n"]) is np.int32 and values["arr"].dtype == np.int8 and values["arr"].tolist() == [0, 1, 2]
    assert values["pair"] == (1, "x") and values["s"] == {"A"}
    hand_in(len, "test_f")
    record = read_answer(str(tmp_path), "test_f")[0]
    assert record == {"kind": "function", "name": "len"} and answer_values(record) is None
    assert answer_values({"kind": "values", "values": {"a": {"__pickle__": "x"}}}) is None
    assert answer_values({"kind": "values", "values": [1]}) is None
    _write(tmp_path, "test_nan", b'{"kind": "values", "values": NaN}')
    assert answer_values(read_answer(str(tmp_path), "test_nan")[0]) is None


def test_hand_in_replaces_an_earlier_hand_in(tmp_path, monkeypatch):
    """Does a second hand_in for the same test cell replace the first, so the grader reads only the last one?"""
    monkeypatch.chdir(tmp_path)
    hand_in({"a": 1}, "test_q")
    hand_in(len, "test_q")
    assert read_answer(str(tmp_path), "test_q")[0]["kind"] == "function"
    with pytest.raises(AssertionError, match="hand_in takes a Keras model, a function or a dict"):
        hand_in({1: "not a named answer"}, "test_q")
    assert read_answer(str(tmp_path), "test_q")[0]["kind"] == "function", "a refused hand-in leaves the last good one"


# ----------------------------------------------------------------- verdicts


def test_as_verdict_reads_every_judge_convention():
    """Are None, a fraction, (fraction, note) and a Verdict read as verdicts, with fractions kept within [0, 1]?"""
    assert as_verdict(None) == Verdict(True, "the answer is correct.", score=1.0)
    assert as_verdict(0.25) == Verdict(True, "the answer is correct.", score=0.25)
    assert as_verdict((0.5, "q: 1 of 2 items right")) == Verdict(True, "q: 1 of 2 items right", score=0.5)
    assert as_verdict(1.7).score == 1.0
    assert as_verdict(0) == Verdict(False, "The answer is not correct.", score=0.0)
    assert as_verdict(-1.0).passed is False
    assert as_verdict((0.0, "none right")).message == "none right"
    own = Verdict(False, "judged", {"x": 1})
    assert as_verdict(own) is own


def test_run_judge_turns_assertions_into_failed_verdicts():
    """Does a judge's AssertionError become a failed verdict with its message, and an empty one a generic message?"""

    def fails(values):
        raise AssertionError("q is not correct.")

    def silent(values):
        if values["a"] != 2:
            raise AssertionError()

    assert run_judge(fails, {}) == Verdict(False, "q is not correct.", score=0.0)
    assert run_judge(silent, {"a": 1}) == Verdict(False, "The answer is not correct.", score=0.0)
    assert run_judge(silent, {"a": 2}).score == 1.0


def test_case_rng_is_deterministic_per_student_notebook_and_question(monkeypatch):
    """Does the same (student, notebook, grade_id) draw the same inputs, and another student, question or salt other ones?"""
    monkeypatch.delenv("COURSE_GRADING_SALT", raising=False)

    def draw(*parts):
        return case_rng(*parts).integers(0, 2**62, size=4).tolist()

    alice = draw("alice", "concepts", "test_square")
    assert draw("alice", "concepts", "test_square") == alice
    assert draw("bob", "concepts", "test_square") != alice
    assert draw("alice", "other", "test_square") != alice
    assert draw("alice", "concepts", "test_cube") != alice
    monkeypatch.setenv("COURSE_GRADING_SALT", "instructor secret")
    salted = draw("alice", "concepts", "test_square")
    assert salted != alice and draw("alice", "concepts", "test_square") == salted


# ----------------------------------------------------------------- a whole notebook

KEY = '''
"""Answer key of a tiny test notebook."""

from course.grading.compare import score_numbers
from course.grading.judge import FunctionQuestion, ValueQuestion

RUNNER_CELLS = ("imports", "square")


def _numbers(values):
    return score_numbers([(values.get("a"), 2.0, "a"), (values.get("b"), 3, "b")])


def _square_cases(rng):
    cases = [((2,), 4, "for two"), ((3,), 9)]
    for _ in range(3):
        x = int(rng.integers(10, 10_000))
        cases.append(((x,), x * x, "for another number"))
    return cases


QUESTIONS = {
    "test_numbers": ValueQuestion(_numbers),
    "test_square": FunctionQuestion("square", _square_cases),
}
'''


def key_from_text(folder, text: str, notebook: str) -> AnswerKey:
    """Loads an answer key written here as text, the way the grader loads a real one.

    Args:
        folder: A temporary folder (a ``pathlib.Path``); the key goes to ``<folder>/source/<notebook>_key.py``.
        text: The key's source (dedented first).
        notebook: The notebook's name.

    Returns:
        The loaded key (``judge.load_key``).
    """
    path = folder / "source" / f"{notebook}_key.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(text))
    return load_key(str(path))


@pytest.fixture
def key(tmp_path):
    loaded = key_from_text(tmp_path, KEY, "tiny")
    assert set(loaded.questions) == {"test_numbers", "test_square"} and loaded.runner_cells == ("imports", "square")
    return loaded


def _notebook(square_source="def square(x):\n    return x * x", only=None):
    cells = [
        _cell("import numpy as np", "imports"),
        _cell(square_source, "square", solution=True),
        _cell("hand_in({'a': a, 'b': b}, 'test_numbers')", "test_numbers", grade=True, points=2),
        _cell("hand_in(square, 'test_square')", "test_square", grade=True, points=3),
    ]
    if only:
        cells = [c for c in cells if c.metadata["nbgrader"]["grade_id"] in only]
    return new_notebook(cells=cells)


@pytest.fixture
def submission(tmp_path, monkeypatch):
    """The folder a notebook 'ran' in: hand-ins are written there by the real hand_in."""
    folder = tmp_path / "submission"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return str(folder)


@pytest.mark.parametrize(
    "values, passed, score, message",
    [
        ({"a": 2.0, "b": 3}, True, 1.0, "the answer is correct."),
        ({"a": 2.0000000001, "b": np.int64(4)}, True, 0.5, "b has a wrong value; 1 of 2 numbers right"),
        ({"a": 0.0, "b": "3"}, False, 0.0, "a has a wrong value; b should be a whole number but is a str."),
        ({"a": np.float32(2.0), "b": 3.0}, True, 1.0, "the answer is correct."),  # a whole number may be a float
    ],
)
def test_value_question_full_partial_and_zero(key, submission, values, passed, score, message):
    """Does a value question earn all, part or none of its points from the handed-in values, with a note that never gives the answer?"""
    hand_in(values, "test_numbers")
    verdicts = judge_notebook(_notebook(only={"test_numbers"}), key, submission, ("alice", "tiny"), sandbox=None)
    assert verdicts == {"test_numbers": Verdict(passed, message, score=score)}


def test_value_question_without_a_value_hand_in(key, submission):
    """Does a value question score zero when nothing, or a function instead of values, was handed in?"""
    nb = _notebook(only={"test_numbers"})
    assert judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_numbers"] == Verdict(False, NOTHING)
    hand_in(len, "test_numbers")
    verdict = judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_numbers"]
    assert not verdict.passed and "must hand in values" in verdict.message


def test_questions_skipped_or_absent_are_not_judged(key, submission):
    """Are questions whose test cell already failed (skip) or is not in the notebook left out of the verdicts?"""
    hand_in({"a": 2.0, "b": 3}, "test_numbers")
    assert judge_notebook(_notebook(only={"test_numbers"}), key, submission, ("a", "n"), skip=["test_numbers"]) == {}
    assert judge_notebook(new_notebook(cells=[]), key, submission, ("a", "n")) == {}


@pytest.mark.parametrize(
    "source, passed, message",
    [
        ("def square(x):\n    return x * x", True, "square gives the right result in all 5 of the grader's cases."),
        ("def square(x):\n    return x + x", False,
         "square returns a wrong result: the result has a wrong value (case 2 of 5)."),
        ("def square(x):\n    return {2: 4, 3: 9}.get(x, 0)", False,
         "square returns a wrong result for another number: the result has a wrong value (case 3 of 5)."),
        ("def square(x):\n    return {2: 4, 3: 9}[x]", False, "square raised KeyError: "),
        ("def squared(x):\n    return x * x", False, "square is not defined in the cell where the task asks for it."),
        ("def square(x):\n    raise NotImplementedError()", False, "square is not implemented yet."),
    ],
    ids=["right", "wrong", "lookup-table", "lookup-table-raising", "misnamed", "stub"],
)
def test_function_question_is_judged_on_the_notebooks_source(key, submission, source, passed, message):
    """Is a function re-run from the notebook's cell (not the object handed in) on fixed and random cases, so a lookup table of the fixed cases fails?"""
    hand_in(lambda x: x * x, "test_square")  # a right answer in the kernel does not count
    verdict = judge_notebook(_notebook(source, only={"imports", "square", "test_square"}), key, submission,
                             ("alice", "tiny"), sandbox=None)["test_square"]
    assert verdict.passed is passed
    assert verdict.message.startswith(message)
    if not passed:
        assert verdict.score == 0.0


def test_one_runner_process_judges_every_question_of_a_notebook(key, submission, monkeypatch):
    """Are a value question and a function question judged together, with one runner process for all the calls?"""
    started = []
    real = judge.run_functions

    def counting(sources, calls, sandbox, limits, **kw):
        started.append((list(sources), len(calls)))
        return real(sources, calls, sandbox, limits, **kw)

    monkeypatch.setattr(judge, "run_functions", counting)
    hand_in({"a": 2.0, "b": 3}, "test_numbers")
    hand_in(len, "test_square")
    verdicts = judge_notebook(_notebook(), key, submission, ("alice", "tiny"), sandbox=None)
    assert verdicts == {
        "test_numbers": Verdict(True, "the answer is correct."),
        "test_square": Verdict(True, "square gives the right result in all 5 of the grader's cases."),
    }
    assert started == [(["import numpy as np", "def square(x):\n    return x * x"], 5)]


def test_random_cases_differ_between_students(key, submission):
    """Does a lookup table of one student's random cases fail for another student, whose cases are drawn differently?"""
    cases = key.questions["test_square"].cases(case_rng("alice", "tiny", "test_square"))
    table = {args[0]: expected for args, expected, *_ in cases}
    source = f"TABLE = {table!r}\n\ndef square(x):\n    return TABLE[x]"
    hand_in(len, "test_square")
    nb = _notebook(source, only={"imports", "square", "test_square"})
    assert judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_square"].passed
    bob = judge_notebook(nb, key, submission, ("bob", "tiny"), sandbox=None)["test_square"]
    assert not bob.passed and bob.message.startswith("square raised KeyError")


def test_a_runner_that_runs_too_long_fails_the_function_questions(key, submission):
    """Is a runner stopped at its wall-clock limit, and each function question then failed with the reason?"""
    hand_in(len, "test_square")
    nb = _notebook("import time\ntime.sleep(60)\n\ndef square(x):\n    return x * x", only={"imports", "square", "test_square"})
    verdict = judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None, runner_limits=Limits(2, 4096))
    assert verdict["test_square"] == Verdict(
        False, "Re-running your functions was stopped: time: it ran longer than 2 s."
    )


def test_a_runner_that_answers_nothing_fails_the_function_questions(key, submission):
    """Does a student cell that ends the runner process early give a failed verdict, not an exception?"""
    hand_in(len, "test_square")
    nb = _notebook("import os\nos._exit(3)", only={"imports", "square", "test_square"})
    verdict = judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_square"]
    assert verdict == Verdict(False, "Your functions could not be re-run for grading (no answer).")


def test_key_judge_on_a_function_question(submission):
    """Does a FunctionQuestion's own judge receive the runner's records and the cases, and its (fraction, note) count?"""
    seen = []

    def half(results, cases):
        seen.append(([r["value"] for r in results], [c[0] for c in cases]))
        return 0.5, "square: 1 of 2 cases right"

    key = AnswerKey({"test_square": FunctionQuestion("square", [((2,), 4), ((5,), 25)], judge=half)}, ("square",))
    hand_in(len, "test_square")
    nb = _notebook("def square(x):\n    return x * 2", only={"square", "test_square"})
    verdict = judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_square"]
    assert verdict == Verdict(True, "square: 1 of 2 cases right", score=0.5)
    assert seen == [([4, 10], [(2,), (5,)])]


# ----------------------------------------------------------------- known defects (see the report)


def test_a_deeply_nested_hand_in_is_unreadable_not_a_crash(tmp_path):
    """Is a hand-in file of 100000 nested brackets reported as unreadable?"""
    _write(tmp_path, "test_q", b"[" * 100_000 + b"]" * 100_000)
    assert read_answer(str(tmp_path), "test_q") == (None, UNREADABLE)


@pytest.mark.parametrize("bad", [{"__float__": "bogus"}, {"__npscalar__": "|i1", "value": 1000}])
def test_malformed_values_score_zero_instead_of_crashing(key, submission, bad):
    """Does a hand-in whose values the codec cannot decode give a failed verdict rather than an exception from judge_notebook?"""
    _write(submission, "test_numbers", json.dumps({"kind": "values", "values": {"a": bad, "b": 3}}).encode())
    verdict = judge_notebook(_notebook(only={"test_numbers"}), key, submission, ("alice", "tiny"), sandbox=None)
    assert verdict["test_numbers"].passed is False


FORGER = '''
import os, sys
from course import codec
calls = codec.loads(open(sys.argv[-1]).read())["calls"]
line = "RUNNER-RESULT " + codec.dumps({"cells": [], "calls": [{"status": np.array([1, 2])} for _ in calls]}) + "\\n"
for fd in range(3, 64):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if "(deleted)" in target or target.startswith("pipe:"):
        os.write(fd, line.encode())
os._exit(0)
'''


def test_a_forged_runner_answer_scores_zero_instead_of_crashing(key, submission):
    """Does a student cell that writes its own RUNNER-RESULT line with odd records get a failed verdict, not crash the grader?"""
    hand_in(len, "test_square")
    nb = _notebook(FORGER, only={"imports", "square", "test_square"})
    verdict = judge_notebook(nb, key, submission, ("alice", "tiny"), sandbox=None)["test_square"]
    assert verdict.passed is False


STUBBORN = '''
import signal, time

def fine(x):
    return x + 1

def stubborn(x):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the runner's own alarm no longer fires
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        pass

def leaves(x):
    import os
    os._exit(0)
'''


@pytest.mark.parametrize("sandboxed", [True, False])
def test_a_call_that_ignores_the_alarm_is_stopped_from_outside(sandboxed):
    """Item 8 of #19: is a call that disables the runner's alarm stopped from outside, only it failing, the others answered?"""
    from course.grading.sandbox import Sandbox, check_bwrap

    if sandboxed and not check_bwrap("bwrap")[0]:
        pytest.skip("sandbox unavailable here")
    sandbox = Sandbox() if sandboxed else None
    calls = [{"function": name, "args": (1,)} for name in ("fine", "stubborn", "fine", "leaves", "fine")]
    started = time.monotonic()
    records, why = judge.run_functions([STUBBORN], calls, sandbox, Limits(60, 1024), call_seconds=1)
    assert why == "" and records is not None
    assert [r["status"] for r in records] == ["ok", "timeout", "ok", "raised", "ok"]
    assert records[0]["value"] == records[2]["value"] == records[4]["value"] == 2
    assert time.monotonic() - started < 1 + rerun.CALL_GRACE + 20


def test_the_runner_as_a_whole_stops_at_the_notebooks_limit():
    """Item 8 of #19: do the calls of a notebook together stop at the notebook's limit, whatever each call's limit?"""
    calls = [{"function": "stubborn", "args": (1,)}] * 10
    started = time.monotonic()
    records, why = judge.run_functions([STUBBORN], calls, None, Limits(4, 1024), call_seconds=1)
    assert records is None and "stopped" in why
    assert time.monotonic() - started < 15
