"""DropDuplicateIds: a pasted duplicate of a graded cell loses its nbgrader metadata altogether."""

from nbgrader.preprocessors import DeduplicateIds


class DropDuplicateIds(DeduplicateIds):
    """nbgrader's ``DeduplicateIds``, but it removes a duplicate's nbgrader metadata altogether.

    nbgrader 0.9.6 leaves ``{}`` behind, and with ``add_missing_cells`` on,
    ``OverwriteCells`` then fails on the missing ``grade_id``, which aborts
    the submission. Here every copy but the last becomes a plain cell.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources
