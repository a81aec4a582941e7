"""Tests for course/checks/mnist.py and the hidden tests of assignment 02 (CNN on MNIST).

Fast tests build small untrained models. Slow tests train briefly, or grade
synthetic submissions that try to fake their accuracy through the course's
real nbgrader pipeline (each notebook runs in a kernel, each handed-in model is
judged by the verifiers in a fresh process).
"""

import os
import shutil
import textwrap

import nbformat
import numpy as np
import pytest

from conftest import copy_released
from course.checks import mnist
from course.config import get_settings
from course.data import MNIST_SAMPLE
from course.grading import pipeline
from course.grading.artifacts import run_verifier
from course.grading.sandbox import probe
from course.grading.students import DEFAULT_TIMESTAMP, fill_solutions
from course.profiles import get_profile
from course.runtime import import_tensorflow

ASSIGNMENT = "02_mnist_cnn"
NOTEBOOK = "mnist_cnn"
BUDGET = 2_000_000


@pytest.fixture(scope="module")
def keras():
    """Keras, imported quietly."""
    import_tensorflow()
    import keras

    return keras


@pytest.fixture
def sample_data(course_env):
    """The verifiers read the embedded MNIST sample (5,000 training, 10,000 test digits), on the CPU profile."""
    course_env.setenv("COURSE_DATA_SOURCE", "sample")
    course_env.setenv("COURSE_PROFILE", "cpu")
    return course_env


def _model(keras, convs=2, pool=True, head="softmax", loss="sparse_categorical_crossentropy", shape=(28, 28, 1), dense=128, compile=True):
    """A small model in the style of the assignment, varied one property at a time."""
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


def _dense_only(keras):
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


def _raises(function, *args) -> str:
    with pytest.raises(AssertionError) as info:
        function(*args)
    return str(info.value)


# ------------------------------------------------------------------ preprocessing


def test_preprocess_check_accepts_a_correct_function():
    """Does check_preprocess accept scaling to float32 [0, 1] with a channel axis?"""
    mnist.check_preprocess(lambda x: (np.asarray(x, np.float32) / 255.0)[..., None])


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x: x / 255.0, "channel axis"),  # the seed's code
        (lambda x: (x / 255.0)[..., None], "float32"),
        (lambda x: (np.asarray(x, np.float32) / 127.5 - 1)[..., None], "0.0–1.0"),
        (lambda x: np.divide(x, 255, out=x, casting="unsafe")[..., None], "must not change"),
        (lambda x: (np.asarray(x, np.float32) / 255.0).squeeze()[..., None], "any number"),
    ],
)
def test_preprocess_check_names_the_mistake(wrong, words):
    """Does check_preprocess reject each typical mistake with a message saying what is wrong?"""
    assert words in _raises(mnist.check_preprocess, wrong)


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
    assert mnist.structure_problems(model, BUDGET) == []


def test_logits_with_a_from_logits_loss_and_functional_models_pass(keras):
    """Are logits with SparseCategoricalCrossentropy(from_logits=True), and functional models, accepted?"""
    logits = _model(keras, head=None, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert mnist.structure_problems(logits, BUDGET) == []
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    x = keras.layers.Conv2D(16, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    functional = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    functional.compile(optimizer="adam", loss=keras.losses.sparse_categorical_crossentropy)
    assert mnist.structure_problems(functional, BUDGET) == []


def test_dense_only_model_fails_the_structure_test(keras):
    """Does a dense-only network fail, with a message about convolution and pooling?"""
    message = _raises(mnist.check_cnn_structure, lambda: _dense_only(keras))
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
    message = _raises(mnist.check_cnn_structure, lambda: _model(keras, **kwargs))
    assert words in message, message


def test_softmax_with_a_from_logits_loss_is_rejected(keras):
    """Is a softmax output trained with from_logits=True (a double softmax) rejected?"""
    model = _model(keras, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert "without from_logits" in _raises(mnist.check_model_structure, model, BUDGET)


def test_unfinished_or_wrong_build_cnn_gets_a_clear_message(keras):
    """Do an unimplemented build_cnn and one returning no model fail with a clear message?"""
    def unfinished():
        raise NotImplementedError()

    assert "not implemented" in _raises(mnist.check_cnn_structure, unfinished)
    assert "Keras model" in _raises(mnist.check_cnn_structure, lambda: "a model")


def test_untrained_model_is_not_handed_in(keras):
    """Does the in-kernel check refuse a model that was never fit?"""
    assert "not been trained" in _raises(mnist.check_cnn_trained, _model(keras))


# ------------------------------------------------------------- confusion matrix


def _reference_pair(matrix):
    errors = np.array(matrix, dtype=np.int64)
    np.fill_diagonal(errors, -1)
    return tuple(int(v) for v in np.unravel_index(np.argmax(errors), errors.shape))


def test_most_confused_pair_check():
    """Does the check accept a correct answer and explain the diagonal, order and mutation mistakes?"""
    mnist.check_most_confused_pair(_reference_pair)

    def with_diagonal(m):
        return tuple(int(v) for v in np.unravel_index(np.argmax(m), np.shape(m)))

    def swapped(m):
        return _reference_pair(m)[::-1]

    def mutating(m):
        np.fill_diagonal(m, 0)
        return tuple(int(v) for v in np.unravel_index(np.argmax(m), m.shape))

    assert "diagonal" in _raises(mnist.check_most_confused_pair, with_diagonal)
    assert "wrong way round" in _raises(mnist.check_most_confused_pair, swapped)
    assert "must not change" in _raises(mnist.check_most_confused_pair, mutating)


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
    verdict = mnist.verify_cnn_accuracy(_save(_model(keras), tmp_path / "m.keras"))
    assert not verdict.passed
    assert verdict.metrics["accuracy"] < 0.5 and verdict.metrics["test_digits"] == 10_000
    assert "measured by the grader" in verdict.message and "requires at least" in verdict.message


def test_verifier_rechecks_structure_of_the_saved_model(keras, sample_data, tmp_path):
    """Does a dense-only model fail the structure and accuracy verifiers, whatever in-kernel checks said?"""
    path = _save(_dense_only(keras), tmp_path / "dense.keras")
    for verify in (mnist.verify_cnn_structure, mnist.verify_cnn_accuracy):
        verdict = verify(path)
        assert not verdict.passed and "convolution" in verdict.message


def test_structure_verifier_passes_a_good_fresh_model(keras, sample_data, tmp_path):
    """Does a fresh, compiled CNN of the required structure pass the structure verifier?"""
    verdict = mnist.verify_cnn_structure(_save(_model(keras), tmp_path / "m.keras"))
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
            mnist.verify_cnn_accuracy(verdict_path)


def test_patches_in_the_grading_process_do_not_reach_the_verifier(keras, sample_data, tmp_path, monkeypatch):
    """With evaluate, predict, __call__ and the course's helpers patched here, does the fresh process still fail an untrained model?"""
    path = _save(_model(keras), tmp_path / "m.keras")
    perfect = lambda *args, **kwargs: 1.0  # noqa: E731
    monkeypatch.setattr(keras.Model, "evaluate", lambda self, *a, **k: [0.0, 1.0])
    monkeypatch.setattr(keras.Model, "predict", lambda self, x, *a, **k: np.eye(10)[: len(x)])
    monkeypatch.setattr(mnist, "grader_accuracy", perfect)
    monkeypatch.setattr(mnist, "structure_problems", lambda *args, **kwargs: [])
    verdict = run_verifier("course.grading.verifiers.mnist:verify_cnn_accuracy", path, timeout=300)
    assert not verdict.passed and verdict.metrics["accuracy"] < 0.5, verdict


@pytest.mark.slow
def test_barely_trained_model_fails_the_accuracy_verifier(keras, sample_data, tmp_path):
    """Does a CNN trained for one epoch on 256 digits fail the accuracy verifier?"""
    keras.utils.set_random_seed(1)
    from course.data import load_mnist

    (x_train, y_train), _ = load_mnist(verbose=False)
    model = _model(keras)
    model.fit(mnist.grader_preprocess(x_train[:256]), y_train[:256], epochs=1, batch_size=64, verbose=0)
    verdict = mnist.verify_cnn_accuracy(_save(model, tmp_path / "m.keras"))
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
    # Patches Keras and the course's grading helpers in the kernel.
    "monkeypatch": {
        "train_cnn": BARELY_TRAINED
        + textwrap.dedent(
            """\
            import course.checks.mnist as mnist_checks
            import course.grading.artifacts as artifacts

            answers = keras.utils.to_categorical(y_test, 10)
            keras.Model.predict = lambda self, x, *args, **kwargs: answers[: len(x)]
            keras.Model.evaluate = lambda self, *args, **kwargs: [0.0, 1.0]
            keras.Model.__call__ = lambda self, x, *args, **kwargs: answers[: len(x)]
            mnist_checks.grader_accuracy = lambda *args, **kwargs: 1.0
            mnist_checks.verify_cnn_accuracy = lambda path: artifacts.Verdict(True, "faked")
            artifacts.run_verifier = lambda *args, **kwargs: artifacts.Verdict(True, "faked")
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
    # A dense-only network, with the in-kernel structure checks patched away.
    "patched-structure": {
        "build_cnn": textwrap.dedent(
            """\
            import course.checks.mnist as mnist_checks

            mnist_checks.check_cnn_structure = lambda build: build()
            mnist_checks.check_model_structure = lambda *args, **kwargs: None
            mnist_checks.check_cnn_trained = lambda model: None


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


#: Whether grading runs in the bubblewrap sandbox on this machine.
SANDBOXED = probe("bwrap")[0]


def _write_cheat(root: str, student: str, replacements: dict) -> str:
    release = nbformat.read(os.path.join(root, "release", ASSIGNMENT, f"{NOTEBOOK}.ipynb"), as_version=4)
    source = nbformat.read(os.path.join(root, "source", ASSIGNMENT, f"{NOTEBOOK}.ipynb"), as_version=4)
    nb = fill_solutions(release, source)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    student_id = f"cheat-{student}"
    folder = os.path.join(root, "submitted", student_id, ASSIGNMENT)
    os.makedirs(folder)
    nbformat.write(nb, os.path.join(folder, f"{NOTEBOOK}.ipynb"))
    with open(os.path.join(folder, "timestamp.txt"), "w") as fh:
        fh.write(DEFAULT_TIMESTAMP)
    return student_id


@pytest.fixture(scope="module")
def cheats(released_course, tmp_path_factory):
    """Grades every cheating submission through the real pipeline.

    Returns:
        ``{student: (points by grade_id, error messages by grade_id, graded cells by grade_id, notes)}``.
    """
    root = copy_released(released_course, str(tmp_path_factory.mktemp("cheats")))
    api = pipeline.make_api(root)
    ids = [_write_cheat(root, name, replacements) for name, replacements in CHEATS.items()]
    # A private copy of the MNIST file in use: one cheat rewrites it.
    data_copy = os.path.join(root, "mnist.npz")
    shutil.copy(get_settings().mnist_path or MNIST_SAMPLE, data_copy)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COURSE_MNIST_PATH", data_copy)
        records = pipeline.grade_batch(api, ASSIGNMENT, ids, feedback=False, kernel_log=os.path.join(root, "kernels.log"))
    results = {}
    for record in records:
        name = record.student.replace("cheat-", "")
        assert record.status == "graded", record.notes
        points, messages, cells = {}, {}, {}
        with api.gradebook as gb:
            for grade_id in ("test_preprocess", "test_cnn_structure", "test_cnn_accuracy", "test_most_confused_pair"):
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
    assert any(o.output_type == "execute_result" and o.data.get("text/plain") == "1" for o in injected)
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
