# Quick start: `make run` builds the graph and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run build validate stats serve test clean

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

serve: $(STAMP)
	$(BIN)/clustergraph serve --host 127.0.0.1 --port 8000

# The main job on the embedded store: build, show the graph's statistics, then serve the SPARQL endpoint,
# linked data and web pages at http://127.0.0.1:8000 (Ctrl-C stops it).
run: build
	$(BIN)/clustergraph stats
	$(BIN)/clustergraph serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf .store .pytest_cache
