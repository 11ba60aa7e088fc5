# The README's two commands: `make run` (train if needed, then serve) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check-labels browser

$(STAMP): pyproject.toml requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tagger serve

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest

# The workbench's browser tests drive Debian's chromium through Playwright (never `playwright install`).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-labels: $(STAMP)
	$(BIN)/tagger labels check labels/
