"""Tests for course/tools/studentlab.py: the student's JupyterLab (make lab) and the Binder configuration."""

import json
import os
import subprocess
import sys

import nbformat

from conftest import ROOT
from course.tools import studentlab


def _jupyter_env(config_dir):
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _disabled_lab_plugins(config_dir):
    """What `jupyter labextension list` reports as disabled under this configuration."""
    out = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"],
        env=_jupyter_env(config_dir), capture_output=True, text=True, timeout=120, check=True,
    )
    text = out.stdout + out.stderr
    section = text.split("Disabled extensions:", 1)[1] if "Disabled extensions:" in text else ""
    return {line.split()[0] for line in section.splitlines() if line.strip().startswith("@")}


def test_postbuild_installs_the_course_and_configures_students():
    """Does Binder's postBuild install the course package and write the student configuration, from the repository root?"""
    assert not os.path.isdir(os.path.join(ROOT, "binder")), "a binder/ folder would hide the root environment.yml"
    path = os.path.join(ROOT, "postBuild")
    assert os.access(path, os.X_OK)
    with open(path, encoding="utf-8") as fh:
        commands = [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]
    assert "python -m pip install --no-deps --no-cache-dir -e ." in commands
    assert "python -m course.tools.studentlab --binder" in commands


def test_binder_configuration_disables_the_instructor_extensions(tmp_path, monkeypatch):
    """With postBuild's configuration, are formgrader, create assignment, course list (and the exchange-less Assignments panel) off, and Validate on?"""
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "prefix", str(prefix))
    config_dir = prefix / "etc" / "jupyter"
    os.makedirs(config_dir / "labconfig")
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {"other:plugin": True}}))
    assert studentlab.main(["--binder"]) == 0

    server = json.loads((config_dir / "jupyter_server_config.json").read_text())["ServerApp"]["jpserver_extensions"]
    assert server == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.assignment_list": False,
    }
    disabled = _disabled_lab_plugins(config_dir)  # as JupyterLab itself reads the configuration
    instructor = set(studentlab.INSTRUCTOR_LAB_PLUGINS)
    assert instructor | {"@jupyter/nbgrader:assignment-list"} <= disabled
    assert not set(studentlab.STUDENT_LAB_PLUGINS) & disabled
    page = json.loads((config_dir / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["other:plugin"] is True  # merged, not overwritten
    assert instructor <= set(page["lockedExtensions"])
    assert not (config_dir / "nbgrader_config.py").exists()


def test_jupyter_reads_the_server_configuration(tmp_path):
    """Does `jupyter server extension list` see the instructor server extensions as disabled in the student configuration?"""
    studentlab.configure_student(str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "jupyter_server.extension.serverextension", "list"],
        env=_jupyter_env(tmp_path), capture_output=True, text=True, timeout=120, check=True,
    )
    text = out.stdout + out.stderr
    ours = text.split(f"Config dir: {tmp_path}", 1)[1].split("Config dir:", 1)[0]
    for name in studentlab.INSTRUCTOR_SERVER_EXTENSIONS:
        assert f"{name} \x1b[31mdisabled" in ours or f"{name} disabled" in ours, ours


def test_make_lab_workspace_exchange_and_student_work(tmp_path):
    """Does `make lab` copy release/ into the workspace once, release every assignment into a local exchange, and keep the student's edits?"""
    paths = studentlab.LabPaths.under(str(tmp_path / "lab"))
    copied = studentlab.prepare(paths)
    assignments = sorted(a for a in os.listdir(os.path.join(ROOT, "release")) if os.path.isdir(os.path.join(ROOT, "release", a)))
    assert copied == assignments
    for assignment in assignments:
        assert os.listdir(os.path.join(paths.exchange, "llm-interview", "outbound", assignment))
    notebook = os.path.join(paths.workspace, "00_setup", "check_environment.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("my_answer = 42"))
    nbformat.write(nb, notebook)
    assert studentlab.prepare(paths) == []
    assert "my_answer = 42" in open(notebook, encoding="utf-8").read()
    config = open(os.path.join(paths.config, "nbgrader_config.py"), encoding="utf-8").read()
    assert repr(paths.exchange) in config and repr(paths.workspace) in config and "'llm-interview'" in config
    disabled = json.load(open(os.path.join(paths.config, "labconfig", "page_config.json")))["disabledExtensions"]
    assert "@jupyter/nbgrader:assignment-list" not in disabled  # an exchange exists here
    assert set(studentlab.INSTRUCTOR_LAB_PLUGINS) <= set(disabled)


def test_lab_command_uses_the_student_configuration(tmp_path):
    """Does the JupyterLab command open the workspace with the student configuration directory?"""
    paths = studentlab.LabPaths.under(str(tmp_path))
    command, env = studentlab.lab_command(paths, ["--port=1"])
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={paths.workspace}" in command and command[-1] == "--port=1"
    assert env["JUPYTER_CONFIG_DIR"] == paths.config


def test_hub_students_are_their_hub_user_on_the_exchange(tmp_path, monkeypatch):
    """Under JupyterHub (students sharing one Unix account), does nbgrader read the student id from JUPYTERHUB_USER,
    with no assignment folder forced, so that each user's submissions carry their own name?"""
    from traitlets.config.loader import PyFileConfigLoader

    written = studentlab.configure_student(str(tmp_path), exchange_root="/srv/exchange", course_id="course101", hub_user=True)
    for user, expected in (("student1", "student1"), (None, None)):
        if user:
            monkeypatch.setenv("JUPYTERHUB_USER", user)
        else:
            monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
        config = PyFileConfigLoader(os.path.basename(written["nbgrader_config"]), path=str(tmp_path)).load_config()
        assert config.Exchange.root == "/srv/exchange" and config.CourseDirectory.course_id == "course101"
        assert config.CourseDirectory.get("student_id") == expected
        assert "assignment_dir" not in config.Exchange
