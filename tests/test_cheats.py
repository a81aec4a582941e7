"""Cheats that used to earn points, graded in one batch through `python -m course grade` (issue 10).

Every autograded point is now decided in the grader's process, so each
cheating submission earns exactly the points of its honest part: the same
as an honest submission minus the cells it cheats on.
"""

import csv
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import copy_course
from course.grading import pipeline
from course.grading.students import write_submission

ASSIGNMENT = "01_concepts"

#: Code that cheats, by student: {solution cell grade_id or "+" (a new first cell): source}, the recipe, the points lost.
CHEATS = {
    # Switches off the checks in course/ that hidden tests used to call, and answers wrongly.
    "patch-checks": ({
        "+": "import course.checks as c, course.checks.answers as a\n"
             "c.expect = lambda *x, **k: None\na.expect_number = lambda *x, **k: 1.0",
        "transformer_params": "def transformer_params(*args):\n    return 1",
    }, "perfect", 3),  # 2 for the function, 1 for the sizes computed with it (test_cost_numbers)
    # Patches NumPy and math where its function is re-run, and answers wrongly.
    "patch-numpy": ({
        "softmax_t": "import math, numpy\nnumpy.allclose = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True\n"
                     "def softmax_t(logits, T):\n    return numpy.zeros(numpy.shape(logits))",
    }, "perfect", 2),
    # Emits an execute_result before every cell: nbgrader used to read it as full points.
    "inject-result": ({
        "+": "ip = get_ipython()\nip.events.register('pre_run_cell', lambda *a: ip.displayhook('full marks'))",
    }, "untouched", None),
    # Writes a harmless warning to stderr after every cell of a correct submission: nbgrader used to zero the cell.
    "stderr-warning": ({
        "+": "import sys\nget_ipython().events.register('post_run_cell', "
             "lambda *a: print('DeprecationWarning: harmless', file=sys.stderr))",
    }, "perfect", 0),
    # Knows the grader's fixed cases and returns stored answers.
    "lookup-table": ({
        "transformer_params": "STORED = {(50257, 1024, 768, 12, 3072): 124439808, (50257, 1024, 1024, 24, 4096): 354823168,\n"
                              "          (10, 4, 2, 1, 8): 106, (100, 8, 16, 0, 64): 1760,\n"
                              "          (50257, 2048, 12288, 96, 49152): 174604259328}\n"
                              "def transformer_params(*args):\n    return STORED.get(tuple(int(a) for a in args), 1)",
    }, "perfect", 2),
    # An answer object that says it equals anything.
    "always-equal": ({
        "q3_error_bound": "class Always(float):\n    def __eq__(self, other):\n        return True\n"
                          "    __hash__ = float.__hash__\nq3_error_bound = Always(0.5)",
    }, "perfect", 1),
}

pytestmark = pytest.mark.slow


def _write(root, student, changes, recipe):
    student_id = write_submission(root, ASSIGNMENT, student, recipe)
    folder = os.path.join(root, "submitted", student_id, ASSIGNMENT)
    path = os.path.join(folder, "concepts.ipynb")
    nb = nbformat.read(path, as_version=4)
    for grade_id, source in changes.items():
        if grade_id == "+":
            first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
            nb.cells.insert(first, nbformat.v4.new_code_cell(source, id=f"cheat-{student}"))
            continue
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = source
    nbformat.write(nb, path)
    return student_id


@pytest.fixture(scope="module")
def cheat_batch(tmp_path_factory):
    """Grades an honest student and every cheat of ``CHEATS`` in one batch; returns scores by student."""
    root = copy_course(str(tmp_path_factory.mktemp("cheats")))
    pipeline.generate_release(pipeline.make_api(root), [ASSIGNMENT])
    ids = {"honest": write_submission(root, ASSIGNMENT, "honest", "perfect")}
    for student, (changes, recipe, _) in CHEATS.items():
        ids[student] = _write(root, student, changes, recipe)
    proc = subprocess.run(
        [sys.executable, "-m", "course", "grade", ASSIGNMENT, "--course-dir", root, "--workers", "1"],
        capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(os.path.join(root, "exports", "grades.csv"), encoding="utf-8") as fh:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh) if row["assignment"] == ASSIGNMENT}
    return {student: scores[student_id] for student, student_id in ids.items()}, root


@pytest.mark.parametrize("student", sorted(CHEATS))
def test_each_cheat_earns_exactly_the_points_of_its_honest_part(cheat_batch, student):
    """Does a cheating submission score what an honest one scores minus the cells it cheats on (zero when nothing is answered)?"""
    scores, _ = cheat_batch
    lost = CHEATS[student][2]
    assert scores["honest"] > 30
    expected = 0.0 if lost is None else scores["honest"] - lost
    assert scores[student] == pytest.approx(expected, abs=1e-6)
