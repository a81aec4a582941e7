"""The grading service: submissions through nbgrader's exchange come back graded within minutes.

``python -m course serve`` watches the exchange's inbound folder, grades each
new submission with ``course.grading.cluster.grade_class`` (same sandbox, same
records, one writer) and releases the feedback into nbgrader's feedback
exchange, where the student's *Fetch Feedback* finds it. Run as a JupyterHub
managed service it also serves an instructor-only status page behind hub
authentication. One concern per module:

- ``config``: the instructor's settings (``c.GradingService`` in ``nbgrader_config.py``).
- ``queue``: the persistent queue (SQLite), which survives a restart or SIGKILL.
- ``ratelimit``: graded submissions per student, assignment and hour.
- ``inbound``: reading the exchange's inbound submissions, as untrusted data.
- ``pages``: the service's own feedback pages (scores only, visible tests, notices).
- ``publish``: writing a page where nbgrader's *Fetch Feedback* looks for it.
- ``loop``: scan, grade, release: the service's work.
- ``web``: the status page and the scan call, behind hub authentication.
- ``serve``: the command line.
"""
