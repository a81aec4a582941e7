"""Right answers in every valid form earn full points; partly right multi-item answers earn partial points (issue 20).

For each autograded cell of the assignments in ``NOTEBOOKS`` (Keras models
aside, ``ModelQuestion``), the grader's judge from the answer key gets the
reference answer in other forms a student may reasonably write:

* a ``ValueQuestion`` gets the reference hand-in with one variable rewritten
  by ``value_forms`` (an int as ``5.0`` or ``np.int64(5)``, a float as a NumPy
  scalar or a 0-d array or rounded within the tolerance, a set of options as a
  list or tuple, option letters in other case and spacing, NumPy bools and
  strings...), sent through the data format as a hand-in is;
* a ``FunctionQuestion`` gets the reference function (the notebook's solution
  cell) with its return value rewritten by the converters listed for it in the
  notebook's ``functions`` table, judged on the grader's own cases through the
  runner's records (``tests/test_tasks.py``'s ``judge_function``).

Cells of several independent items are also handed a partly right answer
(``partial``), which must score strictly between 0 and 1. ``REFUSED`` lists
the forms some cells refuse on purpose, each with the words of the task that
name the form asked for: the refusal is tested, and so is that the notebook
says so.

To cover another assignment (04), add a ``Notebook`` to ``NOTEBOOKS``.
"""

import ast
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course import codec
from course.grading import judge
from course.grading.students import solved_source
from test_tasks import judge_function

# ------------------------------------------------------------------ forms of a value


def _item_forms(value: Any) -> List[Tuple[str, Any]]:
    """Other valid forms of one number, bool or string."""
    if isinstance(value, (bool, np.bool_)):
        return [("np.bool_", np.bool_(value))]
    if isinstance(value, (int, np.integer)):
        forms = [("float", float(value)), ("np.int64", np.int64(value)), ("np.float64", np.float64(value)),
                 ("0-d array", np.array(value))]
        if abs(int(value)) < 2**31:
            forms.append(("np.int32", np.int32(value)))
        return forms
    if isinstance(value, (float, np.floating)):
        value = float(value)
        forms = [("np.float64", np.float64(value)), ("np.float32", np.float32(value)), ("0-d array", np.array(value))]
        if math.isfinite(value):
            forms.append(("rounded within the tolerance", value * (1 + 1e-7)))
            if value.is_integer():
                forms.append(("int", int(value)))
        return forms
    if isinstance(value, str):
        return [("other case and spaces", f" {value.swapcase()} "), ("np.str_", np.str_(value))]
    return []


def value_forms(value: Any) -> List[Tuple[str, Any]]:
    """Other valid forms of a handed-in value (``(label, form)`` pairs), as a student may write it."""
    if isinstance(value, (set, frozenset)):
        items = sorted(value)
        return [("list", items), ("tuple", tuple(items)), ("frozenset", frozenset(items)),
                ("set of np.str_", {np.str_(item) for item in items}),
                ("other case and spaces", {f" {item.swapcase()} " for item in items})]
    if isinstance(value, dict):
        forms = []
        for index in range(max((len(_item_forms(v)) for v in value.values()), default=0)):
            rewritten, labels = {}, set()
            for key, item in value.items():
                options = _item_forms(item)
                label, form = options[index] if index < len(options) else ("", item)
                rewritten[key] = form
                labels.add(label)
            forms.append((f"values as {'/'.join(sorted(filter(None, labels)))}", rewritten))
        return forms
    if isinstance(value, (list, tuple)):
        forms = [("tuple", tuple(value))] if isinstance(value, list) else [("list", list(value))]
        if value and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in value):
            forms += [("NumPy array", np.array(value)), ("NumPy scalars", [np.float64(v) for v in value])]
        return forms
    if isinstance(value, np.ndarray):
        forms = [("list", value.tolist())]
        if value.dtype.kind in "iu":
            forms += [("int32 array", value.astype(np.int32)), ("float array of whole numbers", value.astype(np.float64))]
        return forms
    return _item_forms(value)


# ------------------------------------------------------------------ converters of a returned value


def _deep(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with ``leaf`` applied to each number inside its tuples, lists and dict values (not inside arrays)."""
    if isinstance(value, tuple):
        return tuple(_deep(v, leaf) for v in value)
    if isinstance(value, list):
        return [_deep(v, leaf) for v in value]
    if isinstance(value, dict):
        return {k: _deep(v, leaf) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (int, float, np.number)):
        return value
    return leaf(value)


def _arrays(value: Any, change: Callable[[np.ndarray], Any]) -> Any:
    """``value`` with ``change`` applied to each NumPy array inside its tuples and lists."""
    if isinstance(value, (tuple, list)):
        return type(value)(_arrays(v, change) for v in value)
    return change(value) if isinstance(value, np.ndarray) else value


def _whole_as_int(v):
    return int(v) if float(v).is_integer() and math.isfinite(float(v)) else v


#: name -> how a correct function's result is rewritten into another valid form
CONVERT: Dict[str, Callable[[Any], Any]] = {
    "float for int": lambda r: _deep(r, lambda v: float(v) if isinstance(v, (int, np.integer)) else v),
    "int for a whole float": lambda r: _deep(r, lambda v: _whole_as_int(v) if isinstance(v, (float, np.floating)) else v),
    "np.int64 / np.float64": lambda r: _deep(r, lambda v: np.int64(v) if isinstance(v, (int, np.integer)) else np.float64(v)),
    "np.float64 for int": lambda r: _deep(r, lambda v: np.float64(v)),
    "np.float32": lambda r: _deep(r, lambda v: np.float32(v)),
    "0-d array": lambda r: _deep(r, np.array),
    "list for tuple": lambda r: list(r) if isinstance(r, tuple) else r,
    "tuple for list": lambda r: tuple(r) if isinstance(r, list) else r,
    "inner tuples as lists": lambda r: _deep_sequences(r, list),
    "1-D array for a pair": lambda r: np.array(r),
    "float array for a pair": lambda r: np.array(r, dtype=np.float64),
    "np.int64 dict keys": lambda r: _deep_keys(r, np.int64),
    "list for array": lambda r: _arrays(r, lambda a: a.tolist()),
    "tuple for array": lambda r: _arrays(r, lambda a: tuple(a.tolist())),
    "int32 array": lambda r: _arrays(r, lambda a: a.astype(np.int32)),
    "uint8 array": lambda r: _arrays(r, lambda a: a.astype(np.uint8)),
    "float array of whole numbers": lambda r: _arrays(r, lambda a: a.astype(np.float64)),
    "float64 array": lambda r: _arrays(r, lambda a: a.astype(np.float64)),
    "float32 array": lambda r: _arrays(r, lambda a: a.astype(np.float32)),
    "float16 array": lambda r: _arrays(r, lambda a: a.astype(np.float16)),
    "Fortran-ordered array": lambda r: _arrays(r, np.asfortranarray),
    "one float step away": lambda r: _arrays(r, lambda a: np.nextafter(a, np.inf).astype(a.dtype)),
}


def _deep_sequences(value: Any, kind: type) -> Any:
    """Every tuple nested inside ``value`` (not ``value`` itself) rebuilt as ``kind``."""
    if isinstance(value, (list, tuple)):
        return type(value)(kind(_deep_sequences(v, kind)) if isinstance(v, tuple) else _deep_sequences(v, kind) for v in value)
    return value


def _deep_keys(value: Any, kind: type) -> Any:
    """Every dict inside ``value`` with its int keys turned into ``kind``."""
    if isinstance(value, (list, tuple)):
        return type(value)(_deep_keys(v, kind) for v in value)
    if isinstance(value, dict):
        return {kind(k) if isinstance(k, int) else k: v for k, v in value.items()}
    return value


# ------------------------------------------------------------------ the assignments


@dataclass
class Notebook:
    """One notebook whose key is tested here.

    Attributes:
        folder: Its assignment folder under ``source/``.
        name: The notebook's name (its key is ``<name>_key.py``).
        values: ``grade_id`` → the reference hand-in of each ValueQuestion (``None``: read from the source
            notebook, running its code cells that are not test cells).
        functions: ``grade_id`` → converters (keys of ``CONVERT``) turning the reference function's result
            into other valid forms, or functions making another valid implementation from the reference one.
        partial: ``grade_id`` → ``(changes to the reference hand-in, fraction of the points it earns)``.
        all_or_nothing: ``grade_id`` → why a cell of several values is judged as one item.
        scope: Names the solution cells need (``np``, ``math``...), made on first use.
    """

    folder: str
    name: str
    values: Optional[Callable[[], Dict[str, dict]]] = None
    functions: Dict[str, List[Any]] = field(default_factory=dict)
    partial: Dict[str, List[Tuple[dict, float]]] = field(default_factory=dict)
    all_or_nothing: Dict[str, str] = field(default_factory=dict)
    scope: Callable[[], dict] = lambda: {"np": np, "math": math}

    @property
    def source(self) -> str:
        return os.path.join(ROOT, "source", self.folder, f"{self.name}.ipynb")

    @property
    def key(self) -> judge.AnswerKey:
        return _key(self.folder, self.name)


_KEYS: Dict[Tuple[str, str], judge.AnswerKey] = {}


def _key(folder, name):
    if (folder, name) not in _KEYS:
        _KEYS[folder, name] = judge.load_key(os.path.join(ROOT, "source", folder, f"{name}{judge.KEY_SUFFIX}"))
    return _KEYS[folder, name]


def _cells(notebook: Notebook):
    return nbformat.read(notebook.source, as_version=4).cells


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _tf_scope() -> dict:
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    return {"np": np, "math": math, "tf": tf, "keras": keras}


def _bert_values() -> Dict[str, dict]:
    """03's hand-ins: the answers of its solution cells (the predictions stand for the classifier's)."""
    cell = next(c for c in _cells(NOTEBOOKS["03"]) if _meta(c).get("grade_id") == "my_reviews")
    scope: dict = {}
    exec(compile(solved_source(cell), "my_reviews", "exec"), scope)
    return {
        "test_split_answer": {"split_answer": "B"},
        "test_split_error": {"split_error": "ValueError"},
        "test_my_reviews": {"my_reviews": scope["my_reviews"], "my_labels": scope["my_labels"],
                            "my_predictions": np.array(scope["my_labels"], dtype=np.int64)},
    }


def _dataset_variant(reference):
    """make_dataset from a NumPy array of texts and int32 labels, without prefetch."""
    import tensorflow as tf

    def make_dataset(texts, labels, batch_size, shuffle=False, seed=None):
        ds = tf.data.Dataset.from_tensor_slices((np.array(list(texts)), np.asarray(labels, dtype=np.int32)))
        if shuffle:
            ds = ds.shuffle(len(texts), seed=seed)
        return ds.batch(batch_size)

    return make_dataset


def _float_label_dataset(reference):
    """make_dataset with float32 labels."""
    import tensorflow as tf

    def make_dataset(texts, labels, batch_size, shuffle=False, seed=None):
        ds = tf.data.Dataset.from_tensor_slices((list(texts), np.asarray(labels, dtype=np.float32)))
        if shuffle:
            ds = ds.shuffle(len(texts), seed=seed)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    return make_dataset


def _optimizer_variant(reference):
    """make_optimizer with a NumPy weight decay and a warm-up of ceil(10%) steps."""
    import keras

    def make_optimizer(total_steps, peak_learning_rate):
        warmup = max(1, math.ceil(0.1 * total_steps))
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, max(1, total_steps - warmup), warmup_target=float(np.float64(peak_learning_rate)), warmup_steps=warmup
        )
        return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=np.float64(0.01))

    return make_optimizer


#: The notebooks tested, by assignment number.
NOTEBOOKS: Dict[str, Notebook] = {
    "00": Notebook(
        "00_setup", "check_environment",
        functions={
            "test_count_per_class": ["list for array", "tuple for array", "int32 array", "uint8 array",
                                     "float array of whole numbers"],
            "test_scale_images": ["float64 array", "float16 array", "one float step away"],
            "test_positive_fraction": ["np.float64 for int", "np.float32", "0-d array", "int for a whole float"],
        },
    ),
    "01": Notebook(
        "01_concepts", "concepts",
        functions={
            "test_transformer_params": ["float for int", "np.int64 / np.float64", "np.float64 for int", "0-d array"],
            "test_weight_memory_gb": ["np.int64 / np.float64", "np.float32", "0-d array", "int for a whole float"],
            "test_workload_cost": ["np.int64 / np.float64", "0-d array", "int for a whole float", "list for array",
                                   "float32 array"],
            "test_break_even_requests": ["np.int64 / np.float64", "np.float32", "0-d array", "int for a whole float"],
            "test_magnitude_prune": ["Fortran-ordered array"],
            "test_quantize_int8": ["list for tuple", "np.float32", "0-d array", "Fortran-ordered array"],
            "test_dequantize_int8": ["Fortran-ordered array"],
            "test_softmax_t": ["list for array", "float32 array", "one float step away"],
            "test_distillation_loss": ["np.int64 / np.float64", "np.float32", "0-d array", "int for a whole float"],
            "test_mlm_example": ["list for tuple", "np.int64 dict keys",
                                 lambda reference: lambda *a: (tuple(reference(*a)[0]), reference(*a)[1])],
            "test_clm_example": ["tuple for list", "inner tuples as lists"],
        },
        partial={
            "test_cost_numbers": [({"gpus_80gb": 4}, 0.6667), ({"gpus_80gb": 4.0, "train_7b_gb": 16.0}, 0.3333)],
            "test_price_cut_numbers": [({"margin_after": 0.5}, 0.75)],
            "test_break_even_numbers": [({"break_even_after": 1.0}, 0.5)],
            "test_q1_traits": [({"q1_traits": {"A": "advantage", "B": "disadvantage", "C": "advantage", "D": "advantage",
                                               "E": "disadvantage", "F": "neither", "G": "advantage",
                                               "H": "disadvantage"}}, 0.875)],
            "test_q2_domains": [({"q2_domains": {"ticket_routing": "nlp", "defect_detection": "vision",
                                                 "meeting_transcription": "nlp", "feed_ranking": "recsys",
                                                 "contract_translation": "nlp"}}, 0.8)],
            "test_q2_newly_viable": [({"q2_newly_viable": ["contract_review", "review_sentiment", "code_completion"]}, 0.75)],
            "test_q3_methods": [({"q3_methods": {"A", "B", "C"}}, 0.75), ({"q3_methods": ("A", "B", "C", "D", "E")}, 0.75),
                                ({"q3_methods": ["a", "b"]}, 0.5)],
            "test_q5_objectives": [({"q5_objectives": {"BERT": "A", "GPT": "D"}}, 0.5)],
            "test_q5_statements": [({"q5_statements": {"A": True, "B": True, "C": True, "D": True, "E": False}}, 0.8)],
        },
    ),
    "02": Notebook(
        "02_mnist_cnn", "mnist_cnn",
        functions={
            "test_preprocess": ["one float step away", "Fortran-ordered array"],
            "test_most_confused_pair": ["list for tuple", "1-D array for a pair", "float array for a pair",
                                        "np.int64 / np.float64", "np.float64 for int"],
        },
    ),
    "03": Notebook(
        "03_bert_imdb", "bert_imdb",
        values=_bert_values,
        functions={
            "test_make_dataset": [_dataset_variant, _float_label_dataset],
            "test_make_optimizer": [_optimizer_variant],
            "test_predict_probabilities": ["float64 array", "float16 array"],
            "test_most_confident_mistakes": ["int32 array", "float array of whole numbers", "list for array"],
        },
        all_or_nothing={"test_my_reviews": "one task (write your own reviews); the predictions only come along"},
        scope=_tf_scope,
    ),
}


# ------------------------------------------------------------------ reference answers


_VALUES: Dict[str, Dict[str, dict]] = {}


def _hand_in_values(cell, namespace: dict) -> Optional[dict]:
    """The dict a test cell hands in (``hand_in({...}, grade_id)``), evaluated in ``namespace``."""
    for node in ast.walk(ast.parse(cell.source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hand_in" and isinstance(node.args[0], ast.Dict):
            return eval(compile(ast.Expression(node.args[0]), "hand_in", "eval"), namespace)
    return None


def reference_values(number: str) -> Dict[str, dict]:
    """``grade_id`` → the reference hand-in of every ValueQuestion of the notebook."""
    if number not in _VALUES:
        notebook = NOTEBOOKS[number]
        if notebook.values is not None:
            _VALUES[number] = notebook.values()
        elif not any(isinstance(q, judge.ValueQuestion) for q in notebook.key.questions.values()):
            _VALUES[number] = {}  # nothing to read: never run a notebook that loads data or trains
        else:
            import matplotlib

            matplotlib.use("Agg")
            namespace: dict = {}
            here = os.getcwd()
            with tempfile.TemporaryDirectory() as tmp:
                os.chdir(tmp)
                try:
                    for cell in _cells(notebook):
                        if cell.cell_type == "code" and not _meta(cell).get("grade"):
                            exec(compile(cell.source, _meta(cell).get("grade_id", "cell"), "exec"), namespace)
                finally:
                    os.chdir(here)
            _VALUES[number] = {
                _meta(c)["grade_id"]: _hand_in_values(c, namespace)
                for c in _cells(notebook)
                if _meta(c).get("grade") and isinstance(notebook.key.questions.get(_meta(c)["grade_id"]), judge.ValueQuestion)
            }
    return _VALUES[number]


def reference_function(number: str, grade_id: str) -> Callable:
    """The reference solution of the function a FunctionQuestion asks for, from its solution cell."""
    notebook = NOTEBOOKS[number]
    name = notebook.key.questions[grade_id].function
    cell = next(c for c in _cells(notebook) if _meta(c).get("grade_id") == name)
    scope = notebook.scope()
    exec(compile(solved_source(cell), name, "exec"), scope)
    return scope[name]


def value_verdict(number: str, grade_id: str, values: dict):
    """The grader's verdict on a hand-in of a ValueQuestion, sent through the data format as a hand-in is."""
    decoded = {name: codec.decode(codec.encode(value)) for name, value in values.items()}
    return judge.run_judge(NOTEBOOKS[number].key.questions[grade_id].judge, decoded)


def function_verdict(number: str, grade_id: str, function: Callable, student: str = "student"):
    """The grader's verdict on a function for a FunctionQuestion, from the runner's records on the grader's cases."""
    notebook = NOTEBOOKS[number]
    return judge_function(notebook.key, grade_id, function, notebook.name, student)


def _converted(reference: Callable, how: Any) -> Callable:
    if callable(how):
        return how(reference)
    convert = CONVERT[how]
    return lambda *args, **kwargs: convert(reference(*args, **kwargs))


def _questions(kind: type) -> List[Tuple[str, str]]:
    return [(number, gid) for number, nb in NOTEBOOKS.items() for gid, q in nb.key.questions.items() if isinstance(q, kind)]


def _value_cases() -> List[Any]:
    cases = []
    for number, grade_id in _questions(judge.ValueQuestion):
        cases.append(pytest.param(number, grade_id, id=f"{number}-{grade_id}"))
    return cases


def _function_cases() -> List[Any]:
    cases = []
    for number, grade_id in _questions(judge.FunctionQuestion):
        for how in NOTEBOOKS[number].functions.get(grade_id, []):
            label = how if isinstance(how, str) else how.__name__
            cases.append(pytest.param(number, grade_id, how, id=f"{number}-{grade_id}-{label}"))
    return cases


# ------------------------------------------------------------------ completeness


def test_every_autograded_cell_but_models_is_covered():
    """Does every ValueQuestion have a reference hand-in, every FunctionQuestion alternative forms, and every multi-item cell a partial answer (or a reason it has none)?"""
    for number, notebook in NOTEBOOKS.items():
        graded = {_meta(c)["grade_id"] for c in _cells(notebook) if _meta(c).get("grade") and not _meta(c).get("solution")}
        assert graded == set(notebook.key.questions), number
        values = reference_values(number)
        for grade_id, question in notebook.key.questions.items():
            if isinstance(question, judge.ValueQuestion):
                assert isinstance(values.get(grade_id), dict) and values[grade_id], (number, grade_id)
                handed = values[grade_id]
                items = sum(len(v) if isinstance(v, (dict, set, frozenset)) else 1 for v in handed.values())
                if items > 1:
                    assert grade_id in notebook.partial or grade_id in notebook.all_or_nothing, (number, grade_id)
            elif isinstance(question, judge.FunctionQuestion):
                assert notebook.functions.get(grade_id), (number, grade_id)


# ------------------------------------------------------------------ full points in every form


@pytest.mark.parametrize("number, grade_id", _value_cases())
def test_value_answers_earn_full_points_in_every_valid_form(number, grade_id):
    """Does a ValueQuestion give full points to the reference hand-in, and to it with any one variable in another valid form?"""
    values = reference_values(number)[grade_id]
    verdict = value_verdict(number, grade_id, values)
    assert verdict.passed and verdict.score == 1.0, verdict.message
    tried = 0
    for name, value in values.items():
        for label, form in value_forms(value):
            verdict = value_verdict(number, grade_id, {**values, name: form})
            assert verdict.passed and verdict.score == 1.0, f"{name} as {label}: {verdict.message}"
            tried += 1
    assert tried > 0, "no other form was tried"


@pytest.mark.parametrize("number, grade_id, how", _function_cases())
def test_function_answers_earn_full_points_in_every_valid_form(number, grade_id, how):
    """Does a FunctionQuestion give full points to the reference function when its result comes in another valid form?"""
    reference = reference_function(number, grade_id)
    verdict = function_verdict(number, grade_id, reference)
    assert verdict.passed and verdict.score == 1.0, f"the reference itself: {verdict.message}"
    verdict = function_verdict(number, grade_id, _converted(reference, how))
    assert verdict.passed and verdict.score == 1.0, verdict.message


# ------------------------------------------------------------------ partial credit


def _partial_cases() -> List[Any]:
    return [
        pytest.param(number, grade_id, changes, fraction, id=f"{number}-{grade_id}-{index}")
        for number, notebook in NOTEBOOKS.items()
        for grade_id, answers in notebook.partial.items()
        for index, (changes, fraction) in enumerate(answers)
    ]


@pytest.mark.parametrize("number, grade_id, changes, fraction", _partial_cases())
def test_partly_right_multi_item_answers_earn_partial_points(number, grade_id, changes, fraction):
    """Does a multi-item cell give a partly right answer the share of its right items (0 < score < 1), in any valid form?"""
    values = {**reference_values(number)[grade_id], **changes}
    verdict = value_verdict(number, grade_id, values)
    assert verdict.passed and 0 < verdict.score < 1, verdict.message
    assert verdict.score == pytest.approx(fraction, abs=1e-4), verdict.message
    for name in changes:
        for label, form in value_forms(values[name]):
            again = value_verdict(number, grade_id, {**values, name: form})
            assert again.score == pytest.approx(verdict.score, abs=1e-4), f"{name} as {label}: {again.message}"


# ------------------------------------------------------------------ forms refused on purpose


#: (assignment, grade_id, what the wrong form is, how to make it from the reference, words of the task naming the form asked)
REFUSED = [
    ("00", "test_positive_fraction", "a one-item list", lambda f: lambda *a: [f(*a)], "0.0 到 1.0 之间的一个数"),
    ("01", "test_magnitude_prune", "float64 for float32 weights",
     lambda f: lambda *a: np.asarray(f(*a), dtype=np.float64), "形状和 dtype 都与 `weights` 相同"),
    ("01", "test_magnitude_prune", "a list", lambda f: lambda *a: np.asarray(f(*a)).tolist(), "返回一个 **新** 数组"),
    ("01", "test_quantize_int8", "q as int64", lambda f: lambda *a: (f(*a)[0].astype(np.int64), f(*a)[1]), "转成 `np.int8`"),
    ("01", "test_dequantize_int8", "float64", lambda f: lambda *a: f(*a).astype(np.float64), "dtype 为 `np.float32`"),
    ("02", "test_preprocess", "float64", lambda f: lambda *a: f(*a).astype(np.float64), "返回 `float32` 数组"),
    ("03", "test_predict_probabilities", "a list", lambda f: lambda *a, **k: f(*a, **k).tolist(), "浮点数的 NumPy 数组"),
]

#: (assignment, grade_id, what the wrong form is, the hand-in, words of the task naming the form asked)
REFUSED_VALUES = [
    ("01", "test_q5_statements", "1 and 0 for True and False",
     {"q5_statements": {"A": 1, "B": 0, "C": 1, "D": 1, "E": 0}}, "不要写成字符串，也不要写成 `1` 或 `0`"),
    ("01", "test_q3_methods", "a string of letters", {"q3_methods": "ABCD"}, "放进一个集合（set）"),
]


def _task_text(number: str) -> str:
    return "\n".join(c.source for c in _cells(NOTEBOOKS[number]))


@pytest.mark.parametrize("number, grade_id, what, make, words", REFUSED, ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in REFUSED])
def test_function_forms_refused_on_purpose_are_named_by_the_task(number, grade_id, what, make, words):
    """Is a result form the task rules out (a dtype or container it names) refused, and does the task's text name the form it asks for?"""
    assert words in _task_text(number), f"the notebook does not say {words!r}"
    verdict = function_verdict(number, grade_id, make(reference_function(number, grade_id)))
    assert not verdict.passed and verdict.score == 0, what


@pytest.mark.parametrize("number, grade_id, what, values, words", REFUSED_VALUES,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in REFUSED_VALUES])
def test_value_forms_refused_on_purpose_are_named_by_the_task(number, grade_id, what, values, words):
    """Is a hand-in form the task rules out refused, and does the task's text name the form it asks for?"""
    assert words in _task_text(number), f"the notebook does not say {words!r}"
    verdict = value_verdict(number, grade_id, {**reference_values(number)[grade_id], **values})
    assert not verdict.passed and verdict.score == 0, what


# ------------------------------------------------------------------ the issue's examples


def test_a_whole_float_for_an_integer_and_a_partial_set_as_in_the_issue():
    """Do 524288.0 for an integer 524288 pass, 524288.5, NaN and inf fail, and {"A", "B", "C"} earn 3 of the 4 options of 3.1?"""
    from course.grading.compare import check_number

    for whole in (524288.0, np.float64(524288.0), np.float32(524288.0), np.array(524288.0), np.int64(524288)):
        check_number(whole, 524288, "kv_llama2")
    for wrong in (524288.5, math.nan, math.inf, "524288"):
        with pytest.raises(AssertionError) as err:
            check_number(wrong, 524288, "kv_llama2")
        assert "524288" not in str(err.value).replace("kv_llama2", "")
    verdict = value_verdict("01", "test_q3_methods", {"q3_methods": {"A", "B", "C"}})
    assert verdict.passed and verdict.score == 0.75, verdict.message
