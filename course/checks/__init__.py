"""Kernel-side helpers: what the notebooks' visible tests call, in the student's kernel.

They check the *form* of an answer and give early messages; they decide no
points (hidden tests only hand answers in, ``course.checks.handin``; the
grader judges them in its own process, ``course.grading.judge``). Each check
raises ``AssertionError`` with a message that tells the student what is
wrong, without quoting the test or the answer. Nothing here imports
``course.grading`` (``tests/test_boundary.py``).
"""


def expect(condition: bool, message: str) -> None:
    """Raises ``AssertionError(message)`` unless ``condition`` holds.

    Args:
        condition: What must be true.
        message: What the student reads when it is not.
    """
    if not condition:
        raise AssertionError(message)


def call(function, *args, what: str = "your function"):
    """Calls a student's function and turns its crash into a clear failure.

    Args:
        function: The student's callable.
        *args: Arguments.
        what: How to name it in the message.

    Returns:
        What the function returned.
    """
    expect(callable(function), f"{what} must be a function.")
    try:
        return function(*args)
    except NotImplementedError:
        raise AssertionError(f"{what} is not implemented yet.") from None
    except Exception as err:  # the student's code may raise anything
        raise AssertionError(f"{what} raised {type(err).__name__}: {err}") from None
