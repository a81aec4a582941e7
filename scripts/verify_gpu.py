"""Measures the GPU profile: the reference solutions of 02 to 06, three seeds each, on a GPU.

One command, on a Linux machine with one NVIDIA GPU (about 10 minutes on a
modern one, offline data included)::

    python3 scripts/verify_gpu.py

It

1. installs the GPU environment into ``.venv`` (``course.tools.envsetup --gpu 1``,
   reused when current) and re-runs itself with that Python;
2. stops with one line unless TensorFlow itself lists a GPU;
3. runs each reference (source) notebook top to bottom in a fresh kernel,
   in a scratch copy, under ``COURSE_PROFILE=gpu``, once per seed (``SEED =
   42`` replaced), with the offline data copies of ``../shared/data`` when
   present;
4. judges each handed-in model with the grader's own verifier, in a fresh
   process (``course.grading.child``), as nbgrader does (06, which hands in
   functions and no model: the whole notebook judged by its answer key, its
   ``retrieve`` on the grader's hidden benchmark reported), and reads the
   training cell's time (the cell that calls ``.fit(``; 06: the cell that
   embeds the passages) and the peak GPU
   memory TensorFlow reports (written to a file by a cell appended to the notebook);
5. prints a table and, per assignment, a ``MEASURED`` comment block to
   paste into ``course/profiles.py`` beside the threshold it supports.

``--dry-run`` prints the plan without running anything; ``--profile cpu
--allow-cpu`` runs the same plumbing on a CPU (tests/test_verify_gpu.py).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

#: Per assignment: notebook, the test cell whose model is judged, its verifier.
ASSIGNMENTS = {
    "02_mnist_cnn": ("mnist_cnn.ipynb", "test_cnn_accuracy", "course.grading.verifiers.mnist:verify_cnn_accuracy"),
    "03_bert_imdb": ("bert_imdb.ipynb", "test_bert_accuracy", "course.grading.verifiers.bert:verify_accuracy"),
    # 04: the whole notebook (CNN variants and the larger BERT part of the gpu profile) runs; the
    # distilled student is the model judged (its threshold is the profile's compress_student_min_accuracy).
    "04_inference_cost": ("inference_cost.ipynb", "test_distilled_student",
                          "course.grading.verifiers.compression:verify_distilled_student"),
    # 05: the tiny GPT trained with the gpu profile's longer budget; bits per byte on held-out test reviews.
    "05_tiny_gpt": ("tiny_gpt.ipynb", "test_gpt_bits_per_byte", "course.grading.verifiers.tinygpt:verify_bits_per_byte"),
    # 06: no model; KEY_JUDGED: the notebook is judged by its answer key, and test_search's verdict (the
    # reference faiss index on the grader's hidden benchmark, embedded with the gpu profile's 128 tokens) reported.
    "06_rag": ("rag.ipynb", "test_search", "key"),
}
#: The verifier entry of an assignment judged by its answer key (course.grading.judge) instead of a model verifier.
KEY_JUDGED = "key"
#: Assignments whose verifier reports another measure than test accuracy: (metric, bound, its name, worst of runs).
MEASURES = {
    "05_tiny_gpt": ("bits_per_byte", "bound", "bits per byte on held-out test reviews", max),
    "06_rag": ("recall_at_10", "bound", "recall@10 of the reference index on the hidden benchmark", min),
}
#: The code that marks the cell whose time is reported as training time, where it is not ``.fit(``.
TIMED_CELLS = {"06_rag": "three_poolings(passages)"}
SEED_LINE = re.compile(r"^SEED = \d+", re.MULTILINE)
#: Where the measuring cell writes what it measured (codec JSON, in the run's folder): a file, not a
#: printed line, so nothing the notebook prints can pass for it.
MEASUREMENTS_FILE = ".verify_gpu_measurements.json"
#: Appended to each notebook: what TensorFlow saw and used, measured in the notebook's own kernel.
MEASURE_CELL = f"""
import resource
import tensorflow as tf
from course import codec
_gpus = tf.config.list_physical_devices("GPU")
_peak = tf.config.experimental.get_memory_info("GPU:0")["peak"] if _gpus else None
with open({MEASUREMENTS_FILE!r}, "w", encoding="utf-8") as _fh:
    _fh.write(codec.dumps({{
        "gpus": [g.name for g in _gpus],
        "gpu_name": tf.config.experimental.get_device_details(_gpus[0]).get("device_name") if _gpus else None,
        "peak_gpu_bytes": _peak,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "tensorflow": tf.__version__,
    }}))
"""


@dataclass
class Run:
    """One run of one reference notebook."""

    assignment: str
    seed: int
    accuracy: Optional[float] = None
    passed: Optional[bool] = None
    threshold: Optional[float] = None
    train_seconds: Optional[float] = None
    notebook_seconds: Optional[float] = None
    peak_gpu_mib: Optional[float] = None
    peak_rss_mib: Optional[float] = None
    gpu_name: Optional[str] = None
    data_source: Optional[str] = None
    error: str = ""
    extra: Dict[str, object] = field(default_factory=dict)


def seeded(source: str, seed: int) -> str:
    """The notebook source with its ``SEED = ...`` line set to ``seed``.

    Raises:
        ValueError: The notebook has no such line.
    """
    if not SEED_LINE.search(source):
        raise ValueError("no 'SEED = <number>' line to set")
    return SEED_LINE.sub(f"SEED = {seed}", source)


def prepare(assignment: str, seed: int, workdir: str) -> str:
    """Copies the assignment's source folder into ``workdir``, sets the seed, appends the measuring cell.

    Returns:
        The notebook path in ``workdir``.
    """
    import nbformat

    name = ASSIGNMENTS[assignment][0]
    shutil.copytree(os.path.join(ROOT, "source", assignment), workdir, dirs_exist_ok=True)
    path = os.path.join(workdir, name)
    nb = nbformat.read(path, as_version=4)
    done = False
    for cell in nb.cells:
        if cell.cell_type == "code" and not done and SEED_LINE.search(cell.source):
            cell.source = seeded(cell.source, seed)
            done = True
    if not done:
        raise ValueError(f"{assignment}: no 'SEED = <number>' line to set")
    nb.cells.append(nbformat.v4.new_code_cell(MEASURE_CELL))
    nbformat.write(nb, path)
    return path


def cell_seconds(cell) -> Optional[float]:
    """Seconds a cell ran, from nbclient's timing metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return round((parse(end) - parse(start)).total_seconds(), 1)


def read_measurements(workdir: str) -> dict:
    """What the measuring cell wrote in ``workdir`` (empty if it did not run)."""
    from course import codec

    try:
        with open(os.path.join(workdir, MEASUREMENTS_FILE), encoding="utf-8") as fh:
            found = codec.loads(fh.read())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def run_once(assignment: str, seed: int, cell_timeout: int = 3600) -> Run:
    """Runs one reference notebook with one seed and judges its model as the grader does."""
    import nbformat
    from nbclient import NotebookClient

    from course.checks.handin import artifact_path
    from course.grading.artifacts import run_verifier

    run = Run(assignment, seed)
    _, grade_id, verifier = ASSIGNMENTS[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        path = prepare(assignment, seed, tmp)
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", record_timing=True,
                                resources={"metadata": {"path": tmp}})
        started = time.monotonic()
        try:
            client.execute()
        except Exception as exc:  # report and go on with the next run
            run.error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[-1][:200]}"
        run.notebook_seconds = round(time.monotonic() - started, 1)
        marker = TIMED_CELLS.get(assignment, ".fit(")
        fits = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
        run.train_seconds = cell_seconds(fits[0]) if fits else None
        measured = read_measurements(tmp)
        if measured.get("peak_gpu_bytes") is not None:
            run.peak_gpu_mib = round(measured["peak_gpu_bytes"] / 2**20, 1)
        if measured.get("peak_rss_kib") is not None:
            run.peak_rss_mib = round(measured["peak_rss_kib"] / 1024, 1)
        run.gpu_name = measured.get("gpu_name")
        artifact = artifact_path(grade_id, tmp)
        if verifier == KEY_JUDGED:
            judge_with_key(run, nb, tmp)
        elif os.path.exists(artifact):
            verdict = run_verifier(verifier, artifact)
            run.passed = verdict.passed
            metric, bound, _, _ = MEASURES.get(assignment, ("accuracy", "threshold", "", min))
            run.accuracy = verdict.metrics.get(metric)
            run.threshold = verdict.metrics.get(bound)
            run.data_source = verdict.metrics.get("data_source")
            if run.accuracy is None:
                run.error = run.error or verdict.message[:200]
        else:
            run.error = run.error or f"no model handed in for {grade_id}"
    return run


def judge_with_key(run: Run, nb, workdir: str) -> None:
    """Judges an executed notebook with its answer key as the grader does (plain processes), into ``run``.

    The measure is the verdict of the assignment's graded cell (``ASSIGNMENTS``); ``run.extra`` gets how
    many of the key's questions earned all their points.
    """
    from course.grading.judge import judge_notebook, key_path, load_key

    notebook, grade_id, _ = ASSIGNMENTS[run.assignment]
    key = load_key(key_path(os.path.join(ROOT, "source", run.assignment), notebook[:-len(".ipynb")]))
    verdicts = judge_notebook(nb, key, workdir, ("verify_gpu", run.assignment, str(run.seed)))
    verdict = verdicts.get(grade_id)
    run.extra["questions_right"] = f"{sum(v.score >= 1 for v in verdicts.values())}/{len(key.questions)}"
    run.extra["questions_short"] = {gid: v.message[:300] for gid, v in verdicts.items() if v.score < 1}
    if verdict is None:
        run.error = run.error or f"{grade_id} was not judged"
        return
    metric, bound, _, _ = MEASURES[run.assignment]
    run.passed = verdict.passed
    run.accuracy = verdict.metrics.get(metric)
    run.threshold = verdict.metrics.get(bound)
    run.data_source = verdict.metrics.get("data_source")
    if run.accuracy is None:
        run.error = run.error or verdict.message[:200]


def _span(values: List[Optional[float]], fmt: str) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    return format(low, fmt) if low == high else f"{format(low, fmt)}-{format(high, fmt)}"


def profile_comment(assignment: str, runs: List[Run], profile: str, device: str) -> str:
    """The ``MEASURED`` comment for course/profiles.py summing up one assignment's runs."""
    seeds = "/".join(str(r.seed) for r in runs)
    accuracies = " / ".join("n/a" if r.accuracy is None else f"{r.accuracy:.4f}" for r in runs)
    _, _, measure, worst = MEASURES.get(assignment, ("accuracy", "threshold", "test accuracy", min))
    lowest = worst((r.accuracy for r in runs if r.accuracy is not None), default=None)
    sources = sorted({r.data_source for r in runs if r.data_source})
    return "\n".join([
        f"    # MEASURED (scripts/verify_gpu.py, {datetime.date.today().isoformat()}, {device}): the",
        f"    # reference notebook of {assignment} under COURSE_PROFILE={profile}, data {', '.join(sources) or 'n/a'};",
        f"    # {measure} measured by the grader's verifier {accuracies} (seeds {seeds}),",
        f"    # training {_span([r.train_seconds for r in runs], '.0f')} s, whole notebook "
        f"{_span([r.notebook_seconds for r in runs], '.0f')} s, peak GPU memory "
        f"{_span([r.peak_gpu_mib for r in runs], '.0f')} MiB.",
        f"    # {'Lowest' if worst is min else 'Highest'} run: {'n/a' if lowest is None else f'{lowest:.4f}'}; "
        f"set the threshold a margin {'below' if worst is min else 'above'} it.",
    ])


def format_table(runs: List[Run]) -> str:
    """One line per run: accuracy, training time, peak GPU memory."""
    lines = [f"{'assignment':<14} {'seed':>4} {'accuracy':>9} {'pass':>5} {'train s':>8} {'nb s':>7} {'GPU MiB':>8} {'RSS MiB':>8}  note"]
    for r in runs:
        cells = [
            "n/a" if r.accuracy is None else f"{r.accuracy:.4f}",
            "n/a" if r.passed is None else ("yes" if r.passed else "no"),
            "n/a" if r.train_seconds is None else f"{r.train_seconds:.1f}",
            "n/a" if r.notebook_seconds is None else f"{r.notebook_seconds:.0f}",
            "n/a" if r.peak_gpu_mib is None else f"{r.peak_gpu_mib:.0f}",
            "n/a" if r.peak_rss_mib is None else f"{r.peak_rss_mib:.0f}",
        ]
        lines.append(f"{r.assignment:<14} {r.seed:>4} {cells[0]:>9} {cells[1]:>5} {cells[2]:>8} {cells[3]:>7} {cells[4]:>8} {cells[5]:>8}  {r.error}")
    return "\n".join(lines)


def default_data_env(data_dir: Optional[str]) -> Dict[str, str]:
    """``COURSE_MNIST_PATH`` / ``COURSE_IMDB_PATH`` for the offline copies in ``data_dir``, where present and not set."""
    env = {}
    if not data_dir:
        return env
    for name, rel in (("COURSE_MNIST_PATH", "mnist/mnist.npz"), ("COURSE_IMDB_PATH", "imdb/aclImdb_sup.tar.gz")):
        path = os.path.join(data_dir, rel)
        if name not in os.environ and os.path.exists(path):
            env[name] = path
    return env


def in_course_venv() -> bool:
    """Whether this Python is the course's .venv."""
    return os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(ROOT, ".venv"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", nargs="+", default=list(ASSIGNMENTS), choices=list(ASSIGNMENTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--profile", default="gpu", choices=["gpu", "cpu"])
    parser.add_argument("--allow-cpu", action="store_true", help="run even where TensorFlow lists no GPU (plumbing test)")
    parser.add_argument("--no-install", action="store_true", help="use this Python as it is (no GPU env install)")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared", "data"),
                        help="folder with the offline copies (mnist/mnist.npz, imdb/aclImdb_sup.tar.gz)")
    parser.add_argument("--json", help="also write the runs as JSON to this file")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    args = parser.parse_args(argv)

    env = {"COURSE_PROFILE": args.profile, **default_data_env(args.data)}
    install = [sys.executable, "-m", "course.tools.envsetup", "--gpu", "1"]
    if args.dry_run:
        if not args.no_install:
            print("install:", " ".join(install))
        print("environment:", " ".join(f"{k}={v}" for k, v in sorted(env.items())))
        for assignment in args.assignments:
            notebook, grade_id, verifier = ASSIGNMENTS[assignment]
            for seed in args.seeds:
                print(f"run: source/{assignment}/{notebook} SEED={seed}; judge {grade_id} with {verifier}")
        return 0

    if not args.no_install and not in_course_venv():
        subprocess.run(install, cwd=ROOT, check=True)
        venv_python = os.path.join(ROOT, ".venv", "bin", "python")
        return subprocess.call([venv_python, os.path.abspath(__file__), "--no-install", *(argv if argv is not None else sys.argv[1:])])

    os.environ.update(env)
    from course.runtime import import_tensorflow

    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus and not args.allow_cpu:
        print("TensorFlow lists no GPU here, so nothing is measured (check `nvidia-smi` and "
              "`make env GPU=1`; --allow-cpu runs the plumbing on the CPU).")
        return 2
    device = (tf.config.experimental.get_device_details(gpus[0]).get("device_name") if gpus else None) or (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, no GPU")
    print(f"Measuring on {device}, TensorFlow {tf.__version__}, profile {args.profile}; "
          f"{len(args.assignments) * len(args.seeds)} runs.", flush=True)

    runs: List[Run] = []
    started = time.monotonic()
    for assignment in args.assignments:
        for seed in args.seeds:
            run = run_once(assignment, seed)
            runs.append(run)
            print(f"  {assignment} seed {seed}: accuracy {run.accuracy}, training {run.train_seconds} s, "
                  f"peak GPU {run.peak_gpu_mib} MiB {run.error}", flush=True)
    print()
    print(format_table(runs))
    print(f"\nTotal {time.monotonic() - started:.0f} s. Paste into course/profiles.py beside the thresholds:\n")
    for assignment in args.assignments:
        print(profile_comment(assignment, [r for r in runs if r.assignment == assignment], args.profile, device))
        print()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([asdict(r) for r in runs], fh, indent=1)
    return 0 if all(r.accuracy is not None for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
