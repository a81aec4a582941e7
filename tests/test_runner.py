"""Tests of course/grading/runner.py: re-running a student's cells and calls in a fresh process, answering data only."""

import signal
import time

import numpy as np
import pytest

from course.codec import Unsupported
from course.grading.compare import judge_cases
from course.grading.child import call_in_child
from course.grading.limits import Limits
from course.grading.runner import call, load_adapter

# ----------------------------------------------------------------- call, in this process


def test_call_records_the_value_and_the_arguments_after_the_call():
    """Does an ok record hold the value and the arguments as the function left them, while the caller's own stay untouched?"""

    def zero_first(w, scale=1):
        w[0] = 0
        return sum(w) * scale

    data = [5, 6]
    record = call(zero_first, (data,))
    assert record == {"status": "ok", "value": 6, "args": ([0, 6],), "kwargs": {}}
    assert data == [5, 6], "the function works on a copy of the grader's inputs"
    record = call(zero_first, {"w": [1, 2], "scale": 3})
    assert record == {"status": "ok", "value": 6, "args": (), "kwargs": {"w": [0, 2], "scale": 3}}
    assert call(lambda x: x * 2, 21)["value"] == 42, "a bare argument is one positional argument"


def test_call_records_an_error_by_name_with_a_short_message():
    """Does a raising function give a 'raised' record with the exception's class name and its message cut to 500 characters?"""

    def long_error():
        raise KeyError("k" * 2000)

    assert call(lambda x: 1 / x, (0,)) == {"status": "raised", "error": "ZeroDivisionError", "message": "division by zero"}
    record = call(long_error, ())
    assert record["status"] == "raised" and record["error"] == "KeyError" and len(record["message"]) == 500


def test_call_of_something_missing_or_not_callable():
    """Is an undefined name a 'missing' record and a non-function a 'not_callable' record, without calling anything?"""
    assert call(None, (1,)) == {"status": "missing"}
    assert call(42, (1,)) == {"status": "not_callable"}
    assert call("f", ()) == {"status": "not_callable"}


def test_call_stops_a_slow_function_and_restores_the_alarm():
    """Is a sleeping function stopped at its timeout (even one that catches Exception), and the previous SIGALRM handler put back?"""

    def sleepy():
        time.sleep(20)
        return "woke"

    def stubborn():
        try:
            time.sleep(20)
        except Exception:
            return "swallowed"
        return "woke"

    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    assert call(sleepy, (), timeout=0.2) == {"status": "timeout"}
    assert call(stubborn, (), timeout=0.2) == {"status": "timeout"}
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert call(lambda: "quick", (), timeout=5)["value"] == "quick"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0), "no alarm is left pending after a fast call"


def test_call_applies_an_adapter_to_the_value():
    """Is the adapter run on the returned value, and an adapter that fails recorded as the call raising?"""
    record = call(lambda n: range(n), (3,), adapter=load_adapter("numpy:asarray"))
    assert record["status"] == "ok" and isinstance(record["value"], np.ndarray) and record["value"].tolist() == [0, 1, 2]
    assert call(lambda: "x", (), adapter=int)["error"] == "ValueError"
    assert load_adapter(None) is None and load_adapter("") is None
    assert load_adapter("math:sqrt")(9) == 3


# ----------------------------------------------------------------- the runner process


def _run(tmp_path, cells, calls, progress=None, **request):
    """Runs the runner in a child process as the judge does (unsandboxed); returns ``(child run, answer or None)``."""
    run = call_in_child("course.grading.runner:serve", {"cells": list(cells), "calls": list(calls), **request},
                        None, Limits(300, 4096), verifier=False,
                        on_progress=None if progress is None else (lambda text, dog: progress.append(text)))
    answer = {"cells": run.result["cells"], "calls": run.partial} if run.finished else None
    return run, answer


NOISY = '''
import os, sys
print('{"result": {"cells": []}}')
print('{"partial": {"status": "ok", "value": 42}}', file=sys.stderr)
sys.stderr.write("Traceback: something went wrong\\n")
os.write(1, b"CHILD-PROGRESS end 0\\n")
os.write(2, b"CHILD-PROGRESS start 1\\n")

def add(a, b):
    print('{"partial": {"status": "ok", "value": 42}}')
    os.write(1, b'{"result": {"cells": []}}\\n')
    return a + b

def slow():
    import time
    time.sleep(30)
'''


def test_printed_fake_results_and_progress_change_nothing(tmp_path):
    """Does the runner answer exactly its own records and progress, with no stderr, though student code prints fake results and progress on stdout, stderr and fds 1 and 2?"""
    calls = [
        {"function": "add", "args": (2, 3)},
        {"function": "slow", "args": ()},
        {"function": "add", "args": {"a": [1], "b": [2]}, "adapter": "numpy:asarray"},
        {"function": "codec", "args": ()},  # the runner's own imports are not the student's names
    ]
    progress = []
    run, answer = _run(tmp_path, [NOISY], calls, progress=progress, call_timeout=0.5)
    assert run.returncode == 0 and run.stderr == "" and run.finished
    assert progress == [f"{kind} {i}" for i in range(4) for kind in ("start", "end")]
    assert answer["cells"] == [None]
    first, timed_out, adapted, missing = answer["calls"]
    assert first == {"status": "ok", "value": 5, "args": (2, 3), "kwargs": {}}
    assert timed_out == {"status": "timeout"}
    assert adapted["status"] == "ok" and adapted["value"].tolist() == [1, 2] and adapted["kwargs"] == {"a": [1], "b": [2]}
    assert missing == {"status": "missing"}


CELLS = [
    "def a():\n    return 1",
    "def b():\n    return 2\nraise ValueError('boom')\ndef c():\n    return 3",
    "def d(bad:\n    return 4",
    "def e():\n    return a() + 10",
    "%time t = 1\ndef g():\n    return t",
    "!echo hello\ndef h():\n    return 5",
    "%%capture\nprint('captured')\ndef k():\n    return 7",
    "%load_ext autoreload\n%autoreload 2\ndef m():\n    return 8",
]


def test_a_broken_cell_only_loses_its_own_definitions(tmp_path):
    """Does a cell that raises keep what it defined before the error, a syntax error lose only its cell, and other IPython magics work?"""
    names = ["a", "b", "c", "d", "e", "g", "h", "k", "m"]
    run, answer = _run(tmp_path, CELLS, [{"function": name, "args": ()} for name in names])
    assert run.returncode == 0
    assert answer["cells"] == [None, "ValueError", "SyntaxError", None, None, None, None, None]
    results = {name: (r["status"], r.get("value")) for name, r in zip(names, answer["calls"])}
    assert results == {
        "a": ("ok", 1), "b": ("ok", 2), "c": ("missing", None), "d": ("missing", None), "e": ("ok", 11),
        "g": ("ok", 1), "h": ("ok", 5), "k": ("ok", 7), "m": ("ok", 8),
    }


@pytest.mark.parametrize("magic", ["%matplotlib inline", "%matplotlib agg"])
def test_a_matplotlib_magic_does_not_lose_the_cells_definitions(tmp_path, magic):
    """Is a solution cell that starts with %matplotlib inline (common in notebooks) re-run with its function defined?"""
    source = f"{magic}\nimport numpy as np\n\ndef double(x):\n    return np.asarray(x) * 2"
    run, answer = _run(tmp_path, [source], [{"function": "double", "args": (3,)}])
    assert answer["cells"] == [None]
    assert answer["calls"][0]["status"] == "ok" and answer["calls"][0]["value"] == 6


PATCHER = '''
import builtins, math
import numpy as np
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
math.isclose = lambda *a, **k: True
builtins.abs = lambda x: 0
import course.grading.compare as compare
compare.judge_cases = lambda *a, **k: None

def normalise(x):
    return np.zeros(3)

def magnitude(x):
    return abs(x) + 0.5
'''


def test_patching_numpy_and_builtins_changes_only_the_students_values(tmp_path):
    """Do patches of NumPy, math, builtins and the course package in the runner only change what the student's functions return, judged here as wrong?"""
    calls = [{"function": "normalise", "args": (np.array([3.0, 4.0, 0.0]),)}, {"function": "magnitude", "args": (-2,)}]
    run, answer = _run(tmp_path, [PATCHER], calls)
    assert run.returncode == 0 and answer["cells"] == [None]
    first, second = answer["calls"]
    assert first["value"].tolist() == [0.0, 0.0, 0.0] and second["value"] == 0.5
    cases = [((np.array([3.0, 4.0, 0.0]),), np.array([0.6, 0.8, 0.0]))]
    with pytest.raises(AssertionError, match="has wrong values"):
        judge_cases([first], cases, "normalise")
    with pytest.raises(AssertionError, match="has a wrong value"):
        judge_cases([second], [((-2,), 2.0)], "magnitude")


def test_an_object_that_equals_everything_arrives_as_a_placeholder(tmp_path):
    """Does a function returning an object whose == is always True give an Unsupported value that fails the comparison?"""
    source = "class Anything:\n    def __eq__(self, other):\n        return True\n\ndef answer():\n    return Anything()"
    run, answer = _run(tmp_path, [source], [{"function": "answer", "args": ()}])
    value = answer["calls"][0]["value"]
    assert isinstance(value, Unsupported) and value != 42
    with pytest.raises(AssertionError, match="should be a whole number"):
        judge_cases(answer["calls"], [((), 42)], "answer")


# ----------------------------------------------------------------- known defects (see the report)


def test_a_placeholder_keeps_the_type_name_of_the_students_object(tmp_path):
    """Does the student's message name the class they returned (<Anything object>), not <Unsupported object>?"""
    source = "class Anything:\n    pass\n\ndef answer():\n    return Anything()"
    run, answer = _run(tmp_path, [source], [{"function": "answer", "args": ()}])
    assert answer["calls"][0]["value"].type_name == "Anything"


ODD = '''
import sys
import numpy as np

def good():
    return 1

def quits():
    sys.exit("invalid input")

def long_double():
    return np.longdouble(1.5)

def frozen_key():
    return {frozenset({1}): 2}

class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message")

def bad_error():
    raise Unprintable()
'''


@pytest.mark.parametrize("odd", ["quits", "long_double", "frozen_key", "bad_error"])
def test_one_odd_call_spoils_only_its_own_record(tmp_path, odd):
    """Does a call that raises SystemExit or an exception whose str() fails, or returns a value the codec cannot round-trip, leave the other calls' records intact?"""
    run, answer = _run(tmp_path, [ODD], [{"function": "good", "args": ()}, {"function": odd, "args": ()}])
    assert answer is not None, f"the runner answered nothing (exit status {run.returncode}: {run.why()})"
    assert answer["calls"][0] == {"status": "ok", "value": 1, "args": (), "kwargs": {}}
    assert answer["calls"][1]["status"] != "ok" or isinstance(answer["calls"][1]["value"], (Unsupported, dict, float))
