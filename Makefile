# The two set-up commands of README.md: `make book` and `make test`.
# Each creates .venv on first use (idempotent: later runs reuse it) and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One stamp per extra: re-installs only when pyproject.toml or constraints.txt change.
$(VENV)/.installed-%: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -c constraints.txt "torch==2.13.0"
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$*]"
	touch $@

# --all: every page reads run records, which Sphinx does not track; an incremental build would keep
# the pages of unchanged notebooks as they were before the latest records landed
book: $(VENV)/.installed-book
	$(BIN)/jupyter-book build . --all --path-output . -W --keep-going
	@echo "book: _build/html/index.html"

test: $(VENV)/.installed-test
	$(BIN)/ruff check irem tests
	$(BIN)/ruff format --check irem tests
	$(BIN)/python -m pytest tests
	IREM_PROFILE=smoke IREM_RETRAIN=1 IREM_SEEDS=3 IREM_RUNS_DIR=$$(mktemp -d) $(BIN)/python -m pytest --nbval-lax notebooks -p no:cacheprovider

lint: $(VENV)/.installed-test
	$(BIN)/ruff check irem tests
	$(BIN)/ruff format --check irem tests

clean:
	rm -rf _build
