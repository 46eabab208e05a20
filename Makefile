# The README quick start is `make demo` and `make test`; both build .venv when missing
# or when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= cpu,test,plot,docs

.PHONY: demo test lint format bench clean docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m graphlab demo

test: $(STAMP)
	$(BIN)/ruff check graphlab tests benchmarks tools
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check graphlab tests benchmarks tools
	$(BIN)/ruff format --check graphlab tests benchmarks tools

format: $(STAMP)
	$(BIN)/ruff format graphlab tests benchmarks tools
	$(BIN)/ruff check --fix graphlab tests benchmarks tools

# The documentation site (MkDocs + Material, API pages by mkdocstrings) into site/.
# Regenerates docs/cli.md first (and docs/tutorial.ipynb when the tutorial changed);
# --strict turns every warning into an error.
docs: $(STAMP)
	$(BIN)/python tools/gen_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) site build dist *.egg-info .pytest_cache .ruff_cache

# The pytest-benchmark suites over the seed and guide examples, every mode.
bench: $(STAMP)
	mkdir -p .benchmarks
	$(BIN)/python -m pytest benchmarks -p no:cacheprovider --graphlab-modes=eager,graph,xla \
		--benchmark-columns=median,iqr,rounds --benchmark-sort=name \
		--benchmark-json=.benchmarks/latest.json
