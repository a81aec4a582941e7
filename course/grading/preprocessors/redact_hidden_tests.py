"""RedactHiddenTests: feedback never shows hidden tests, mark schemes, or tracebacks and outputs that quote them."""

import os

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from course import regions
from course.grading.instructor_lines import hidden_lines


class RedactHiddenTests(NbGraderPreprocessor):
    """Removes hidden tests, mark schemes and revealing tracebacks and outputs from feedback.

    A locked cell's source after autograding is the instructor's version,
    hidden tests and mark schemes included. The cells redacted are found by
    the **source notebook's grade ids** (``source/<assignment>/<notebook>.ipynb``;
    without one, by the cell's own ``locked`` flag): each such cell gets the
    source's version with every hidden region replaced by a comment and every
    mark scheme removed. A student's cell is never parsed for region markers
    (a student who writes ``BEGIN HIDDEN TESTS`` in an answer must not stop
    their feedback), and its text is shown as they wrote it. In a cell that
    had hidden tests, or a graded one, every error traceback is cut to its
    last line (``AssertionError: message``). Any output line (of any cell)
    that quotes a hidden-test or mark-scheme line of the source is replaced,
    since student code can print the source of the cells it runs beside.
    """

    placeholder = Unicode(
        "# (hidden tests: not shown)",
        help="Text that stands in the feedback where hidden tests were.",
    ).tag(config=True)

    removed_line = Unicode(
        "[line removed from feedback: hidden test]",
        help="Text that replaces an output line quoting a hidden test or mark scheme.",
    ).tag(config=True)

    def source_cells(self, nb, resources) -> dict:
        """The instructor's cells, ``{grade_id: cell}``: the locked cells of the source notebook.

        Without a source notebook (a notebook graded outside a course), the
        cells that are locked in ``nb`` itself.
        """
        info = (resources or {}).get("nbgrader") or {}
        assignment, notebook = info.get("assignment"), info.get("notebook")
        path = None
        if assignment and notebook:
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            path = os.path.join(coursedir.root, coursedir.source_directory, assignment, f"{notebook}.ipynb")
        cells = nb.cells
        if path and os.path.isfile(path):
            cells = nbformat.read(path, as_version=4).cells
        found = {}
        for cell in cells:
            if regions.grade_id(cell) and utils.is_locked(cell):
                found[regions.grade_id(cell)] = cell
        return found

    def preprocess(self, nb, resources):
        self._source = self.source_cells(nb, resources)
        shown = [self._redacted(cell) for cell in nb.cells if regions.grade_id(cell) in self._source]
        self._hidden = sorted(hidden_lines(self._source.values(), shown), key=len, reverse=True)
        return super().preprocess(nb, resources)

    def _redacted(self, cell) -> str:
        """The source's version of an instructor cell, hidden tests and mark schemes taken out."""
        source_cell = self._source[regions.grade_id(cell)]
        try:
            text, _ = regions.replace(source_cell, regions.HIDDEN_TESTS, self.placeholder)
            return regions.replace(NotebookNode(source_cell, source=text), regions.MARK_SCHEME, "")[0]
        except Exception:  # an instructor cell nbgrader cannot parse: show nothing of it
            return self.placeholder

    def _scrub(self, text: str) -> str:
        """Replaces each line of an output that quotes a hidden line."""
        if not self._hidden or not isinstance(text, str):
            return text
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if any(hidden in line for hidden in self._hidden):
                lines[i] = self.removed_line
        return "\n".join(lines)

    def _scrub_outputs(self, cell) -> None:
        """Student code can print a hidden test's source (IPython hooks see it): scrub every output."""
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = self._scrub("".join(output.text) if isinstance(output.text, list) else output.text)
            elif output.output_type == "error":
                output.evalue = self._scrub(output.evalue)
                output.traceback = [self._scrub(line) for line in output.get("traceback", [])]
            elif "data" in output:
                for mime, value in list(output.data.items()):
                    if isinstance(value, list):
                        value = "".join(value)
                    if isinstance(value, str):
                        output.data[mime] = self._scrub(value)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            self._scrub_outputs(cell)
        grade_id = regions.grade_id(cell)
        instructor = grade_id in self._source
        had_hidden = False
        if instructor:
            markers = regions.delimiters([regions.HIDDEN_TESTS])
            had_hidden = any(m in self._source[grade_id].source for m in markers)
            cell.source = self._redacted(cell)
        if cell.cell_type == "code" and (had_hidden or utils.is_grade(cell)):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    line = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [line]
        return cell, resources
