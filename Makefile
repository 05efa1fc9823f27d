# WhyRec: two entry points — `make demo` (install, prepare, start the chat UI) and `make test`.
# Every step is idempotent: a second `make demo` reuses what is ready and starts in seconds.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= var
export WHYREC_DATA_DIR ?= $(DATA_DIR)
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test venv llm-env browser-env postgres-env assets serve-llm ui lint bench help

help:
	@echo "make demo   - install everything, prepare assets, start the LLM server and the chat UI"
	@echo "make test   - install everything and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make bench  - run the benchmarks (evals/bench_*.py); results in evals/results/"

# -- environments ---------------------------------------------------------------
$(BIN)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@$(BIN)/python scripts/check_torch.py
	@touch $@

venv: $(BIN)/.installed

llm-env: venv
	bash scripts/setup_llm.sh

browser-env:
	bash scripts/setup_browser.sh

postgres-env:
	bash scripts/setup_postgres.sh

# -- assets (each command caches its own output under $(DATA_DIR); the stamp skips them all) ---
ASSET_STAMP := $(DATA_DIR)/.assets-ready
DEMO_DATA := $(wildcard tools/data/demo/*.gz)

$(ASSET_STAMP): $(BIN)/.installed $(DEMO_DATA)
	$(BIN)/whyrec data prepare
	$(BIN)/whyrec index build
	$(BIN)/whyrec train gcn --dataset demo
	$(BIN)/whyrec train rl
	$(BIN)/whyrec train ranker
	$(BIN)/whyrec causal discover --dataset demo --png $(DATA_DIR)/causal.png
	$(BIN)/whyrec causal segments
	@touch $@

assets: $(ASSET_STAMP)

serve-llm: llm-env
	$(BIN)/whyrec llm serve --background --reuse

ui: venv
	$(BIN)/whyrec ui

demo: venv llm-env assets serve-llm
	$(BIN)/whyrec ui

# -- tests --------------------------------------------------------------------------------
test: venv llm-env browser-env postgres-env
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check agent tools causal ui evals tests scripts
	$(BIN)/lint-imports

# Regenerates every result file in evals/results/ (tests/test_results_provenance.py lists them): each
# evals/bench_*.py with its defaults, the prompt-injection suite and the three load runs of load.md. Several
# need the LLM server and the assets. A failing run (e.g. a missed target) does not stop the others; the
# failures are listed at the end and make exits 1.
bench: venv llm-env assets serve-llm
	@failed=""; cmds=(); \
	for b in evals/bench_*.py; do cmds+=("python -m evals.$$(basename $$b .py)"); done; \
	cmds+=("python -m evals.injection" \
	       "python -m ui.cli_eval load --sessions 100 --turns 10 --fast --min-turns-per-s 20" \
	       "python -m ui.cli_eval load --sessions 20 --turns 5" \
	       "python -m ui.cli_eval load --sessions 100 --turns 10 --fast --workers 2 --min-turns-per-s 20"); \
	for c in "$${cmds[@]}"; do echo "== $$c"; $(BIN)/$$c || failed="$$failed"$$'\n'"  $$c"; done; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi
