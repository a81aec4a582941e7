"""Tests for course/grading/nbgrader_api.py that need no kernel."""

import os

from conftest import ROOT
from course.grading import nbgrader_api


def test_lists_every_assignment_with_a_notebook():
    """Are all source assignments found, in order, and nothing else?"""
    found = nbgrader_api.list_assignments(ROOT)
    assert found == sorted(found) and "00_setup" in found
    for name in found:
        assert os.path.isdir(os.path.join(ROOT, "source", name))
