# lspkit: set-up, the main job and the test suite. `make run` and `make test` each set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.lspkit-setup

.PHONY: setup run lint test test-fast lab environment references bench-run bench check-site pdf clean

setup: $(STAMP)

# Re-installs only when the dependency list or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	$(BIN)/lspkit kernel install --sys-prefix >/dev/null
	touch $(STAMP)

# The main job: every notebook executed into outputs/notebooks/, rendered into outputs/site/.
run: setup
	$(BIN)/lspkit run

# Lint and format check (ruff) and type check (mypy) of the package; `make test` runs them first.
lint: setup
	$(BIN)/ruff check lspkit
	$(BIN)/ruff format --check lspkit
	$(BIN)/mypy

# The whole suite: lint, unit tests, doctests, the nbval notebooks and references, the browser checks,
# on every core (pytest-xdist, --dist loadscope with the scopes conftest.py sets: each notebook's cells stay on
# one worker, in order, as nbval needs; every other test goes to whichever worker is free).
test: lint
	$(BIN)/python -m pytest -n auto --dist loadscope

# While working: everything but the tests that start Jupyter kernels (CI runs the whole suite).
test-fast: setup
	$(BIN)/python -m pytest -m "not kernel"

# JupyterLab on notebooks/, without opening a browser: it prints the URL (with its token) to open.
# Kernels talk over IPC sockets, not TCP; --allow-root only when run as root.
lab: setup
	$(BIN)/jupyter lab --no-browser --notebook-dir=notebooks --KernelManager.transport=ipc \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

# environment.yml (conda) from pyproject.toml and the pins in constraints.txt: run after changing either.
environment:
	$(PYTHON) tools/environment.py

# Re-execute notebooks/ and tests/references/ after a deliberate change; review the diff.
references: setup
	$(BIN)/lspkit references

bench-run: setup
	$(BIN)/python benchmarks/bench_run.py

# Scale: load, analyses, the cross_case notebook and memory at 3 to 3,000 synthetic cases -> outputs/benchmarks.csv.
bench: setup
	$(BIN)/python benchmarks/bench_scale.py

# Every page in headless Chromium, offline, at 1280 and 390 px: checks and full-height screenshots in
# outputs/site-check/. Needs pip install -e '.[site]' (playwright, pypdf) and apt-get install chromium.
check-site: run
	$(BIN)/python tools/check_site.py

# The whole site printed by headless Chromium into one PDF: outputs/site/lspkit-report.pdf.
pdf: run
	$(BIN)/python tools/make_pdf.py

clean:
	rm -rf $(VENV) outputs/*
	touch outputs/.gitkeep
