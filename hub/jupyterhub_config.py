"""JupyterHub for the course on one machine: `make hub` (python -m course.tools.hub) and the hub tests.

Two students and one instructor log in with any name below and the password
(DummyAuthenticator: for trying the course, never for a real class), each gets
JupyterLab with nbgrader's student-side panels (local processes, a home
folder each), assignments come from nbgrader's exchange, and the grading
service (`python -m course serve`, a managed service) grades what they submit.

Everything is read from the environment that `python -m course.tools.hub` sets:
COURSE_HUB_DIR (state: database, homes, exchange, configuration),
COURSE_HUB_COURSE (the nbgrader course directory), COURSE_HUB_EXCHANGE,
COURSE_HUB_PORT, COURSE_HUB_API_PORT, COURSE_HUB_PROXY_API_PORT,
COURSE_HUB_SERVICE_PORT and COURSE_HUB_PASSWORD.

To add the grading service to an existing hub, see README.md ("Grading service").
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HUB_DIR = os.environ.get("COURSE_HUB_DIR", os.path.join(ROOT, "build", "hub"))
COURSE_DIR = os.environ.get("COURSE_HUB_COURSE", ROOT)
EXCHANGE = os.environ.get("COURSE_HUB_EXCHANGE", os.path.join(HUB_DIR, "exchange"))
STUDENTS = ["student1", "student2"]
INSTRUCTORS = ["instructor"]
BIN = os.path.dirname(sys.executable)


def port(name, default):
    return int(os.environ.get(name, default))


# The hub, its proxy (configurable-http-proxy from npm, pinned in hub/package.json) and
# their state, all on the loopback interface.
c.JupyterHub.bind_url = f"http://127.0.0.1:{port('COURSE_HUB_PORT', 8000)}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port('COURSE_HUB_API_PORT', 8081)}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port('COURSE_HUB_PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.command = [os.path.join(ROOT, "hub", "node_modules", ".bin", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = os.path.join(HUB_DIR, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(HUB_DIR, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(HUB_DIR, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(HUB_DIR, "jupyterhub.pid")

# Who logs in.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("COURSE_HUB_PASSWORD", "course")
c.Authenticator.allowed_users = set(STUDENTS + INSTRUCTORS)

# Each user's JupyterLab: a local process with a home folder of its own, the student-side
# nbgrader configuration (python -m course.tools.hub writes it: exchange, course id, the hub
# user as student id).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(HUB_DIR, "home", "{username}")
c.Spawner.cmd = [os.path.join(BIN, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# The course's settings (data, presets, caches) reach users' servers and the service; the hub's own do not.
COURSE_ENV = {
    k: v for k, v in os.environ.items()
    if k.startswith(("COURSE_", "TF_CPP", "OPENBLAS_")) and not k.startswith("COURSE_HUB_")
}
c.Spawner.environment = dict(COURSE_ENV, JUPYTER_CONFIG_DIR=os.path.join(HUB_DIR, "jupyter"))
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]

# The grading service: grades submissions from the exchange, releases feedback into it;
# its status page is for the instructors named in the course's nbgrader_config.py.
c.JupyterHub.services = [
    {
        "name": "grading",
        "url": f"http://127.0.0.1:{port('COURSE_HUB_SERVICE_PORT', 10101)}",
        "command": [sys.executable, "-m", "course", "serve", "--course-dir", COURSE_DIR, "--exchange", EXCHANGE],
        "cwd": COURSE_DIR,
        "environment": dict(COURSE_ENV, PYTHONUNBUFFERED="1"),
        "oauth_no_confirm": True,
        "display": True,
        "info": {"description": "Grades submissions within minutes; status page for instructors."},
    }
]
# Every user may reach the service (its pages check who is an instructor themselves).
c.JupyterHub.extra_user_scopes = {"access:services!service=grading"}
