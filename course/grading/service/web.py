"""The service's pages, behind JupyterHub authentication (OAuth for browsers, tokens for API calls).

- ``<prefix>``: the status page, for instructors only (``GradingService.instructors``):
  the queue, what is being graded, the last failures and refusals with their
  notes, and links to the grading report.
- ``<prefix>exports/...`` and ``<prefix>feedback/...``: the course's ``exports/``
  (``report.html``, ``grades.csv``) and ``feedback/`` folders, for instructors only.
- ``POST <prefix>api/scan``: any hub user may ask the service to look at the
  inbound folder now (what it finds is judged as always; the call grants nothing).

Every response forbids scripts and framing (Content-Security-Policy), and every
text from the queue goes through ``html.escape``. Nothing answers without a hub
login or token: unauthenticated browsers are sent to the hub's login, API
calls get 403.
"""

import html
import json
import os
import time

from tornado import web

from course.grading.service import pages

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'"


class _Base(web.RequestHandler):
    def set_default_headers(self):
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    @property
    def loop(self):
        return self.settings["grading_loop"]

    def user_name(self) -> str:
        return (self.current_user or {}).get("name", "")

    def require_instructor(self) -> None:
        if self.user_name() not in set(self.loop.settings.instructors):
            raise web.HTTPError(403, "instructors only")

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        why = "this page is for the course's instructors only" if status_code == 403 else self._reason
        self.finish(f"{status_code}: {why}\n")


def make_handlers(prefix: str, course_root: str):
    """The tornado handlers under the service's URL prefix (``JUPYTERHUB_SERVICE_PREFIX``)."""
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

    class StatusPage(HubOAuthenticated, _Base):
        @web.authenticated
        def get(self):
            self.require_instructor()
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(status_page(self.loop, prefix))

    class InstructorFiles(HubOAuthenticated, web.StaticFileHandler):
        def set_default_headers(self):
            _Base.set_default_headers(self)

        def write_error(self, status_code, **kwargs):
            _Base.write_error(self, status_code, **kwargs)

        @web.authenticated
        async def get(self, path, include_body=True):
            if (self.current_user or {}).get("name", "") not in set(self.settings["grading_loop"].settings.instructors):
                raise web.HTTPError(403, "instructors only")
            return await super().get(path, include_body)

        def validate_absolute_path(self, root, absolute_path):
            real_root = os.path.realpath(root)
            real = os.path.realpath(absolute_path)
            if not real.startswith(real_root + os.sep):
                raise web.HTTPError(404)
            return super().validate_absolute_path(root, absolute_path)

    class Scan(HubOAuthenticated, _Base):
        @web.authenticated
        def post(self):
            self.loop.wake.set()
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"scanning": True, "user": self.user_name()}))

        @web.authenticated
        def get(self):
            raise web.HTTPError(405)

    class NotFound(HubOAuthenticated, _Base):
        @web.authenticated
        def get(self, *args):
            raise web.HTTPError(404)

        post = get

    root = prefix.rstrip("/")
    return [
        (rf"{root}/?", StatusPage),
        (rf"{root}/oauth_callback", HubOAuthCallbackHandler),
        (rf"{root}/api/scan", Scan),
        (rf"{root}/exports/(.*)", InstructorFiles, {"path": os.path.join(course_root, "exports")}),
        (rf"{root}/feedback/(.*)", InstructorFiles, {"path": os.path.join(course_root, "feedback")}),
        (r".*", NotFound),
    ]


def make_app(loop, prefix: str) -> web.Application:
    """The tornado application of the service."""
    return web.Application(make_handlers(prefix, loop.root), cookie_secret=os.urandom(32), grading_loop=loop, xsrf_cookies=False)


def _age(seconds) -> str:
    return pages.utc(seconds) if seconds else ""


def status_page(loop, prefix: str) -> str:
    """The instructor's status page (HTML, every value escaped)."""
    counts = loop.queue.counts()
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='10'>",
        f"<title>Grading service</title><style>{pages.STYLE}</style></head><body>",
        f"<h1>Grading service: {esc(loop.course_id)}</h1>",
        f"<p>Now {pages.utc(time.time())}. Limit: {loop.settings.per_hour} graded submission(s) per student, "
        f"assignment and hour ({esc(loop.settings.over_limit)} beyond it); {loop.settings.concurrency} at a time; "
        f"before the due date students see: {esc(loop.settings.before_deadline)}.</p>",
        "<p>" + " · ".join(f"{esc(state)}: {n}" for state, n in counts.items()) + "</p>",
        f"<p><a href='{esc(prefix)}exports/report.html'>Grading report (exports/report.html)</a> · "
        f"<a href='{esc(prefix)}exports/grades.csv'>grades.csv</a></p>",
    ]
    if loop.last_error:
        parts.append(pages.paragraph(f"Last error of the service: {loop.last_error}", "bad"))

    def table(title, rows, columns):
        parts.append(f"<h2>{esc(title)} ({len(rows)})</h2>")
        if not rows:
            parts.append("<p>none</p>")
            return
        parts.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c, _ in columns) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{esc(str(get(row)))}</td>" for _, get in columns) + "</tr>")
        parts.append("</table>")

    who = [("#", lambda s: s.id), ("student", lambda s: s.student), ("assignment", lambda s: s.assignment),
           ("submitted", lambda s: _age(s.received))]
    table("Being graded", loop.queue.listing(("grading",)), who + [("started", lambda s: _age(s.started))])
    table("Queued", list(reversed(loop.queue.listing(("queued",)))),
          who + [("not before", lambda s: _age(s.not_before)), ("note", lambda s: s.note)])
    table("Failed and refused (latest 20)", loop.queue.listing(("failed", "refused"), limit=20),
          who + [("state", lambda s: s.state), ("note", lambda s: s.note)])
    table("Graded (latest 50)", loop.queue.listing(("graded",), limit=50),
          who + [("points", lambda s: f"{s.score:g}/{s.max_score:g}" if s.score is not None else ""),
                 ("seconds", lambda s: f"{(s.finished or 0) - (s.started or 0):.0f}"),
                 ("feedback", lambda s: s.shown), ("note", lambda s: s.note)])
    parts.append("</body></html>")
    return "".join(parts)
