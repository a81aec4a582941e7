"""Command line of the course: ``python -m course COMMAND``.

Commands:
    notebooks  Build source notebooks from their jupytext copies (--check: only compare).
    release    Generate release/ from source/ (--check: regenerate in a temporary copy and compare).
    grade      Autograde every submission of an assignment on Dask workers (resumable), and give feedback.
    demo       The instructor's main job end to end on synthetic students.
    serve      The grading service: grades what students submit through nbgrader's exchange as it
               arrives and releases the feedback (a JupyterHub service; course/grading/service/).
    settings   Show the settings the course reads and the profile in force.
    links      Colab and Binder links of the release notebooks (--hub URL: nbgitpuller links;
               --readme: rewrite README.md's launch table).
"""

import argparse
import filecmp
import logging
import os
import shutil
import sys
import tempfile
import time
from typing import List

from course.tools import links
from course.grading import autograde, exports, nbgrader_api
from course.grading.sandbox import SandboxUnavailable
from course.grading.service import serve
from course.grading.students import (
    BASIC_STUDENTS,
    ROBUSTNESS_ASSIGNMENT,
    ROBUSTNESS_STUDENTS,
    write_students,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def prepare_environment() -> None:
    """Keeps TensorFlow's and nbgrader's start-up chatter out of the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("traitlets").setLevel(logging.ERROR)


def _diff_trees(a: str, b: str) -> List[str]:
    """Lists files that differ, or exist on one side only, between two trees."""
    differences = []
    comparison = filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"])

    def walk(cmp, prefix):
        differences.extend(os.path.join(prefix, n) for n in cmp.left_only + cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differences.extend(os.path.join(prefix, n) for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, os.path.join(prefix, name))

    walk(comparison, "")
    return sorted(differences)


def release_differences(root: str = ROOT) -> List[str]:
    """Regenerates release/ in a temporary copy of the course and compares it with the committed one.

    Returns:
        Paths (relative to release/) that differ; empty when release/ is up to date.
    """
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("source", "nbgrader_config.py"):
            src = os.path.join(root, name)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(tmp, name))
        api = nbgrader_api.make_api(tmp)
        nbgrader_api.generate_release(api, nbgrader_api.list_assignments(tmp))
        return _diff_trees(os.path.join(root, "release"), os.path.join(tmp, "release"))


def cmd_notebooks(args) -> int:
    from course.tools.authoring import build_all  # jupytext: development set only (requirements-dev.lock)

    stale = build_all(os.path.join(ROOT, "source"), check=args.check)
    for path in stale:
        print(("out of date: " if args.check else "rebuilt: ") + os.path.relpath(path, ROOT))
    if args.check and stale:
        print("Run `make notebooks` to rebuild them from their .py copies.")
        return 1
    return 0


def cmd_release(args) -> int:
    if args.check:
        diff = release_differences()
        for path in diff:
            print(f"release/{path} differs from what nbgrader generates from source/")
        return 1 if diff else 0
    api = nbgrader_api.make_api(ROOT)
    assignments = args.assignments or nbgrader_api.list_assignments(ROOT)
    nbgrader_api.generate_release(api, assignments)
    print("generated release/ for " + ", ".join(assignments))
    return 0


def _kernel_log(root: str = ROOT) -> str:
    os.makedirs(os.path.join(root, "exports"), exist_ok=True)
    return os.path.join(root, "exports", "kernels.log")


def _sandbox(api, required: bool) -> bool:
    """Prints how student code will run; with ``required``, refuses to go on without the sandbox."""
    if required:
        try:
            autograde.require_sandbox(api)
        except SandboxUnavailable as err:
            print(f"Not grading: {err}", file=sys.stderr)
            return False
    print(f"Sandbox: {autograde.sandbox_status(api)}", flush=True)
    return True


def _finish(api, records, root: str) -> None:
    # The table and the report show what the gradebook holds now, like grades.csv.
    paths = exports.write_exports(api, records, root)
    print()
    print(exports.format_table(records))
    print()
    print(f"Feedback (HTML):     {os.path.join(root, 'feedback')}/<student>/<assignment>/")
    print(f"Grades (nbgrader):   {paths['grades']}")
    print(f"Grading report:      {paths['report']}")
    print(f"Instructor report:   {paths['page']}")


def _resources(items) -> dict:
    resources = {}
    for item in items or []:
        name, _, amount = item.partition("=")
        resources[name] = float(amount or 1)
    return resources or None


def cmd_grade(args) -> int:
    from course.grading import cluster

    root = os.path.abspath(args.course_dir)
    api = nbgrader_api.make_api(root)
    if not _sandbox(api, args.require_sandbox):
        return 2
    try:
        cluster.check_released(api, args.assignment)
    except cluster.NotReleased as err:
        print(err, file=sys.stderr)
        return 2
    try:
        records = cluster.grade_class(
            root,
            args.assignment,
            args.students or None,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            resources=_resources(args.resources),
            resolve_here=not args.scheduler,
        )
    except KeyboardInterrupt:
        print("\nInterrupted: what was graded is saved; run the same command again to grade the rest.", file=sys.stderr)
        return 130
    _finish(api, records, root)
    return 0


def reset_demo_state(course_root: str, prefix: str = "demo-") -> None:
    """Removes earlier demo students' submissions, grades and feedback."""
    for step in ("submitted", "autograded", "feedback"):
        folder = os.path.join(course_root, step)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.startswith(prefix):
                    shutil.rmtree(os.path.join(folder, name))
    from nbgrader.api import Gradebook

    db = os.path.join(course_root, "gradebook.db")
    if os.path.exists(db):
        with Gradebook(f"sqlite:///{db}") as gb:
            for student in list(gb.students):
                if student.id.startswith(prefix):
                    gb.remove_student(student.id)


def cmd_demo(args) -> int:
    from course.grading import cluster

    started = time.monotonic()
    assignments = args.assignments or nbgrader_api.list_assignments(ROOT)
    print(f"[1/4] generating release/ for {len(assignments)} assignments", flush=True)
    api = nbgrader_api.make_api(ROOT)
    nbgrader_api.generate_release(api, nbgrader_api.list_assignments(ROOT))
    print("[2/4] writing synthetic submissions", flush=True)
    reset_demo_state(ROOT)
    api = nbgrader_api.make_api(ROOT)
    if not _sandbox(api, args.require_sandbox):
        return 2
    plan = {}
    for assignment in assignments:
        students = list(BASIC_STUDENTS)
        if assignment == args.robustness_assignment:
            students += list(ROBUSTNESS_STUDENTS)
        plan[assignment] = write_students(ROOT, assignment, students)
    workers = args.workers or cluster.default_workers()
    print(f"[3/4] autograding and generating feedback on {workers} Dask workers", flush=True)
    client, local = cluster.start_client(workers)
    records = []
    try:
        for assignment, students in plan.items():
            records.extend(cluster.grade_class(ROOT, assignment, students, client=client, force=True))
    finally:
        client.close()
        local.close()
    print("[4/4] exporting grades", flush=True)
    _finish(api, records, ROOT)
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s.")
    return 0


def cmd_settings(args) -> int:
    from course.config import describe_settings, get_settings
    from course.profiles import get_profile

    print(describe_settings())
    print()
    print(get_settings())
    print(get_profile())
    return 0


#: Options that ``grade`` and ``demo`` share (``add_argument`` keywords).
WORKERS_OPTION = dict(type=int, default=None, help="local Dask worker processes (default: one per core, at most 4)")
REQUIRE_SANDBOX_OPTION = dict(
    action="store_true", help="refuse to grade unless student code can run in the bubblewrap sandbox"
)


def main(argv=None) -> int:
    """Runs one command; returns the exit status."""
    prepare_environment()
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("notebooks", help="build source notebooks from their .py copies")
    p.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    p.set_defaults(func=cmd_notebooks)
    p = sub.add_parser("release", help="generate release/ from source/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--check", action="store_true", help="regenerate in a temporary copy and compare")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("grade", help="autograde submitted/<student>/<assignment> robustly")
    p.add_argument("assignment")
    p.add_argument("students", nargs="*", help="student ids (default: every submission)")
    p.add_argument("--course-dir", default=ROOT, help="the nbgrader course directory (default: this repository)")
    p.add_argument("--workers", **WORKERS_OPTION)
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--force", action="store_true", help="regrade submissions that were graded and did not change")
    p.add_argument(
        "--resources",
        action="append",
        metavar="NAME=N",
        help="Dask resources every grading task needs, e.g. GPU=1 (only workers started with them take it)",
    )
    p.add_argument("--require-sandbox", **REQUIRE_SANDBOX_OPTION)
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("demo", help="run the instructor's job on synthetic students")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument(
        "--robustness-assignment",
        default=ROBUSTNESS_ASSIGNMENT,
        help="assignment that also gets the broken submissions (duplicate cell, deleted test, ...)",
    )
    p.add_argument("--workers", **WORKERS_OPTION)
    p.add_argument("--require-sandbox", **REQUIRE_SANDBOX_OPTION)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="grade submissions from nbgrader's exchange as they arrive (a JupyterHub service)")
    serve.add_arguments(p)
    p.set_defaults(func=serve.run)
    p = sub.add_parser("settings", help="show settings and profile")
    p.set_defaults(func=cmd_settings)
    p = sub.add_parser("links", help="launch links of the release notebooks (Colab, Binder, nbgitpuller)")
    links.add_arguments(p)
    p.set_defaults(func=links.run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
