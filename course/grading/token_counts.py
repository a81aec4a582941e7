"""Counts tokens with the course's BERT tokenizer, for answer keys; grader-side, trusted code only.

Assignment 04 asks for token counts of two fixed texts with the WordPiece
vocabulary of the preset that the notebook loads (``course.presets``). The
expected counts depend on that preset (an instructor may configure another
one with ``COURSE_BERT_PRESET``), so the key does not hard-code them: it asks
this module, which loads the same preset the same way in a separate process
(TensorFlow and keras-hub stay out of the grader's own process) and caches
the answer for the life of the grader process. No student code runs here.

``python -m course.grading.token_counts`` reads a JSON list of texts on
standard input and prints one JSON line: ``[[tokens, unknown tokens], ...]``.
"""

import functools
import json
import os
import subprocess
import sys
from typing import Optional, Sequence, Tuple

#: Seconds the counting process may take (TensorFlow's start-up included).
TIMEOUT = 300


def _count_here(texts: Sequence[str]) -> list:
    """Token and ``[UNK]`` counts of each text with the configured preset's tokenizer, in this process."""
    from course.presets import resolve_bert_preset
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras
    import keras_hub

    preset, _ = resolve_bert_preset()
    tokenizer = keras_hub.tokenizers.BertTokenizer.from_preset(preset)
    counts = []
    for text in texts:
        ids = keras.ops.convert_to_numpy(tokenizer.tokenize(text))
        tokens = [tokenizer.id_to_token(int(i)) for i in ids]
        counts.append([len(tokens), tokens.count("[UNK]")])
    return counts


@functools.lru_cache(maxsize=8)
def count_tokens(texts: Tuple[str, ...]) -> Optional[Tuple[Tuple[int, int], ...]]:
    """Counts tokens of each text with the tokenizer the notebook loads, in a fresh process.

    Args:
        texts: The texts (a tuple, so that the answer can be cached).

    Returns:
        ``((tokens, unknown tokens), ...)`` in the order of ``texts``, or
        ``None`` when the tokenizer could not be loaded (the caller falls back
        to its measured counts).
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "course.grading.token_counts"],
            input=json.dumps(list(texts)), capture_output=True, text=True, timeout=TIMEOUT, env=env,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    for line in reversed(done.stdout.splitlines()):
        try:
            counts = json.loads(line)
        except ValueError:
            continue
        if isinstance(counts, list) and len(counts) == len(texts):
            return tuple((int(n), int(unk)) for n, unk in counts)
    return None


def main() -> None:
    """Reads a JSON list of texts on standard input; prints their counts as one JSON line."""
    texts = json.loads(sys.stdin.read())
    print(json.dumps(_count_here(texts)))


if __name__ == "__main__":
    main()
