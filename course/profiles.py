"""Hardware profiles: training budgets and the minimum accuracies hidden tests require.

This is the one place where budgets and thresholds live. A profile is chosen
from the hardware (a visible GPU or not) unless ``COURSE_PROFILE`` says
otherwise. Every threshold is set from a measured run of the reference
solution, named in the comment beside it; a value that no run has checked
yet is marked UNVERIFIED.
"""

import glob
import os
import sys
from dataclasses import dataclass
from typing import Optional

from course.config import Settings, get_settings


@dataclass(frozen=True)
class Profile:
    """Budgets and thresholds for one kind of machine.

    Attributes:
        name: ``'cpu'`` or ``'gpu'``.
        mnist_train_limit: Training digits used (``None``: all of them).
        mnist_epochs: Training epochs of the MNIST CNN.
        mnist_batch_size: Batch size of the MNIST CNN.
        mnist_min_accuracy: Test accuracy the MNIST hidden test requires.
        mnist_max_params: Parameter budget of the MNIST CNN.
        bert_preset: Online keras-hub preset of the BERT assignment.
        bert_sequence_length: Tokens per review.
        bert_train_size: Training reviews used (``None``: all of them).
        bert_eval_size: Test reviews the grader evaluates on.
        bert_epochs: Fine-tuning epochs.
        bert_batch_size: Fine-tuning batch size.
        bert_learning_rate: Peak fine-tuning learning rate.
        bert_mixed_precision: Use the ``mixed_float16`` policy.
        bert_min_accuracy: Test accuracy the BERT hidden test requires.
    """

    name: str
    mnist_train_limit: Optional[int]
    mnist_epochs: int
    mnist_batch_size: int
    mnist_min_accuracy: float
    mnist_max_params: int
    bert_preset: str
    bert_sequence_length: int
    bert_train_size: Optional[int]
    bert_eval_size: int
    bert_epochs: int
    bert_batch_size: int
    bert_learning_rate: float
    bert_mixed_precision: bool
    bert_min_accuracy: float


CPU = Profile(
    name="cpu",
    mnist_train_limit=None,
    mnist_epochs=5,
    mnist_batch_size=64,
    # UNVERIFIED until the MNIST assignment measures it.
    mnist_min_accuracy=0.95,
    mnist_max_params=2_000_000,
    bert_preset="bert_tiny_en_uncased",
    bert_sequence_length=128,
    bert_train_size=1000,
    bert_eval_size=1000,
    bert_epochs=1,
    bert_batch_size=16,
    bert_learning_rate=5e-5,
    bert_mixed_precision=False,
    # UNVERIFIED until the BERT assignment measures it; the MiniLM run of the
    # issue reached 0.812 on 1,000 reviews, one seed.
    bert_min_accuracy=0.70,
)

GPU = Profile(
    name="gpu",
    mnist_train_limit=None,
    mnist_epochs=10,
    mnist_batch_size=128,
    # UNVERIFIED: no GPU run yet. The seed's full-mark CNN reaches about 0.99 on
    # the full 60,000-digit training set; 0.985 leaves a margin.
    mnist_min_accuracy=0.985,
    mnist_max_params=2_000_000,
    bert_preset="bert_base_en_uncased",
    bert_sequence_length=256,
    bert_train_size=None,
    bert_eval_size=5000,
    bert_epochs=2,
    bert_batch_size=32,
    bert_learning_rate=3e-5,
    bert_mixed_precision=True,
    # UNVERIFIED: KerasHub reports above 0.90 for base-size BERT on full IMDB.
    bert_min_accuracy=0.88,
)

PROFILES = {"cpu": CPU, "gpu": GPU}


def gpu_visible() -> bool:
    """Tells whether a GPU is visible, without importing TensorFlow if it is not loaded.

    Returns:
        ``True`` if TensorFlow (when already imported) lists a GPU, or, before
        TensorFlow is imported, if an NVIDIA device node exists and
        ``CUDA_VISIBLE_DEVICES`` does not hide it.
    """
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        return bool(tf.config.list_physical_devices("GPU"))
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return bool(glob.glob("/dev/nvidia[0-9]*"))


def get_profile(settings: Optional[Settings] = None) -> Profile:
    """Returns the profile in force.

    Args:
        settings: Settings to use instead of the environment's.

    Returns:
        ``GPU`` or ``CPU``: what ``COURSE_PROFILE`` asks for, or, when it is
        ``auto``, what the hardware offers.
    """
    settings = settings or get_settings()
    if settings.profile != "auto":
        return PROFILES[settings.profile]
    return GPU if gpu_visible() else CPU
