"""RestoreMissingCells: puts a deleted graded cell back where it was, where nbgrader's OverwriteCells fails."""

from nbgrader.preprocessors import OverwriteCells

from course import regions


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells``, but a deleted graded cell is put back after its nearest surviving predecessor.

    nbgrader 0.9.6 looks for the cell before a deleted one among the graded
    and solution cells only; when that cell is a locked, non-graded one
    (an explanation, a data-loading cell), the lookup raises ``KeyError`` and
    the whole submission fails with every cell zero. Here the deleted cell
    goes right after the closest cell before it (in the source notebook) that
    the submission still has, of any kind, or first if there is none.
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        source_by_name = {cell.name: cell for cell in source_nb.source_cells}
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for name in order:
            if name not in grade_cells:
                continue
            present = {
                regions.grade_id(cell): index
                for index, cell in enumerate(nb.cells)
                if "nbgrader" in cell.metadata
            }
            if name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", name)
            cell = self.missing_cell_transform(
                source_by_name[name], grade_cells[name].max_score, is_solution=name in solution_ids
            )
            position = 0
            for previous in reversed(order[: order.index(name)]):
                if previous in present:
                    position = present[previous] + 1
                    break
            nb.cells.insert(position, cell)
        return nb, resources
