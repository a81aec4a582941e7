"""Creates the course environment (.venv) from the CPU or the GPU lock; what ``make`` runs first.

``python3 -m course.tools.envsetup [--gpu auto|0|1] [--dev]`` (``make env GPU=0/1``):

1. picks the lock: the GPU lock (``requirements-gpu.lock``: ``tensorflow``
   with the NVIDIA CUDA/cuDNN wheels) where an NVIDIA GPU is present, else
   the CPU lock (``requirements.lock``: ``tensorflow-cpu``), and says which
   and why in one line;
2. installs it into ``.venv`` unless the environment there was built from
   the same files (a stamp records their fingerprints); a venv built from
   the other lock is removed first, since ``tensorflow`` and
   ``tensorflow-cpu`` write the same files;
3. with ``--dev``, adds the development set (``requirements-dev.lock``:
   pytest, pytest-xdist, playwright, jupytext), which students never get;
4. after installing the GPU lock, asks TensorFlow itself whether it lists
   the GPU; if not, says so in one line with the likely cause. The course
   then runs the CPU profile, because ``COURSE_PROFILE=auto`` follows what
   TensorFlow can use (``course.profiles.gpu_visible``).

Standard library only: it runs with the system Python before the venv exists.
Packages are installed with ``uv`` (pinned by ``UV_VERSION``, installed into
the venv with pip) with ``--no-deps --require-hashes``, since each lock is
complete; ``COURSE_INSTALLER=pip`` uses pip instead.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

from course.gpu import nvidia_gpu
from course.tools.lockfile import CPU_LOCK, DEV_LOCK, GPU_LOCK, NODEPS, ROOT

UV_VERSION = "0.13.8"
STAMP = ".installed"
#: Printed by the GPU check in the new environment: number of GPUs TensorFlow lists.
COUNT_TENSORFLOW_GPUS = (
    "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); import tensorflow as tf; "
    "print('GPUS', len(tf.config.list_physical_devices('GPU')))"
)


def nvidia_present() -> Tuple[bool, str]:
    """Whether this machine has an NVIDIA GPU (whatever TensorFlow makes of it): ``course.gpu.nvidia_gpu``.

    Returns:
        ``(present, how it was found or why not)``.
    """
    found = nvidia_gpu(ask_smi=True)
    return found.present, found.found


def choose(gpu: str, detect=nvidia_present) -> Tuple[str, str]:
    """Picks the lock.

    Args:
        gpu: ``'auto'`` (detect), ``'1'`` (GPU lock) or ``'0'`` (CPU lock).
        detect: Returns ``(present, reason)``; tests pass their own.

    Returns:
        ``('gpu' or 'cpu', the reason, one line)``.

    Raises:
        ValueError: ``gpu`` is none of those.
    """
    if gpu in ("1", "yes", "gpu"):
        return "gpu", "asked for with GPU=1"
    if gpu in ("0", "no", "cpu"):
        return "cpu", "asked for with GPU=0"
    if gpu not in ("", "auto"):
        raise ValueError(f"GPU={gpu!r}: use auto, 0 or 1")
    present, reason = detect()
    return ("gpu" if present else "cpu"), reason + " (override: make env GPU=0/1)"


def lock_for(kind: str) -> str:
    """The lock file of ``'cpu'`` or ``'gpu'``."""
    return GPU_LOCK if kind == "gpu" else CPU_LOCK


def fingerprint(paths: List[str], root: str = ROOT) -> str:
    """SHA-256 over the contents of ``paths`` (missing files count as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode())
        full = os.path.join(root, path)
        if os.path.exists(full):
            with open(full, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:16]


def wanted_stamp(kind: str, dev: bool, root: str = ROOT) -> Dict[str, object]:
    """What the stamp of an up-to-date environment holds."""
    stamp = {"kind": kind, "runtime": fingerprint([lock_for(kind), NODEPS], root)}
    if dev:
        stamp["dev"] = fingerprint([DEV_LOCK], root)
    return stamp


def read_stamp(venv: str) -> Dict[str, object]:
    """The stamp of ``venv`` (empty when there is none or it is unreadable)."""
    try:
        with open(os.path.join(venv, STAMP), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def plan(current: Dict[str, object], wanted: Dict[str, object]) -> List[str]:
    """The steps that bring an environment stamped ``current`` to ``wanted``.

    Returns:
        Some of ``'recreate'`` (a venv from another lock, or none), ``'runtime'``,
        ``'dev'``, in order; empty when the environment is up to date. A
        runtime-only request keeps development tools that are already there.
    """
    steps = []
    if current.get("kind") != wanted["kind"] or current.get("runtime") != wanted["runtime"]:
        steps += ["recreate", "runtime"]
        if "dev" in wanted or "dev" in current:
            steps.append("dev")
    elif "dev" in wanted and current.get("dev") != wanted["dev"]:
        steps.append("dev")
    return steps


def _run(command: List[str]) -> None:
    subprocess.run(command, check=True)


def install(venv: str, steps: List[str], kind: str, python: str = sys.executable, root: str = ROOT) -> None:
    """Carries out ``plan``'s steps in ``venv``."""
    vpython = os.path.join(venv, "bin", "python")
    installer = os.environ.get("COURSE_INSTALLER", "uv")
    if "recreate" in steps:
        if os.path.exists(venv):
            shutil.rmtree(venv)
        _run([python, "-m", "venv", venv])
        if installer == "uv":
            _run([vpython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"uv=={UV_VERSION}"])
    if installer == "uv" and os.path.exists(os.path.join(venv, "bin", "uv")):
        base = [os.path.join(venv, "bin", "uv"), "pip", "install", "--quiet", "--python", vpython]
    else:
        base = [vpython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    here = lambda name: os.path.join(root, name)  # noqa: E731
    if "runtime" in steps:
        _run(base + ["--no-deps", "--require-hashes", "-r", here(lock_for(kind))])
        _run(base + ["--no-deps", "-r", here(NODEPS)])
        _run(base + ["--no-deps", "-e", root])
    if "dev" in steps:
        _run(base + ["--no-deps", "--require-hashes", "-r", here(DEV_LOCK)])


def tensorflow_gpus(vpython: str) -> Optional[int]:
    """Number of GPUs TensorFlow in the environment lists (None if TensorFlow does not start)."""
    try:
        out = subprocess.run([vpython, "-c", COUNT_TENSORFLOW_GPUS], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("GPUS "):
            return int(line.split()[1])
    return None


def gpu_check_message(gpus: Optional[int]) -> str:
    """One line saying whether the GPU environment's TensorFlow uses the GPU, and if not, the likely cause."""
    if gpus:
        return f"GPU check: TensorFlow lists {gpus} GPU(s); the course uses the gpu profile."
    if gpus is None:
        return ("GPU check: TensorFlow did not start in .venv (run .venv/bin/python -c 'import tensorflow'); "
                "the course falls back to the cpu profile.")
    return ("GPU check: TensorFlow lists no GPU although the GPU lock is installed; likely cause: an NVIDIA "
            "driver older than CUDA 12.9 needs (see nvidia-smi), CUDA_VISIBLE_DEVICES hiding it, or no "
            "GPU at all (GPU=1); the course falls back to the cpu profile.")


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``make env``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", default=os.environ.get("GPU", "auto"), help="auto, 1 (GPU lock) or 0 (CPU lock)")
    parser.add_argument("--dev", action="store_true", help="also install requirements-dev.lock")
    parser.add_argument("--venv", default=os.path.join(ROOT, ".venv"))
    args = parser.parse_args(argv)
    kind, reason = choose(args.gpu)
    wanted = wanted_stamp(kind, args.dev)
    current = read_stamp(args.venv)
    steps = plan(current, wanted)
    if not steps:
        return 0
    print(f"Course environment: {kind.upper()} lock ({lock_for(kind)}): {reason}.", flush=True)
    if "recreate" in steps:
        print(f"Creating {args.venv} (a few minutes, once).", flush=True)
    stamp_path = os.path.join(args.venv, STAMP)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)  # an interrupted install must not look finished
    install(args.venv, steps, kind)
    if "dev" in current and "dev" not in wanted:
        wanted["dev"] = current["dev"] if "dev" not in steps else fingerprint([DEV_LOCK])
    with open(stamp_path, "w", encoding="utf-8") as fh:
        json.dump(wanted, fh)
    if kind == "gpu" and "runtime" in steps:
        print(gpu_check_message(tensorflow_gpus(os.path.join(args.venv, "bin", "python"))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
