"""The student's JupyterLab: nbgrader's student-side extensions only.

Students get nbgrader's *Validate* button and, where an exchange exists, the
*Assignments* panel; the instructor panels (formgrader, create assignment,
course list) are turned off (nbgrader issue #1645). The same configuration is
used in two places:

- ``make lab`` (``python -m course.tools.studentlab``) prepares ``build/lab/`` and
  starts JupyterLab there: ``notebooks/`` holds the student's copies of
  ``release/`` (copied once, never overwritten), ``exchange/`` is a local
  nbgrader exchange with every assignment released into it, and ``jupyter/``
  is the Jupyter configuration directory of this JupyterLab.
- Binder (``postBuild`` runs ``python -m course.tools.studentlab --binder``) writes
  the configuration into the environment (``sys.prefix``). Binder has no
  exchange, and anything submitted into its throw-away container would be
  lost, so there the *Assignments* panel is off as well and students hand in
  the downloaded ``.ipynb``.

Validate runs with the course's ``nbgrader_config.py``: JupyterLab is started
from the repository root, where nbgrader's Validate handler looks for it.
"""

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from course.tools.lockfile import ROOT

#: JupyterLab plugins of nbgrader that only instructors use.
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
#: Jupyter server extensions of nbgrader that only instructors use.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
#: The student-side exchange panel (fetch, submit), which needs an exchange.
EXCHANGE_LAB_PLUGINS = ("@jupyter/nbgrader:assignment-list",)
EXCHANGE_SERVER_EXTENSIONS = ("nbgrader.server_extensions.assignment_list",)
#: JupyterLab's news pop-up, noise for students (disabled, not locked).
QUIET_LAB_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)
#: Student-side pieces that stay on everywhere.
STUDENT_LAB_PLUGINS = ("@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:menu")
STUDENT_SERVER_EXTENSIONS = ("nbgrader.server_extensions.validate_assignment",)

DEFAULT_LAB_DIR = os.path.join(ROOT, "build", "lab")


@dataclass(frozen=True)
class LabPaths:
    """Folders of a student JupyterLab.

    Attributes:
        workspace: What JupyterLab shows: the student's assignment folders.
        exchange: The local nbgrader exchange.
        config: The Jupyter configuration directory (``JUPYTER_CONFIG_DIR``).
    """

    workspace: str
    exchange: str
    config: str

    @classmethod
    def under(cls, lab_dir: str) -> "LabPaths":
        """The standard layout under one folder."""
        lab_dir = os.path.abspath(lab_dir)
        return cls(os.path.join(lab_dir, "notebooks"), os.path.join(lab_dir, "exchange"), os.path.join(lab_dir, "jupyter"))


def disabled_parts(exchange: bool) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """Returns the (lab plugins, server extensions) a student does not get.

    Args:
        exchange: Whether an nbgrader exchange exists (then the Assignments panel stays on).
    """
    lab = INSTRUCTOR_LAB_PLUGINS + (() if exchange else EXCHANGE_LAB_PLUGINS)
    server = INSTRUCTOR_SERVER_EXTENSIONS + (() if exchange else EXCHANGE_SERVER_EXTENSIONS)
    return lab, server


def configure_student(
    config_dir: str,
    exchange_root: Optional[str] = None,
    course_id: str = "",
    workspace: str = "",
    hub_user: bool = False,
) -> Dict[str, str]:
    """Writes the student-side Jupyter configuration into one configuration directory.

    Existing settings in that directory are kept (the files are merged, as
    ``jupyter labextension disable`` does). Disabled plugins are also locked,
    so they cannot be switched back on from JupyterLab's plugin manager.
    (``jupyter server extension disable`` refuses nbgrader's sub-modules,
    which do not declare themselves as extensions, hence the direct write.)

    Args:
        config_dir: A Jupyter configuration directory (``JUPYTER_CONFIG_DIR``
            or ``<sys.prefix>/etc/jupyter``).
        exchange_root: The nbgrader exchange, or ``None`` where there is none.
        course_id: The nbgrader course id (needed with an exchange).
        workspace: Where fetched assignments go (needed with an exchange
            when JupyterLab shows another folder than the server's working
            directory; empty: the working directory, as under JupyterHub).
        hub_user: The student id is the JupyterHub user (``JUPYTERHUB_USER``),
            not the Unix account (under JupyterHub, students of a single-user
            spawner share one account).

    Returns:
        The files written, by purpose.
    """
    from jupyter_server.config_manager import BaseJSONConfigManager

    lab, server = disabled_parts(exchange=exchange_root is not None)
    labconfig = os.path.join(config_dir, "labconfig")
    BaseJSONConfigManager(config_dir=labconfig).update(
        "page_config",
        {
            "disabledExtensions": {p: True for p in lab + QUIET_LAB_PLUGINS},
            "lockedExtensions": {p: True for p in lab},
        },
    )
    BaseJSONConfigManager(config_dir=config_dir).update(
        "jupyter_server_config",
        {"ServerApp": {"jpserver_extensions": {e: False for e in server}}},
    )
    written = {
        "page_config": os.path.join(labconfig, "page_config.json"),
        "server_config": os.path.join(config_dir, "jupyter_server_config.json"),
    }
    if exchange_root is not None:
        path = os.path.join(config_dir, "nbgrader_config.py")
        lines = [
            "# Written by `python -m course.tools.studentlab`: the student side of the exchange.",
            "c = get_config()  # noqa: F821",
            f"c.CourseDirectory.course_id = {course_id!r}",
            f"c.Exchange.root = {exchange_root!r}",
        ]
        if workspace:
            lines.append(f"c.Exchange.assignment_dir = {workspace!r}")
        if hub_user:
            lines += [
                "import os",
                "if os.environ.get('JUPYTERHUB_USER'):",
                "    c.CourseDirectory.student_id = os.environ['JUPYTERHUB_USER']",
            ]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        written["nbgrader_config"] = path
    return written


def release_to_exchange(course_root: str, exchange_root: str) -> Tuple[str, List[str]]:
    """Releases every assignment of ``release/`` into a local exchange (nbgrader ``release_assignment``).

    Args:
        course_root: The course directory.
        exchange_root: The exchange.

    Returns:
        The course id and the assignments released.

    Raises:
        RuntimeError: nbgrader could not release one.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from course.grading.nbgrader_api import load_config

    os.makedirs(exchange_root, exist_ok=True)
    config = load_config(course_root)
    config.Exchange.root = exchange_root
    config.ExchangeReleaseAssignment.force = True
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    release = os.path.join(course_root, "release")
    assignments = sorted(a for a in os.listdir(release) if os.path.isdir(os.path.join(release, a)))
    for assignment in assignments:
        result = api.release_assignment(assignment)
        if not result or not result.get("success"):
            raise RuntimeError(f"could not release {assignment} into {exchange_root}: {(result or {}).get('log', '')}")
    return config.CourseDirectory.course_id, assignments


def copy_release(course_root: str, workspace: str) -> List[str]:
    """Copies each release assignment into the workspace, where the student has none yet.

    Returns:
        The assignments copied (existing folders, the student's work, are left alone).
    """
    release = os.path.join(course_root, "release")
    copied = []
    for assignment in sorted(os.listdir(release)):
        src, dst = os.path.join(release, assignment), os.path.join(workspace, assignment)
        if os.path.isdir(src) and not os.path.exists(dst):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            copied.append(assignment)
    return copied


def prepare(paths: LabPaths, course_root: str = ROOT) -> List[str]:
    """Prepares a student JupyterLab: configuration, local exchange, the student's copies.

    Args:
        paths: Where the workspace, exchange and configuration go.
        course_root: The course directory (its ``release/`` is what students get).

    Returns:
        The assignments newly copied into the workspace.
    """
    os.makedirs(paths.workspace, exist_ok=True)
    course_id, _ = release_to_exchange(course_root, paths.exchange)
    configure_student(paths.config, exchange_root=paths.exchange, course_id=course_id, workspace=paths.workspace)
    return copy_release(course_root, paths.workspace)


def lab_command(paths: LabPaths, extra: Sequence[str] = ()) -> Tuple[List[str], Dict[str, str]]:
    """Returns the command and environment that start JupyterLab on a prepared workspace.

    Args:
        paths: A prepared student JupyterLab.
        extra: More ``jupyter lab`` options (``--port``, ``--no-browser``, ...).
    """
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={paths.workspace}", *extra]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=paths.config)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return command, env


def main(argv: Optional[List[str]] = None) -> int:
    """Prepares and starts the student JupyterLab, or configures Binder.

    Args:
        argv: Command-line arguments; unknown ones go to ``jupyter lab``.

    Returns:
        The exit status (when JupyterLab is not started).
    """
    parser = argparse.ArgumentParser(prog="python -m course.tools.studentlab", description=__doc__.splitlines()[0])
    parser.add_argument("--lab-dir", default=DEFAULT_LAB_DIR, help="folder of the workspace, exchange and configuration")
    parser.add_argument("--prepare-only", action="store_true", help="prepare the folder, do not start JupyterLab")
    parser.add_argument("--binder", action="store_true", help="write the student configuration into sys.prefix (Binder's postBuild)")
    args, extra = parser.parse_known_args(argv)
    if args.binder:
        config_dir = os.path.join(sys.prefix, "etc", "jupyter")
        for purpose, path in configure_student(config_dir).items():
            print(f"student configuration ({purpose}): {path}")
        return 0
    paths = LabPaths.under(args.lab_dir)
    copied = prepare(paths)
    print(f"Student workspace: {paths.workspace}" + (f" (new copies: {', '.join(copied)})" if copied else ""))
    print(f"Local nbgrader exchange: {paths.exchange}")
    if args.prepare_only:
        return 0
    command, env = lab_command(paths, extra)
    os.chdir(ROOT)
    os.execve(command[0], command, env)
    return 0  # not reached: execve replaces this process


if __name__ == "__main__":
    sys.exit(main())
