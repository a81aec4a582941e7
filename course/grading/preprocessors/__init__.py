"""The course's nbgrader preprocessors, one per module (``nbgrader_config.py`` names them by these dotted names).

- ``SafeExecute`` (autograde): runs the submission sandboxed, within limits; a dead kernel still leaves a grade.
- ``VerifyArtifacts`` (autograde): decides every autograded cell's score from the answer key.
- ``StripForeignCells``, ``DropDuplicateIds``, ``RestoreMissingCells`` (autograde's sanitizing):
  cells pasted, duplicated or deleted by a student cannot abort the submission.
- ``RedactHiddenTests`` (generate_feedback): feedback never shows hidden tests or mark schemes.
"""

from course.grading.preprocessors.drop_duplicate_ids import DropDuplicateIds
from course.grading.preprocessors.redact_hidden_tests import RedactHiddenTests
from course.grading.preprocessors.restore_missing_cells import RestoreMissingCells
from course.grading.preprocessors.safe_execute import SafeExecute
from course.grading.preprocessors.strip_foreign_cells import StripForeignCells
from course.grading.preprocessors.verify_artifacts import VerifyArtifacts

__all__ = [
    "SafeExecute", "VerifyArtifacts", "RestoreMissingCells", "StripForeignCells", "DropDuplicateIds",
    "RedactHiddenTests",
]
