"""Retrieval plumbing for assignment 06: review halves as a label-free benchmark, and MiniLM's token vectors.

What students implement (pooling, normalisation, metrics, search, BM25,
fusion) is not here: this module only builds the benchmark the same way for
the notebook and the grader, and runs the pretrained encoder.

The benchmark needs no labels: a review's first half is a query and its
second half is the one relevant passage among all the other reviews'
second halves (shuffled, so a passage's position says nothing about its
query).
"""

import re
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

_TAG = re.compile(r"<[^>]{0,40}>")
_SPACE = re.compile(r"\s+")
#: Tokens of the course's BM25: runs of lower-case letters and digits.
_WORD = re.compile(r"[a-z0-9]+")


def clean_review(text: str) -> str:
    """A review as plain text: IMDB's ``<br />`` tags become spaces, runs of white space one space."""
    return _SPACE.sub(" ", _TAG.sub(" ", str(text))).strip()


def split_halves(text: str) -> Tuple[str, str]:
    """A review's two halves by words: the first ``n // 2`` words, and the rest.

    Args:
        text: A review (cleaned or not).

    Returns:
        ``(first half, second half)``, each words joined by single spaces.
    """
    words = clean_review(text).split()
    middle = len(words) // 2
    return " ".join(words[:middle]), " ".join(words[middle:])


def bm25_tokens(text: str) -> List[str]:
    """The course's BM25 tokenisation: lower-case runs of ``[a-z0-9]``."""
    return _WORD.findall(str(text).lower())


@dataclass
class Benchmark:
    """Queries, passages, and which passage each query needs.

    Attributes:
        queries: First halves of the chosen reviews.
        passages: Second halves of all the reviews, shuffled.
        relevant: ``relevant[i]`` is the index in ``passages`` of query ``i``'s own second half.
    """

    queries: List[str]
    passages: List[str]
    relevant: np.ndarray


def halves_benchmark(texts: Sequence[str], n_queries: int, seed: int, min_words: int = 40) -> Benchmark:
    """Builds the label-free retrieval benchmark from reviews.

    Reviews shorter than ``min_words`` words are left out (their halves say
    too little). Every kept review's second half is a passage; ``n_queries``
    of the kept reviews, drawn with ``seed``, give their first halves as the
    queries. Passages are shuffled with the same seed.

    Args:
        texts: Reviews.
        n_queries: Number of queries (at most the number of kept reviews).
        seed: Seed of the draw and of the shuffle.
        min_words: Shortest review kept, in words.

    Returns:
        A ``Benchmark``.
    """
    halves = [split_halves(t) for t in texts]
    halves = [(a, b) for a, b in halves if len(a.split()) + len(b.split()) >= min_words]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(halves))
    passages = [halves[i][1] for i in order]
    position = np.empty(len(halves), dtype=np.int64)
    position[order] = np.arange(len(halves))
    chosen = np.sort(rng.choice(len(halves), size=min(n_queries, len(halves)), replace=False))
    return Benchmark([halves[i][0] for i in chosen], passages, position[chosen])


class TokenEncoder:
    """MiniLM (or any keras-hub BERT preset) as a function from texts to token vectors.

    ``encoder(texts)`` tokenises with the preset's WordPiece tokenizer, adds
    ``[CLS]`` and ``[SEP]``, truncates or pads to ``sequence_length`` tokens
    and runs the backbone: it returns the last layer's vector of every token
    and the padding mask. Pooling them into one vector per text is the
    student's job.

    Args:
        preset: What ``from_preset`` takes (``course.presets.resolve_bert_preset``).
        sequence_length: Tokens per text, ``[CLS]`` and ``[SEP]`` included.
        batch_size: Texts per forward pass.
    """

    def __init__(self, preset: str, sequence_length: int, batch_size: int = 64):
        from course.runtime import import_tensorflow

        self._tf = import_tensorflow()
        import keras_hub

        self.tokenizer = keras_hub.tokenizers.BertTokenizer.from_preset(preset)
        self.backbone = keras_hub.models.BertBackbone.from_preset(preset)
        self.packer = keras_hub.layers.StartEndPacker(
            sequence_length=sequence_length,
            start_value=self.tokenizer.cls_token_id,
            end_value=self.tokenizer.sep_token_id,
            pad_value=self.tokenizer.pad_token_id,
            return_padding_mask=True,
        )
        self.sequence_length = int(sequence_length)
        self.batch_size = int(batch_size)
        self.dim = int(self.backbone.hidden_dim)

    def __call__(self, texts: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """Token vectors and padding mask of ``texts``.

        Args:
            texts: Strings.

        Returns:
            ``(vectors, mask)``: float32 ``(n, sequence_length, hidden)`` and
            bool ``(n, sequence_length)``, ``True`` where a token is real.
        """
        texts = [str(t) for t in texts]
        vectors = np.zeros((len(texts), self.sequence_length, self.dim), dtype=np.float32)
        mask = np.zeros((len(texts), self.sequence_length), dtype=bool)
        for start in range(0, len(texts), self.batch_size):
            batch = self._tf.constant(texts[start:start + self.batch_size])
            ids, padding = self.packer(self.tokenizer(batch))
            out = self.backbone.predict_on_batch(
                {"token_ids": ids, "segment_ids": self._tf.zeros_like(ids), "padding_mask": padding}
            )
            vectors[start:start + len(ids)] = np.asarray(out["sequence_output"], dtype=np.float32)
            mask[start:start + len(ids)] = np.asarray(padding, dtype=bool)
        return vectors, mask

    def tokens(self, text: str) -> List[str]:
        """The WordPiece tokens (strings) of ``text``, without ``[CLS]`` and ``[SEP]``."""
        ids = np.asarray(self.tokenizer.tokenize(self._tf.constant(str(text))))
        return [self.tokenizer.id_to_token(int(i)) for i in ids]
