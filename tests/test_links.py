"""Tests for course/tools/links.py: every launch link is honest, and the Colab bootstrap is pinned like everything else."""

import glob
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import time
import types
from urllib.parse import parse_qs, urlparse

import nbformat
import pytest

from conftest import ROOT
from course.tools import links
from course.tools.authoring import PARTS_DIR
from course.tools.lockfile import normalize, read_pins

RELEASE_NOTEBOOKS = links.release_notebooks(ROOT)
HEADER_IDS = ("launch", "colab-bootstrap")
FOOTER_IDS = ("check-and-submit", "colab-self-check")


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _bootstrap_source(path):
    nb = nbformat.read(os.path.join(ROOT, path), as_version=4)
    cells = [c for c in nb.cells if c.get("id") == "colab-bootstrap"]
    assert len(cells) == 1, path
    return cells[0].source


def test_release_has_notebooks():
    """Is there anything to link to?"""
    assert "release/00_setup/check_environment.ipynb" in RELEASE_NOTEBOOKS


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS)
def test_every_release_notebook_opens_with_its_badges_and_closes_with_the_self_check(path):
    """Does each release notebook start with its own Colab and Binder badges and the bootstrap, and end with the self-check?"""
    nb = nbformat.read(os.path.join(ROOT, path), as_version=4)
    ids = [c.get("id") for c in nb.cells]
    assert tuple(ids[:2]) == HEADER_IDS and tuple(ids[-2:]) == FOOTER_IDS, path
    first = nb.cells[0].source
    assert f"[![Open In Colab]({links.COLAB_BADGE})]({links.colab_url(path)})" in first
    assert f"]({links.binder_url(path)})" in first
    assert "run_visible_tests()" in nb.cells[-1].source
    assert "{{" not in _read(os.path.join(ROOT, path)), "a placeholder was left unfilled"
    for cell in nb.cells[:2] + nb.cells[-2:]:
        assert "nbgrader" not in cell.metadata, "header and footer cells must not be nbgrader cells"


def test_every_link_in_the_readme_and_the_notebooks_points_to_a_release_notebook():
    """Does every Colab and Binder link (README and release notebooks) open a notebook that exists in release/?"""
    texts = {"README.md": _read(os.path.join(ROOT, "README.md"))}
    texts.update({p: _read(os.path.join(ROOT, p)) for p in RELEASE_NOTEBOOKS})
    found = 0
    for where, text in texts.items():
        for link in links.links_in(text):
            found += 1
            assert link["repository"] == links.REPOSITORY, (where, link["url"])
            assert link["branch"] == links.BRANCH, (where, link["url"])
            assert link["path"].startswith("release/"), (where, link["url"])
            assert os.path.isfile(os.path.join(ROOT, link["path"])), (where, link["url"])
    assert found >= 2 * (len(RELEASE_NOTEBOOKS) + 1)


def test_readme_has_a_badge_for_every_release_notebook():
    """Is the README's launch table what `python -m course links --readme` renders from release/?"""
    assert links.update_readme(os.path.join(ROOT, "README.md"), ROOT, check=True) is False, (
        "README.md's launch table is stale: run `python -m course links --readme`"
    )
    readme_paths = {link["path"] for link in links.links_in(_read(os.path.join(ROOT, "README.md")))}
    assert set(RELEASE_NOTEBOOKS) <= readme_paths


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS)
def test_colab_bootstrap_pins_match_the_lock(path):
    """Does each bootstrap cell install exactly the lock's versions, and the course from the configured repository?"""
    source = _bootstrap_source(path)
    match = re.search(r'_requirements = "([^"]*)"\.split\(\)', source)
    assert match, "the bootstrap cell should name its requirements in one string"
    requirements = match.group(1).split()
    lock = links.colab_pins(os.path.join(ROOT, "requirements.lock"))
    pinned = dict(r.split("==") for r in requirements if "==" in r)
    assert [normalize(n) for n in pinned] == [normalize(n) for n in links.COLAB_PACKAGES]
    assert {normalize(n): v for n, v in pinned.items()} == {normalize(n): lock[normalize(n)] for n in pinned}
    assert [r for r in requirements if "==" not in r] == [links.pip_spec()]
    assert links.pip_spec() == f"git+https://github.com/{links.REPOSITORY}@{links.BRANCH}"


def test_colab_packages_are_top_level_pins():
    """Is every package the bootstrap installs pinned at the top level (GPU lock's input or the no-deps file), not only transitively?"""
    wanted = read_pins(os.path.join(ROOT, "requirements.in"))
    wanted.update(read_pins(os.path.join(ROOT, "requirements-gpu.in")))
    wanted.update(read_pins(os.path.join(ROOT, "requirements-nodeps.txt")))
    assert {normalize(n) for n in links.COLAB_PACKAGES} <= set(wanted)


def test_colab_gets_the_gpu_capable_tensorflow_and_no_development_tools():
    """Does Colab install `tensorflow` (not tensorflow-cpu) at the locks' version, and none of the test tools?"""
    requirements = links.colab_requirements(os.path.join(ROOT, "requirements.lock"))
    cpu = read_pins(os.path.join(ROOT, "requirements.lock"))
    assert f"tensorflow=={cpu['tensorflow-cpu']}" in requirements
    dev = set(read_pins(os.path.join(ROOT, "requirements-dev.in")))
    assert not {normalize(r.split("==")[0]) for r in requirements} & dev


def _fake_tensorflow(monkeypatch, gpus):
    """Puts a stand-in ``tensorflow`` module whose device listing returns ``gpus`` into sys.modules."""
    fake = types.ModuleType("tensorflow")
    fake.config = types.SimpleNamespace(list_physical_devices=lambda kind=None: list(gpus))
    monkeypatch.setitem(sys.modules, "tensorflow", fake)


def _run_bootstrap(source):
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<colab-bootstrap>", "exec"), namespace)  # noqa: S102 (the course's own cell)
    return namespace


def test_bootstrap_does_nothing_outside_colab(monkeypatch):
    """Outside Colab (JupyterLab, Binder, the autograder), does the bootstrap cell run no command, set nothing, and cost nothing?"""
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COURSE_PROFILE", raising=False)

    def forbidden(*args, **kwargs):
        raise AssertionError(f"the bootstrap ran a command outside Colab: {args}")

    monkeypatch.setattr(subprocess, "run", forbidden)
    started = time.perf_counter()
    _run_bootstrap(_bootstrap_source(RELEASE_NOTEBOOKS[0]))
    assert time.perf_counter() - started < 0.05
    assert "COURSE_PROFILE" not in os.environ


def test_bootstrap_on_colab_installs_what_is_missing_and_picks_the_gpu(monkeypatch, capsys):
    """On a Colab GPU runtime that lacks the course packages, does the bootstrap pip-install the pins and the course, and choose the GPU profile?"""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, b"", b"")

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(subprocess, "run", fake_run)
    _fake_tensorflow(monkeypatch, ["GPU:0"])
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "course" else real_find_spec(name, *a))
    _run_bootstrap(_bootstrap_source(RELEASE_NOTEBOOKS[0]))
    pip = [c for c in calls if c[1:4] == ["-m", "pip", "install"]]
    assert len(pip) == 1
    lock = links.colab_pins(os.path.join(ROOT, "requirements.lock"))
    expected = [f"{n}=={lock[normalize(n)]}" for n in links.COLAB_PACKAGES] + [links.pip_spec()]
    assert [a for a in pip[0] if not a.startswith("-")][3:] == expected
    assert os.environ.get("COURSE_PROFILE") == "gpu"
    assert "profile: gpu" in capsys.readouterr().out


def test_bootstrap_on_colab_skips_what_is_installed(monkeypatch):
    """Run a second time on Colab (after a restart), does the bootstrap install nothing more?"""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setenv("COURSE_PROFILE", "auto")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append(command) or subprocess.CompletedProcess(command, 1))
    pins = links.colab_pins(os.path.join(ROOT, "requirements.lock"))
    monkeypatch.setattr(importlib.metadata, "version", lambda name: pins[normalize(name)])
    _fake_tensorflow(monkeypatch, [])
    _run_bootstrap(_bootstrap_source(RELEASE_NOTEBOOKS[0]))
    assert calls == []  # the locked versions and the course are installed


def test_bootstrap_profile_follows_what_tensorflow_lists(monkeypatch, capsys):
    """On a Colab GPU runtime whose TensorFlow lists no GPU (driver mismatch), does the bootstrap pick the CPU profile, and the GPU profile when it lists one?"""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    pins = links.colab_pins(os.path.join(ROOT, "requirements.lock"))
    monkeypatch.setattr(importlib.metadata, "version", lambda name: pins[normalize(name)])
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: subprocess.CompletedProcess(command, 0, b"GPU 0: Tesla T4", b""))
    for gpus, expected in (([], "cpu"), (["GPU:0"], "gpu")):
        monkeypatch.setenv("COURSE_PROFILE", "auto")
        _fake_tensorflow(monkeypatch, gpus)
        _run_bootstrap(_bootstrap_source(RELEASE_NOTEBOOKS[0]))
        assert os.environ["COURSE_PROFILE"] == expected
        assert f"profile: {expected}" in capsys.readouterr().out


def test_header_and_footer_ids_do_not_clash_with_grade_ids():
    """Could a header or footer cell id collide with a graded cell of some assignment?"""
    grade_ids = set()
    for path in glob.glob(os.path.join(ROOT, "source", "*", "*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        grade_ids |= {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    for name in ("header", "footer"):
        nb = nbformat.read(os.path.join(PARTS_DIR, f"{name}.ipynb"), as_version=4)
        assert not {c.id for c in nb.cells} & grade_ids
        assert all("nbgrader" not in c.metadata for c in nb.cells)


def test_repository_is_named_in_one_place():
    """Is the GitHub repository written only in course/tools/links.py (everything else is generated from it)?"""
    sources = glob.glob(os.path.join(ROOT, "course", "**", "*.py"), recursive=True)
    sources += glob.glob(os.path.join(ROOT, "source", "*", "*.py")) + [os.path.join(ROOT, "postBuild"), os.path.join(ROOT, "Makefile")]
    naming = [os.path.relpath(p, ROOT) for p in sources if links.REPOSITORY in _read(p)]
    assert naming == [os.path.join("course", "tools", "links.py")]
    for name in ("header.py", "footer.py"):
        assert "github.com/" not in _read(os.path.join(PARTS_DIR, name))


def test_nbgitpuller_link_pulls_the_repository_and_opens_the_notebook():
    """Does the nbgitpuller link name the repository, the branch, and the notebook inside the pulled folder?"""
    path = "release/00_setup/check_environment.ipynb"
    url = links.nbgitpuller_url("https://hub.example.edu/", path)
    parts = urlparse(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    folder = links.REPOSITORY.split("/")[1]
    assert query == {
        "repo": f"https://github.com/{links.REPOSITORY}",
        "urlpath": f"lab/tree/{folder}/{path}",
        "branch": links.BRANCH,
    }
    with pytest.raises(ValueError):
        links.nbgitpuller_url("hub.example.edu", path)


def test_links_command_prints_one_hub_link_per_release_notebook(capsys):
    """Does `python -m course links --hub URL` print an nbgitpuller link for every release notebook?"""
    from course.tools.cli import main

    assert main(["links", "--hub", "https://hub.example.edu"]) == 0
    out = capsys.readouterr().out
    assert out.count("https://hub.example.edu/hub/user-redirect/git-pull?") == len(RELEASE_NOTEBOOKS)
    for path in RELEASE_NOTEBOOKS:
        assert path in out
    assert main(["links", "--hub", "not-a-url"]) == 2


def test_placeholders_fail_loudly_when_unknown():
    """Does a placeholder without a value stop the release instead of reaching students?"""
    with pytest.raises(KeyError):
        links.fill_placeholders("{{NO_SUCH_VALUE}}", {})
    assert links.fill_placeholders("a {{X}} b", {"X": "1"}) == "a 1 b"
