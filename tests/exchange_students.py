"""Students on nbgrader's exchange, as their Assignments panel acts: fetch, submit, fetch feedback.

Each student has a home folder of their own (assignments and nbgrader's
submission cache) and the exchange's student-side classes do the work, as the
single-user server's *Assignments* panel does under JupyterHub.
"""

import glob
import os
from typing import Dict, Optional

import nbformat


class ExchangeStudent:
    """One student on one course's exchange.

    Args:
        name: Student id (``c.CourseDirectory.student_id``, as the hub's student configuration sets it).
        home: The student's home folder.
        exchange: nbgrader's exchange root.
        course_id: The course id.
    """

    def __init__(self, name: str, home: str, exchange: str, course_id: str):
        self.name, self.home, self.exchange, self.course_id = name, home, exchange, course_id
        os.makedirs(home, exist_ok=True)

    def _run(self, kind: str, assignment: str) -> None:
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange import default
        from traitlets.config import Config

        config = Config()
        config.CourseDirectory.course_id = self.course_id
        config.CourseDirectory.student_id = self.name
        config.CourseDirectory.assignment_id = assignment
        config.Exchange.root = self.exchange
        config.Exchange.cache = os.path.join(self.home, ".nbgrader_cache")
        config.Exchange.assignment_dir = self.home
        coursedir = CourseDirectory(config=config)
        action = getattr(default, kind)(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        action.start()

    def fetch(self, assignment: str) -> str:
        """Fetches a released assignment; returns its folder."""
        self._run("ExchangeFetchAssignment", assignment)
        return os.path.join(self.home, assignment)

    def notebook(self, assignment: str, notebook: str):
        """The student's copy of one notebook."""
        return nbformat.read(os.path.join(self.home, assignment, f"{notebook}.ipynb"), as_version=4)

    def save(self, assignment: str, notebook: str, nb) -> None:
        """Saves the student's copy of one notebook."""
        nbformat.write(nb, os.path.join(self.home, assignment, f"{notebook}.ipynb"))

    def submit(self, assignment: str) -> str:
        """Submits; returns the inbound folder's name."""
        inbound = os.path.join(self.exchange, self.course_id, "inbound")
        before = set(os.listdir(inbound))
        self._run("ExchangeSubmit", assignment)
        (name,) = set(os.listdir(inbound)) - before
        return name

    def fetch_feedback(self, assignment: str) -> Dict[str, Dict[str, str]]:
        """Fetches feedback; returns ``{timestamp: {notebook: html}}`` of everything fetched so far."""
        self._run("ExchangeFetchFeedback", assignment)
        found: Dict[str, Dict[str, str]] = {}
        for path in glob.glob(os.path.join(self.home, assignment, "feedback", "*", "*.html")):
            timestamp = os.path.basename(os.path.dirname(path))
            with open(path, encoding="utf-8") as fh:
                found.setdefault(timestamp, {})[os.path.basename(path)[: -len(".html")]] = fh.read()
        return found

    def latest_feedback(self, assignment: str, notebook: str) -> Optional[str]:
        """The feedback of the student's latest submission that has some (fetching first), or ``None``."""
        found = self.fetch_feedback(assignment)
        for timestamp in sorted(found, reverse=True):
            if notebook in found[timestamp]:
                return found[timestamp][notebook]
        return None
