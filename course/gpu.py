"""Whether this machine has an NVIDIA GPU, and which device files it has: the one place that looks.

Standard library only, and no other ``course`` module: ``course.tools.envsetup``
uses it with the system Python before the course environment exists, the
profile (``course.profiles``) before it loads TensorFlow, and the grading
sandbox (``course.grading.sandbox``) to pass the device files through.
Whether TensorFlow can *use* that GPU (driver and CUDA versions) only
TensorFlow can tell: ``course.profiles.gpu_visible``.
"""

import glob
import os
import shutil
import subprocess
from typing import Mapping, NamedTuple, Optional, Tuple

#: Where device files are (a test points it at a fake folder).
DEV = "/dev"
#: Device files of the GPUs themselves: one per NVIDIA GPU, or WSL's paravirtual GPU.
GPU_PATTERNS = ("nvidia[0-9]*", "dxg")
#: Every device file a process needs to use them (the GPUs, nvidiactl, nvidia-uvm, ..., WSL's dxg, DRI).
NODE_PATTERNS = ("nvidia*", "dxg", "dri")


class NvidiaGpu(NamedTuple):
    """What ``nvidia_gpu`` found.

    Attributes:
        present: An NVIDIA GPU is on this machine (a GPU device file, or ``nvidia-smi`` lists one).
        gpus: The GPUs' own device files (``/dev/nvidia0``, ...; ``/dev/dxg`` under WSL).
        nodes: Every device file a process needs to use them (what a sandbox passes through).
        hidden: ``CUDA_VISIBLE_DEVICES`` (empty or ``-1``) hides them from processes with that environment.
        found: How it was found, or why not (one line).
    """

    present: bool
    gpus: Tuple[str, ...]
    nodes: Tuple[str, ...]
    hidden: bool
    found: str

    @property
    def usable(self) -> bool:
        """A GPU is present and not hidden, so TensorFlow may list it (only TensorFlow can tell)."""
        return self.present and not self.hidden


def _glob(dev: str, patterns) -> Tuple[str, ...]:
    return tuple(sorted({path for pattern in patterns for path in glob.glob(os.path.join(dev, pattern))}))


def _smi() -> Tuple[bool, str]:
    """Asks ``nvidia-smi -L``: ``(lists a GPU, its first line or why not)``."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False, "no NVIDIA GPU found (no /dev/nvidia*, no nvidia-smi)"
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False, "nvidia-smi did not answer"
    if out.returncode == 0 and "GPU" in out.stdout:
        return True, out.stdout.strip().splitlines()[0]
    return False, "nvidia-smi lists no GPU"


def nvidia_gpu(environ: Optional[Mapping[str, str]] = None, ask_smi: bool = False, dev: Optional[str] = None) -> NvidiaGpu:
    """Whether an NVIDIA GPU is present, and its device files.

    Args:
        environ: Environment whose ``CUDA_VISIBLE_DEVICES`` is read (default ``os.environ``).
        ask_smi: Without a GPU device file, ask ``nvidia-smi -L`` too (seconds; for the lock choice).
        dev: Folder of the device files (default ``DEV``).

    Returns:
        What was found.
    """
    env = os.environ if environ is None else environ
    dev = DEV if dev is None else dev
    hidden = env.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1")
    gpus, nodes = _glob(dev, GPU_PATTERNS), _glob(dev, NODE_PATTERNS)
    if gpus:
        return NvidiaGpu(True, gpus, nodes, hidden, f"NVIDIA device {gpus[0]} found")
    if ask_smi:
        present, found = _smi()
        return NvidiaGpu(present, gpus, nodes, hidden, found)
    return NvidiaGpu(False, gpus, nodes, hidden, f"no NVIDIA GPU device file in {dev}")
