"""Rebuilds the embedded data sample in course/sample_data from full local copies.

Usage:
    python scripts/build_sample_data.py MNIST_NPZ ACLIMDB_ARCHIVE_OR_DIR

The sample is real data: the MNIST file is copied as it is (5,000 training
digits and the full 10,000-digit test set of the offline copy), and the IMDB
sample takes a fixed, class-balanced selection of reviews from each split.
"""

import argparse
import os
import shutil

import numpy as np

from course.data import (
    IMDB_SAMPLE,
    MNIST_SAMPLE,
    _read_aclimdb,
    read_mnist_npz,
    write_aclimdb_archive,
)

IMDB_SAMPLE_SIZES = {"train": 2000, "test": 1000}


def build_imdb_sample(source: str, target: str, sizes=IMDB_SAMPLE_SIZES, seed: int = 2024) -> None:
    """Writes a class-balanced subset of an aclImdb copy as a small archive.

    Args:
        source: aclImdb directory or archive.
        target: Archive to write.
        sizes: Reviews per split (half of them positive).
        seed: Seed of the selection.
    """
    rng = np.random.default_rng(seed)
    read = _read_aclimdb(source, list(sizes))
    chosen = {}
    for split, n in sizes.items():
        texts, labels = read[split]
        rows = []
        for label in (0, 1):
            idx = np.flatnonzero(labels == label)
            for i in sorted(rng.choice(idx, size=n // 2, replace=False)):
                rows.append((f"{i}_{label}.txt", texts[i], label))
        chosen[split] = rows
    write_aclimdb_archive(target, chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mnist", help="mnist.npz in Keras layout")
    parser.add_argument("imdb", help="aclImdb directory or .tar.gz archive")
    args = parser.parse_args()
    read_mnist_npz(args.mnist)  # refuses a file in the wrong layout
    os.makedirs(os.path.dirname(MNIST_SAMPLE), exist_ok=True)
    shutil.copyfile(args.mnist, MNIST_SAMPLE)
    build_imdb_sample(args.imdb, IMDB_SAMPLE)
    for path in (MNIST_SAMPLE, IMDB_SAMPLE):
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
