"""StripForeignCells: turns a cell pasted from another notebook into a plain cell of the student's."""

from nbgrader.preprocessors import NbGraderPreprocessor

from course import regions
from course.grading import events


class StripForeignCells(NbGraderPreprocessor):
    """Removes nbgrader metadata that belongs to no cell of this notebook (a cell pasted from another one).

    A cell copied from another assignment keeps that notebook's nbgrader
    metadata; nbgrader 0.9.6 empties it, and ``add_missing_task_cells`` then
    fails on the missing ``grade_id``, which zeroes the whole submission.
    Here such a cell (an id the gradebook does not know for this notebook,
    or metadata without an id) becomes a plain cell of the student's, and
    an event is recorded for the submission's notes.
    """

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources.get("nbgrader") or {}
        try:
            with Gradebook(info["db_url"]) as gb:
                notebook = gb.find_notebook(info["notebook"], info["assignment"])
                known = {cell.name for cell in notebook.source_cells}
        except (KeyError, MissingEntry):
            return nb, resources
        foreign = []
        for cell in nb.cells:
            if cell.metadata.get("nbgrader") is None:
                continue
            grade_id = regions.grade_id(cell)
            if not isinstance(grade_id, str) or grade_id not in known:
                foreign.append(str(grade_id)[:80])
                del cell.metadata["nbgrader"]
        if foreign:
            self.log.warning("Removed nbgrader metadata of %d cell(s) from another notebook", len(foreign))
            events.record(resources, events.FOREIGN_CELLS, ids=foreign)
        return nb, resources
