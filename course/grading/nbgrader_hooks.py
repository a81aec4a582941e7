"""Plain ``nbgrader autograde`` (and formgrader's *Autograde* button) refuses links and special files too.

``python -m course grade`` checks every submission before nbgrader sees it
(``course.grading.intake``). Plain nbgrader does not: it copies a
submission's files with ``shutil.copy`` (which follows a symbolic link: a
``key.txt`` linked to the answer key lands in ``autograded/`` and in the
feedback), grades a notebook that is a link (to the source notebook: full
marks), and reads ``timestamp.txt`` through a link or blocks on a FIFO.

The course's ``nbgrader_config.py`` is loaded by every nbgrader command and
by formgrader, so it calls ``install``: before nbgrader's ``Autograde``
looks for notebooks, every submission folder it is about to read has its
links, FIFOs, sockets and device files moved out, unopened
(``intake.refuse_special_files``), and the log says which.
"""

import glob
import os

_INSTALLED = "_course_refuses_special_files"


def refuse_in(folders):
    """Moves links and special files out of each submission folder (see ``intake.refuse_special_files``).

    Yields:
        ``(folder, notes)`` for each folder checked.
    """
    from course.grading.intake import refuse_special_files

    for folder in folders:
        if os.path.isdir(folder) and not os.path.islink(folder):
            yield folder, refuse_special_files(folder)


def install() -> bool:
    """Wraps nbgrader's ``Autograde.init_notebooks`` so that submissions are checked first (once per process).

    Returns:
        Whether nbgrader was found (and is now wrapped).
    """
    try:
        from nbgrader.converters.autograde import Autograde
    except ImportError:  # nbgrader is not installed where this config is read
        return False
    if getattr(Autograde, _INSTALLED, False):
        return True
    original = Autograde.init_notebooks

    def init_notebooks(self) -> None:
        pattern = self._format_source(self.coursedir.assignment_id, self.coursedir.student_id)
        for folder, notes in refuse_in(sorted(glob.glob(pattern))):
            for note in notes:
                self.log.warning("%s: %s", folder, note)
        return original(self)

    Autograde.init_notebooks = init_notebooks
    setattr(Autograde, _INSTALLED, True)
    return True
