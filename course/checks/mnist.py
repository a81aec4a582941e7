"""What assignment 02's notebook uses in the student's kernel: the data contract and the accuracy rule.

The grader's side (structure rules, verifiers that load a handed-in model in
a fresh process and measure it) is ``course.grading.verifiers.mnist``.
Nothing here knows a reference answer: the accuracy thresholds live in
``course.profiles``.
"""


INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
#: Keras layer classes that count as convolutions and as pooling.
CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
POOLINGS = ("MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D")
#: Images per forward pass when the grader measures accuracy.
EVAL_BATCH = 1000
#: Training digits of the official MNIST training set.
FULL_TRAINING_SET = 60_000

HOW_TO_BUILD = (
    "Build it from standard Keras layers with keras.Sequential or the functional API "
    "(custom classes, custom losses and Lambda layers cannot be graded)."
)


def _keras():
    """Imports Keras after TensorFlow, without TensorFlow's start-up notices."""
    from course.runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def required_accuracy(profile, training_digits: int) -> float:
    """The test accuracy the hidden test requires.

    Args:
        profile: The hardware profile in force (``course.profiles``).
        training_digits: How many training digits the data source offers
            (before the profile's ``mnist_train_limit``).

    Returns:
        ``profile.mnist_min_accuracy`` with the full 60,000-digit training
        set, else ``profile.mnist_subset_min_accuracy`` (the 5,000-digit
        offline copy or embedded sample).
    """
    if training_digits >= FULL_TRAINING_SET:
        return profile.mnist_min_accuracy
    return profile.mnist_subset_min_accuracy


# ------------------------------------------------------------ preprocessing


# ---------------------------------------------------------------- structure


# ----------------------------------------------------------- confusion matrix


# ---------------------------------------------------------------- verifiers


