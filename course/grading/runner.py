"""Re-runs a student's functions in a fresh process and returns what they computed, as data.

For a question that asks for a function, the grader does not trust the
function object that lived in the student's kernel. After the notebook ran,
``course.grading.judge`` starts this module once per notebook, in the
grading sandbox, with a request (``course.codec`` JSON): the source of the
cells that define the functions (taken from the submitted notebook) and the
calls to make, with the grader's inputs. It runs the cells in a fresh
IPython shell, makes each call and prints the results as data. It decides
nothing: the comparison with the expected answers happens in the grader's
process, which never runs student code. Whatever student code does in here
(patching NumPy, the ``course`` package, builtins) can only change the
values it returns, which it controls anyway.

Run by hand: ``python -m course.grading.runner REQUEST.json``.
"""

import contextlib
import copy
import importlib
import os
import signal
import sys
from typing import Any, Callable, Dict, Optional

from course import codec

RESULT_PREFIX = "RUNNER-RESULT "
#: Progress lines (``"progress": true`` in the request): ``RUNNER-CALL <i> start`` before call
#: ``i`` and ``RUNNER-CALL <i> end <record>`` after it, so that the grader can stop a call that
#: runs too long from outside (``course.grading.judge.run_functions``) and keep the records of
#: the calls that finished.
CALL_PREFIX = "RUNNER-CALL "
#: Seconds one call may take before it counts as too slow.
CALL_TIMEOUT = 60


class _CallTimeout(BaseException):
    """Raised in a call that ran past its time (a BaseException, so ``except Exception`` does not swallow it)."""


def _split(args: Any):
    if isinstance(args, dict):
        return (), dict(args)
    if isinstance(args, tuple):
        return args, {}
    return (args,), {}


def call(function: Any, args: Any, timeout: Optional[float] = None, adapter: Optional[Callable] = None) -> Dict[str, Any]:
    """Calls ``function`` on a copy of ``args`` and records what happened.

    Args:
        function: What the student's cells defined under the function's name
            (``None`` when they defined nothing).
        args: A tuple of positional arguments, a dict of keyword arguments,
            or one argument.
        timeout: Seconds before the call is stopped (main thread only).
        adapter: Turns the returned value into data (e.g. a ``tf.data.Dataset``
            into arrays), run in this process.

    Returns:
        ``{"status": "ok", "value", "args", "kwargs"}`` (arguments as they
        are after the call), ``{"status": "raised", "error", "message"}``,
        ``{"status": "timeout"}``, ``{"status": "missing"}`` or
        ``{"status": "not_callable"}``.
    """
    if function is None:
        return {"status": "missing"}
    if not callable(function):
        return {"status": "not_callable"}
    positional, keywords = _split(args)
    positional, keywords = copy.deepcopy(positional), copy.deepcopy(keywords)
    previous = None
    if timeout:
        def _stop(signum, frame):
            raise _CallTimeout()

        previous = signal.signal(signal.SIGALRM, _stop)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        value = function(*positional, **keywords)
        if adapter is not None:
            value = adapter(value)
    except _CallTimeout:
        return {"status": "timeout"}
    except BaseException as err:  # the student's code may raise anything, SystemExit included
        return {"status": "raised", "error": type(err).__name__, "message": _text(err)}
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return {"status": "ok", "value": value, "args": positional, "kwargs": keywords}


def _text(err: BaseException) -> str:
    """An exception's message, even when its ``__str__`` raises."""
    try:
        return str(err)[:500]
    except Exception:  # a student's exception class may break str()
        return ""


def _as_data(record: dict) -> dict:
    """A record whose values can cross as data: what cannot becomes ``Unsupported``."""
    safe = {}
    for key, value in record.items():
        try:
            safe[key] = codec.decode(codec.encode(value))
        except Exception:  # an odd value spoils only its own call
            safe[key] = codec.Unsupported(type(value).__name__)
    return safe


def load_adapter(spec: Optional[str]) -> Optional[Callable]:
    """Imports ``'package.module:function'`` (``None`` for none)."""
    if not spec:
        return None
    module_name, _, name = spec.partition(":")
    return getattr(importlib.import_module(module_name), name)


def run_request(request: dict, progress: Optional[Callable[[str], None]] = None) -> dict:
    """Runs the cells of a request, then its calls.

    Args:
        request: ``{"cells": [source, ...], "calls": [{"function": name,
            "args": ..., "adapter": spec or None, "caller": spec or None}, ...],
            "call_timeout": s}``. An adapter turns the returned value into
            data, a caller wraps the student's function (to call it with a
            stand-in object); both are ``course.grading.probes`` functions.

        progress: Called with a ``CALL_PREFIX`` line before and after each call.

    Returns:
        ``{"cells": [error name or None per cell], "calls": [record per call]}``.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    # No GUI event loop here: `%matplotlib inline` and friends must not stop a cell.
    shell.enable_gui = lambda gui=None: None
    cell_errors = []
    for source in request.get("cells", []):
        result = shell.run_cell(source, store_history=False, silent=True)
        error = result.error_before_exec or result.error_in_exec
        cell_errors.append(type(error).__name__ if error is not None else None)
    timeout = float(request.get("call_timeout") or CALL_TIMEOUT)
    records = []
    for index, spec in enumerate(request.get("calls", [])):
        adapter = load_adapter(spec.get("adapter"))
        function = shell.user_ns.get(spec["function"])
        caller = load_adapter(spec.get("caller"))
        if caller is not None and callable(function):
            function = caller(function)
        if progress is not None:
            progress(f"{CALL_PREFIX}{index} start")
        record = call(function, spec.get("args", ()), timeout=timeout, adapter=adapter)
        records.append(_as_data(record) if record["status"] == "ok" else record)
        if progress is not None:
            try:
                line = codec.dumps(records[-1])
            except Exception:  # an odd value spoils only its own call
                line = codec.dumps({"status": "invalid"})
            progress(f"{CALL_PREFIX}{index} end {line}")
    return {"cells": cell_errors, "calls": records}


def main(argv=None) -> int:
    """Entry point of the sandboxed process: one ``RUNNER-RESULT`` line on the original stdout."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as fh:
        request = codec.loads(fh.read())
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")

    def progress(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        answer = run_request(request, progress if request.get("progress") else None)
    out.write(RESULT_PREFIX + codec.dumps(answer) + "\n")
    out.flush()
    os._exit(0)  # threads or atexit hooks the student's code left behind do not get to run


if __name__ == "__main__":
    sys.exit(main())
