"""Helpers for the large-model interview course.

The package is imported by the assignment notebooks (data loading, hardware
profiles, plots) and by nbgrader's hidden tests (checks). Importing it has no
side effects: no TensorFlow import, no download, no seeding.
"""

__version__ = "0.1.0"
