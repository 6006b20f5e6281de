# Quick start: `make run` builds the graph and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run build validate stats test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/clustergraph build

validate: $(STAMP)
	$(BIN)/clustergraph validate

stats: $(STAMP)
	$(BIN)/clustergraph stats

# The main job on the embedded store: build, then the graph's statistics and two named queries.
run: build
	$(BIN)/clustergraph stats
	$(BIN)/clustergraph query --name clusters-per-initiative
	$(BIN)/clustergraph query --name member-counts-2022-vs-2024

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf .store .pytest_cache
