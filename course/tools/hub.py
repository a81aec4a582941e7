"""``make hub``: JupyterHub for the course on this machine, with the grading service.

Prepares ``build/hub/`` and starts JupyterHub with ``hub/jupyterhub_config.py``:

- the proxy, ``configurable-http-proxy`` from npm at the version pinned in
  ``hub/package-lock.json`` (``npm ci``, once);
- the course's gradebook holds every assignment (generated where missing);
- ``exchange/``: nbgrader's exchange, every assignment of ``release/`` released into it;
- ``jupyter/``: the students' Jupyter configuration (nbgrader's student-side
  panels only; the hub user is the student id);
- ``home/<user>/``: each user's home folder, created at their first login.

Log in at http://127.0.0.1:8000 as ``student1``, ``student2`` or ``instructor``
(password ``course``); the instructor's status page is ``/services/grading/``.
"""

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from course.tools.lockfile import ROOT
from course.tools.studentlab import configure_student, release_to_exchange

HUB_CONFIG = os.path.join(ROOT, "hub", "jupyterhub_config.py")
PROXY = os.path.join(ROOT, "hub", "node_modules", ".bin", "configurable-http-proxy")
DEFAULT_HUB_DIR = os.path.join(ROOT, "build", "hub")


@dataclass
class HubSettings:
    """Where the hub keeps its state and where it listens.

    Attributes:
        hub_dir: State: database, homes, exchange, students' configuration.
        course_dir: The nbgrader course directory the service grades.
        port: The public port (the proxy).
        api_port: The hub's own port (behind the proxy).
        proxy_api_port: The proxy's REST API.
        service_port: The grading service.
        password: DummyAuthenticator's password.
    """

    hub_dir: str = DEFAULT_HUB_DIR
    course_dir: str = ROOT
    port: int = 8000
    api_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 10101
    password: str = "course"

    @property
    def exchange(self) -> str:
        return os.path.join(self.hub_dir, "exchange")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> Dict[str, str]:
        """The variables ``hub/jupyterhub_config.py`` reads."""
        return {
            "COURSE_HUB_DIR": self.hub_dir,
            "COURSE_HUB_COURSE": self.course_dir,
            "COURSE_HUB_EXCHANGE": self.exchange,
            "COURSE_HUB_PORT": str(self.port),
            "COURSE_HUB_API_PORT": str(self.api_port),
            "COURSE_HUB_PROXY_API_PORT": str(self.proxy_api_port),
            "COURSE_HUB_SERVICE_PORT": str(self.service_port),
            "COURSE_HUB_PASSWORD": self.password,
        }


def install_proxy() -> str:
    """Installs ``configurable-http-proxy`` (``npm ci`` in ``hub/``) unless it is there; returns its path.

    Raises:
        RuntimeError: npm is missing or failed.
    """
    if os.path.exists(PROXY):
        return PROXY
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for JupyterHub's proxy (apt-get install nodejs npm)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=os.path.join(ROOT, "hub"),
        capture_output=True, text=True,
    )
    if result.returncode != 0 or not os.path.exists(PROXY):
        raise RuntimeError(f"npm ci in hub/ failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return PROXY


def ensure_released(course_dir: str) -> List[str]:
    """Adds the assignments missing from the course's gradebook (nbgrader generate_assignment); returns them."""
    from course.grading import nbgrader_api

    api = nbgrader_api.make_api(course_dir)
    with api.gradebook as gb:
        known = {a.name for a in gb.assignments}
    missing = [a for a in nbgrader_api.list_assignments(course_dir) if a not in known]
    if missing:
        nbgrader_api.generate_release(api, missing)
    return missing


def prepare(settings: HubSettings) -> str:
    """Prepares the hub's folder: the proxy, the exchange, the students' configuration; returns the course id.

    Every assignment of the course's ``release/`` is released into the exchange
    (the gradebook must hold them: ``ensure_released``).
    """
    install_proxy()
    os.makedirs(os.path.join(settings.hub_dir, "home"), exist_ok=True)
    course_id, _ = release_to_exchange(settings.course_dir, settings.exchange)
    configure_student(os.path.join(settings.hub_dir, "jupyter"), settings.exchange, course_id, hub_user=True)
    return course_id


def hub_command(settings: HubSettings) -> Tuple[List[str], Dict[str, str]]:
    """The command and environment that start the hub."""
    env = dict(os.environ, **settings.environment())
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return [sys.executable, "-m", "jupyterhub", "-f", HUB_CONFIG], env


def main(argv: Optional[List[str]] = None) -> int:
    """Prepares and starts the hub (``make hub``)."""
    parser = argparse.ArgumentParser(prog="python -m course.tools.hub", description=__doc__.splitlines()[0])
    parser.add_argument("--hub-dir", default=DEFAULT_HUB_DIR, help="folder of the hub's state")
    parser.add_argument("--course-dir", default=ROOT, help="the nbgrader course directory the service grades")
    parser.add_argument("--port", type=int, default=8000, help="the public port")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the folder, do not start the hub")
    args = parser.parse_args(argv)
    settings = HubSettings(hub_dir=os.path.abspath(args.hub_dir), course_dir=os.path.abspath(args.course_dir), port=args.port)
    missing = ensure_released(settings.course_dir)
    if missing:
        print(f"Added to the gradebook: {', '.join(missing)}")
    course_id = prepare(settings)
    print(f"Exchange of {course_id}: {settings.exchange}")
    print(f"JupyterHub: {settings.url}  (student1, student2, instructor; password {settings.password})")
    print(f"Grading service status (instructor): {settings.url}/services/grading/")
    if args.prepare_only:
        return 0
    command, env = hub_command(settings)
    os.chdir(settings.hub_dir)
    os.execve(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
