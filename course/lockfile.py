"""One source of truth for the environment: requirements.lock, and environment.yml derived from it.

``python -m course.lockfile`` rewrites environment.yml (Binder, conda) from the
lock; the tests check that the two agree and that every top-level pin of
requirements.in is what the lock holds.
"""

import os
import re
import sys
from typing import Dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_VERSION = "3.11"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: str) -> Dict[str, str]:
    """Reads ``name==version`` lines (comments and blank lines skipped).

    Args:
        path: A requirements file.

    Returns:
        ``{normalised name: version}``.

    Raises:
        ValueError: A requirement is not pinned exactly.
    """
    pins = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            match = PIN.match(line)
            if not match:
                raise ValueError(f"{path}: {line!r} is not pinned with ==")
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def render_environment(lock_path: str) -> str:
    """Renders environment.yml from the lock file.

    Args:
        lock_path: requirements.lock.

    Returns:
        The YAML text: conda provides Python and pip, pip installs every pin.
    """
    lines = [
        "# Generated from requirements.lock by `python -m course.lockfile`; do not edit.",
        "# Binder (repo2docker) and conda users build the course environment from it.",
        "name: llm-interview-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON_VERSION}",
        "  - pip",
        "  - pip:",
    ]
    with open(lock_path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                lines.append(f"      - {line}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Writes environment.yml, or with ``--check`` reports whether it is current."""
    text = render_environment(os.path.join(ROOT, "requirements.lock"))
    path = os.path.join(ROOT, "environment.yml")
    if "--check" in sys.argv[1:]:
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
