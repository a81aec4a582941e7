"""Tests for course/grading/intake.py: what is set aside and explained before nbgrader runs."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course.grading.intake import inspect_submission


def write_notebook(path, grade_ids):
    cells = []
    for gid in grade_ids:
        cell = new_code_cell("pass")
        cell.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": gid, "points": 1, "locked": True}
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), str(path))


def test_clean_submission_has_no_notes(tmp_path):
    """Does a well-formed submission pass without notes or renames?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a", "test_b"])
    (tmp_path / "timestamp.txt").write_text("2026-01-15 09:00:00.000000 UTC")
    assert inspect_submission(str(tmp_path), {"nb": ["test_a", "test_b"]}) == []
    assert (tmp_path / "timestamp.txt").exists()


def test_malformed_timestamp_is_set_aside(tmp_path):
    """Is a timestamp that is not a date renamed (nbgrader would crash) and explained?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a"])
    (tmp_path / "timestamp.txt").write_text("handed in on Monday")
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a"]})
    assert not (tmp_path / "timestamp.txt").exists() and (tmp_path / "timestamp.txt.invalid").exists()
    assert len(notes) == 1 and "timestamp" in notes[0]


def test_unreadable_notebook_is_set_aside(tmp_path):
    """Is a notebook that is not JSON renamed, so nbgrader scores it zero instead of failing?"""
    (tmp_path / "nb.ipynb").write_text("{not json")
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a"]})
    assert (tmp_path / "nb.ipynb.unreadable").exists()
    assert "not a readable notebook" in notes[0]


def test_duplicates_missing_and_absent_notebooks_are_explained(tmp_path):
    """Are duplicated cells, deleted cells and missing notebooks each named in a note?"""
    write_notebook(tmp_path / "nb.ipynb", ["test_a", "test_a"])
    notes = inspect_submission(str(tmp_path), {"nb": ["test_a", "test_b"], "other": ["test_c"]})
    text = " ".join(notes)
    assert "duplicated" in text and "test_b" in text and "other.ipynb was not submitted" in text


def test_links_and_special_files_are_moved_out_unopened(tmp_path):
    """Are a timestamp.txt linking to /proc/self/environ and a FIFO named like a notebook moved out, unread, with an escaped note?"""
    import os
    import time

    folder = tmp_path / "student" / "01_concepts"
    folder.mkdir(parents=True)
    os.symlink("/proc/self/environ", folder / "timestamp.txt")
    os.mkfifo(folder / "nb.ipynb")
    os.symlink("/etc/passwd", folder / "evil\nGraded WITHOUT the sandbox.txt")
    started = time.monotonic()
    notes = inspect_submission(str(folder), {"nb": ["test_a"]})
    assert time.monotonic() - started < 5  # the FIFO is never opened for reading
    assert sorted(os.listdir(folder)) == []
    refused = tmp_path / "student" / ".refused-01_concepts"
    assert sorted(os.listdir(refused)) == sorted(["timestamp.txt", "nb.ipynb", "evil\nGraded WITHOUT the sandbox.txt"])
    text = "\n".join(notes)
    assert "symbolic link" in text and "FIFO" in text and "nb.ipynb was not submitted" in text
    assert "PATH=" not in text and "root:" not in text
    assert all("\n" not in note for note in notes) and "'evil\\nGraded" in text


def test_a_regular_file_is_read_without_following_links_within_a_cap(tmp_path):
    """Does read_regular refuse a link, a FIFO and a file over its cap, and read a regular file?"""
    import os

    from course.grading.safeio import UnsafeFile, read_regular

    (tmp_path / "ok.txt").write_text("2026-01-15")
    os.symlink(tmp_path / "ok.txt", tmp_path / "link.txt")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    assert read_regular(str(tmp_path / "ok.txt")) == b"2026-01-15"
    for name, why in (("link.txt", "symbolic link"), ("fifo", "FIFO"), ("big", "larger")):
        with pytest.raises(UnsafeFile, match=why):
            read_regular(str(tmp_path / name), limit=1024)
