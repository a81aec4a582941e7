"""Tests for course/compression.py and the verifiers of assignment 04 (course/grading/verifiers/compression.py).

Fast tests use small untrained models; the verifier tests read the embedded
MNIST sample. The cheats on the three verified cells (an unquantized model
handed in as the int8 one, a faked size, a pruning mask that is not applied)
are judged by the real verifiers on the saved files (called in-process here;
the grading pipeline runs them in a fresh sandboxed process, which
tests/test_grading.py covers for every assignment).
"""

import os

import numpy as np
import pytest

from course import compression
from course.grading.child import load_target as load_verifier
from course.grading.verifiers import compression as verifiers
from course.runtime import import_tensorflow

INT8 = "course.grading.verifiers.compression:verify_int8_model"
PRUNED = "course.grading.verifiers.compression:verify_pruned_model"
STUDENT = "course.grading.verifiers.compression:verify_distilled_student"


def reference_cnn(keras, conv=(32, 64), dense=128):
    """The reference CNN of the notebook (logits out), optionally resized."""
    model = keras.Sequential(
        [keras.Input(shape=(28, 28, 1))]
        + [layer for filters in conv for layer in (keras.layers.Conv2D(filters, (3, 3), activation="relu"), keras.layers.MaxPooling2D((2, 2)))]
        + [keras.layers.Flatten(), keras.layers.Dense(dense, activation="relu"), keras.layers.Dense(10)]
    )
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def uncompiled_copy(keras, model):
    """A copy without compile state (clone_model would copy it), as the notebook's deployable()."""
    copy = model.__class__.from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def prune(keras, model, share):
    """Magnitude-prunes each Conv2D/Dense kernel in place; returns the kept masks."""
    masks = {}
    for kernel in compression.prunable_kernels(model):
        values = keras.ops.convert_to_numpy(kernel)
        k = int(np.floor(share * values.size))
        order = np.argsort(np.abs(values).ravel(), kind="stable")
        keep = np.ones(values.size, dtype=bool)
        keep[order[:k]] = False
        keep = keep.reshape(values.shape)
        kernel.assign(values * keep)
        masks[kernel.path] = keep
    return masks


# ------------------------------------------------------------- helpers


def test_pareto_front_keeps_only_undominated_variants():
    """Is a variant on the front exactly when no other is at least as cheap and as accurate, and better in one?"""
    costs = [1.0, 2.0, 0.5, 2.0, 0.5]
    accuracies = [0.97, 0.98, 0.95, 0.97, 0.90]
    assert compression.pareto_front(costs, accuracies) == [2, 0, 1]
    assert compression.pareto_front([1.0], [0.5]) == [0]
    with pytest.raises(ValueError):
        compression.pareto_front([1.0, 2.0], [0.5])


def test_weight_bytes_counts_each_dtype(keras):
    """Does weight_bytes count 4 bytes per float32 entry and 1 per int8 entry (plus the scales)?"""
    model = reference_cnn(keras)
    assert compression.weight_bytes(model) == 4 * model.count_params()
    quantized = uncompiled_copy(keras, model)
    quantized.quantize("int8")
    dense_entries = 1600 * 128 + 128 * 10
    expected = 4 * (model.count_params() - dense_entries) + dense_entries + 4 * (128 + 10)
    assert compression.weight_bytes(quantized) == expected


def test_saved_file_holds_the_optimizer_state_of_a_trained_model(keras):
    """Is a trained model's .keras file about three times its weights (Adam's two moments), and a clone's not?"""
    model = reference_cnn(keras, conv=(8, 16), dense=32)
    model.fit(np.zeros((8, 28, 28, 1), "float32"), np.zeros(8, "int64"), epochs=1, verbose=0)
    weights = compression.weight_bytes(model)
    assert compression.saved_size(model) > 2.5 * weights
    assert compression.saved_size(uncompiled_copy(keras, model)) < 1.5 * weights + 20_000


def test_gzip_size_counts_the_weights_only_not_the_optimizer_state(keras):
    """Issue 20 item 5: is a trained, compiled model's gzip size that of its weights alone (no Adam moments),
    so that a pruned model's gzip size is below the dense float32 one?"""
    model = reference_cnn(keras, conv=(8, 16), dense=32)
    rng = np.random.default_rng(0)
    model.fit(rng.random((32, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 32), epochs=1, verbose=0)
    assert compression.gzip_size(model) == compression.gzip_size(uncompiled_copy(keras, model))
    dense = compression.gzip_size(model)
    assert dense <= compression.weight_bytes(model) * 1.01
    prune(keras, model, 0.8)
    assert compression.gzip_size(model) < 0.5 * dense


def test_keep_pruned_keeps_the_zeros_through_fine_tuning(keras):
    """Does KeepPruned hold the sparsity while training, and does training without it lose it?"""
    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    y = np.arange(64) % 10
    for keep in (True, False):
        model = reference_cnn(keras, conv=(8, 16), dense=32)
        masks = prune(keras, model, 0.8)
        assert compression.sparsity(model) == pytest.approx(0.8, abs=0.005)
        callbacks = [compression.KeepPruned(model, masks).callback()] if keep else []
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=callbacks)
        if keep:
            assert compression.sparsity(model) == pytest.approx(0.8, abs=0.005)
        else:
            assert compression.sparsity(model) < 0.7  # weights with a gradient grow back


def test_keep_pruned_rejects_masks_that_do_not_fit(keras):
    """Does KeepPruned refuse a mask of another shape or an unknown weight?"""
    model = reference_cnn(keras, conv=(8, 16), dense=32)
    kernel = compression.prunable_kernels(model)[0]
    with pytest.raises(ValueError):
        compression.KeepPruned(model, {kernel.path: np.ones((2, 2), bool)})
    with pytest.raises(ValueError):
        compression.KeepPruned(model, {"no/such/weight": np.ones((2, 2), bool)})


def test_sparse_and_gzip_sizes_shrink_with_sparsity_but_the_file_does_not(keras, tmp_path):
    """Does a 90 % sparse model keep its .keras size while its gzip and sparse-format sizes shrink?"""
    model = reference_cnn(keras, conv=(8, 16), dense=64)
    dense = uncompiled_copy(keras, model)
    sparse = uncompiled_copy(keras, model)
    prune(keras, sparse, 0.9)
    assert abs(compression.saved_size(sparse) - compression.saved_size(dense)) < 2_000
    assert compression.gzip_size(sparse) < 0.5 * compression.gzip_size(dense)
    assert compression.sparse_bytes(sparse) < 0.35 * compression.sparse_bytes(dense)


def test_latency_and_accuracy_helpers(keras):
    """Do latency_ms and accuracy return sensible numbers?"""
    model = reference_cnn(keras, conv=(8, 16), dense=32)
    x = np.zeros((32, 28, 28, 1), "float32")
    assert compression.latency_ms(model, x, repeats=2, warmup=1) > 0
    assert 0.0 <= compression.accuracy(model, x, np.zeros(32, "int64"), batch_size=10) <= 1.0


# ------------------------------------------------- verifiers and cheats


def run_verifier(spec, path):
    """Runs a verifier on a saved model (here in-process; the pipeline runs it in a fresh sandboxed one)."""
    return load_verifier(spec)(path)


def _save(model, tmp_path, name):
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    return path


def test_int8_verifier_reads_the_stored_bytes(keras, tmp_path):
    """Does the verifier's stored-bytes ratio of the reference CNN in int8 come to about 0.31 (Conv2D stays float32)?"""
    quantized = uncompiled_copy(keras, reference_cnn(keras))
    quantized.quantize("int8")
    path = _save(quantized, tmp_path, "int8")
    stored = sum(size for _, _, size in verifiers.stored_weights(path))
    ratio = stored / verifiers.float32_bytes(quantized)
    assert 0.30 < ratio < 0.33
    assert verifiers.float32_bytes(quantized) == 4 * 225_034


def test_cheat_unquantized_model_handed_in_as_int8_fails(keras, sample_data, tmp_path):
    """Cheat 1: the float model saved under the int8 cell gets no points, whatever it is called."""
    model = uncompiled_copy(keras, reference_cnn(keras))
    verdict = run_verifier(INT8, _save(model, tmp_path, "test_int8_model"))
    assert not verdict.passed
    assert "not quantized to int8" in verdict.message


def test_cheat_fake_quantization_and_faked_size_fail(keras, sample_data, tmp_path):
    """Cheat 2 (a faked size): weights rounded to 255 levels but stored as float32, or int8 Dense beside big float layers, get no points."""
    model = uncompiled_copy(keras, reference_cnn(keras))
    for kernel in compression.prunable_kernels(model):
        values = keras.ops.convert_to_numpy(kernel)
        scale = np.abs(values).max() / 127
        kernel.assign(np.round(values / scale) * scale)  # int8 levels, float32 bytes
    verdict = run_verifier(INT8, _save(model, tmp_path, "fake"))
    assert not verdict.passed and "not quantized to int8" in verdict.message

    heavy = uncompiled_copy(keras, reference_cnn(keras, conv=(256, 256), dense=16))
    heavy.quantize("int8")
    verdict = run_verifier(INT8, _save(heavy, tmp_path, "heavy"))
    assert not verdict.passed and "of the same model in float32" in verdict.message


def test_cheat_pruning_mask_not_applied_fails(keras, sample_data, tmp_path):
    """Cheat 3: masks computed and the model fine-tuned without them (the zeros grow back) gets no points."""
    model = uncompiled_copy(keras, reference_cnn(keras))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    prune(keras, model, 0.8)
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype("float32")
    model.fit(x, np.arange(32) % 10, epochs=1, batch_size=16, verbose=0)  # no KeepPruned callback
    verdict = run_verifier(PRUNED, _save(model, tmp_path, "test_pruned_model"))
    assert not verdict.passed
    assert "are zero" in verdict.message and verdict.metrics["sparsity"] < 0.75


def test_student_over_the_budget_fails(keras, sample_data, tmp_path):
    """Is a student with more than a tenth of the teacher's parameters refused before its accuracy is measured?"""
    model = uncompiled_copy(keras, reference_cnn(keras, conv=(16, 32), dense=64))
    verdict = run_verifier(STUDENT, _save(model, tmp_path, "student"))
    assert not verdict.passed and "over the budget" in verdict.message


def test_other_shapes_are_refused(keras, sample_data, tmp_path):
    """Is a model of another input shape refused by all three verifiers?"""
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    path = _save(model, tmp_path, "flat")
    for spec in (INT8, PRUNED, STUDENT):
        verdict = run_verifier(spec, path)
        assert not verdict.passed and "(28, 28, 1)" in verdict.message


@pytest.mark.slow
def test_trained_variants_pass_and_untrained_fail(keras, sample_data, tmp_path):
    """Do a briefly trained reference CNN's int8 and 80 %-pruned copies pass, and an untrained student fail on accuracy?"""
    from course.data import load_mnist

    (x_train, y_train), _ = load_mnist(verbose=False)
    x_train = (x_train.astype("float32") / 255.0)[..., np.newaxis]
    keras.utils.set_random_seed(1)
    teacher = reference_cnn(keras)
    teacher.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)

    quantized = uncompiled_copy(keras, teacher)
    quantized.quantize("int8")
    verdict = run_verifier(INT8, _save(quantized, tmp_path, "int8"))
    assert verdict.passed, verdict.message
    assert verdict.metrics["ratio"] < 0.34

    pruned = uncompiled_copy(keras, teacher)
    masks = prune(keras, pruned, 0.8)
    pruned.compile(optimizer=keras.optimizers.Adam(5e-4), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(x_train, y_train, epochs=2, batch_size=64, verbose=0, callbacks=[compression.KeepPruned(pruned, masks).callback()])
    verdict = run_verifier(PRUNED, _save(pruned, tmp_path, "pruned"))
    assert verdict.passed, verdict.message

    student = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3), keras.layers.MaxPooling2D(),
                                keras.layers.Flatten(), keras.layers.Dense(10)])
    verdict = run_verifier(STUDENT, _save(student, tmp_path, "student"))
    assert not verdict.passed and "test accuracy" in verdict.message


def test_profiles_state_the_compression_budgets():
    """Do both profiles carry the 04 thresholds, the student budget a tenth of the reference CNN's 225,034 parameters?"""
    from course.profiles import PROFILES

    for profile in PROFILES.values():
        assert profile.compress_student_max_params == 225_034 // 10
        assert 0.25 < profile.compress_int8_max_weight_ratio <= 0.34
        assert profile.compress_pruned_sparsity == 0.80
        assert all(0.5 < v < 1 for v in (profile.compress_int8_min_accuracy, profile.compress_pruned_min_accuracy,
                                         profile.compress_student_min_accuracy))


def test_key_module_matches_the_notebook():
    """Does the answer key judge exactly the notebook's autograded test cells?"""
    import json

    from course_copy import ROOT, load_key_module

    pytest.importorskip("course.grading.judge")
    key = load_key_module("04_inference_cost", "inference_cost", name="inference_cost_key")
    with open(os.path.join(ROOT, "source", "04_inference_cost", "inference_cost.ipynb"), encoding="utf-8") as fh:
        notebook = json.load(fh)
    graded = {
        cell["metadata"]["nbgrader"]["grade_id"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("grade")
    }
    assert graded == set(key.QUESTIONS)


def test_answer_key_token_counts_match_the_offline_vocabulary():
    """Are the key's token counts of ZH_TEXT and EN_TEXT what the installed MiniLM WordPiece vocabulary gives?"""
    import re

    from course.presets import offline_preset_path

    path = offline_preset_path()
    if path is None:
        pytest.skip("offline MiniLM weights not installed")
    import_tensorflow()
    import keras
    import keras_hub

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folder = os.path.join(root, "source", "04_inference_cost")
    with open(os.path.join(folder, "inference_cost.py"), encoding="utf-8") as fh:
        texts = {}
        exec(re.search(r"ZH_TEXT = \(.*?\)\nEN_TEXT = \(.*?\)\n", fh.read(), re.S).group(0), texts)
    with open(os.path.join(folder, "inference_cost_key.py"), encoding="utf-8") as fh:
        key = fh.read()
    tokenizer = keras_hub.tokenizers.BertTokenizer.from_preset(path)
    zh = [tokenizer.id_to_token(int(i)) for i in keras.ops.convert_to_numpy(tokenizer.tokenize(texts["ZH_TEXT"]))]
    en = keras.ops.convert_to_numpy(tokenizer.tokenize(texts["EN_TEXT"]))
    assert f"ZH_TOKENS, ZH_CHARS, ZH_UNK = {len(zh)}, {len(texts['ZH_TEXT'])}, {zh.count('[UNK]')}" in key
    assert f"EN_TOKENS, EN_WORDS = {len(en)}, {len(texts['EN_TEXT'].split())}" in key


# ------------------------------------------- cheats through real nbgrader

ASSIGNMENT = "04_inference_cost"
AUTO_MAX = 26
#: Cells the cheating submission tampers with, and the points each loses.
CHEATED = {"test_int8_model": 3, "test_pruned_model": 3, "test_table": 1}

#: Inserted after the perfect solution of each cell: the three cheats of issue 13.
CHEATS = {
    # 1. An unquantized model renamed: every save to the int8 hand-in writes the float model instead.
    "lab_setup": '''
_real_save = keras.Model.save
def _save(self, filepath, *args, **kwargs):
    if "test_int8_model" in str(filepath):
        return _real_save(float_model, filepath, *args, **kwargs)
    return _real_save(self, filepath, *args, **kwargs)
keras.Model.save = _save
''',
    # 2. A pruning mask that is not applied: fine-tune again without KeepPruned (the zeros grow back).
    "prune_model": '''
for _target, _model in pruned_models.items():
    _model.fit(x_train, y_train, epochs=1, batch_size=BATCH_SIZE, verbose=0)
''',
    # 3. A faked size: int8 reported four times smaller and cheaper than measured.
    "table": '''
table["int8"]["weight_bytes"] = table["float32"]["weight_bytes"] / 16
table["int8"]["cost_per_million"] = table["float32"]["cost_per_million"] / 4
''',
}


def _write_cheat_submission(root: str, student: str) -> str:
    """The perfect student, plus the three cheats on the verified cells (``CHEATS``)."""
    from course.grading.students import write_changed_submission

    def appended(cheat):
        return lambda source: source + "\n" + cheat

    changes = {grade_id: appended(cheat) for grade_id, cheat in CHEATS.items() if grade_id != "lab_setup"}
    # lab_setup is a locked cell: its cheat goes first in the next solution cell instead.
    changes["quantized_copy"] = lambda source: CHEATS["lab_setup"] + "\n" + source
    return write_changed_submission(root, ASSIGNMENT, student, "perfect", changes, prefix="")


@pytest.mark.slow
@pytest.mark.parametrize("graded_assignment", [ASSIGNMENT])
def test_cheats_on_the_verified_cells_score_zero_there(graded_assignment, graded_course):
    """Through real nbgrader: does the cheating student lose exactly the three tampered cells, for the right reasons,
    while the perfect student gets every autograded point and the untouched release none?"""
    import json

    _, root, _, records = graded_course(graded_assignment)
    perfect, untouched, cheat = records["perfect"], records["untouched"], records["cheat"]
    assert (perfect.status, perfect.auto_score, perfect.auto_max) == ("graded", AUTO_MAX, AUTO_MAX)
    assert (untouched.status, untouched.auto_score) == ("graded", 0)
    assert cheat.status == "graded"
    assert cheat.auto_score == pytest.approx(AUTO_MAX - sum(CHEATED.values()))
    graded_nb = os.path.join(root, "autograded", "demo-cheat", ASSIGNMENT, "inference_cost.ipynb")
    outputs = {}
    for cell in json.load(open(graded_nb, encoding="utf-8"))["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in CHEATED:
            outputs[grade_id] = json.dumps(cell.get("outputs", []))
    assert "not quantized to int8" in outputs["test_int8_model"]
    assert "Keep the pruning masks applied" in outputs["test_pruned_model"]
    assert "does not follow from its measured latency" in outputs["test_table"]
