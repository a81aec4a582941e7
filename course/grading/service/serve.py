"""``python -m course serve``: the grading service, as a JupyterHub managed service or on its own.

Under JupyterHub (``JUPYTERHUB_SERVICE_URL`` set, as for a managed service or
an external one with an API token) it serves the status page behind hub
authentication and grades in a background thread. On its own it serves no
HTTP at all and only grades: nothing of it is reachable without the hub.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from urllib.parse import urlparse

from course.grading.service.config import GradingService
from course.grading.service.loop import GradingLoop

log = logging.getLogger("course.grading.service")


def make_loop(course_root: str, exchange_root: str = "", state_dir: str = "") -> GradingLoop:
    """A ``GradingLoop`` configured from the course's ``nbgrader_config.py``.

    Args:
        course_root: The course directory.
        exchange_root: nbgrader's exchange (default: ``c.Exchange.root`` of the course's configuration).
        state_dir: Folder of the queue and log (default: ``c.GradingService.state_dir``, else
            ``<course root>/grading-service``).
    """
    from course.grading.nbgrader_api import load_config

    config = load_config(course_root)
    settings = GradingService(config=config)
    if state_dir:
        settings.state_dir = state_dir
    exchange_root = exchange_root or config.Exchange.get("root", "") or "/srv/nbgrader/exchange"
    course_id = config.CourseDirectory.get("course_id", "")
    if not course_id:
        raise SystemExit("the course has no c.CourseDirectory.course_id: the exchange needs one")
    return GradingLoop(course_root, settings, exchange_root, course_id)


def _logging(state_dir: str) -> None:
    os.makedirs(state_dir, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(os.path.join(state_dir, "service.log"))):
        handler.setFormatter(fmt)
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m course serve``."""
    parser.add_argument("--course-dir", default=None, help="the nbgrader course directory (default: this repository)")
    parser.add_argument("--exchange", default="", help="nbgrader's exchange root (default: c.Exchange.root)")
    parser.add_argument("--state-dir", default="", help="folder of the queue and log (default: c.GradingService.state_dir)")
    parser.add_argument("--once", action="store_true", help="grade what is waiting, then exit (no HTTP)")


def run(args) -> int:
    """Runs the service until SIGTERM or SIGINT (or, with ``--once``, until the queue is empty)."""
    from course.tools.lockfile import ROOT

    loop = make_loop(os.path.abspath(args.course_dir or ROOT), args.exchange, args.state_dir)
    _logging(loop.state_dir)
    url = os.environ.get("JUPYTERHUB_SERVICE_URL", "")
    log.info(
        "grading service for %s: exchange %s, queue %s, %s", loop.course_id, loop.inbound, loop.queue.path,
        f"status page at {url}" if url and not args.once else "no HTTP",
    )
    if args.once or not url:
        def stop(signum, frame):
            loop.stopping.set()
            loop.wake.set()

        signal.signal(signal.SIGTERM, stop)
        try:
            loop.run(once=args.once)
        finally:
            loop.close()
        return 0

    from tornado.ioloop import IOLoop

    from course.grading.service.web import make_app

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    app = make_app(loop, prefix)
    address = urlparse(url)
    app.listen(address.port, address.hostname)
    worker = threading.Thread(target=loop.run, name="grading-loop", daemon=True)
    worker.start()
    ioloop = IOLoop.current()

    def shutdown(signum, frame):
        loop.stopping.set()
        loop.wake.set()
        ioloop.add_callback_from_signal(ioloop.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        ioloop.start()
    finally:
        worker.join(timeout=30)
        loop.close()
    return 0
