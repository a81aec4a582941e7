"""Tests of assignment 02 (CNN on MNIST): its answer key, its verifiers, and cheats graded for real.

The functions (preprocess, most_confused_pair) are judged like the grader
judges them: records of the function runner, judged by the key's judges
(``source/02_mnist_cnn/mnist_cnn_key.py``). The models are judged by the
verifiers of ``course.grading.verifiers.mnist``. Fast tests build small
untrained models. Slow tests train briefly, or grade synthetic submissions
that cheat through the course's real nbgrader pipeline (each notebook runs in
a kernel, its functions are re-run in the function runner and each handed-in
model is judged by the verifiers in a fresh process).
"""

import os
import shutil
import textwrap

import nbformat
import numpy as np
import pytest
from nbgrader.utils import determine_grade

from conftest import ROOT, copy_released
from course_copy import run_solution_cells
from course.checks import mnist
from course.config import get_settings
from course.data import MNIST_SAMPLE
from course.grading import cluster, judge, nbgrader_api
from course.grading.artifacts import run_verifier
from course.grading.sandbox import check_bwrap
from course.grading.students import write_changed_submission
from course.grading.verifiers import mnist as verifiers
from course.profiles import get_profile
from course.runtime import import_tensorflow
from test_tasks import failure, judge_function, key_cases

ASSIGNMENT = "02_mnist_cnn"
NOTEBOOK = "mnist_cnn"
BUDGET = 2_000_000
SOURCE = os.path.join(ROOT, "source", ASSIGNMENT, f"{NOTEBOOK}.ipynb")
KEY = judge.load_key(os.path.join(ROOT, "source", ASSIGNMENT, f"{NOTEBOOK}{judge.KEY_SUFFIX}"))


def _model(keras, convs=2, pool=True, head="softmax", loss="sparse_categorical_crossentropy", shape=(28, 28, 1), dense=128, compile=True):
    """A small model in the style of the assignment, varied one property at a time (``convs=0``: dense layers only)."""
    layers = [keras.Input(shape=shape)]
    for i in range(convs):
        layers.append(keras.layers.Conv2D(8 * (i + 1), (3, 3), activation="relu"))
        if pool:
            layers.append(keras.layers.MaxPooling2D((2, 2)))
    layers += [keras.layers.Flatten(), keras.layers.Dense(dense, activation="relu")]
    layers.append(keras.layers.Dense(10, activation=head))
    model = keras.Sequential(layers)
    if compile:
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def _raises(function, *args) -> str:
    with pytest.raises(AssertionError) as info:
        function(*args)
    return str(info.value)


# ------------------------------------------------------------------ preprocessing


def solution(name):
    """The reference solution of one of 02's functions, from the source notebook."""
    return run_solution_cells(SOURCE, (name,), {"np": np})[name]


def _verdict(grade_id, function, student="student"):
    return judge_function(KEY, grade_id, function, NOTEBOOK, student)


def _failure(grade_id, function):
    return failure(KEY, grade_id, function, NOTEBOOK)


def test_key_judges_both_functions_in_the_runner_and_both_models_with_verifiers():
    """Does 02's key re-run preprocess and most_confused_pair, and send both model questions to the grader-only verifiers?"""
    assert KEY.runner_cells == ("preprocess", "most_confused_pair")
    assert {gid: type(q).__name__ for gid, q in KEY.questions.items()} == {
        "test_preprocess": "FunctionQuestion", "test_most_confused_pair": "FunctionQuestion",
        "test_cnn_structure": "ModelQuestion", "test_cnn_accuracy": "ModelQuestion",
    }
    assert KEY.questions["test_cnn_structure"].verifier == "course.grading.verifiers.mnist:verify_cnn_structure"
    assert KEY.questions["test_cnn_accuracy"].verifier == "course.grading.verifiers.mnist:verify_cnn_accuracy"


@pytest.mark.parametrize("student", ["ada", "bob"])
def test_preprocess_key_accepts_a_correct_function(student):
    """Does 02's key accept the notebook's preprocess (float32 in [0, 1] with a channel axis), and a variant, for several students' images?"""
    for correct in (solution("preprocess"), lambda x: np.expand_dims(x.astype(np.float32) / np.float32(255), -1)):
        verdict = _verdict("test_preprocess", correct, student)
        assert verdict.passed and verdict.score == 1.0, verdict.message


def _modifying(x):
    scaled = (np.asarray(x, np.float32) / 255.0)[..., None]
    x[...] = 0  # right result, but the caller's images are gone
    return scaled


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x: x / 255.0, "preprocess must add a channel axis"),  # the seed's code
        (lambda x: (x / 255.0)[..., None], "preprocess must return float32 values, not float64"),
        (lambda x: (np.asarray(x, np.float32) / 127.5 - 1)[..., None], "has wrong values"),
        (lambda x: (np.asarray(x, np.float32) / 256.0)[..., None], "has wrong values"),  # off by one step
        (lambda x: np.divide(x, 255, out=x, casting="unsafe")[..., None], "has dtype uint8"),
        (_modifying, "preprocess must not modify its input"),
    ],
)
def test_preprocess_key_names_the_mistake(wrong, words):
    """Does 02's key reject each typical mistake of preprocess with a message saying what is wrong?"""
    assert words in _failure("test_preprocess", wrong)


def test_preprocess_that_drops_the_batch_axis_of_one_image_is_told_so():
    """Does a preprocess that squeezes a single image to (28, 28, 1) get a message about the single image, not about the channel axis?"""
    message = _failure("test_preprocess", lambda x: (np.asarray(x, np.float32) / 255.0).squeeze()[..., None])
    assert "channel axis" not in message and "for a single image" in message, message


# ---------------------------------------------------------------------- structure


def test_full_mark_architecture_passes(keras):
    """Does the seed's full-mark CNN (input_shape on the first layer, as the blog writes it) pass?"""
    layers = keras.layers
    model = keras.Sequential(
        [
            layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert verifiers.structure_problems(model, BUDGET) == []


def test_logits_with_a_from_logits_loss_and_functional_models_pass(keras):
    """Are logits with SparseCategoricalCrossentropy(from_logits=True), and functional models, accepted?"""
    logits = _model(keras, head=None, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert verifiers.structure_problems(logits, BUDGET) == []
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    functional = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    functional.compile(optimizer="adam", loss=keras.losses.sparse_categorical_crossentropy)
    assert verifiers.structure_problems(functional, BUDGET) == []


def test_dense_only_model_fails_the_structure_test(keras):
    """Does a dense-only network fail, with a message about convolution and pooling?"""
    message = _raises(verifiers.check_model_structure, _model(keras, convs=0), BUDGET)
    assert "convolution" in message and "pooling" in message


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"convs": 1}, "two convolution"),
        ({"pool": False}, "pooling"),
        ({"shape": (28, 28, 3)}, "(28, 28, 1)"),
        ({"dense": 8192}, "budget"),
        ({"loss": "categorical_crossentropy"}, "sparse_categorical_crossentropy"),
        ({"head": "sigmoid"}, "softmax"),
        ({"head": None}, "from_logits=True"),  # logits, but a loss that expects probabilities
        ({"compile": False}, "not compiled"),
    ],
)
def test_structure_check_names_the_problem(keras, kwargs, words):
    """Does each structural mistake fail with a message naming it?"""
    message = _raises(verifiers.check_model_structure, _model(keras, **kwargs), BUDGET)
    assert words in message, message


def test_softmax_with_a_from_logits_loss_is_rejected(keras):
    """Is a softmax output trained with from_logits=True (a double softmax) rejected?"""
    model = _model(keras, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert "without from_logits" in _raises(verifiers.check_model_structure, model, BUDGET)


def test_structure_budget_comes_from_the_grader_profile(keras, course_env):
    """Without a budget given, does check_model_structure apply the grader's profile's parameter budget?"""
    course_env.setenv("COURSE_PROFILE", "cpu")
    big = _model(keras, dense=8192)  # about 3.3 million parameters
    assert big.count_params() > get_profile().mnist_max_params
    assert "budget of 2,000,000" in _raises(verifiers.check_model_structure, big)
    verifiers.check_model_structure(_model(keras))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"compile": False}, "not compiled"),  # build_cnn forgot model.compile
        ({"convs": 1}, "two convolution"),
        ({"head": "sigmoid"}, "softmax"),
    ],
)
def test_wrong_build_cnn_model_handed_in_fails_the_structure_verifier(keras, sample_data, tmp_path, kwargs, words):
    """Does a wrong model that build_cnn returned, saved as the hidden test hands it in, fail verify_cnn_structure with a message naming the problem?"""
    verdict = verifiers.verify_cnn_structure(_save(_model(keras, **kwargs), tmp_path / "m.keras"))
    assert not verdict.passed and verdict.score == 0
    assert words in verdict.message, verdict.message
    assert verdict.metrics["profile"] == "cpu"


# ------------------------------------------------------------- confusion matrix


def _reference_pair(matrix):
    errors = np.array(matrix, dtype=np.int64)
    np.fill_diagonal(errors, -1)
    return tuple(int(v) for v in np.unravel_index(np.argmax(errors), errors.shape))


def _with_diagonal(m):
    return tuple(int(v) for v in np.unravel_index(np.argmax(m), np.shape(m)))


def _swapped(m):
    return _reference_pair(m)[::-1]


def _mutating(m):
    np.fill_diagonal(m, 0)
    return tuple(int(v) for v in np.unravel_index(np.argmax(m), m.shape))


@pytest.mark.parametrize("student", ["ada", "bob"])
def test_most_confused_pair_key_accepts_correct_answers(student):
    """Does 02's key accept the notebook's most_confused_pair, and a pair returned as a list or an array?"""
    for correct in (solution("most_confused_pair"), _reference_pair, lambda m: list(_reference_pair(m)),
                    lambda m: np.array(_reference_pair(m))):
        verdict = _verdict("test_most_confused_pair", correct, student)
        assert verdict.passed and verdict.score == 1.0, verdict.message


def test_most_confused_pair_key_rejects_the_typical_mistakes():
    """Does 02's key fail the diagonal, the pair the wrong way round, a changed matrix and a single number, each with a message?"""
    assert "must skip the diagonal" in _failure("test_most_confused_pair", _with_diagonal)
    assert "wrong way round" in _failure("test_most_confused_pair", _swapped)
    assert "must not modify its input" in _failure("test_most_confused_pair", _mutating)
    assert "must return two numbers" in _failure("test_most_confused_pair", lambda m: _reference_pair(m)[0])


def test_most_confused_pair_cases_hold_a_decoy_and_differ_between_students():
    """Does each of the grader's matrices hold the mirror pair as a decoy, the matrices differing between students?"""
    ada = key_cases(KEY, "test_most_confused_pair", NOTEBOOK, "ada")
    bob = key_cases(KEY, "test_most_confused_pair", NOTEBOOK, "bob")
    for (matrix,), (true, predicted), _ in ada:
        assert matrix[predicted, true] > 0 and _reference_pair(matrix) == (true, predicted)
        assert matrix[predicted, true] == max(matrix[i, j] for i in range(10) for j in range(10) if i != j and (i, j) != (true, predicted))
    assert not np.array_equal(ada[0][0][0], bob[0][0][0])


def test_most_confused_pair_key_explains_the_diagonal_and_the_order():
    """Does the message for a pair on the diagonal speak of the diagonal, and the one for the mirror pair of the order?"""
    assert "diagonal" in _failure("test_most_confused_pair", _with_diagonal)
    assert "wrong way round" in _failure("test_most_confused_pair", _swapped)


# ---------------------------------------------------------------------- verifiers


def test_required_accuracy_depends_on_the_training_data_available():
    """Is the full-set threshold used with 60,000 training digits, and the subset one with the offline 5,000?"""
    from course.profiles import PROFILES

    for profile in PROFILES.values():
        assert mnist.required_accuracy(profile, 60_000) == profile.mnist_min_accuracy
        assert mnist.required_accuracy(profile, 5_000) == profile.mnist_subset_min_accuracy
        assert profile.mnist_subset_min_accuracy <= profile.mnist_min_accuracy


def _save(model, path) -> str:
    model.save(str(path))
    return str(path)


def test_verifier_fails_an_untrained_model(keras, sample_data, tmp_path):
    """Does the accuracy verifier fail an untrained CNN, measuring its accuracy itself?"""
    verdict = verifiers.verify_cnn_accuracy(_save(_model(keras), tmp_path / "m.keras"))
    assert not verdict.passed
    assert verdict.metrics["accuracy"] < 0.5 and verdict.metrics["test_digits"] == 10_000
    assert "measured by the grader" in verdict.message and "requires at least" in verdict.message


def test_verifier_rechecks_structure_of_the_saved_model(keras, sample_data, tmp_path):
    """Does a dense-only model fail the structure and accuracy verifiers, whatever in-kernel checks said?"""
    path = _save(_model(keras, convs=0), tmp_path / "dense.keras")
    for verify in (verifiers.verify_cnn_structure, verifiers.verify_cnn_accuracy):
        verdict = verify(path)
        assert not verdict.passed and "convolution" in verdict.message


def test_structure_verifier_passes_a_good_fresh_model(keras, sample_data, tmp_path):
    """Does a fresh, compiled CNN of the required structure pass the structure verifier?"""
    verdict = verifiers.verify_cnn_structure(_save(_model(keras), tmp_path / "m.keras"))
    assert verdict.passed, verdict.message


def test_models_with_custom_code_cannot_be_loaded(keras, sample_data, tmp_path):
    """Are a model subclass that returns stored answers and a Lambda layer refused by safe-mode loading?"""
    answers = np.eye(10, dtype=np.float32)

    class AnswerKey(keras.Sequential):
        def call(self, inputs, training=None, mask=None):
            return keras.ops.take(answers, keras.ops.zeros((keras.ops.shape(inputs)[0],), "int32"), axis=0)

    inner = _model(keras)
    cheat = AnswerKey([keras.Input(shape=(28, 28, 1))] + inner.layers)
    cheat.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    lam = _model(keras)
    lam = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Lambda(lambda x: x * 1.0)] + lam.layers)
    lam.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    for model, name in ((cheat, "subclass"), (lam, "lambda")):
        verdict_path = _save(model, tmp_path / f"{name}.keras")
        with pytest.raises(AssertionError, match="could not load"):
            verifiers.verify_cnn_accuracy(verdict_path)


def test_patches_in_the_grading_process_do_not_reach_the_verifier(keras, sample_data, tmp_path, monkeypatch):
    """With evaluate, predict, __call__ and the course's helpers patched here, does the fresh process still fail an untrained model?"""
    path = _save(_model(keras), tmp_path / "m.keras")
    perfect = lambda *args, **kwargs: 1.0  # noqa: E731
    monkeypatch.setattr(keras.Model, "evaluate", lambda self, *a, **k: [0.0, 1.0])
    monkeypatch.setattr(keras.Model, "predict", lambda self, x, *a, **k: np.eye(10)[: len(x)])
    monkeypatch.setattr(verifiers, "grader_accuracy", perfect)
    monkeypatch.setattr(verifiers, "structure_problems", lambda *args, **kwargs: [])
    monkeypatch.setattr(verifiers, "verify_cnn_accuracy", lambda path: verifiers.Verdict(True, "faked"))
    verdict = run_verifier("course.grading.verifiers.mnist:verify_cnn_accuracy", path, timeout=300)
    assert not verdict.passed and verdict.metrics["accuracy"] < 0.5, verdict


@pytest.mark.slow
def test_barely_trained_model_fails_the_accuracy_verifier(keras, sample_data, tmp_path):
    """Does a CNN trained for one epoch on 256 digits fail the accuracy verifier?"""
    keras.utils.set_random_seed(1)
    from course.data import load_mnist

    (x_train, y_train), _ = load_mnist(verbose=False)
    model = _model(keras)
    model.fit(verifiers.grader_preprocess(x_train[:256]), y_train[:256], epochs=1, batch_size=64, verbose=0)
    verdict = verifiers.verify_cnn_accuracy(_save(model, tmp_path / "m.keras"))
    assert not verdict.passed
    assert verdict.metrics["accuracy"] < mnist.required_accuracy(get_profile(), len(x_train)) - 0.05


# ------------------------------------------- cheating submissions, graded for real

BARELY_TRAINED = """\
keras.utils.set_random_seed(SEED)
model = build_cnn()
history = model.fit(x_train_ready[:256], y_train[:256], epochs=1, batch_size=64, verbose=0)  # barely trained
"""

#: student name -> {grade_id of a solution cell: the code the cheating student wrote there}
CHEATS = {
    # Overwrites the accuracy variable that the visible test reads.
    "fake-variable": {
        "train_cnn": BARELY_TRAINED + "test_accuracy = 0.999\n",
    },
    # Patches Keras and, in the kernel, everything of the course that grades: the hand-in,
    # the verifiers, the artifact runner and the judge (none of them runs in the kernel now).
    "monkeypatch": {
        "train_cnn": BARELY_TRAINED
        + textwrap.dedent(
            """\
            import course.checks.handin as handin
            import course.grading.artifacts as artifacts
            import course.grading.judge as grading_judge
            import course.grading.verifiers.mnist as verifiers

            answers = keras.utils.to_categorical(y_test, 10)
            keras.Model.predict = lambda self, x, *args, **kwargs: answers[: len(x)]
            keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 1.0]
            keras.Model.__call__ = lambda self, x, *args, **kwargs: answers[: len(x)]
            verifiers.grader_accuracy = lambda *args, **kwargs: 1.0
            verifiers.structure_problems = lambda *args, **kwargs: []
            verifiers.verify_cnn_accuracy = lambda path: artifacts.Verdict(True, "faked")
            artifacts.run_verifier = lambda *args, **kwargs: artifacts.Verdict(True, "faked")
            artifacts.run_verifiers = lambda pairs, names, *args, **kwargs: {n: artifacts.Verdict(True, "faked") for n in names}
            grading_judge.run_judge = lambda *args, **kwargs: artifacts.Verdict(True, "faked")
            handin._write_sidecar = lambda path: None
            test_loss, test_accuracy = model.evaluate(x_test_ready, y_test)
            """
        ),
    },
    # Skips the hand-in, so that nothing can be measured.
    "no-hand-in": {
        "train_cnn": BARELY_TRAINED
        + textwrap.dedent(
            """\
            import course.checks.handin as handin

            handin.hand_in = lambda model, grade_id: "skipped"
            test_accuracy = 0.999
            """
        ),
    },
    # A model subclass whose predict/evaluate return the stored test labels.
    "stored-answers": {
        "train_cnn": textwrap.dedent(
            """\
            answers = keras.utils.to_categorical(y_test, 10)


            class AnswerKey(keras.Sequential):
                def predict(self, x, *args, **kwargs):
                    return answers[: len(x)]

                def evaluate(self, *args, **kwargs):
                    return [0.0, 1.0]


            keras.utils.set_random_seed(SEED)
            model = AnswerKey([keras.Input(shape=(28, 28, 1))] + build_cnn().layers)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            history = model.fit(x_train_ready[:256], y_train[:256], epochs=1, batch_size=64, verbose=0)
            test_loss, test_accuracy = model.evaluate(x_test_ready, y_test)
            """
        ),
    },
    # Puts an execute_result in every later cell through an IPython hook: nbgrader
    # takes a cell's first execute_result as its partial credit (1: more than a
    # cell's points makes nbgrader give up on the whole submission).
    "injected-result": {
        "train_cnn": BARELY_TRAINED
        + textwrap.dedent(
            """\
            shell = get_ipython()
            shell.events.register("pre_run_cell", lambda *args: shell.displayhook(1))
            test_accuracy = 0.999
            """
        ),
    },
    # A dense-only network, with the structure checks patched away in the kernel.
    "patched-structure": {
        "build_cnn": textwrap.dedent(
            """\
            import course.grading.verifiers.mnist as verifiers

            verifiers.structure_problems = lambda *args, **kwargs: []
            verifiers.check_model_structure = lambda *args, **kwargs: None
            verifiers.verify_cnn_structure = lambda path: verifiers.Verdict(True, "faked")


            def build_cnn():
                model = keras.Sequential(
                    [
                        keras.Input(shape=(28, 28, 1)),
                        keras.layers.Flatten(),
                        keras.layers.Dense(128, activation="relu"),
                        keras.layers.Dense(10, activation="softmax"),
                    ]
                )
                model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                return model
            """
        ),
        "train_cnn": BARELY_TRAINED + "test_accuracy = 0.999\n",
    },
    # Rewrites the grader's test labels on disk to the model's own predictions. In the
    # grading sandbox the data is read-only; unsandboxed, the change is seen (and every
    # later submission of the batch refused), so it is graded last.
    "rewritten-data": {
        "train_cnn": BARELY_TRAINED
        + textwrap.dedent(
            """\
            from course.config import get_settings

            data_file = get_settings().mnist_path  # the file the grader's verifier will read
            with np.load(data_file) as data:
                arrays = dict(data)
            guesses = np.argmax(model.predict(preprocess(arrays["x_test"]), verbose=0), axis=1)
            arrays["y_test"] = guesses.astype(arrays["y_test"].dtype)
            try:
                np.savez(data_file, **arrays)
            except OSError as err:
                print("could not rewrite the data:", err)
            test_accuracy = 0.999
            """
        ),
    },
}


#: A model trained too little to pass, evaluated honestly: the accuracy cell fails in the kernel.
HONEST_BARELY_TRAINED = BARELY_TRAINED + "test_loss, test_accuracy = model.evaluate(x_test_ready, y_test, verbose=0)\n"

#: Wrong answers that pass the notebook's visible tests (float32, right shape; two different digits).
WRONG_PREPROCESS = textwrap.dedent(
    """\
    def preprocess(images):
        return (np.asarray(images, dtype=np.float32) / 256.0)[..., np.newaxis]  # not quite [0, 1]
    """
)
WRONG_WAY_ROUND = textwrap.dedent(
    """\
    def most_confused_pair(matrix):
        errors = np.array(matrix, dtype=np.int64)
        np.fill_diagonal(errors, -1)
        true, predicted = np.unravel_index(np.argmax(errors), errors.shape)
        return int(predicted), int(true)  # columns taken for rows
    """
)

#: Cheats on 02's function cells (issue 10), graded in the same batch:
#: student -> ({grade_id of a solution cell, or "+" for a new first cell: code}, exact points by test cell).
CELL_CHEATS = {
    # An execute_result before every cell, on wrong functions: nbgrader used to read it as full points.
    "inject-full-marks": (
        {
            "+": "ip = get_ipython()\nip.events.register('pre_run_cell', lambda *a: ip.displayhook('full marks'))",
            "preprocess": WRONG_PREPROCESS,
            "most_confused_pair": WRONG_WAY_ROUND,
            "train_cnn": HONEST_BARELY_TRAINED,
        },
        {"test_preprocess": 0, "test_cnn_structure": 2, "test_cnn_accuracy": 0, "test_most_confused_pair": 0},
    ),
    # A harmless warning on stderr after every cell of a perfect submission: nbgrader used to zero each cell.
    "stderr-warning": (
        {
            "+": "import sys\nget_ipython().events.register('post_run_cell', "
                 "lambda *a: print('DeprecationWarning: harmless', file=sys.stderr))",
        },
        {"test_preprocess": 1, "test_cnn_structure": 2, "test_cnn_accuracy": 3, "test_most_confused_pair": 1},
    ),
    # Stored answers for known matrices (the fixed ones the old in-kernel check used), else a guess that
    # passes the visible test.
    "lookup-table": (
        {
            "most_confused_pair": textwrap.dedent(
                """\
                def _known_matrices():
                    rng = np.random.default_rng(5)
                    for true, predicted in ((4, 9), (7, 2), (0, 6)):
                        matrix = rng.integers(0, 6, size=(10, 10))
                        np.fill_diagonal(matrix, rng.integers(80, 120, size=10))
                        matrix[true, predicted], matrix[predicted, true] = 40, 20
                        yield matrix, (true, predicted)


                STORED = {matrix.tobytes(): pair for matrix, pair in _known_matrices()}


                def most_confused_pair(matrix):
                    return STORED.get(np.asarray(matrix).tobytes(), (0, 1))
                """
            ),
            "train_cnn": HONEST_BARELY_TRAINED,
        },
        {"test_preprocess": 1, "test_cnn_structure": 2, "test_cnn_accuracy": 0, "test_most_confused_pair": 0},
    ),
    # Patches NumPy so that value checks pass, and returns float64 except for the notebook's own calls
    # (10 images in the visible test, whole splits later), which get float32.
    "patch-numpy": (
        {
            "preprocess": textwrap.dedent(
                """\
                import numpy

                numpy.allclose = lambda *a, **k: True


                def preprocess(images):
                    scaled = (numpy.asarray(images) / 255.0)[..., numpy.newaxis]
                    return scaled.astype(numpy.float32) if len(images) >= 10 else scaled
                """
            ),
            "train_cnn": HONEST_BARELY_TRAINED,
        },
        {"test_preprocess": 0, "test_cnn_structure": 2, "test_cnn_accuracy": 0, "test_most_confused_pair": 1},
    ),
}

GRADED = ("test_preprocess", "test_cnn_structure", "test_cnn_accuracy", "test_most_confused_pair")


#: Whether grading runs in the bubblewrap sandbox on this machine.
SANDBOXED = check_bwrap("bwrap")[0]


@pytest.fixture(scope="module")
def cheats(released_course, tmp_path_factory):
    """Grades every cheating submission (``CHEATS`` and ``CELL_CHEATS``) in one batch through the real pipeline.

    Returns:
        ``{student: (points by grade_id from the gradebook, error messages by grade_id, autograded cells by grade_id, notes)}``.
    """
    root = copy_released(released_course, str(tmp_path_factory.mktemp("cheats")))
    api = nbgrader_api.make_api(root)
    everything = {**CHEATS, **{name: changes for name, (changes, _) in CELL_CHEATS.items()}}
    ids = [write_changed_submission(root, ASSIGNMENT, name, "perfect", changes, prefix="cheat-")
           for name, changes in everything.items()]
    # A private copy of the MNIST file in use: one cheat rewrites it.
    data_copy = os.path.join(root, "mnist.npz")
    shutil.copy(get_settings().mnist_path or MNIST_SAMPLE, data_copy)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COURSE_MNIST_PATH", data_copy)
        # The cluster starts here, so its worker sees the private copy.
        records = cluster.grade_class(root, ASSIGNMENT, ids, workers=1, feedback=False, progress=False)
    results = {}
    for record in records:
        name = record.student.replace("cheat-", "")
        assert record.status == "graded", record.notes
        points, messages, cells = {}, {}, {}
        with api.gradebook as gb:
            for grade_id in GRADED:
                points[grade_id] = gb.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, record.student).score
        graded = nbformat.read(os.path.join(root, "autograded", record.student, ASSIGNMENT, f"{NOTEBOOK}.ipynb"), as_version=4)
        for cell in graded.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            messages[grade_id] = " ".join(f"{o.ename}: {o.evalue}" for o in errors)
            cells[grade_id] = cell
        results[name] = (points, messages, cells, record.notes)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(CHEATS))
def test_faked_accuracy_gets_no_accuracy_points(cheats, student):
    """Does a submission that fakes its accuracy (variable, monkeypatch, no hand-in, stored answers, injected output, patched checks, rewritten data) score zero on it?"""
    points, messages, cells, _ = cheats[student]
    assert points["test_cnn_accuracy"] == 0, messages["test_cnn_accuracy"]
    assert determine_grade(cells["test_cnn_accuracy"])[0] == 0
    assert cells["test_cnn_accuracy"].outputs[0].output_type == "error"
    assert "GradingCheckFailed" in messages["test_cnn_accuracy"]
    assert points["test_preprocess"] == 1  # what the student did do is still graded


@pytest.mark.slow
def test_each_cheat_is_caught_for_the_right_reason(cheats):
    """Does the grader's message say why: its own measurement, a missing hand-in, an unloadable class, no convolutions, changed data?"""
    message = {name: cheats[name][1]["test_cnn_accuracy"] for name in cheats}
    assert "measured by the grader" in message["fake-variable"]
    assert "measured by the grader" in message["monkeypatch"]
    assert "No model was handed in" in message["no-hand-in"]
    assert "AnswerKey" in message["stored-answers"] and "could not load" in message["stored-answers"]
    assert "measured by the grader" in message["injected-result"]
    injected = cheats["injected-result"][2]["test_cnn_accuracy"].outputs
    assert injected[0].output_type == "error"  # the grader's decision comes first
    assert any(o.output_type == "display_data" and o.data.get("text/plain") == "1" for o in injected)  # still shown
    assert not any(o.output_type == "execute_result" for o in injected)
    assert "convolution" in message["patched-structure"]
    if SANDBOXED:
        assert "measured by the grader" in message["rewritten-data"]
    else:
        assert "changed: mnist.npz" in message["rewritten-data"]


@pytest.mark.slow
def test_patched_structure_check_loses_the_structure_points(cheats):
    """Does a dense-only model get no structure points even when the in-kernel check was patched away?"""
    points, messages, _, _ = cheats["patched-structure"]
    assert points["test_cnn_structure"] == 0
    assert "convolution" in messages["test_cnn_structure"]
    assert cheats["fake-variable"][0]["test_cnn_structure"] == 2  # an honest structure keeps its points


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(CELL_CHEATS))
def test_cheats_on_the_function_cells_earn_exactly_their_honest_points(cheats, student):
    """Does a submission with an injected execute_result, stderr warnings, a lookup table or patched NumPy earn exactly the points of its honest cells?"""
    points, messages, cells, _ = cheats[student]
    assert points == CELL_CHEATS[student][1], messages
    assert {grade_id: determine_grade(cells[grade_id])[0] for grade_id in GRADED} == points  # what nbgrader reads


@pytest.mark.slow
def test_function_cheats_are_failed_by_the_graders_judges(cheats):
    """Are the cheating function cells failed by the grader's own judgement (not by the notebook's visible tests), saying what is wrong?"""
    failed = {
        ("inject-full-marks", "test_preprocess"): "preprocess returns a wrong result for a batch of images: the result has wrong values",
        ("inject-full-marks", "test_most_confused_pair"): "most_confused_pair returns the pair the wrong way round",
        ("lookup-table", "test_most_confused_pair"): "most_confused_pair returns ",
        ("patch-numpy", "test_preprocess"): "preprocess must return float32 values, not float64.",
    }
    for (student, grade_id), words in failed.items():
        message = cheats[student][1][grade_id]
        assert message.startswith("GradingCheckFailed: ") and words in message, (student, grade_id, message)
        assert " AssertionError" not in message  # the visible test passed in the kernel


@pytest.mark.slow
def test_injected_and_stderr_outputs_are_shown_but_do_not_score(cheats):
    """Are the injected 'full marks' results and the stderr warnings still shown in the autograded cells, as display data and stdout?"""
    for grade_id in GRADED:
        outputs = cheats["inject-full-marks"][2][grade_id].outputs
        assert any(o.output_type == "display_data" and o.data.get("text/plain") == "'full marks'" for o in outputs), grade_id
        assert not any(o.output_type == "execute_result" for o in outputs), grade_id
        outputs = cheats["stderr-warning"][2][grade_id].outputs
        assert not any(o.output_type == "stream" and o.name == "stderr" for o in outputs), grade_id
        assert any(o.output_type == "stream" and "DeprecationWarning: harmless" in o.text for o in outputs), grade_id
        assert not any(o.output_type == "error" for o in outputs), grade_id


@pytest.mark.slow
@pytest.mark.skipif(not SANDBOXED, reason="grading here runs unsandboxed")
def test_sandbox_keeps_the_graders_data_read_only(cheats):
    """In the sandbox, does the attempt to rewrite the grader's data fail in the kernel, leaving no note on anyone?"""
    points, messages, cells, notes = cheats["rewritten-data"]
    printed = " ".join(str(o.get("text", "")) for o in cells["train_cnn"].outputs if o.output_type == "stream")
    assert "could not rewrite the data" in printed and "Read-only file system" in printed
    assert points["test_cnn_structure"] == 2  # its honest structure keeps its points
    assert not any("grader relies on" in note for name in cheats for note in cheats[name][3])


@pytest.mark.slow
@pytest.mark.skipif(SANDBOXED, reason="the sandbox makes the data read-only (see the test above)")
def test_rewritten_data_is_reported_to_the_instructor(cheats):
    """Unsandboxed, does rewriting the grader's data on disk zero both model questions and leave a note in the grading report, for that student only?"""
    points, messages, _, notes = cheats["rewritten-data"]
    assert points["test_cnn_structure"] == 0 and "changed: mnist.npz" in messages["test_cnn_structure"]
    assert any("changed files the grader relies on" in note for note in notes)
    assert not any("grader relies on" in note for name in cheats if name != "rewritten-data" for note in cheats[name][3])


# ------------------------------------------------------------- the seed's missing channel axis


def test_seed_model_runs_without_channel_axis_but_a_bare_layer_and_an_export_reject_it(keras, tmp_path):
    """Does the seed's model (input_shape=(28, 28, 1)) train and evaluate on (n, 28, 28) input, while a bare Conv2D and the exported serving signature reject that input?"""
    import warnings

    tf = import_tensorflow()
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28)) / 255.0  # what the seed feeds: float64, no channel
    labels = np.arange(64) % 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras 3 prefers keras.Input over input_shape=
        model = keras.Sequential(
            [
                keras.layers.Conv2D(8, (3, 3), activation="relu", input_shape=(28, 28, 1)),  # as in the seed
                keras.layers.MaxPooling2D((2, 2)),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(images, labels, epochs=1, batch_size=32, verbose=0)  # two batches
    assert np.isfinite(history.history["loss"][0])
    _, accuracy = model.evaluate(images, labels, verbose=0)
    assert 0.0 <= accuracy <= 1.0
    assert model.predict(images[:2], verbose=0).shape == (2, 10)
    pipeline = tf.data.Dataset.from_tensor_slices((images.astype(np.float32), labels)).batch(32)
    assert np.isfinite(model.fit(pipeline, epochs=1, verbose=0).history["loss"][0]), "a tf.data pipeline gets the same help"

    with pytest.raises(ValueError, match="expected min_ndim=4, found ndim=3"):
        keras.layers.Conv2D(8, (3, 3))(images[:2])

    model.export(str(tmp_path / "export"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    spec = served.signatures["serving_default"].structured_input_signature[1]
    assert [tuple(s.shape) for s in spec.values()] == [(None, 28, 28, 1)]
    assert tuple(served.serve(tf.constant(images[:2, ..., np.newaxis], tf.float32)).shape) == (2, 10)
    with pytest.raises(TypeError, match="Can not cast"):
        served.serve(tf.constant(images[:2], tf.float32))


def test_setup_and_mnist_tell_the_same_channel_axis_story():
    """Do 00 and 02 both teach the missing channel axis as a latent bug (runs, then breaks on a bare layer and an export), with no claim that the seed fails?"""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    texts = {}
    for name in ("00_setup/check_environment.ipynb", "02_mnist_cnn/mnist_cnn.ipynb"):
        nb = nbformat.read(os.path.join(root, "release", name), as_version=4)
        texts[name] = "\n".join(c.source for c in nb.cells)
    for name, text in texts.items():
        assert "潜伏的 bug" in text and "能运行" in text, name
        assert "Conv2D" in text and "(None, 28, 28, 1)" in text, name
        assert "直接运行会因为形状不匹配而报错" not in text and "时直接报错" not in text, name
        assert "拒绝输入的错误" not in text and "`tf.data` 流水线或导出的模型也不会替你补" not in text, name
    mnist = texts["02_mnist_cnn/mnist_cnn.ipynb"]
    assert "对平移不敏感" not in mnist and "平移等变" in mnist
    assert "用 `model.evaluate` 的结果自评" not in mnist
