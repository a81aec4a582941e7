"""course/grading/sanitize.py: what is stored in autograded/ renders as data, never as script or a script link."""

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from browser_tools import active_tags
from course.grading.sanitize import SanitizeStored, clean_html, looks_active, safe_markdown, safe_output_data

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)).decode()

HONEST_MARKDOWN = (
    "答案：**量化** 把 fp32 变成 int8，见 [论文](https://arxiv.org/abs/1712.05877)。\n\n"
    "- 数据: 10 条\n- $s = \\max|x| / 127$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> 引用\n\n比较 a < b 和 b > c"
)


def test_honest_markdown_is_left_exactly_as_written():
    """Is a student's ordinary markdown (links, math, tables, quotes, < and >) stored unchanged?"""
    assert safe_markdown(HONEST_MARKDOWN) == (HONEST_MARKDOWN, False)


def test_script_links_and_handlers_in_markdown_are_removed():
    """Are javascript: links (plain or entity-encoded), event handlers, script tags and MathJax links made inert?"""
    for source in ("[x](javascript:alert(1))", "[z](java&#115;cript:alert(1))", "[y](JaVaScRiPt:alert(1))",
                   "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<a href='vbscript:x'>v</a>",
                   "$\\href{javascript:alert(1)}{y}$", "<svg onload=alert(1)>", "<iframe srcdoc='<script>alert(1)</script>'>",
                   "Answer <img src=x onerror=alert(1)> [l](javascript:alert(2)) $\\href{javascript:alert(3)}{m}$\nline 2\n\n[r]: javascript:alert(4)\n[r]"):
        stored, changed = safe_markdown(source)
        from nbconvert.filters.markdown import markdown2html

        rendered = markdown2html(stored)
        assert changed, source
        assert clean_html(rendered) == rendered, source
        assert active_tags(rendered) == [], (source, rendered)
        # MathJax commands and link syntax survive only as escaped text in a code block
        if looks_active(rendered):
            assert rendered.startswith("<pre><code>") and rendered.count("<") == 4, (source, rendered)


def test_outputs_keep_text_images_and_cleaned_html_only():
    """Are JavaScript, SVG and LaTeX outputs dropped, HTML cleaned, and plain text and valid PNGs kept?"""
    data, dropped = safe_output_data({
        "text/plain": "table", "image/png": PNG, "text/html": "<table><tr><td onclick='x()'>1</td></tr></table><script>alert(1)</script>",
        "application/javascript": "alert(1)", "image/svg+xml": "<svg onload='alert(1)'/>", "text/latex": "$\\href{javascript:x}{y}$",
    })
    assert set(data) == {"text/plain", "image/png", "text/html"}
    assert "onclick" not in data["text/html"] and "<script" not in data["text/html"] and "<td>1</td>" in data["text/html"]
    assert set(dropped) == {"application/javascript", "image/svg+xml", "text/latex", "text/html"}


def test_invalid_image_data_and_markdown_outputs():
    """Is an 'image' that is not base64 dropped, and a markdown output turned into cleaned HTML?"""
    data, _ = safe_output_data({"image/png": "not base64 <script>", "text/markdown": "[x](javascript:alert(1)) **b**"})
    assert "image/png" not in data and "javascript" not in data["text/html"] and "<strong>b</strong>" in data["text/html"]
    data, _ = safe_output_data({"application/javascript": "alert(1)"})
    assert data == {"text/plain": "(output removed: it was active content, not data)"}


def test_preprocessor_cleans_student_cells_and_output_metadata_but_not_locked_cells():
    """Does SanitizeStored keep only whole-number image sizes, clean student markdown, and leave locked instructor cells alone?"""
    image = new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                       metadata={"width": "1 onload=alert(document.domain)", "height": 20, "image/png": {"width": "x onerror=y"}})
    code = new_code_cell("display(...)", outputs=[image, new_output("error", ename="E", evalue="v", traceback=["t"])])
    locked = new_markdown_cell("<details>instructor's <b>own</b></details>")
    locked.metadata["nbgrader"] = {"locked": True, "grade_id": "intro", "grade": False, "solution": False, "schema_version": 3}
    answer = new_markdown_cell("answer <img src=x onerror=alert(1)>")
    answer.metadata["nbgrader"] = {"locked": False, "grade_id": "why", "grade": True, "solution": True, "points": 1, "schema_version": 3}
    nb = new_notebook(cells=[locked, code, answer, new_markdown_cell(HONEST_MARKDOWN)])
    nb, resources = SanitizeStored().preprocess(nb, {})
    assert nb.cells[1].outputs[0]["metadata"] == {"height": 20}
    assert nb.cells[1].outputs[1]["output_type"] == "error"  # a failed test cell stays failed
    assert nb.cells[0].source == "<details>instructor's <b>own</b></details>"
    assert "onerror" not in nb.cells[2].source and nb.cells[3].source == HONEST_MARKDOWN
    assert resources["course"]["sanitized"] == ["markdown cell 3: markup removed"]
    nbformat.validate(nb)
