"""Cheats that used to earn points (issue 10), graded with each assignment's synthetic students.

Every autograded point is now decided in the grader's process, so each
cheating submission earns exactly the points of its honest part: the same
as an honest submission minus the cells it cheats on. The cheats of 00 and
01 join those assignments' graded batches (``write_cheats``, through
conftest's ``EXTRA_SUBMISSIONS``), graded by ``cluster.grade_class``.
"""

import pytest

from course.grading.students import write_changed_submission

#: Hooks that emit an ``execute_result`` before every cell, or write to stderr after every cell.
INJECT_RESULT = "ip = get_ipython()\nip.events.register('pre_run_cell', lambda *a: ip.displayhook('full marks'))"
STDERR_WARNING = (
    "import sys\nget_ipython().events.register('post_run_cell', "
    "lambda *a: print('DeprecationWarning: harmless', file=sys.stderr))"
)

#: Code that cheats, by student: {solution cell grade_id or "+" (a new first cell): source}, the recipe, the points lost.
CONCEPTS = {
    # Switches off the checks in course/ that hidden tests used to call, and answers wrongly.
    "patch-checks": ({
        "+": "import course.checks as c, course.checks.answers as a\n"
             "c.expect = lambda *x, **k: None\na.expect_number = lambda *x, **k: 1.0",
        "transformer_params": "def transformer_params(*args):\n    return 1",
    }, "perfect", 2.6667),  # 2 for the function, 2 of the 3 sizes computed with it (test_cost_numbers: 0.3333 kept)
    # Patches NumPy and math where its function is re-run, and answers wrongly.
    "patch-numpy": ({
        "softmax_t": "import math, numpy\nnumpy.allclose = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True\n"
                     "def softmax_t(logits, T):\n    return numpy.zeros(numpy.shape(logits))",
    }, "perfect", 2),
    # Emits an execute_result before every cell: nbgrader used to read it as full points.
    "inject-result": ({"+": INJECT_RESULT}, "untouched", None),
    # Writes a harmless warning to stderr after every cell of a correct submission: nbgrader used to zero the cell.
    "stderr-warning": ({"+": STDERR_WARNING}, "perfect", 0),
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

SETUP = {
    "patch-checks": ({
        "+": "import course.checks as c\nc.expect = lambda *x, **k: None",
        "scale_images": "def scale_images(x):\n    return x[..., None].astype('float32')",
    }, "perfect", 1),
    "patch-numpy": ({
        "positive_fraction": "import math, numpy\nnumpy.isclose = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True\n"
                             "def positive_fraction(labels):\n    return 0.5",
    }, "perfect", 1),
    "inject-result": ({"+": INJECT_RESULT}, "untouched", None),
    "stderr-warning": ({"+": STDERR_WARNING}, "perfect", 0),
    # Stored counts for the labels the grader is known to use, zeros otherwise.
    "lookup-table": ({
        "count_per_class": "import numpy as np\nSTORED = {(3, 3, 9): [0, 0, 0, 2, 0, 0, 0, 0, 0, 1], (): [0] * 10}\n"
                           "def count_per_class(labels):\n"
                           "    return np.array(STORED.get(tuple(int(v) for v in labels), [0] * 10))",
    }, "perfect", 1),
    "always-equal": ({
        "positive_fraction": "class Always(float):\n    def __eq__(self, other):\n        return True\n"
                             "    __hash__ = float.__hash__\n"
                             "def positive_fraction(labels):\n    return Always(0.5)",
    }, "perfect", 1),
}

#: Per assignment: its cheating students.
BATCHES = {"00_setup": SETUP, "01_concepts": CONCEPTS}

pytestmark = pytest.mark.slow


def write_cheats(root: str, assignment: str) -> list:
    """Writes every cheating submission of ``assignment`` (``BATCHES``); returns their student ids."""
    return [write_changed_submission(root, assignment, student, recipe, changes)
            for student, (changes, recipe, _) in BATCHES[assignment].items()]


@pytest.mark.parametrize(
    "graded_assignment, student", [(a, s) for a, cheats in BATCHES.items() for s in sorted(cheats)]
)
def test_each_cheat_earns_exactly_the_points_of_its_honest_part(graded_course, graded_assignment, student):
    """Does a cheating submission score what an honest one scores minus the cells it cheats on (zero when nothing is answered)?"""
    records = graded_course(graded_assignment)[3]
    lost = BATCHES[graded_assignment][student][2]
    honest = records["perfect"].auto_score
    assert honest >= 3
    expected = 0.0 if lost is None else honest - lost
    assert records[student].auto_score == pytest.approx(expected, abs=1e-6)


#: Assignment 03's fine-tuning takes minutes, so its cheats share one submission built on the *partial*
#: student (which fills the first half of the solution cells and never fine-tunes), graded with 03's
#: synthetic students (conftest's EXTRA_SUBMISSIONS): {solution cell or "+": source}.
BERT_CHEATS = {
    "+": INJECT_RESULT + "\n" + STDERR_WARNING,
    # Stored answers for the grader's fixed cases, nothing otherwise (a cell the partial student left).
    "most_confident_mistakes": "import numpy as np\n"
                               "def most_confident_mistakes(probabilities, labels, k):\n"
                               "    known = {(6, 2): [3, 0], (6, 10): [3, 0, 2]}\n"
                               "    return np.array(known.get((len(labels), k), []), dtype=np.int64)",
    # A string that says it equals anything (a cell the partial student answered: 0.5 points lost).
    "split_error": "class Anything(str):\n    def __eq__(self, other):\n        return True\n"
                   "    __hash__ = str.__hash__\nsplit_error = Anything('KeyError')",
    # Patches math where it is re-run and answers with uniform probabilities (a cell the partial student left).
    "predict_probabilities": "import math\n"
                             "import numpy as np\n"
                             "math.isclose = lambda *a, **k: True\n"
                             "def predict_probabilities(classifier, texts, batch_size=32):\n"
                             "    return np.full((len(texts), 2), 0.5, dtype=np.float32)",
}
#: The test cell of each solution cell that BERT_CHEATS replaces: these score zero for the cheater.
BERT_CHEATED_TESTS = {
    "most_confident_mistakes": "test_most_confident_mistakes",
    "split_error": "test_split_error",
    "predict_probabilities": "test_predict_probabilities",
}


def write_bert_cheater(root: str, student: str) -> str:
    """Writes 03's partial submission with every cheat of ``BERT_CHEATS`` (for conftest's EXTRA_SUBMISSIONS)."""
    return write_changed_submission(root, "03_bert_imdb", student.replace("demo-", ""), "partial", BERT_CHEATS)
