"""Made-up hostile students: the perfect submission plus one cell of attack code.

Each attack is a code cell a student could add anywhere in a notebook. The
attacks are written to be harmless where they fail to be stopped (they open
files for writing without writing, append to copies in scratch folders), so
that a broken sandbox fails the tests instead of the machine.
"""

import textwrap
from typing import Dict

import nbformat

from course.grading.students import first_code_index, write_changed_submission, write_submission

#: Printed by the attacks when they get somewhere; the tests look for these.
SUCCESS_WORDS = ("READ-SOURCE", "GRADEBOOK-EDITED", "HOME-WRITTEN", "NET-OPEN", "WRITABLE", "OTHER-STUDENT")


def snoop(root: str, grader_home: str, port: int) -> str:
    """Reads course files, edits the gradebook, writes the grader's home, prints the environment,
    opens the network, tries to replace the interpreter and bytecode, and prints every later
    cell's source (hidden tests included) through an IPython hook."""
    return textwrap.dedent(
        f"""
        import glob, os, socket, sqlite3, sys
        ROOT = {root!r}
        for pattern in (ROOT + "/source/*/*.ipynb", "../../../source/*/*.ipynb", "/work/*/source/*/*.ipynb"):
            for path in glob.glob(pattern)[:20]:
                try:
                    print("READ-SOURCE", path, open(path, errors="replace").read())
                except OSError as err:
                    print("no", path, err)
        for path in glob.glob(ROOT + "/submitted/*/*/*.ipynb") + glob.glob("../../*/*/*.ipynb"):
            print("OTHER-STUDENT", path)
        for db in (ROOT + "/gradebook.db", "../../../gradebook.db"):
            try:
                con = sqlite3.connect("file:" + db + "?mode=rw", uri=True)
                con.execute("UPDATE grade SET manual_score = 0, auto_score = 0")
                con.commit()
                print("GRADEBOOK-EDITED", db)
            except sqlite3.Error as err:
                print("gradebook", err)
        try:
            with open(os.path.join({grader_home!r}, ".bashrc"), "a") as fh:
                fh.write("echo owned\\n")
            print("HOME-WRITTEN")
        except OSError as err:
            print("home", err)
        print("ENVIRONMENT", dict(os.environ))
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"hidden tests")
            print("NET-OPEN")
        except OSError as err:
            print("net", err)
        import course
        package = os.path.dirname(course.__file__)
        targets = [os.path.join(sys.prefix, "pyvenv.cfg"), os.path.join(package, "checks", "setup.py")]
        for target in targets:
            try:
                os.close(os.open(target, os.O_WRONLY | os.O_APPEND))
                print("WRITABLE", target)
            except OSError as err:
                print("protected", target, err)
        forged = os.path.join(package, "checks", "__pycache__", "forged.cpython-311.pyc")
        try:
            os.close(os.open(forged, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            os.remove(forged)
            print("WRITABLE", forged)
        except OSError as err:
            print("protected", forged, err)
        get_ipython().events.register("pre_run_cell", lambda info: print("CELL SOURCE:", info.raw_cell))
        """
    )


def daemon(marker_file: str, marker: str) -> str:
    """Starts a process in its own session that keeps writing to a file of the grader's."""
    return textwrap.dedent(
        f"""
        import subprocess, sys
        code = (
            "import time\\n"
            "while True:\\n"
            "    try:\\n"
            "        open({marker_file!r}, 'a').write('alive\\\\n')\\n"
            "    except OSError:\\n"
            "        pass\\n"
            "    time.sleep(0.2)\\n"
        )
        subprocess.Popen([sys.executable, "-c", code, {marker!r}], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        """
    )


#: Active content in the student's output and markdown, which feedback must show as text.
XSS_CODE = (
    "from IPython.display import HTML, Javascript, SVG, display\n"
    "display(HTML('<script>alert(\"xss-html\")</script><img src=x onerror=\"alert(1)\">'))\n"
    "display(Javascript('alert(\"xss-js\")'))\n"
    "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(\"xss-svg\")</script></svg>'))"
)
XSS_MARKDOWN = '<script>alert("xss-md")</script>\n\n<a href="javascript:alert(1)">click</a>'


def write_xss(root: str, assignment: str, student: str) -> str:
    """The perfect submission with active content in a new code cell and a new markdown cell."""
    def edit(nb):
        _add_attack(nb, student, XSS_CODE)
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(XSS_MARKDOWN, id="attack-markdown"))

    return write_changed_submission(root, assignment, student, "perfect", {}, edit=edit)


MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(b'x' * 2**27)"
ENDLESS_LOOP = "while True:\n    pass"


def _add_attack(nb, student: str, attack: str) -> None:
    """Adds ``attack`` to ``nb`` as a new code cell after the first code cell (cell id ``attack-<student>``)."""
    nb.cells.insert(first_code_index(nb) + 1, nbformat.v4.new_code_cell(attack, id=f"attack-{student}"))


def write_hostile(root: str, assignment: str, student: str, attack: str) -> str:
    """Writes the perfect submission of ``assignment`` with ``attack`` as a new cell after the first code cell.

    Returns:
        The student id (``demo-<student>``).
    """
    return write_changed_submission(root, assignment, student, "perfect", {}, edit=lambda nb: _add_attack(nb, student, attack))


def write_hostile_class(root: str, assignment: str, grader_home: str, port: int, marker_file: str, marker: str) -> Dict[str, str]:
    """The hostile batch: an honest student first and last, the attacks between (graded in name order).

    Returns:
        Map from a short name to the student id.
    """
    ids = {"first": write_submission(root, assignment, "a-first", "perfect")}
    ids["snoop"] = write_hostile(root, assignment, "b-snoop", snoop(root, grader_home, port))
    ids["daemon"] = write_hostile(root, assignment, "c-daemon", daemon(marker_file, marker))
    ids["bomb"] = write_hostile(root, assignment, "d-bomb", MEMORY_BOMB)
    ids["loop"] = write_hostile(root, assignment, "e-loop", ENDLESS_LOOP)
    ids["xss"] = write_xss(root, assignment, "f-xss")
    ids["last"] = write_submission(root, assignment, "z-last", "perfect")
    return ids
