"""nbgrader's API for the course: its configuration, an ``NbGraderAPI`` in this process, the release.

Everything runs in one Python process through nbgrader's ``NbGraderAPI``
(each ``nbgrader`` command would pay several seconds of start-up).
"""

import os
import sys
from typing import Iterable, List

from traitlets.config import Config, PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"

def list_assignments(course_root: str) -> List[str]:
    """Returns the assignment ids under ``source/`` (folders holding a notebook), sorted."""
    source = os.path.join(course_root, "source")
    found = []
    for name in sorted(os.listdir(source)):
        folder = os.path.join(source, name)
        if os.path.isdir(folder) and any(f.endswith(".ipynb") for f in os.listdir(folder)):
            found.append(name)
    return found


def load_config(course_root: str, **overrides) -> Config:
    """Reads the course's ``nbgrader_config.py`` and points it at ``course_root``.

    Args:
        course_root: The nbgrader course directory.
        **overrides: ``CourseDirectory`` traits to set (e.g. ``release_directory``).

    Returns:
        The configuration.
    """
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    config_dir = course_root if os.path.exists(os.path.join(course_root, CONFIG_FILE)) else here
    config = PyFileConfigLoader(CONFIG_FILE, path=config_dir).load_config()
    config.CourseDirectory.root = os.path.abspath(course_root)
    for key, value in overrides.items():
        setattr(config.CourseDirectory, key, value)
    return config


def tools_on_path() -> None:
    """Puts this interpreter's scripts on PATH.

    nbgrader runs ``alembic`` as a program, which a virtual environment that
    was not activated does not have on PATH.
    """
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def make_api(course_root: str, **overrides):
    """Creates an ``NbGraderAPI`` for the course directory.

    Args:
        course_root: The nbgrader course directory.
        **overrides: ``CourseDirectory`` traits to set.

    Returns:
        The API object.
    """
    tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_root, **overrides)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"{what} failed:\n{result.get('log', '')}\n{result.get('error', '')}")


def generate_release(api, assignments: Iterable[str]) -> None:
    """Generates the student version of each assignment into ``release/``.

    nbgrader adds the course's header and footer cells; their placeholders are
    then filled with each notebook's own launch links and Colab pins
    (``course.tools.links.fill_release_links``).

    Raises:
        RuntimeError: nbgrader could not generate one (its log is in the message).
    """
    from course.tools.links import fill_release_links

    for assignment in assignments:
        _check(api.generate_assignment(assignment, force=True, create=True), f"generate_assignment {assignment}")
        folder = api.coursedir.format_path(api.coursedir.release_directory, ".", assignment)
        fill_release_links(folder, api.coursedir.root)
