"""Tests for course/tools/lockfile.py: the environment has one source of truth."""

import os

import yaml

from course.tools.lockfile import ROOT, read_pins, render_environment


def test_environment_yml_is_derived_from_the_lock():
    """Is environment.yml exactly what the lock renders to?"""
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as fh:
        assert fh.read() == render_environment(os.path.join(ROOT, "requirements.lock"))


def test_environment_yml_parses_and_pins_every_lock_entry():
    """Does environment.yml parse as YAML and pin the same versions as the lock?"""
    with open(os.path.join(ROOT, "environment.yml"), encoding="utf-8") as fh:
        env = yaml.safe_load(fh)
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = dict(line.split("==") for line in pip_section)
    lock = read_pins(os.path.join(ROOT, "requirements.lock"))
    assert {k.lower().replace("_", "-"): v for k, v in pinned.items()} == {
        k: v for k, v in lock.items()
    }


def test_top_level_pins_match_the_lock():
    """Is every top-level requirement pinned to the version the lock installs?"""
    wanted = read_pins(os.path.join(ROOT, "requirements.in"))
    lock = read_pins(os.path.join(ROOT, "requirements.lock"))
    assert {k: lock.get(k) for k in wanted} == wanted


def test_installed_environment_matches_the_lock():
    """Does the running environment have the locked versions of the top-level packages?"""
    from importlib.metadata import version

    wanted = read_pins(os.path.join(ROOT, "requirements.in"))
    assert {k: version(k) for k in wanted} == wanted
