# The course's commands. Every target creates the pinned environment (.venv)
# on first use and reuses it afterwards.
#   make demo   release, autograde synthetic students, feedback, grades table
#   make test   the test suite (what CI runs); make test-full: without the execution cache
#   make lab    JupyterLab on the course, for students
#   make hub    JupyterHub with the grading service (2 students, 1 instructor), on this machine
#
# The environment comes from one of two locks of the same top-level pins
# (course/tools/envsetup.py): requirements-gpu.lock where an NVIDIA GPU is present,
# else requirements.lock (tensorflow-cpu). Override: make env GPU=0 or GPU=1.
# Test and authoring tools (requirements-dev.lock) are added by the targets
# that need them (test, check, release, lock), never for students.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GPU    ?= auto
ENVSETUP := $(PYTHON) -m course.tools.envsetup --gpu "$(GPU)" --venv $(VENV)
# Offline copies of the full data sets, when present beside the repository.
SHARED_DATA ?= $(abspath ../shared/data)
# Test workers (pytest-xdist): one per core, the BERT grading in its own group.
TEST_WORKERS ?= 2

.PHONY: env dev-env demo test test-full test-fast lab hub notebooks release check lock clean-grading clean

env:
	@$(ENVSETUP)

dev-env:
	@$(ENVSETUP) --dev

demo: env
	$(BIN)/python -m course demo

# Unit tests first, stopping at the first failure; then the end-to-end batches, whose
# kernel runs are replayed from the execution cache where their inputs were run before
# (COURSE_EXECUTION_CACHE, default ~/.cache/llm-course/executions; CONTRIBUTING.md).
test: dev-env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not slow" -x -q
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m slow --durations=25

# The full proof: every notebook runs in a real kernel (no execution cache). Run it
# before a change to a notebook, an answer key or a verifier lands.
test-full: dev-env
	COURSE_EXECUTION_CACHE=off $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25

test-fast: dev-env
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not slow"

# The student's JupyterLab in build/lab/: copies of release/ (never overwritten),
# a local nbgrader exchange, the student-side nbgrader extensions only.
# Extra jupyter options: make lab LAB_ARGS="--port=8899 --allow-root"
lab: env
	$(BIN)/python -m course.tools.studentlab $(LAB_ARGS)

# JupyterHub on http://127.0.0.1:8000 (student1, student2, instructor; password: course):
# students fetch and submit in the Assignments panel, the grading service
# (python -m course serve) grades each submission and releases its feedback;
# the instructor's status page is /services/grading/. State in build/hub/.
hub: env
	$(BIN)/python -m course.tools.hub $(HUB_ARGS)

notebooks: dev-env
	$(BIN)/python -m course notebooks

release: notebooks
	$(BIN)/python -m course release
	$(BIN)/python -m course links --readme

check: dev-env
	$(BIN)/python -m course notebooks --check
	$(BIN)/python -m course release --check
	$(BIN)/python -m course links --readme --check
	$(BIN)/python -m course.tools.lockfile --check

# Re-resolve the top-level pins into the CPU, GPU and development locks with uv's
# resolver (Linux x86_64, Python 3.11, with hashes), then derive environment.yml.
lock: dev-env
	$(BIN)/python -m course.tools.lockfile --compile

# Remove grading state (never committed): gradebook, submissions, autograded, feedback, exports.
clean-grading:
	rm -rf gradebook.db submitted autograded/*/ feedback exports .nbgrader.log grading-service

clean: clean-grading
	rm -rf $(VENV) build
