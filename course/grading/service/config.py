"""The grading service's settings, read from the course's ``nbgrader_config.py`` (``c.GradingService``)."""

from traitlets import Enum, Float, Int, List, Unicode
from traitlets.config import LoggingConfigurable

#: What a student's feedback shows before the assignment's due date (after it: everything).
BEFORE_DEADLINE_MODES = ("visible", "score", "full")


class GradingService(LoggingConfigurable):
    """Settings of ``python -m course serve``."""

    per_hour = Int(
        3,
        help="Graded submissions per student, per assignment, per hour (a sliding window). "
        "0 turns the limit off.",
    ).tag(config=True)
    over_limit = Enum(
        ["refuse", "queue"],
        default_value="refuse",
        help="A submission over the hourly limit is 'refuse'd (its feedback says when the next one is graded) "
        "or 'queue'd (graded when the window allows; its feedback says when).",
    ).tag(config=True)
    concurrency = Int(
        2,
        help="Submissions of the course graded at the same time (Dask worker processes of the service).",
    ).tag(config=True)
    before_deadline = Enum(
        list(BEFORE_DEADLINE_MODES),
        default_value="score",
        help="Feedback before the due date (nbgrader's duedate of the assignment): 'visible' (whether each "
        "test cell's visible checks passed, no points), 'score' (points per question, no notes on hidden "
        "tests) or 'full' (nbgrader's feedback). Once the due date has passed, every student's latest graded "
        "submission gets full feedback in place of the earlier page; where no due date is set, this mode "
        "holds for good.",
    ).tag(config=True)
    state_dir = Unicode(
        "",
        help="Folder of the service's queue and log (default: <course root>/grading-service).",
    ).tag(config=True)
    poll_seconds = Float(2.0, help="Seconds between two looks at the exchange's inbound folder.").tag(config=True)
    instructors = List(
        Unicode(),
        default_value=[],
        help="Hub user names allowed on the status page, the grading report and the feedback copies.",
    ).tag(config=True)
    max_waiting = Int(
        5,
        help="Most submissions of one student waiting in the queue at once; more are refused on arrival "
        "(a flood of submissions costs the grader no more than this).",
    ).tag(config=True)
    max_submission_mb = Float(
        20.0, help="Largest submission graded, in MiB of regular files (larger ones are refused, unread)."
    ).tag(config=True)
    max_files = Int(200, help="Most files and folders in a graded submission (more are refused, unread).").tag(
        config=True
    )
