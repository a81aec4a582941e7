"""Times autograding one perfect submission per assignment, to compare two versions of the grader (a benchmark, not a test).

Usage (from the root of the checkout to measure):
    python scripts/bench_judge.py [--repeat N] [ASSIGNMENT ...]

Prints the median wall time of ``autograde.autograde_one`` (sandboxed, no
feedback) over ``--repeat`` runs, per assignment (default ``00_setup
01_concepts 02_mnist_cnn``). Issue 10 moved every verdict out of the
student's kernel; running this on the commit before it and after it shows
what that costs. Run it alone: timings taken while other jobs use the cores
are wrong.
"""

import os
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


def main(argv=None) -> int:
    from course_copy import bench_arguments, released_copy, use_shared_data

    args = bench_arguments(__doc__.splitlines()[0], argv)

    import course
    from course.grading import autograde
    from course.grading.students import write_students

    use_shared_data()
    print(f"course package: {os.path.dirname(course.__file__)}")
    with tempfile.TemporaryDirectory() as tmp:
        root, api = released_copy(tmp, args.assignments)
        for assignment in args.assignments:
            write_students(root, assignment, ["perfect"])
            times = []
            for _ in range(args.repeat):
                record = autograde.autograde_one(api, assignment, "demo-perfect")
                assert record.status == "graded" and record.auto_score == record.auto_max, record
                times.append(record.seconds)
            print(f"{assignment:<16} median {statistics.median(times):6.2f} s  runs {[round(t, 2) for t in times]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
