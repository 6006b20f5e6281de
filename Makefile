# Quick start: `make run` builds the graph and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run build validate stats serve test bench load clean screenshots

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

# The README's screenshots (docs/screenshots/), from a server over the built store, in Debian's chromium.
screenshots: build
	$(BIN)/python docs/screenshots/take.py

test: $(STAMP)
	$(BIN)/python -m pytest

# Issue 5 benchmarks on synthetic EU-scale data (generated under .bench/): each measures ours and its baseline
# in the same run; bench/report.py then writes bench/RESULTS.md. Benchmarks that are not there yet are skipped.
# Smoke run on tiny data, keeping bench/results and RESULTS.md as they are:
#   CLUSTERGRAPH_BENCH_RESULTS=/tmp/bench-smoke make bench BENCH_ARGS=--quick
BENCHES := build_scale network_scale throughput named_queries serve_memory
bench: $(STAMP)
	@start=$$(date +%s); status=0; \
	for b in $(BENCHES); do \
	  if [ -f bench/$$b.py ]; then \
	    echo "== bench/$$b.py ($$(( $$(date +%s) - start )) s elapsed)"; \
	    $(BIN)/python bench/$$b.py $(BENCH_ARGS) || { status=1; echo "bench/$$b.py failed"; }; \
	  else echo "== bench/$$b.py: not present, skipped"; fi; \
	done; \
	elapsed=$$(( $$(date +%s) - start )); \
	$(BIN)/python bench/report.py --elapsed $$elapsed; \
	echo "make bench: $$elapsed s"; exit $$status

# Issue 6 load test: 32 clients for 60 s (light named queries, heavy analytical queries, resource pages) against
# a real server on synthetic ECCP-scale data, then the same load first come, first served (the baseline); prints
# the figures and ratios, saves bench/results/load.json and exits 1 when a check fails. CI runs the shortened
# form (tests/test_load.py: --quick, 15 s, the project's data). Then issue 16's attack rows: a light client
# beside each anonymous attack (VoID, browse searches, /store, 1 MB query texts, a dump, the service
# description, all at once), the tester's figures beside ours (--attacks-only skips the 32 clients).
load: $(STAMP)
	cd bench && ../$(BIN)/python load.py --baseline --attacks $(LOAD_ARGS)

clean:
	rm -rf .store .pytest_cache
