# The README's two commands: `make run` (train if needed, then serve) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check-labels

$(STAMP): pyproject.toml requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tagger serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

check-labels: $(STAMP)
	$(BIN)/tagger labels check labels/
