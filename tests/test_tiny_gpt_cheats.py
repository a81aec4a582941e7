"""Cheats on assignment 05 (tiny GPT), graded through real nbgrader with the perfect and untouched students.

The cheating submission is the perfect student with five cheats, each on one
autograded cell: a model that peeks at future tokens handed in for the
causality check, a "KV cache" that keeps the tokens and recomputes
everything, a nucleus sampler that ignores p, a faked perplexity in the
validation table and a faked speed-up in the timing table. Each must score
zero on exactly its cell, with the grader's reason, and nothing else.
"""

import pytest

from course_copy import assert_cheats_lose_exactly_their_cells

ASSIGNMENT = "05_tiny_gpt"
NOTEBOOK = "tiny_gpt.ipynb"
AUTO_MAX = 31.0

#: Code added to the end of a solution cell (``prepend:`` code goes first; ``|append:`` separates the two).
CHEATS = {
    "build_gpt": """
_honest_gpt = gpt
_tokens = keras.Input(shape=(None,), dtype="int32")
_x = keras_hub.layers.TokenAndPositionEmbedding(tinygpt.BYTE_VOCAB, GPT_CONTEXT, 64)(_tokens)
for _i in range(2):
    _x = keras_hub.layers.TransformerDecoder(intermediate_dim=256, num_heads=4)(_x, use_causal_mask=False)
gpt = keras.Model(_tokens, keras.layers.Dense(tinygpt.BYTE_VOCAB)(_x))
gpt.set_weights(_honest_gpt.get_weights())  # same weights, but every position sees the whole window
""",
    "eval_table": "prepend:gpt = _honest_gpt\n|append:eval_table[\"val_perplexity\"] = 2.0  # a faked perplexity\n",
    "numpy_gpt": """
_seen_tokens = []
_honest_prefill = gpt_prefill


def gpt_prefill(weights, tokens):
    _seen_tokens[:] = [int(t) for t in tokens]
    return _honest_prefill(weights, tokens)


def gpt_decode_step(weights, token, cache):
    _seen_tokens.append(int(token))
    return _honest_prefill(weights, _seen_tokens)  # recomputes everything; the cache is never read
""",
    "decoding_functions": """

def top_p_probs(logits, p):
    return softmax(logits)  # ignores p
""",
    "timing": """
for _row in timing_table:
    _row["speedup"] = 100.0
""",
}
#: Cells that must score zero, with a phrase of the grader's reason.
CHEATED = {
    "test_gpt_causal": ("not causal", 2.0),
    "test_gpt_decode_step": ("gpt_decode_step", 3.0),
    "test_top_p_probs": ("top_p_probs", 1.5),
    "test_eval_table": ("val_perplexity does not follow", 1.0),
    "test_timing_table": ("does not follow from its two times", 1.0),
}


def _cheated(cheats: str):
    """The change ``CHEATS`` describes for one cell: a function from the honest source to the cheating one."""
    def change(source):
        for cheat in cheats.split("|append:"):
            source = cheat[len("prepend:"):] + source if cheat.startswith("prepend:") else source + "\n" + cheat
        return source

    return change


def write_tiny_gpt_cheater(root: str, student: str) -> str:
    """Writes the cheating submission of 05 into ``submitted/<student>/``."""
    from course.grading.students import write_changed_submission

    changes = {grade_id: _cheated(cheats) for grade_id, cheats in CHEATS.items()}
    return write_changed_submission(root, ASSIGNMENT, student, "perfect", changes, prefix="")


@pytest.mark.slow
@pytest.mark.parametrize("graded_assignment", [ASSIGNMENT])
def test_cheats_score_zero_on_exactly_their_cells(graded_assignment, graded_course):
    """Through real nbgrader: does each cheat lose exactly its cell, for the grader's reason, while the perfect student
    gets every autograded point and the untouched release none?"""
    assert_cheats_lose_exactly_their_cells(graded_course(graded_assignment), ASSIGNMENT, NOTEBOOK, AUTO_MAX, CHEATED)
