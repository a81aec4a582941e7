"""Re-runs a student's functions in a fresh process and returns what they computed, as data.

For a question that asks for a function, the grader does not trust the
function object that lived in the student's kernel. After the notebook ran,
``course.grading.judge`` runs ``serve`` once per notebook in a child process
(``course.grading.child``), in the grading sandbox, with a request: the
source of the cells that define the functions (taken from the submitted
notebook) and the calls to make, with the grader's inputs. It runs the cells
in a fresh IPython shell, makes each call and writes each record to the
child's result file as data as soon as the call returns. It decides
nothing: the comparison with the expected answers happens in the grader's
process, which never runs student code. Whatever student code does in here
(patching NumPy, the ``course`` package, builtins) can only change the
values it returns, which it controls anyway.
"""

import contextlib
import copy
import os
import signal
from typing import Any, Callable, Dict, Optional

from course import codec
from course.grading.child import load_target

#: Progress lines: ``start <i>`` before call ``i`` and ``end <i>`` after it (its record is then in
#: the result file), so that the grader can stop a call that runs too long from outside
#: (``course.grading.judge.run_functions``) and keep the records of the calls that finished.
CALL_START, CALL_END = "start", "end"
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


#: The loader of adapters and callers (``'module:function'`` specs), under its older name.
load_adapter = load_target


def run_request(request: dict, progress: Optional[Callable[[str], None]] = None,
                keep: Optional[Callable[[dict], None]] = None) -> dict:
    """Runs the cells of a request, then its calls.

    Args:
        request: ``{"cells": [source, ...], "calls": [{"function": name,
            "args": ..., "adapter": spec or None, "caller": spec or None}, ...],
            "call_timeout": s}``. An adapter turns the returned value into
            data, a caller wraps the student's function (to call it with a
            stand-in object); both are ``course.grading.returns`` functions.
        progress: Called with ``start <i>`` before and ``end <i>`` after each call.
        keep: Called with each call's record (data) as soon as the call returned.

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
        adapter = load_target(spec.get("adapter"))
        function = shell.user_ns.get(spec["function"])
        caller = load_target(spec.get("caller"))
        if caller is not None and callable(function):
            function = caller(function)
        if progress is not None:
            progress(f"{CALL_START} {index}")
        record = call(function, spec.get("args", ()), timeout=timeout, adapter=adapter)
        records.append(_as_data(record) if record["status"] == "ok" else record)
        if keep is not None:
            try:
                codec.dumps(records[-1])
            except Exception:  # an odd value spoils only its own call
                records[-1] = {"status": "invalid"}
            keep(records[-1])
        if progress is not None:
            progress(f"{CALL_END} {index}")
    return {"cells": cell_errors, "calls": records}


def serve(request: dict, reply) -> dict:
    """The child's side (``course.grading.child``): runs the request with the student's output silenced.

    Each call's record goes to the result file as it comes (``reply.partial``),
    progress to the grader (``reply.progress``); whatever the student's code
    prints goes nowhere.

    Returns:
        ``{"cells": [error name or None per cell]}`` (the records are the partial items).
    """
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        answer = run_request(request, reply.progress, reply.partial)
    return {"cells": answer["cells"]}
