# The course's commands. Every target creates the pinned environment (.venv)
# on first use and reuses it afterwards.
#   make demo   release, autograde synthetic students, feedback, grades table
#   make test   the test suite (what CI runs)
#   make lab    JupyterLab on the course, for students

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
# Offline copies of the full data sets, when present beside the repository.
SHARED_DATA ?= $(abspath ../shared/data)

.PHONY: env demo test test-fast lab notebooks release check lock clean-grading clean

env: $(STAMP)

$(STAMP): requirements.lock requirements-nodeps.txt pyproject.toml
	@echo "Creating the course environment in $(VENV) (pinned by requirements.lock; a few minutes, once)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -r requirements-nodeps.txt
	$(PIP) install --no-deps -e .
	@touch $(STAMP)

demo: env
	$(BIN)/python -m course demo

test: env
	$(BIN)/python -m pytest

test-fast: env
	$(BIN)/python -m pytest -m "not slow"

# The student's JupyterLab in build/lab/: copies of release/ (never overwritten),
# a local nbgrader exchange, the student-side nbgrader extensions only.
# Extra jupyter options: make lab LAB_ARGS="--port=8899 --allow-root"
lab: env
	$(BIN)/python -m course.studentlab $(LAB_ARGS)

notebooks: env
	$(BIN)/python -m course notebooks

release: notebooks
	$(BIN)/python -m course release
	$(BIN)/python -m course links --readme

check: env
	$(BIN)/python -m course notebooks --check
	$(BIN)/python -m course release --check
	$(BIN)/python -m course links --readme --check
	$(BIN)/python -m course.lockfile --check

# Re-resolve requirements.in into requirements.lock, then derive environment.yml.
lock:
	rm -rf build/lockenv
	$(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet -r requirements.in
	(echo "# Exact pins of the whole course environment (pip freeze of requirements.in)."; \
	 echo "# Regenerate with \`make lock\`; environment.yml is derived from this file."; \
	 build/lockenv/bin/python -m pip freeze --exclude-editable) > requirements.lock
	$(BIN)/python -m course.lockfile

# Remove grading state (never committed): gradebook, submissions, autograded, feedback, exports.
clean-grading:
	rm -rf gradebook.db submitted autograded/*/ feedback exports .nbgrader.log

clean: clean-grading
	rm -rf $(VENV) build
