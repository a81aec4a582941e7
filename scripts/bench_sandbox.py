"""Benchmarks the grading sandbox's overhead (a benchmark, not a test).

Usage:
    python scripts/bench_sandbox.py [--repeat N] [ASSIGNMENT ...]

Prints, on this machine:

1. the start-up of one kernel (start until ``kernel_info`` answers) and of one
   verifier-like process (``python -I -m course.grading.artifacts`` importing
   the course), sandboxed and not, median of ``--repeat`` runs;
2. the wall time of autograding the same perfect submission of each named
   assignment (default ``00_setup 01_concepts 02_mnist_cnn``) sandboxed and
   unsandboxed, alternating, median of ``--repeat`` runs.

Run it alone: timings taken while other jobs use the cores are wrong.
"""

import asyncio
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


def kernel_start(sandboxed: bool) -> float:
    """Seconds from start_kernel until the kernel answers, sandboxed or not."""
    from course.grading.kernel import SandboxedKernelManager
    from course.grading.sandbox import Sandbox

    async def run():
        km = SandboxedKernelManager(kernel_name="python3")
        box = Sandbox()
        km.use_sandbox(box, sandboxed, box.limits_for(None))
        with tempfile.TemporaryDirectory() as cwd:
            started = time.monotonic()
            await km.start_kernel(cwd=cwd)
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            seconds = time.monotonic() - started
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            await km.cleanup_resources()
        return seconds

    return asyncio.run(run())


def verifier_start(sandboxed: bool) -> float:
    """Seconds to run a verifier-like process that imports the course, sandboxed or not."""
    from course.grading.bounded_run import run_sandboxed
    from course.grading.limits import Limits
    from course.grading.sandbox import Sandbox

    started = time.monotonic()
    rc, out, err, _ = run_sandboxed(
        [sys.executable, "-I", "-c", "import course.grading.artifacts, numpy"],
        Sandbox(enabled=sandboxed),
        Limits(120, 4096),
    )
    assert rc == 0, err
    return time.monotonic() - started


def grade_once(root: str, assignment: str, student: str, sandboxed: bool) -> float:
    """Seconds to autograde one submission (no feedback), sandboxed or not."""
    from course.grading import autograde, nbgrader_api

    os.environ["COURSE_SANDBOX"] = "1" if sandboxed else "0"
    api = nbgrader_api.make_api(root)
    record = autograde.autograde_one(api, assignment, student)
    assert record.status == "graded" and record.auto_score == record.auto_max, record
    assert record.sandboxed == sandboxed, record.notes
    return record.seconds


def main(argv=None) -> int:
    from course_copy import bench_arguments, released_copy, use_shared_data

    args = bench_arguments(__doc__.splitlines()[0], argv)

    from course.grading.sandbox import check_bwrap
    from course.grading.students import write_students
    from course.runtime import stderr_to

    use_shared_data()
    ok, why = check_bwrap("bwrap")
    if not ok:
        print(f"The sandbox is unavailable here ({why}); nothing to compare.")
        return 1
    print(f"{'what':<34}{'unsandboxed':>12}{'sandboxed':>12}{'overhead':>10}")

    def row(label, plain, boxed):
        print(f"{label:<34}{plain:>11.2f}s{boxed:>11.2f}s{boxed - plain:>+9.2f}s", flush=True)

    for label, fn in (("kernel start", kernel_start), ("verifier process start", verifier_start)):
        fn(True)  # warm the file cache
        plain = statistics.median(fn(False) for _ in range(args.repeat))
        boxed = statistics.median(fn(True) for _ in range(args.repeat))
        row(label, plain, boxed)
    with tempfile.TemporaryDirectory() as tmp:
        root, _ = released_copy(tmp, args.assignments)
        for assignment in args.assignments:
            student = write_students(root, assignment, ["perfect"])[0]
            times = {True: [], False: []}
            with stderr_to(os.devnull):
                grade_once(root, assignment, student, True)  # warm-up
                for _ in range(args.repeat):
                    for sandboxed in (False, True):
                        times[sandboxed].append(grade_once(root, assignment, student, sandboxed))
            row(f"grade {assignment} (perfect)", statistics.median(times[False]), statistics.median(times[True]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
