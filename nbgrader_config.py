"""nbgrader configuration of the course. The repository root is the course directory."""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "llm-interview"
# Jupytext text copies of the source notebooks (they hold solutions) and
# build leftovers never go to students.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "*.py",
    ".jupytext*",
]

# Every release notebook opens with the launch badges and the Colab bootstrap
# cell, and closes with the self-check and hand-in instructions (built from
# course/notebook_parts/header.py and footer.py; course/tools/links.py fills in each
# notebook's links when release/ is generated). They are not graded cells.
# Found through the installed course package, so that a copy of the course
# directory (tests, `course release --check`) still finds them.
try:
    import course  # importing it has no side effects
except ImportError:  # nbgrader run from an environment without the course package
    _parts = os.path.join(os.path.dirname(os.path.abspath(__file__)), "course", "notebook_parts")
else:
    _parts = os.path.join(os.path.dirname(course.__file__), "notebook_parts")
c.IncludeHeaderFooter.header = os.path.join(_parts, "header.ipynb")
c.IncludeHeaderFooter.footer = os.path.join(_parts, "footer.ipynb")

# Plain `nbgrader autograde` and formgrader's Autograde button read submissions too: links,
# FIFOs, sockets and device files in a submission are moved out, unopened, before nbgrader
# looks at it (course/grading/nbgrader_hooks.py), as `python -m course grade` does.
try:
    from course.grading.nbgrader_hooks import install as _refuse_special_files
except ImportError:  # nbgrader run from an environment without the course package
    pass
else:
    _refuse_special_files()

# Per-cell time limit: importing TensorFlow and training a model on CPU takes
# minutes, far past nbgrader's default of 30 s. COURSE_CELL_TIMEOUT overrides it.
c.Execute.timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "1200"))
c.Execute.interrupt_on_timeout = True
# The course's test suite replays kernel runs whose inputs it has run before
# (course/grading/execution_cache.py); everything graded after the run is
# decided again. Off unless COURSE_EXECUTION_CACHE names a folder.
c.ExecutionCache.directory = os.environ.get("COURSE_EXECUTION_CACHE", "")

# Student code never runs with the grader's rights: every grading kernel and
# every verifier runs in a bubblewrap sandbox (course/grading/sandbox.py): a
# private copy of its one submission, read-only environment and data, no
# network, nothing that outlives it, an allow-listed environment. Where
# bubblewrap cannot run, grading goes on unsandboxed with a warning for each
# submission; `c.Sandbox.required = True` (or `python -m course grade
# --require-sandbox`) refuses instead.
c.Sandbox.enabled = os.environ.get("COURSE_SANDBOX", "1") != "0"
c.Sandbox.required = os.environ.get("COURSE_SANDBOX") == "required"
# Limits for the whole notebook, from the reference solutions' measured runs
# on 2 CPU cores (README, "Which assignment fits where") with a wide margin:
# 00 10 s / 0.9 GiB, 01 3 s / 0.1 GiB, 02 40 s / 0.8 GiB, 03 275 s / 2.9 GiB,
# 04 202 s / 2.4 GiB, 05 58 s / 1.0 GiB, 06 91 s / 1.4 GiB.
c.Sandbox.limits = {
    "00_setup": {"seconds": 180, "memory_mb": 3072},
    "01_concepts": {"seconds": 120, "memory_mb": 2048},
    "02_mnist_cnn": {"seconds": 600, "memory_mb": 4096},
    "03_bert_imdb": {"seconds": 1800, "memory_mb": 8192},
    "04_inference_cost": {"seconds": 1200, "memory_mb": 8192},
    "05_tiny_gpt": {"seconds": 900, "memory_mb": 6144},
    "06_rag": {"seconds": 600, "memory_mb": 4096},
}
c.Sandbox.default_limits = {"seconds": 1800, "memory_mb": 8192}
c.Sandbox.verifier_limits = {"seconds": 1800, "memory_mb": 8192}

# One bad submission must not stop the batch or lose grades:
# - a kernel that dies (out of memory, killed) fails the remaining cells of that
#   submission instead of leaving it without a grade;
c.Autograde.autograde_preprocessors = [
    "course.grading.preprocessors.SafeExecute",
    "course.grading.preprocessors.VerifyArtifacts",
    "course.grading.sanitize.SanitizeStored",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Every autograded point is decided in the grader's process, never in the
# student's kernel (course/grading/judge.py): hidden tests only hand answers in
# (course/checks/handin.py); VerifyArtifacts judges them with the notebook's
# answer key, source/<assignment>/<notebook>_key.py (never released, never
# mounted in a sandbox): values compared here, functions re-run in one fresh
# sandboxed process per notebook, models judged by verifiers in another; then
# every grade cell's outputs are normalised so that student output cannot
# grant or remove points. COURSE_GRADING_SALT (optional, secret) varies the
# random inputs drawn for each student's functions.

# - a cell pasted from another notebook loses that notebook's nbgrader metadata (it runs as the
#   student's own cell) instead of zeroing the submission;
# - a graded cell pasted twice keeps its last copy instead of aborting the submission;
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "course.grading.preprocessors.StripForeignCells",
    "course.grading.preprocessors.DropDuplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.grading.preprocessors.RestoreMissingCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# - a deleted test cell is put back (after its nearest surviving predecessor, even a
#   locked non-graded one) and graded, rather than silently losing its points.
c.OverwriteCells.add_missing_cells = True

# What is stored in autograded/ is inert data (course/grading/sanitize.py): formgrader
# renders a submission's markdown without cleaning it and image sizes unquoted, so
# student outputs and markdown are cleaned before they are stored, after grading.

# Feedback never shows hidden tests, mark schemes, or tracebacks and outputs
# quoting them, and student output is data, not markup: scripts, HTML and SVG
# from student code or markdown are escaped or dropped (nbconvert's SanitizeHTML).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.grading.preprocessors.RedactHiddenTests",
    "nbconvert.preprocessors.sanitize.SanitizeHTML",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.SanitizeHTML.enabled = True
c.SanitizeHTML.safe_output_keys = {"metadata", "text/plain", "image/png", "image/jpeg"}
c.SanitizeHTML.sanitized_output_types = {"text/html", "text/markdown"}

# The grading service (`python -m course serve`, `make hub`; course/grading/service/): grades each
# submission that arrives through nbgrader's exchange and releases its feedback there, for
# the student's Fetch Feedback. Before an assignment's due date (nbgrader's duedate) students
# see `before_deadline`: "visible" (whether each test cell's visible checks passed),
# "score" (points per question, no notes) or "full"; after it, full feedback, and nbgrader's
# late penalty applies as configured (c.LateSubmissionPlugin). Limits against guessing and
# overload: graded submissions per student, assignment and hour, and gradings at a time.
c.GradingService.before_deadline = "score"
c.GradingService.per_hour = 3
c.GradingService.over_limit = "refuse"
c.GradingService.concurrency = 2
# Hub users who may open the status page, the grading report and feedback copies
# (`make hub`'s instructor; name your own).
c.GradingService.instructors = ["instructor"]
# The exchange students submit to (nbgrader's default; `make hub` passes its own with --exchange).
# c.Exchange.root = "/srv/nbgrader/exchange"

# Air-gapped grading servers: point the course at local copies here (or in the
# environment of the grading account); kernels inherit these variables.
# os.environ.setdefault("COURSE_DATA_SOURCE", "local")
# os.environ.setdefault("COURSE_MNIST_PATH", "/srv/course-data/mnist.npz")
# os.environ.setdefault("COURSE_IMDB_PATH", "/srv/course-data/aclImdb_v1.tar.gz")
# os.environ.setdefault("COURSE_BERT_PRESET", "/srv/course-data/bert_tiny_en_uncased")
# os.environ.setdefault("COURSE_EMBEDDING_PRESET", "/srv/course-data/all-MiniLM-L6-v2")
