"""Writing a page where nbgrader's *Fetch Feedback* finds it: ``<exchange>/<course>/feedback/<hash>.html``.

The name is nbgrader's (``notebook_hash(secret=..., notebook_id=...)``), from
the submission's secret, which only the student's own nbgrader cache and the
grader hold: a student fetches the feedback of their own submissions and
cannot name anybody else's. Pages replace each other atomically (a later page
for the same submission, full feedback after the due date, simply overwrites).
"""

import os
import uuid

from nbgrader.utils import notebook_hash

#: Readable by the students' accounts (they fetch it), written by the grader only.
PAGE_MODE = 0o644


def feedback_dir(exchange_root: str, course_id: str) -> str:
    """The exchange's outbound feedback folder of a course."""
    return os.path.join(exchange_root, course_id, "feedback")


def page_path(exchange_root: str, course_id: str, secret: str, notebook_id: str) -> str:
    """Where the feedback of one notebook of one submission goes."""
    name = notebook_hash(secret=secret, notebook_id=notebook_id)
    return os.path.join(feedback_dir(exchange_root, course_id), f"{name}.html")


def publish(exchange_root: str, course_id: str, secret: str, notebook_id: str, page: bytes) -> str:
    """Releases one page of feedback; returns its path in the exchange.

    Args:
        exchange_root: nbgrader's ``Exchange.root``.
        course_id: The course id.
        secret: The submission's secret (``submission_secret.txt``).
        notebook_id: The notebook's name without ``.ipynb``.
        page: The HTML.
    """
    path = page_path(exchange_root, course_id, secret, notebook_id)
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    temporary = os.path.join(folder, f".{uuid.uuid4().hex}.tmp")
    with open(temporary, "xb") as fh:
        fh.write(page)
    os.chmod(temporary, PAGE_MODE)
    os.replace(temporary, path)
    return path
