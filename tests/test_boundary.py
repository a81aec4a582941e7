"""The trust boundary, enforced: code that runs in the student's kernel never imports the grader.

``course/grading/`` decides grades; the student's kernel must not be able to
reach it by importing what the notebooks import (CONTRIBUTING, "The trust
boundary is the layout"). This test builds the import graph of the package
with ``ast`` (imports inside functions included) from every module a
notebook imports, and from every module of ``course/checks/``.
"""

import ast
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADER = "course.grading"
TOOLS = "course.tools"


def module_file(name: str):
    """The file of a ``course`` module or package, or ``None`` when ``name`` is not one."""
    path = os.path.join(ROOT, *name.split("."))
    if os.path.isdir(path) and os.path.exists(os.path.join(path, "__init__.py")):
        return os.path.join(path, "__init__.py")
    return path + ".py" if os.path.exists(path + ".py") else None


def course_imports(path: str, module: str) -> set:
    """Every ``course`` module that the file imports, at top level or inside functions."""
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "course"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "course":
                continue
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names if module_file(f"{target}.{alias.name}")}
    return found


def notebook_imports() -> set:
    """The ``course`` modules the notebooks import (source notebooks, header and footer cells)."""
    files = [f for f in glob.glob(os.path.join(ROOT, "source", "*", "*.py")) if not f.endswith("_key.py")]
    files += glob.glob(os.path.join(ROOT, "course", "notebook_parts", "*.py"))
    found = set()
    for path in files:
        text = open(path, encoding="utf-8").read()
        for package, names in re.findall(r"^[ \t]*from[ \t]+(course[\w.]*)[ \t]+import[ \t]+\(?([\w \t,]+)", text, re.M):
            found.add(package)
            found |= {f"{package}.{n.strip()}" for n in names.split(",") if n.strip() and module_file(f"{package}.{n.strip()}")}
        found |= set(re.findall(r"^[ \t]*import[ \t]+(course[\w.]*)", text, re.M))
    return found


def closure(start: set) -> dict:
    """Every module reachable from ``start`` (parent packages count: importing ``a.b`` runs ``a``) -> who imported it."""
    reached, todo = {}, [(m, "(start)") for m in start]
    while todo:
        module, by = todo.pop()
        if module in reached:
            continue
        reached[module] = by
        parts = module.split(".")
        todo += [(".".join(parts[:i]), module) for i in range(1, len(parts))]
        path = module_file(module)
        if path:
            todo += [(m, module) for m in course_imports(path, module)]
    return reached


def test_the_graph_sees_imports_inside_functions():
    """Does the scan find a function-local import (the kind that once crossed the boundary)?"""
    reached = closure({"course.grading.judge"})
    assert "course.grading.compare" in reached and "course.codec" in reached


def kernel_side() -> set:
    """What a notebook imports, and every module of course/checks/."""
    return notebook_imports() | {
        "course.checks." + os.path.splitext(os.path.basename(f))[0]
        for f in glob.glob(os.path.join(ROOT, "course", "checks", "*.py")) if not f.endswith("__init__.py")
    }


def test_kernel_side_code_never_imports_the_grader():
    """Does nothing a notebook imports, nor anything under course/checks/, reach course.grading?"""
    start = kernel_side()
    assert {"course.checks.handin", "course.data", "course.compression"} <= start
    reached = closure(start)
    crossing = {m: by for m, by in reached.items() if m == GRADER or m.startswith(GRADER + ".")}
    assert crossing == {}, f"kernel-side code imports the grader: {crossing}"


def test_kernel_side_code_never_imports_the_instructors_tools():
    """Does nothing a notebook imports reach course.tools (release, locks, launch links, the CLI)?"""
    reached = closure(kernel_side())
    crossing = {m: by for m, by in reached.items() if m == TOOLS or m.startswith(TOOLS + ".")}
    assert crossing == {}, f"kernel-side code imports the instructors' tools: {crossing}"


def test_the_layout_has_three_sides():
    """Is every module of course/ on one named side: kernel (top level and checks/), grader (grading/), or
    authors and instructors (tools/), with no other subpackage?"""
    packages = sorted(
        os.path.relpath(d, os.path.join(ROOT, "course"))
        for d in glob.glob(os.path.join(ROOT, "course", "*", ""))
        if os.path.exists(os.path.join(d, "__init__.py"))
    )
    assert packages == ["checks", "grading", "tools"]


def test_scripts_run_without_the_test_tools():
    """Do the scripts (run in the environment `make demo` builds, which has no pytest) avoid pytest and conftest,
    also through the test helpers they share (tests/course_copy.py)?"""
    files = glob.glob(os.path.join(ROOT, "scripts", "*.py")) + [os.path.join(ROOT, "tests", "course_copy.py")]
    for path in files:
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not {n.split(".")[0] for n in names} & {"pytest", "conftest"}, f"{path} imports {names}"
