"""Resource limits of one sandboxed run, and the ones every process of it sets on itself.

``Limits`` is what ``c.Sandbox.limits`` configures per assignment (wall clock,
memory, disk, processes); the watchdog (``course.grading.watchdog``) enforces
the first ones from outside, ``set_child_limits`` the per-process ones from
inside (``RLIMIT_FSIZE``, ``RLIMIT_NPROC``, no core dumps).
"""

from typing import NamedTuple

#: Disk a sandboxed run may write when its configuration names none (MiB): its working folder in
#: total, and any one file (a handed-in BERT model is about 0.5 GB).
DEFAULT_DISK_MB = 2048
#: Processes a sandboxed run may have at once when its configuration names none.
DEFAULT_PROCESSES = 256
#: RLIMIT_NPROC of a sandboxed process (threads count too; enforced by the kernel for a grader
#: that is not root; the watchdog counts processes in every case).
NPROC_LIMIT = 4096


class Limits(NamedTuple):
    """Resource limits of one sandboxed run.

    Attributes:
        seconds: Wall-clock seconds for the whole run (the whole notebook).
        memory_mb: Memory of all its processes together, in MiB: resident
            memory plus what its private ``/tmp`` and home (tmpfs, in memory) hold.
        disk_mb: Disk it may write: the size of any one file (``RLIMIT_FSIZE``)
            and of its working folder in total.
        processes: Processes it may have at once.
    """

    seconds: float
    memory_mb: int
    disk_mb: int = DEFAULT_DISK_MB
    processes: int = DEFAULT_PROCESSES



def limits_from(merged: dict) -> Limits:
    """``Limits`` from a configuration dict (``seconds`` and ``memory_mb`` required)."""
    return Limits(
        float(merged["seconds"]),
        int(merged["memory_mb"]),
        int(merged.get("disk_mb", DEFAULT_DISK_MB)),
        int(merged.get("processes", DEFAULT_PROCESSES)),
    )


def set_child_limits(limits: Limits) -> None:
    """Limits the calling process (and all it starts) before it runs a sandbox: no file larger than
    ``disk_mb`` (``RLIMIT_FSIZE``), no core dumps, at most ``NPROC_LIMIT`` tasks (``RLIMIT_NPROC``)."""
    import resource

    size = int(limits.disk_mb) * 2**20
    for name, value in (("RLIMIT_FSIZE", size), ("RLIMIT_CORE", 0), ("RLIMIT_NPROC", NPROC_LIMIT)):
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))
        except (ValueError, OSError):
            continue
