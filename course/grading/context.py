"""The grading context: one profile and one data source for a whole grading run, recorded with each model.

The grader decides once, before any kernel starts, which hardware profile
and which data source are in force (``resolve``), and puts them into its
environment as ``COURSE_PROFILE`` and ``COURSE_DATA_SOURCE``
(``export_resolved``). The student's kernel and every verifier process
inherit that environment, so they all judge by the same profile instead of
each guessing from the hardware; a grading sandbox that passes ``COURSE_*``
variables through keeps this.

``hand_in`` records the profile a model was trained under in a small JSON
sidecar next to the ``.keras`` file (``write_sidecar``); a verifier refuses a
model whose sidecar names another profile than the one it grades with
(``profile_mismatch``), with a message that says what to do, instead of
demanding GPU thresholds from a CPU-trained model or the reverse.
"""

import json
import os
from typing import Dict, Mapping, MutableMapping, Optional

from course.checks.handin import SIDECAR_SUFFIX, sidecar_path, write_sidecar  # kernel side: they run in the student's kernel
from course.config import get_settings

__all__ = [
    "SIDECAR_SUFFIX", "sidecar_path", "write_sidecar", "resolve_profile", "resolve_data_source", "resolve",
    "export_resolved", "restore", "read_sidecar", "profile_mismatch",
]
#: Seconds and MiB the child that asks TensorFlow for the profile may take.
PROFILE_CHILD_SECONDS, PROFILE_CHILD_MB = 600, 2**20


def resolve_profile(environ: Optional[Mapping[str, str]] = None) -> str:
    """The profile name ``COURSE_PROFILE`` resolves to here, ``'cpu'`` or ``'gpu'``.

    ``auto`` follows what TensorFlow can use (``course.profiles.gpu_visible``):
    without a usable GPU device file (``course.gpu.nvidia_gpu``) that is
    ``cpu``; with one, TensorFlow is asked in a child process
    (``course.grading.child``, trusted code, unsandboxed so that it sees the
    GPU), so the grader itself does not load it. A child that gives no answer
    means ``cpu``.

    Args:
        environ: Environment to read and to give the child (default ``os.environ``).
    """
    env = dict(os.environ if environ is None else environ)
    settings = get_settings(env)
    if settings.profile != "auto":
        return settings.profile
    from course.gpu import nvidia_gpu

    if not nvidia_gpu(env).usable:
        return "cpu"
    from course.grading.child import ChildError, call_in_child
    from course.grading.limits import Limits

    run = call_in_child("course.grading.context:profile_here", None, None,
                        Limits(PROFILE_CHILD_SECONDS, PROFILE_CHILD_MB), env=env)
    try:
        name = run.value()
    except ChildError:
        return "cpu"
    return name if name in ("cpu", "gpu") else "cpu"


def profile_here(_payload, _reply) -> str:
    """The child's side of ``resolve_profile``: the profile ``auto`` resolves to in this process."""
    from course.profiles import get_profile

    return get_profile().name


def resolve_data_source(environ: Optional[Mapping[str, str]] = None) -> str:
    """The data source ``COURSE_DATA_SOURCE`` resolves to for both data sets, probed once.

    ``auto`` becomes ``local`` when both local copies are configured,
    ``online`` or ``sample`` when neither is and the download hosts both
    answer or both do not; anything else stays ``auto`` (each data set then
    decides as ``course.data`` documents).

    Args:
        environ: Environment to read (default ``os.environ``).
    """
    settings = get_settings(os.environ if environ is None else environ)
    if settings.data_source != "auto":
        return settings.data_source
    local = [bool(settings.mnist_path), bool(settings.imdb_path)]
    if all(local):
        return "local"
    if any(local):
        return "auto"
    from course.data import IMDB_HOST, MNIST_HOST
    from course.network import host_reachable

    reachable = {host_reachable(host, timeout=settings.network_timeout) for host in (MNIST_HOST, IMDB_HOST)}
    if reachable == {True}:
        return "online"
    if reachable == {False}:
        return "sample"
    return "auto"


def resolve(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """``{'COURSE_PROFILE': 'cpu'|'gpu', 'COURSE_DATA_SOURCE': ...}`` for one grading run."""
    return {
        "COURSE_PROFILE": resolve_profile(environ),
        "COURSE_DATA_SOURCE": resolve_data_source(environ),
    }


def export_resolved(environ: Optional[MutableMapping[str, str]] = None) -> Dict[str, Optional[str]]:
    """Resolves the grading context once and puts it into ``environ`` (default: this process's).

    Kernels and verifier processes started afterwards inherit it. Calling it
    again is cheap: resolved values are no longer ``auto``.

    Returns:
        The previous values (``None``: unset), for ``restore``.
    """
    environ = os.environ if environ is None else environ
    values = resolve(environ)
    previous = {name: environ.get(name) for name in values}
    environ.update(values)
    return previous


def restore(previous: Mapping[str, Optional[str]], environ: Optional[MutableMapping[str, str]] = None) -> None:
    """Puts back what ``export_resolved`` replaced."""
    environ = os.environ if environ is None else environ
    for name, value in previous.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value


def read_sidecar(artifact: str) -> Optional[dict]:
    """The sidecar of ``artifact``, or ``None`` when there is none or it is unreadable."""
    try:
        with open(sidecar_path(artifact), encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def profile_mismatch(artifact: str) -> Optional[str]:
    """Why a verifier must refuse ``artifact``, or ``None`` when its profile is the one in force.

    A model without a sidecar (handed in by hand, or by an older course
    version) is judged as usual.

    Returns:
        A message for the student and the instructor, or ``None``.
    """
    from course.profiles import get_profile

    record = read_sidecar(artifact)
    if not record or "profile" not in record:
        return None
    trained, grading = str(record["profile"]), get_profile().name
    if trained == grading:
        return None
    return (
        f"This model was trained under the {trained} profile, but the grader judges with the {grading} "
        f"profile (other budgets and thresholds), so it is not graded. Instructor: grade where "
        f"COURSE_PROFILE={trained} is in force, or have the notebook run again under {grading}."
    )
