"""One source of truth for the environment: the top-level pins, the locks resolved from them, environment.yml.

Files (all at the repository root):

* ``requirements.in``: top-level runtime pins (what notebooks, nbgrader and
  JupyterLab need), shared by both locks.
* ``requirements-cpu.in`` / ``requirements-gpu.in``: ``-r requirements.in``
  plus ``tensorflow-cpu`` or ``tensorflow[and-cuda]`` at one version.
* ``requirements.lock`` (CPU) and ``requirements-gpu.lock`` (GPU, with the
  NVIDIA wheels): every package, exact version and hashes, resolved by
  ``uv pip compile`` for Linux x86_64 and Python 3.11 (``make lock``).
  The GPU lock is constrained to the CPU lock, so both hold the same
  version of every package they share.
* ``requirements-dev.in`` -> ``requirements-dev.lock``: test and authoring
  tools, constrained to the CPU lock.
* ``requirements-nodeps.txt``: installed with ``--no-deps`` after a lock
  (tensorflow-text, the offline BERT weights).
* ``environment.yml``: Binder/conda file, rendered from the CPU runtime lock.

``python -m course.tools.lockfile`` rewrites environment.yml from the lock;
``--check`` reports whether it is current; ``--compile`` re-resolves the
three locks first (needs ``uv`` and the package index). The tests check
that all of these agree.
"""

import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_VERSION = "3.11"
#: Platform the locks are resolved for (uv's name; the wheels of TensorFlow and NVIDIA fit it).
PYTHON_PLATFORM = "x86_64-manylinux_2_28"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[A-Za-z0-9_,.\- ]*\])?==([^\s;#\\]+)")

CPU_LOCK = "requirements.lock"
GPU_LOCK = "requirements-gpu.lock"
DEV_LOCK = "requirements-dev.lock"
NODEPS = "requirements-nodeps.txt"
OVERRIDES = "requirements-overrides.txt"
#: ``(input, lock, extra uv arguments)`` of each lock, in the order they are resolved.
LOCKS = (
    ("requirements-cpu.in", CPU_LOCK, ["--override", OVERRIDES]),
    ("requirements-gpu.in", GPU_LOCK, ["--constraint", CPU_LOCK, "--override", OVERRIDES]),
    ("requirements-dev.in", DEV_LOCK, ["--constraint", CPU_LOCK, "--override", OVERRIDES]),
)


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str) -> Dict[str, str]:
    """Reads ``name==version`` lines of a requirements file, input or lock.

    Comments, blank lines, option lines (``-r``, ``-c``) and the ``--hash``
    continuation lines of a hashed lock are skipped; extras
    (``tensorflow[and-cuda]``) are dropped from the name.

    Args:
        path: A requirements file.

    Returns:
        ``{normalised name: version}``.

    Raises:
        ValueError: A requirement is not pinned exactly.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    pins = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip().rstrip("\\").strip()
            if not line or line.startswith("-"):
                continue
            try:
                requirement = Requirement(line)
            except InvalidRequirement as err:
                raise ValueError(f"{path}: {line!r} is not a requirement ({err})") from None
            specs = list(requirement.specifier)
            if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
                raise ValueError(f"{path}: {line!r} is not pinned with ==")
            pins[normalize(requirement.name)] = specs[0].version
    return pins


def top_level_pins(root: str = ROOT, kind: str = "cpu") -> Dict[str, str]:
    """The top-level runtime pins of one lock: ``requirements.in`` plus its TensorFlow line.

    Args:
        root: The repository.
        kind: ``'cpu'`` or ``'gpu'``.
    """
    pins = read_pins(os.path.join(root, "requirements.in"))
    pins.update(read_pins(os.path.join(root, f"requirements-{kind}.in")))
    return pins


def render_environment(lock_path: str) -> str:
    """Renders environment.yml from the CPU lock file.

    Args:
        lock_path: requirements.lock.

    Returns:
        The YAML text: conda provides Python and pip, pip installs every pin
        (without hashes, which conda's pip section does not take line by line).
    """
    lines = [
        "# Generated from requirements.lock by `python -m course.tools.lockfile`; do not edit.",
        "# Binder (repo2docker) and conda users build the course environment from it:",
        "# the runtime (CPU) lock only; test tools are in requirements-dev.lock.",
        "name: llm-interview-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON_VERSION}",
        "  - pip",
        "  - pip:",
    ]
    for name, version in read_pins(lock_path).items():
        lines.append(f"      - {name}=={version}")
    return "\n".join(lines) + "\n"


def find_uv() -> Optional[str]:
    """Returns the ``uv`` executable beside this Python, on PATH, or None."""
    beside = os.path.join(os.path.dirname(sys.executable), "uv")
    return beside if os.path.exists(beside) else shutil.which("uv")


def compile_command(uv: str, source: str, lock: str, extra: List[str]) -> List[str]:
    """The ``uv pip compile`` command that resolves ``source`` into ``lock`` (paths relative to ROOT)."""
    return [
        uv, "pip", "compile", source, "--output-file", lock,
        "--python-version", PYTHON_VERSION, "--python-platform", PYTHON_PLATFORM,
        "--generate-hashes", "--no-header", "--quiet", *extra,
    ]


def compile_locks(root: str = ROOT) -> None:
    """Re-resolves every lock of ``LOCKS`` with ``uv pip compile``.

    Raises:
        RuntimeError: uv is not installed.
        subprocess.CalledProcessError: Resolution failed.
    """
    uv = find_uv()
    if uv is None:
        raise RuntimeError("uv is not installed: `make env` puts it into .venv (or: pip install uv==0.13.8).")
    for source, lock, extra in LOCKS:
        subprocess.run(compile_command(uv, source, lock, extra), cwd=root, check=True)
        path = os.path.join(root, lock)
        with open(path, encoding="utf-8") as fh:
            body = fh.read()
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(
                f"# Resolved from {source} by `make lock` (uv pip compile, Linux x86_64, Python "
                f"{PYTHON_VERSION}); do not edit.\n# Install with --no-deps --require-hashes "
                f"(the lock is complete), then --no-deps -r {NODEPS}.\n" + body
            )
        print(f"resolved {lock} ({len(read_pins(path))} packages)")


def main() -> int:
    """Writes environment.yml (after ``--compile``: the locks too), or with ``--check`` reports whether it is current."""
    args = sys.argv[1:]
    if "--compile" in args:
        compile_locks()
    text = render_environment(os.path.join(ROOT, CPU_LOCK))
    path = os.path.join(ROOT, "environment.yml")
    if "--check" in args:
        with open(path, encoding="utf-8") as fh:
            current = fh.read()
        if current != text:
            print("environment.yml does not match requirements.lock; run `make lock`.")
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
