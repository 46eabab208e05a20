# The README quick start is `make demo` and `make test`; both build .venv when missing
# or when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= cpu,test

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m graphlab demo

test: $(STAMP)
	$(BIN)/ruff check graphlab tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check graphlab tests benchmarks
	$(BIN)/ruff format --check graphlab tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format graphlab tests benchmarks
	$(BIN)/ruff check --fix graphlab tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

# The pytest-benchmark suites over the seed and guide examples, every mode.
bench: $(STAMP)
	mkdir -p .benchmarks
	$(BIN)/python -m pytest benchmarks -p no:cacheprovider --graphlab-modes=eager,graph,xla \
		--benchmark-columns=median,iqr,rounds --benchmark-sort=name \
		--benchmark-json=.benchmarks/latest.json
