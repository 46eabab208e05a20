# The README quick start is `make demo` and `make test`; both build .venv when missing
# or when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= cpu,test,plot,docs

.PHONY: demo test lint format bench clean docs compat

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
	rm -rf $(VENV) $(COMPAT) site build dist *.egg-info .pytest_cache .ruff_cache

# The pytest-benchmark suites over the seed and guide examples, every mode.
bench: $(STAMP)
	mkdir -p .benchmarks
	$(BIN)/python -m pytest benchmarks -p no:cacheprovider --graphlab-modes=eager,graph,xla \
		--benchmark-columns=median,iqr,rounds --benchmark-sort=name \
		--benchmark-json=.benchmarks/latest.json

# The core test subset against the oldest TensorFlow graphlab supports and the newest,
# each in its own venv under .venv-compat/ (kept between runs: the second run only tests;
# rebuilt when pyproject.toml changes). Only the test extra and TensorFlow: no
# matplotlib, so tests of the plot extra must skip there. TF 2.16.2 pins numpy<2 itself.
COMPAT := .venv-compat
COMPAT_TESTS ?= tests/test_tracing.py tests/test_explain.py tests/test_inspect.py \
	tests/test_inspect_cli.py tests/test_compare.py tests/test_training.py \
	tests/test_cli_bench.py tests/test_bench_environments.py tests/test_schemas.py
COMPAT_PYTEST ?= -q -p no:cacheprovider

$(COMPAT)/tf-2.16/.installed-stamp: pyproject.toml
	test -x $(COMPAT)/tf-2.16/bin/python || $(PYTHON) -m venv $(COMPAT)/tf-2.16
	$(COMPAT)/tf-2.16/bin/python -m pip install -q --upgrade pip
	$(COMPAT)/tf-2.16/bin/python -m pip install -q -e '.[test]' 'tensorflow-cpu==2.16.2'
	touch $@

$(COMPAT)/tf-newest/.installed-stamp: pyproject.toml
	test -x $(COMPAT)/tf-newest/bin/python || $(PYTHON) -m venv $(COMPAT)/tf-newest
	$(COMPAT)/tf-newest/bin/python -m pip install -q --upgrade pip
	$(COMPAT)/tf-newest/bin/python -m pip install -q --upgrade -e '.[cpu,test]'
	touch $@

compat: $(COMPAT)/tf-2.16/.installed-stamp $(COMPAT)/tf-newest/.installed-stamp
	@for env in tf-2.16 tf-newest; do \
		echo "== $$env: $$($(COMPAT)/$$env/bin/python -c 'import tensorflow as tf, keras; print("TensorFlow", tf.__version__, "Keras", keras.__version__)' 2>/dev/null)"; \
		$(COMPAT)/$$env/bin/python -m pytest $(COMPAT_PYTEST) $(COMPAT_TESTS) || exit 1; \
	done
