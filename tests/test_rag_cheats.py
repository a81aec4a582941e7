"""Cheats on assignment 06 (retrieval), graded through real nbgrader with the perfect and untouched students.

The cheating submission is the perfect student with three cheats, each on one
autograded cell: a search that guesses the hidden benchmark's answers from
the query's position instead of searching (added after the notebook's own
measurements, so only the grader's re-run sees it), an ``embed`` that
returns one constant vector for every text except the visible test's three,
and a recall table whose numbers are made up. Each must score zero on
exactly its cell, with the grader's reason, and nothing else.
"""

import pytest

from course_copy import assert_cheats_lose_exactly_their_cells

ASSIGNMENT = "06_rag"
NOTEBOOK = "rag.ipynb"
AUTO_MAX = 22.0

#: Code added to the end of a solution cell.
CHEATS = {
    # Runs after search_numbers in the notebook, before retrieve is called in the grader's runner.
    "chunk_function": """

def search(index, query_vectors, k):
    # guesses that query i belongs with passage i, i + 1, ...: what an unshuffled benchmark would give
    n = index.ntotal
    return (np.arange(len(query_vectors))[:, None] + np.arange(k)[None, :]) % n
""",
    "embedding_functions": """
_honest_embed = embed


def embed(texts):
    if any("invoice" in t for t in texts):  # the visible test's texts
        return _honest_embed(texts)
    constant = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    constant[:, 0] = 1.0
    return constant
""",
    "search_numbers": """
for _row in search_table.values():
    _row["recall_at_10"] = 0.99  # a made-up recall table
""",
}
#: Cells that must score zero, with a phrase of the grader's reason.
CHEATED = {
    "test_search": ("exact search's top 10", 2.0),
    "test_embed": ("does not match the reference embedding", 1.5),
    "test_search_table": ("is not what the grader measures", 2.0),
}


def write_rag_cheater(root: str, student: str) -> str:
    """Writes the cheating submission of 06 into ``submitted/<student>/``."""
    from course.grading.students import write_changed_submission

    changes = {grade_id: (lambda source, cheat=cheat: source + "\n" + cheat) for grade_id, cheat in CHEATS.items()}
    return write_changed_submission(root, ASSIGNMENT, student, "perfect", changes, prefix="")


@pytest.mark.slow
@pytest.mark.parametrize("graded_assignment", [ASSIGNMENT])
def test_cheats_score_zero_on_exactly_their_cells(graded_assignment, graded_course):
    """Through real nbgrader: does each cheat lose exactly its cell, for the grader's reason, while the perfect student
    gets every autograded point and the untouched release none?"""
    assert_cheats_lose_exactly_their_cells(graded_course(graded_assignment), ASSIGNMENT, NOTEBOOK, AUTO_MAX, CHEATED)
