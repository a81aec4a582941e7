"""The service's persistent queue: one SQLite row per inbound submission, nothing lost on SIGKILL.

Every change is one transaction (SQLite in WAL mode, synchronous writes), so
whatever the service is doing when it dies, the queue holds each submission
it has seen, in one of these states:

- ``queued``: waiting (``not_before`` holds it back while over the hourly limit);
- ``grading``: picked up; put back to ``queued`` when the service starts again;
- ``graded``, ``failed``: done, feedback released;
- ``refused``: not graded (over the limit, too large, not the student's), the reason released as feedback.

A submission is known by the name of its folder in the exchange's inbound
folder, so a submission seen again after a restart is never queued twice.
"""

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, List, Optional

STATES = ("queued", "grading", "graded", "failed", "refused")

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    inbound TEXT UNIQUE NOT NULL,
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    received REAL NOT NULL,
    state TEXT NOT NULL,
    not_before REAL NOT NULL DEFAULT 0,
    secret TEXT NOT NULL DEFAULT '',
    notebooks TEXT NOT NULL DEFAULT '[]',
    score REAL,
    max_score REAL,
    note TEXT NOT NULL DEFAULT '',
    shown TEXT NOT NULL DEFAULT '',
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS by_state ON submissions (state, not_before);
CREATE INDEX IF NOT EXISTS by_student ON submissions (student, assignment, started);
"""


@dataclass
class Submission:
    """One submission as the queue holds it.

    Attributes:
        inbound: Its folder's name in the exchange's inbound folder (unique).
        student: Student id (from the folder's name, checked against its owner where accounts differ).
        assignment: Assignment id.
        received: When it arrived (epoch seconds, the service's clock, never the student's).
        state: One of ``STATES``.
        not_before: Not graded before this time (the hourly limit).
        secret: nbgrader's submission secret, which names its feedback in the exchange.
        notebooks: Notebook ids of the release that the submission holds.
        score, max_score: Its autograded points, once graded.
        note: Why it was refused or failed, or what was unusual (grader's text, shown to instructors).
        shown: What its released feedback shows (``visible``, ``score``, ``full``, ``notice``).
        started, finished: When grading started and ended.
        attempts: How often grading was started (a restart mid-grading adds one).
        record: The grader's ``GradeRecord`` of it, as a dict (for the report).
        id: Row id (queue order).
    """

    inbound: str
    student: str
    assignment: str
    received: float
    state: str = "queued"
    not_before: float = 0.0
    secret: str = ""
    notebooks: List[str] = field(default_factory=list)
    score: Optional[float] = None
    max_score: Optional[float] = None
    note: str = ""
    shown: str = ""
    started: Optional[float] = None
    finished: Optional[float] = None
    attempts: int = 0
    record: dict = field(default_factory=dict)
    id: Optional[int] = None


COLUMNS = tuple(f for f in Submission.__dataclass_fields__ if f != "id")


class SubmissionQueue:
    """The queue in one SQLite file.

    Args:
        path: The database file (created with its folder where missing).
    """

    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    @staticmethod
    def _row(row: sqlite3.Row) -> Submission:
        values = dict(row)
        values["notebooks"] = json.loads(values["notebooks"])
        values["record"] = json.loads(values["record"])
        return Submission(**values)

    def add(self, submission: Submission) -> bool:
        """Queues a submission; returns ``False`` (and changes nothing) when its inbound folder is known."""
        values = [getattr(submission, c) for c in COLUMNS]
        values[COLUMNS.index("notebooks")] = json.dumps(submission.notebooks)
        values[COLUMNS.index("record")] = json.dumps(submission.record)
        with self._connect() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO submissions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                values,
            )
            return cursor.rowcount == 1

    def known(self) -> set:
        """The inbound folder names the queue holds."""
        with self._connect() as db:
            return {r[0] for r in db.execute("SELECT inbound FROM submissions")}

    def update(self, submission_id: int, **values) -> None:
        """Changes some fields of one submission, in one transaction."""
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        if "state" in values and values["state"] not in STATES:
            raise ValueError(f"unknown state {values['state']!r}")
        for name in ("notebooks", "record"):
            if name in values:
                values[name] = json.dumps(values[name])
        with self._connect() as db:
            db.execute(
                f"UPDATE submissions SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                [*values.values(), submission_id],
            )

    def recover(self) -> int:
        """Puts submissions left ``grading`` by a service that died back in the queue; returns how many."""
        with self._connect() as db:
            return db.execute("UPDATE submissions SET state = 'queued' WHERE state = 'grading'").rowcount

    def due(self, now: Optional[float] = None) -> List[Submission]:
        """Queued submissions that may be graded now, oldest first."""
        now = time.time() if now is None else now
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM submissions WHERE state = 'queued' AND not_before <= ? ORDER BY id", (now,)
            ).fetchall()
        return [self._row(r) for r in rows]

    def started_since(self, student: str, assignment: str, since: float) -> List[float]:
        """When this student's submissions of this assignment started grading, from ``since`` on."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT started FROM submissions WHERE student = ? AND assignment = ? AND started >= ?"
                " AND state IN ('grading', 'graded', 'failed')",
                (student, assignment, since),
            ).fetchall()
        return [r[0] for r in rows]

    def waiting(self, student: str) -> int:
        """How many of this student's submissions are queued or being graded."""
        with self._connect() as db:
            return db.execute(
                "SELECT COUNT(*) FROM submissions WHERE student = ? AND state IN ('queued', 'grading')", (student,)
            ).fetchone()[0]

    def get(self, submission_id: int) -> Submission:
        """One submission by row id."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return self._row(row)

    def latest_graded(self, states=("graded",)) -> List[Submission]:
        """Each student's latest submission of each assignment among those in ``states``."""
        marks = ", ".join("?" * len(states))
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM submissions WHERE id IN (SELECT MAX(id) FROM submissions"
                f" WHERE state IN ({marks}) GROUP BY student, assignment) ORDER BY id",
                tuple(states),
            ).fetchall()
        return [self._row(r) for r in rows]

    def listing(self, states=STATES, limit: int = 200) -> List[Submission]:
        """Submissions in some states, newest first."""
        marks = ", ".join("?" * len(states))
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM submissions WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?", (*states, limit)
            ).fetchall()
        return [self._row(r) for r in rows]

    def counts(self) -> dict:
        """How many submissions are in each state."""
        with self._connect() as db:
            found = dict(db.execute("SELECT state, COUNT(*) FROM submissions GROUP BY state").fetchall())
        return {s: found.get(s, 0) for s in STATES}
