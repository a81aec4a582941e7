"""Paths and copies the tests and the benchmark scripts share; plain Python, no pytest.

``tests/conftest.py`` builds its fixtures on these; ``scripts/bench_*.py``
import them too, so the scripts run in the environment ``make demo`` builds
(which has no pytest).
"""

import math
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.environ.get("COURSE_SHARED_DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
SHARED_MNIST = os.path.join(SHARED_DATA, "mnist", "mnist.npz")
SHARED_IMDB = os.path.join(SHARED_DATA, "imdb", "aclImdb_sup.tar.gz")


#: The execution cache the suite uses unless COURSE_EXECUTION_CACHE says otherwise: outside any
#: checkout, so that it outlives clean clones (``course.grading.execution_cache``).
DEFAULT_EXECUTION_CACHE = os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "llm-course", "executions"
)
#: Environment entries that make a grading run execute every notebook for real.
REAL_KERNELS = {"COURSE_EXECUTION_CACHE": "off"}


def use_shared_data() -> None:
    """Sets ``COURSE_MNIST_PATH`` / ``COURSE_IMDB_PATH`` to the full offline copies, where present and not set."""
    for name, path in (("COURSE_MNIST_PATH", SHARED_MNIST), ("COURSE_IMDB_PATH", SHARED_IMDB)):
        if os.path.exists(path):
            os.environ.setdefault(name, path)


def copy_course(target: str) -> str:
    """Copies what nbgrader needs of the course (source/, config) into ``target``."""
    shutil.copytree(os.path.join(ROOT, "source"), os.path.join(target, "source"))
    shutil.copy(os.path.join(ROOT, "nbgrader_config.py"), target)
    return target


def load_key_module(assignment: str, notebook: str, name: str = ""):
    """Imports an answer key, ``source/<assignment>/<notebook>_key.py``, as a module of its own.

    Args:
        assignment: Assignment id, e.g. ``"04_inference_cost"``.
        notebook: The notebook's name without ``.ipynb``.
        name: The module's name (default ``<notebook>_key_tests``); it is not put in ``sys.modules``.

    Returns:
        The module, with every name the key defines (``QUESTIONS``, ``RUNNER_CELLS``, its helpers).
    """
    import importlib.util

    path = os.path.join(ROOT, "source", assignment, f"{notebook}_key.py")
    spec = importlib.util.spec_from_file_location(name or f"{notebook}_key_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_solution_cells(notebook_path: str, grade_ids, namespace=None) -> dict:
    """Runs the reference solution of some code cells of a source notebook, in notebook order.

    Each cell runs as a perfect student writes it (``course.grading.students.solved_source``:
    solution markers removed), compiled under its ``grade_id``.

    Args:
        notebook_path: A source notebook (``.ipynb``, with solutions).
        grade_ids: The ``grade_id``s of the code cells to run.
        namespace: Names the cells may use (e.g. ``{"np": numpy}``); it is filled in place.

    Returns:
        The namespace, with everything the cells defined.
    """
    import nbformat

    from course.grading.students import solved_source

    namespace = {} if namespace is None else namespace
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in grade_ids:
            exec(compile(solved_source(cell), grade_id, "exec"), namespace)
    return namespace


#: The assignments ``scripts/bench_*.py`` time when none are named.
BENCH_ASSIGNMENTS = ["00_setup", "01_concepts", "02_mnist_cnn"]


def bench_arguments(description: str, argv=None):
    """Parses the command line of a ``scripts/bench_*.py`` benchmark and quiets TensorFlow's start-up log.

    Args:
        description: What the benchmark measures (its ``--help`` line).
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        The parsed arguments: ``assignments`` (default ``BENCH_ASSIGNMENTS``) and ``repeat`` (runs per measurement).
    """
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("assignments", nargs="*", default=list(BENCH_ASSIGNMENTS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return args


def released_copy(target: str, assignments):
    """A copy of the course in ``target`` (``copy_course``) with ``assignments`` released into its gradebook.

    Args:
        target: An empty folder.
        assignments: Assignment ids to release.

    Returns:
        ``(course directory, nbgrader API of it)``.
    """
    from course.grading import nbgrader_api

    root = copy_course(target)
    api = nbgrader_api.make_api(root)
    nbgrader_api.generate_release(api, assignments)
    return root, api


def judge_function(key, grade_id: str, function, seed_parts):
    """Judges ``function`` as the grader does: the key's cases for these seed parts, results as data.

    Args:
        key: An answer key module (``load_key_module``).
        grade_id: A ``FunctionQuestion``'s test cell.
        function: The function to judge, called in this process.
        seed_parts: What the random cases are drawn from (student, notebook).

    Returns:
        The ``Verdict``.
    """
    from course import codec
    from course.grading.compare import call_locally, judge_cases
    from course.grading.judge import FunctionQuestion, case_rng, run_judge

    question = key.QUESTIONS[grade_id]
    assert isinstance(question, FunctionQuestion)
    cases = list(question.cases(case_rng(*seed_parts, grade_id)))
    records = [codec.decode(codec.encode(r)) if r["status"] == "ok" else r for r in call_locally(function, cases)]
    if question.judge is not None:
        return run_judge(question.judge, records, cases)
    return run_judge(lambda r, c: judge_cases(r, c, question.function, **question.options), records, cases)


def assert_cheats_lose_exactly_their_cells(graded, assignment: str, notebook: str, auto_max: float, cheated: dict):
    """Checks a graded batch with a ``demo-cheat`` submission: all points for the perfect student, none for the
    untouched one, and each cheated cell zero with the grader's reason while the cheat keeps every other point.

    Args:
        graded: What ``graded_course(assignment)`` returned.
        assignment: The assignment id.
        notebook: The notebook's file name.
        auto_max: Its autograded points.
        cheated: ``{grade_id: (phrase of the grader's reason, points)}``.
    """
    import json

    _, root, api, records = graded
    perfect, untouched, cheat = records["perfect"], records["untouched"], records["cheat"]
    assert (perfect.status, perfect.auto_score, perfect.auto_max) == ("graded", auto_max, auto_max), perfect.notes
    assert (untouched.status, untouched.auto_score) == ("graded", 0)
    assert cheat.status == "graded"
    assert math.isclose(cheat.auto_score, auto_max - sum(points for _, points in cheated.values()), abs_tol=1e-6), cheat.notes
    with api.gradebook as gb:
        submission = gb.find_submission(assignment, "demo-cheat")
        scores = {g.name: g.score for nb in submission.notebooks for g in nb.grades if g.auto_score is not None}
    for grade_id in cheated:
        assert scores[grade_id] == 0, grade_id
    outputs = {}
    with open(os.path.join(root, "autograded", "demo-cheat", assignment, notebook), encoding="utf-8") as fh:
        for cell in json.load(fh)["cells"]:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in cheated:
                outputs[grade_id] = json.dumps(cell.get("outputs", []))
    for grade_id, (reason, _) in cheated.items():
        assert reason in outputs[grade_id], (grade_id, outputs[grade_id][:500])
