"""Tests of course/grading/child.py: one way to run a function in a fresh, limited, sandboxed process and read its answer."""

import os

import numpy as np
import pytest

from course import codec
from course.grading.child import ChildError, ChildRun, _host_paths, _read_result, call_in_child, load_target
from course.grading.limits import Limits
from course.grading.sandbox import Sandbox, check_bwrap

AVAILABLE, WHY = check_bwrap("bwrap")
RUNNER = "course.grading.runner:serve"


def _serve(cells, calls, sandbox=None, limits=Limits(120, 2048), env=None):
    """Runs cells and calls in the function runner, a child like any other."""
    request = {"cells": list(cells), "calls": [{"function": f, "args": a} for f, a in calls]}
    return call_in_child(RUNNER, request, sandbox, limits, env=env, verifier=False)


def test_request_and_result_round_trip_as_data():
    """Do a request and a result (arrays, tuples, dicts) cross as codec data, partial items in order and the result last?"""
    cells = ["import numpy as np\ndef f(x):\n    return np.arange(x), (x, 'a'), {'k': [1.5]}"]
    run = _serve(cells, [("f", (3,)), ("f", (1,))])
    assert run.finished and run.value() == {"cells": [None]} and run.limit is None
    first, second = run.partial
    value = first["value"]
    assert first["status"] == "ok" and isinstance(value[0], np.ndarray) and value[0].tolist() == [0, 1, 2]
    assert value[1:] == ((3, "a"), {"k": [1.5]}) and second["value"][1] == (1, "a")


ENV_CELL = "import os\ndef env():\n    return dict(os.environ)"
GRADER_ENV = {"COURSE_PROFILE": "cpu", "COURSE_GRADING_SALT": "salt", "GRADER_API_TOKEN": "t", "FOO": "bar",
              "PYTHONPATH": "/planted", "PATH": os.environ["PATH"]}


@pytest.mark.parametrize("sandboxed", [True, False])
def test_the_environment_is_the_sandboxes_allow_list_and_never_a_secret(sandboxed):
    """Does a child see the allow-list only (sandboxed) or all but secrets (unsandboxed), never the salt nor PYTHONPATH?"""
    if sandboxed and not AVAILABLE:
        pytest.skip(WHY)
    run = _serve([ENV_CELL], [("env", ())], sandbox=Sandbox() if sandboxed else None, env=GRADER_ENV)
    seen = run.partial[0]["value"]
    assert seen["COURSE_PROFILE"] == "cpu" and seen["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert not {"COURSE_GRADING_SALT", "GRADER_API_TOKEN", "PYTHONPATH"} & set(seen)
    assert ("FOO" in seen) is (not sandboxed)


def test_a_child_past_its_time_is_stopped_with_a_clear_error():
    """Is a child that runs past limits.seconds killed, with no result and a ChildError naming the limit?"""
    run = _serve(["import time\ntime.sleep(60)"], [], limits=Limits(2, 2048))
    assert not run.finished and run.limit.startswith("time:")
    with pytest.raises(ChildError, match="time: it ran longer than 2 s") as err:
        run.value()
    assert err.value.limit == run.limit


FORGER = r'''
import os, sys
from course import codec
fake = (codec.dumps({"result": {"cells": ["forged"]}}) + "\n"
        + codec.dumps({"partial": {"status": "ok", "value": 99}}) + "\n").encode()
print(fake.decode()); print(fake.decode(), file=sys.stderr)
for fd in range(1, 20):
    try:
        os.write(fd, fake)
    except OSError:
        pass

def f():
    return 1
'''


@pytest.mark.parametrize("sandboxed", [True, False])
def test_printed_results_cannot_forge_the_answer(sandboxed):
    """Does a child that prints fake result lines on stdout, stderr and every open descriptor still answer only its own result?"""
    if sandboxed and not AVAILABLE:
        pytest.skip(WHY)
    run = _serve([FORGER], [("f", ())], sandbox=Sandbox() if sandboxed else None)
    assert run.value() == {"cells": [None]}
    assert [item["value"] for item in run.partial] == [1]


def test_a_crashing_target_gives_its_last_error_line():
    """Does a target that cannot be loaded end in a ChildError with the exception's last line, not a hang or a result?"""
    run = call_in_child("course.grading.no_such_module:f", None, None, Limits(60, 2048))
    assert not run.finished and run.returncode != 0
    with pytest.raises(ChildError, match="ModuleNotFoundError: No module named 'course.grading.no_such_module'"):
        run.value()


def test_result_file_lines_that_are_not_items_are_ignored(tmp_path):
    """Are unfinished, foreign or malformed lines of a result file skipped, and a link in its place not followed?"""
    path = tmp_path / "result.jsonl"
    lines = [codec.dumps({"partial": 1}), "garbage", codec.dumps({"other": 2}), "[1, 2]", codec.dumps({"partial": 3}),
             codec.dumps({"result": "done"}), codec.dumps({"partial": 4})[:-3]]
    path.write_text("\n".join(lines))
    run = ChildRun()
    _read_result(str(path), run)
    assert (run.partial, run.result, run.finished) == ([1, 3], "done", True)
    (tmp_path / "link.jsonl").symlink_to(path)
    linked = ChildRun()
    _read_result(str(tmp_path / "link.jsonl"), linked)
    assert linked == ChildRun()


def test_load_target_and_host_paths():
    """Does the one loader resolve 'module:function' (None for none), and do inside paths map to host paths unsandboxed?"""
    assert load_target("math:sqrt")(9) == 3 and load_target(None) is None and load_target("") is None
    payload = [("course.x:v", "/grading/0/m.keras"), {"p": "/grading/0/m.keras", "q": "/other"}]
    assert _host_paths(payload, {"/grading/0/m.keras": "/host/m.keras"}) == [
        ("course.x:v", "/host/m.keras"), {"p": "/host/m.keras", "q": "/other"}]
