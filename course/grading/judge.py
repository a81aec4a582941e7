"""Every autograded point is decided here, in the grader's process, never in the student's.

After the notebook ran (sandboxed, ``SafeExecute``), each graded test cell
has handed in what it needs (``course.checks.handin``). The answer key of
the notebook (``source/<assignment>/<notebook>_key.py``: in the instructor's
source folder, which nbgrader never releases and no sandbox mounts) says
how to judge each one:

* ``ValueQuestion``: the handed-in values are read as data
  (``course.codec``) and compared with the expected answers right here;
* ``FunctionQuestion``: the cells that define the function are re-run, with
  the grader's inputs (fixed cases and random ones drawn for this student),
  in one fresh sandboxed process per notebook (``course.grading.runner``),
  which returns outputs only; they are compared right here;
* ``ModelQuestion``: the saved model is judged by a verifier in one fresh
  sandboxed process per notebook (``course.grading.artifacts``), which
  loads it with Keras' safe mode: it runs trusted code on data.

It is one module because its one job is judging a notebook from its key: the
question kinds, loading the key, reading the hand-ins and ``judge_notebook``
(the runner's side lives in ``course.grading.rerun``).

A question's verdict carries a ``score``, the share of its points earned;
``VerifyArtifacts`` turns it into the cell's outputs so that nbgrader
records it (``normalise_outputs``).
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from course import codec
from course.checks.handin import ANSWER_SUFFIX, artifact_path
from course.grading.artifacts import Verdict, run_verifiers
from course.grading.compare import judge_cases
from course.grading.rerun import CALL_SECONDS, run_functions, runner_sources

#: File name of a notebook's answer key, in its assignment's source folder.
KEY_SUFFIX = "_key.py"

Judgement = Union[None, float, Tuple[float, str], Verdict]


@dataclass
class ValueQuestion:
    """A question answered by values handed in as ``hand_in({...}, grade_id)``.

    Attributes:
        judge: Called with the dict of handed-in values (decoded, plain data),
            and, when ``follows`` or ``calls`` is set, a ``FollowThrough``.
            It raises ``AssertionError`` (message for the student) when the
            answer earns nothing, and returns ``None`` (all points), a
            fraction, or ``(fraction, note)``.
        follows: ``grade_id``s of earlier test cells whose hand-ins the judge
            may use for follow-through (``FollowThrough.answers``).
        calls: ``(label, function, args)``: the student's own functions the
            runner calls for follow-through (``FollowThrough.results``).
    """

    judge: Callable[..., Judgement]
    follows: Tuple[str, ...] = ()
    calls: Tuple[Tuple[str, str, tuple], ...] = ()


@dataclass
class FollowThrough:
    """What a chained answer may be judged against besides the key: the student's own earlier results.

    Where a task chains answers (``users_llama2`` from the student's own
    ``weight_memory_gb`` and ``kv_llama2``), a step done right on a wrong
    earlier result earns its points; the earlier mistake was already marked
    where it was made. Everything here is data: hand-ins read by the grader
    and results of the student's functions re-run in the sandboxed runner.

    Attributes:
        answers: ``grade_id`` → the values handed in by that earlier test
            cell (``None`` when it handed nothing in).
        results: label → what the student's function returned on the call
            the key asked for (``None`` when it raised, was missing or the
            runner gave no answer).
    """

    answers: Dict[str, Optional[dict]] = field(default_factory=dict)
    results: Dict[str, object] = field(default_factory=dict)

    def value(self, grade_id: str, name: str):
        """A value handed in by an earlier test cell, or ``None``."""
        values = self.answers.get(grade_id) or {}
        return values.get(name)

    def result(self, label: str):
        """What the student's function returned on the call named ``label``, or ``None``."""
        return self.results.get(label)


@dataclass
class FunctionQuestion:
    """A question that asks for a function, handed in as ``hand_in(function, grade_id)``.

    Attributes:
        function: The function's name in the notebook.
        cases: ``(args, expected[, hint])`` tuples, or a callable that makes
            them from a ``numpy.random.Generator`` (random inputs drawn for
            this student, expected values from a reference implementation).
        options: Keyword arguments of ``course.grading.compare.judge_cases``
            (tolerances, ``keep_inputs``, ...).
        adapter: ``'module:function'`` run in the runner on each returned
            value to make it data (a dataset into its batches).
        caller: ``'module:function'`` that wraps the student's function in
            the runner, to call it with a stand-in object built from data.
        judge: Replaces ``judge_cases``: called with ``(results, cases)``;
            same return convention as ``ValueQuestion.judge``.
    """

    function: str
    cases: Union[Sequence[tuple], Callable[[np.random.Generator], Sequence[tuple]]]
    options: dict = field(default_factory=dict)
    adapter: Optional[str] = None
    judge: Optional[Callable[[List[dict], Sequence[tuple]], Judgement]] = None
    caller: Optional[str] = None


@dataclass
class ModelQuestion:
    """A question answered by a Keras model handed in as ``hand_in(model, grade_id)``.

    Attributes:
        verifier: ``'module:function'`` taking the ``.keras`` path and
            returning a ``Verdict``; runs in a fresh sandboxed process.
    """

    verifier: str


Question = Union[ValueQuestion, FunctionQuestion, ModelQuestion]


@dataclass
class AnswerKey:
    """The grader's key of one notebook.

    Attributes:
        questions: ``grade_id`` → question, for every autograded test cell.
        runner_cells: ``grade_id``s of the cells the runner re-runs, in
            notebook order (imports and constants it needs, and the solution
            cells that define the functions asked for).
        prelude: Code the runner runs first, for imports that a notebook
            cell would bring with slow side effects.
    """

    questions: Dict[str, Question]
    runner_cells: Tuple[str, ...] = ()
    prelude: str = ""


def load_key(path: str) -> AnswerKey:
    """Loads an answer key file (``QUESTIONS``, optional ``RUNNER_CELLS`` and ``RUNNER_PRELUDE``) in the grader's process.

    Args:
        path: ``source/<assignment>/<notebook>_key.py``.

    Returns:
        The key.
    """
    import importlib.util

    name = "course_answer_key_" + "".join(ch if ch.isalnum() else "_" for ch in os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return AnswerKey(
        dict(module.QUESTIONS), tuple(getattr(module, "RUNNER_CELLS", ())), str(getattr(module, "RUNNER_PRELUDE", ""))
    )


def key_path(source_folder: str, notebook: str) -> str:
    """Where the answer key of ``notebook`` is: ``<source folder of its assignment>/<notebook>_key.py``."""
    return os.path.join(source_folder, notebook + KEY_SUFFIX)


def case_rng(*parts: str) -> np.random.Generator:
    """A generator for one student's random cases: the same student gets the same inputs on every worker.

    ``COURSE_GRADING_SALT`` (a secret of the instructor's, optional) is mixed in.
    """
    text = "|".join((os.environ.get("COURSE_GRADING_SALT", ""),) + tuple(parts))
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little"))


def as_verdict(judgement: Judgement) -> Verdict:
    """A judge's return value as a verdict (``None`` or ``1``: all points)."""
    if isinstance(judgement, Verdict):
        return judgement
    note = ""
    if isinstance(judgement, tuple):
        judgement, note = judgement
    fraction = 1.0 if judgement is None else max(0.0, min(1.0, float(judgement)))
    if fraction <= 0:
        return Verdict(False, note or "The answer is not correct.", score=0.0)
    return Verdict(True, note or "the answer is correct.", score=fraction)


def run_judge(function: Callable, *args) -> Verdict:
    """Calls a key's judge; its ``AssertionError`` is a failed verdict with the message for the student.

    Any other error (an answer of a form no check expected, a number too
    large to compare) is a failed verdict too: a hand-in can never stop the
    grading.
    """
    try:
        return as_verdict(function(*args))
    except AssertionError as err:
        return Verdict(False, str(err) or "The answer is not correct.", score=0.0)
    except Exception as err:  # the handed-in data may be anything the format carries
        return Verdict(False, f"The answer could not be compared with the expected one ({type(err).__name__}).", score=0.0)


# ------------------------------------------------------------------ hand-ins


def read_answer(directory: str, grade_id: str) -> Tuple[Optional[dict], Optional[str]]:
    """The answer handed in for ``grade_id``: ``(record, None)`` or ``(None, why not)``."""
    path = artifact_path(grade_id, directory, suffix=ANSWER_SUFFIX)
    if not os.path.isfile(path) or os.path.islink(path):
        return None, "Nothing was handed in for grading: the test cell did not get that far."
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(codec.MAX_BYTES + 1)
        record = json.loads(text) if len(text) <= codec.MAX_BYTES else None
    except (OSError, ValueError, RecursionError):
        record = None
    if not isinstance(record, dict) or record.get("kind") not in ("values", "function"):
        return None, "What was handed in for grading is not readable."
    return record, None


def answer_values(record: dict) -> Optional[dict]:
    """The values of a ``values`` hand-in, decoded (``None`` when it is not one)."""
    raw = record.get("values")
    if record.get("kind") != "values" or not isinstance(raw, dict):
        return None
    try:
        return {str(name): codec.decode(value) for name, value in raw.items()}
    except (ValueError, TypeError):
        return None


# ------------------------------------------------------------------ a notebook


def judge_notebook(
    nb,
    key: AnswerKey,
    directory: str,
    seed_parts: Sequence[str],
    sandbox=None,
    runner_limits=None,
    verifier_timeout: float = 1800,
    skip: Sequence[str] = (),
    log=None,
    call_seconds: float = CALL_SECONDS,
    on_runner: Optional[Callable] = None,
) -> Dict[str, Verdict]:
    """Judges every question of a notebook whose test cell ran; one runner and one verifier process at most.

    Args:
        nb: The executed notebook.
        key: Its answer key.
        directory: The folder the notebook ran in (its ``.grading_artifacts/``).
        seed_parts: What identifies this submission (student, notebook) for random cases.
        sandbox: A ``course.grading.sandbox.Sandbox`` (``None``: plain processes).
        runner_limits: ``Limits`` of the runner process.
        verifier_timeout: Seconds the model verifier process may take.
        skip: ``grade_id``s not to judge (their test cell already failed).
        log: A logger.
        call_seconds: Seconds one call of a student's function may take.
        on_runner: Called as ``on_runner(kind, **data)`` when the runner was
            stopped (``'runner_stopped'``, ``why``) or calls ran past their
            limit (``'calls_too_slow'``, ``calls``, ``seconds``): for notes.

    Returns:
        ``grade_id`` → verdict, for the questions judged.
    """
    from course.grading.limits import Limits

    present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    todo = {gid: q for gid, q in key.questions.items() if gid in present and gid not in skip}
    verdicts: Dict[str, Verdict] = {}
    calls: List[dict] = []
    planned: Dict[str, Tuple[int, list]] = {}
    chained: Dict[str, dict] = {}
    models: List[Tuple[str, str, str]] = []
    for gid, question in todo.items():
        if isinstance(question, ModelQuestion):
            models.append((gid, question.verifier, artifact_path(gid, directory)))
            continue
        record, why = read_answer(directory, gid)
        if record is None:
            verdicts[gid] = Verdict(False, why, score=0.0)
        elif isinstance(question, ValueQuestion):
            values = answer_values(record)
            if values is None:
                verdicts[gid] = Verdict(False, "This test cell must hand in values; something else was handed in.", score=0.0)
            elif not (question.follows or question.calls):
                verdicts[gid] = run_judge(question.judge, values)
            else:
                chained[gid] = values
                planned[gid] = (len(calls), list(question.calls))
                calls += [{"function": function, "args": args, "adapter": None, "caller": None}
                          for _, function, args in question.calls]
        else:
            cases = question.cases(case_rng(*seed_parts, gid)) if callable(question.cases) else question.cases
            cases = list(cases)
            planned[gid] = (len(calls), cases)
            calls += [
                {"function": question.function, "args": case[0], "adapter": question.adapter, "caller": question.caller}
                for case in cases
            ]
    if calls:
        started = time.monotonic()
        limits = runner_limits or Limits(600, 4096)
        sources = ([key.prelude] if key.prelude else []) + runner_sources(nb, key.runner_cells)
        records, why = run_functions(sources, calls, sandbox, limits, call_seconds=call_seconds)
        if log:
            log.info("Runner: %d calls in %.1f s", len(calls), time.monotonic() - started)
        if on_runner is not None:
            slow = sum(1 for r in records or [] if r.get("status") == "timeout")
            if records is None:
                on_runner("runner_stopped", why=why)
            elif slow:
                on_runner("calls_too_slow", calls=slow, seconds=call_seconds)
        for gid, (first, cases) in planned.items():
            question = todo[gid]
            if gid in chained:
                continue
            if records is None:
                verdicts[gid] = Verdict(False, why, score=0.0)
                continue
            results = records[first:first + len(cases)]
            if question.judge is not None:
                verdicts[gid] = run_judge(question.judge, results, cases)
            else:
                verdicts[gid] = run_judge(
                    lambda r, c: judge_cases(r, c, question.function, **question.options), results, cases
                )
                if verdicts[gid].passed:
                    verdicts[gid].message = f"{question.function} gives the right result in all {len(cases)} of the grader's cases."
    for gid, values in chained.items():
        first, wanted = planned[gid]
        found = records[first:first + len(wanted)] if calls and records is not None else [None] * len(wanted)
        results = {
            label: (r.get("value") if isinstance(r, dict) and r.get("status") == "ok" else None)
            for (label, _, _), r in zip(wanted, found)
        }
        answers = {}
        for earlier in todo[gid].follows:
            record, _ = read_answer(directory, earlier)
            answers[earlier] = answer_values(record) if record is not None else None
        verdicts[gid] = run_judge(todo[gid].judge, values, FollowThrough(answers, results))
    if models:
        verdicts.update(run_verifiers([(spec, path) for _, spec, path in models], [gid for gid, _, _ in models],
                                      verifier_timeout, sandbox))
    return verdicts
