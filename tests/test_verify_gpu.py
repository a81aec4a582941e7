"""Tests of scripts/verify_gpu.py's plumbing on the CPU (no GPU is needed to check how it measures)."""

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "verify_gpu.py")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import verify_gpu  # noqa: E402


def test_dry_run_plans_three_seeds_of_every_reference_in_the_gpu_environment():
    """Does one command plan the GPU environment install and 02 to 06 under the gpu profile for seeds 1, 2, 3?"""
    out = subprocess.run([sys.executable, SCRIPT, "--dry-run"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "course.tools.envsetup --gpu 1" in out.stdout
    assert "COURSE_PROFILE=gpu" in out.stdout
    runs = [line for line in out.stdout.splitlines() if line.startswith("run: ")]
    assert len(runs) == 3 * len(verify_gpu.ASSIGNMENTS) == 15
    for assignment in ("02_mnist_cnn", "03_bert_imdb", "04_inference_cost", "05_tiny_gpt", "06_rag"):
        for seed in (1, 2, 3):
            assert any(assignment in r and f"SEED={seed};" in r for r in runs)


def test_prepared_notebook_has_the_seed_and_the_measuring_cell(tmp_path):
    """Is each run's copy of the reference notebook seeded as asked and ended with the cell that writes the GPU measurements?"""
    for assignment in verify_gpu.ASSIGNMENTS:
        path = verify_gpu.prepare(assignment, 7, str(tmp_path / assignment))
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert re.search(r"^SEED = 7$", code, re.MULTILINE) and not re.search(r"^SEED = 42$", code, re.MULTILINE)
        assert verify_gpu.MEASUREMENTS_FILE in nb.cells[-1].source
        marker = verify_gpu.TIMED_CELLS.get(assignment, ".fit(")
        assert any(marker in c.source for c in nb.cells if c.cell_type == "code"), "the training cell is timed"
        grade_id = verify_gpu.ASSIGNMENTS[assignment][1]
        assert any(c.metadata.get("nbgrader", {}).get("grade_id") == grade_id for c in nb.cells)


def test_output_pastes_into_profiles_py():
    """Does the summary read as a MEASURED comment (seeds, accuracies, training time, peak GPU memory) that profiles.py's test accepts?"""
    runs = [
        verify_gpu.Run("02_mnist_cnn", s, accuracy=a, train_seconds=t, notebook_seconds=t + 9, peak_gpu_mib=m, data_source="local")
        for s, a, t, m in ((1, 0.9912, 21.0, 1020.0), (2, 0.9905, 20.0, 1022.0), (3, 0.9921, 22.5, 1020.0))
    ]
    comment = verify_gpu.profile_comment("02_mnist_cnn", runs, "gpu", "NVIDIA H100")
    assert all(line.startswith("    # ") for line in comment.splitlines())
    assert "MEASURED" in comment and "0.9912 / 0.9905 / 0.9921 (seeds 1/2/3)" in comment
    assert "training 20-22 s" in comment and "peak GPU memory 1020-1022 MiB" in comment and "Lowest run: 0.9905" in comment
    table = verify_gpu.format_table(runs)
    assert len(table.splitlines()) == 4 and "0.9921" in table


@pytest.mark.slow
def test_cpu_run_of_the_mnist_reference_measures_what_the_gpu_run_would(tmp_path):
    """Run for real on the CPU (one seed of 02), does the script train, judge with the grader's verifier and report time and memory?"""
    out_json = tmp_path / "runs.json"
    env = dict(os.environ, COURSE_DATA_SOURCE="sample")
    env.pop("COURSE_MNIST_PATH", None)
    out = subprocess.run(
        [sys.executable, SCRIPT, "--no-install", "--allow-cpu", "--profile", "cpu", "--assignments", "02_mnist_cnn",
         "--seeds", "3", "--data", "", "--json", str(out_json)],
        capture_output=True, text=True, timeout=900, env=env, cwd=str(tmp_path),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (run,) = json.loads(out_json.read_text())
    assert (run["assignment"], run["seed"], run["error"]) == ("02_mnist_cnn", 3, "")
    assert run["accuracy"] > 0.9 and run["passed"] is True and run["data_source"] == "sample"
    assert 0 < run["train_seconds"] < run["notebook_seconds"]
    assert run["peak_gpu_mib"] is None and run["peak_rss_mib"] > 100  # no GPU here: no GPU memory to report
    assert "MEASURED (scripts/verify_gpu.py" in out.stdout and "seeds 3" in out.stdout


def test_measurements_are_read_from_their_file_not_from_printed_output(tmp_path):
    """Are the measurements read from the file the cell writes (codec JSON), empty when it is missing or garbage?"""
    from course import codec

    assert verify_gpu.read_measurements(str(tmp_path)) == {}
    (tmp_path / verify_gpu.MEASUREMENTS_FILE).write_text("not json")
    assert verify_gpu.read_measurements(str(tmp_path)) == {}
    (tmp_path / verify_gpu.MEASUREMENTS_FILE).write_text(codec.dumps({"peak_gpu_bytes": 2**30, "gpu_name": "H100"}))
    assert verify_gpu.read_measurements(str(tmp_path)) == {"peak_gpu_bytes": 2**30, "gpu_name": "H100"}


def test_an_assignment_without_a_model_is_judged_by_its_key(monkeypatch):
    """For 06 (functions, no model), is the measure the key's verdict on test_search, and are short questions named?"""
    from course.grading import judge
    from course.grading.artifacts import Verdict

    verdicts = {
        "test_search": Verdict(True, "ok", metrics={"recall_at_10": 0.31, "bound": 0.22, "data_source": "local"}, score=1.0),
        "test_pooling_table": Verdict(True, "one number wrong", score=0.8),
    }
    monkeypatch.setattr(judge, "judge_notebook", lambda *a, **k: verdicts)
    run = verify_gpu.Run("06_rag", 1)
    verify_gpu.judge_with_key(run, nbformat.v4.new_notebook(), "/nonexistent")
    assert (run.accuracy, run.threshold, run.passed, run.data_source) == (0.31, 0.22, True, "local")
    assert run.extra["questions_short"] == {"test_pooling_table": "one number wrong"}
    assert run.extra["questions_right"].startswith("1/")
