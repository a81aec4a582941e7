"""Checks called by the hidden tests of the assignments.

Each check raises ``AssertionError`` with a message that tells the student
what is wrong with their answer, without quoting the test or the answer.
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
