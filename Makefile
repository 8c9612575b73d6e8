# Every target installs what it needs first (idempotent; a no-op when nothing changed).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run chat test bench reliability unit integration lint eval metamorphic constraints clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# torch first, pinned: pip finds the machine's local CPU build; unpinned it would pull CUDA.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[test,eval]"
	@# Byte-code for the project's own modules (an editable install writes none, and PYTHONDONTWRITEBYTECODE
	@# environments never do): otherwise every process start compiles them again (~0.3 s).
	$(PY) -m compileall -q app ingest evaluation
	@touch $(STAMP)

run: setup  ## ingest the bundled corpus if needed, then start the service (UI + API) on 127.0.0.1:8000
	$(VENV)/bin/policy-assistant serve

chat: setup  ## the same assistant in the terminal
	$(VENV)/bin/policy-assistant start

test: setup  ## lint, type check, unit tests, integration tests (real model, real Chroma embedded + server)
	$(VENV)/bin/ruff check app ingest evaluation tests
	$(VENV)/bin/mypy app ingest evaluation
	$(PY) -m pytest

unit: setup
	$(PY) -m pytest tests/unit

integration: setup
	$(PY) -m pytest tests/integration

# The metamorphic suite at scale (tests/unit/test_metamorphic.py; the unit run does 3000 + 300 cases).
# A larger run contains the default one, so it can only find more wrong totals; see
# tests/artifacts/metamorphic_report.md and metamorphic_failures.jsonl afterwards.
META_CASES ?= 40000
META_ASK_CASES ?= 2000
META_SEED ?= 20240901
metamorphic: setup  ## generated questions: a stated total is exact or absent (large run)
	META_CASES=$(META_CASES) META_ASK_CASES=$(META_ASK_CASES) META_SEED=$(META_SEED) \
		$(PY) -m pytest tests/unit/test_metamorphic.py -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check app ingest evaluation tests
	$(VENV)/bin/ruff format --check app ingest evaluation tests
	$(VENV)/bin/mypy app ingest evaluation

eval: setup  ## every evaluation → eval/reports/report.md (with plots)
	$(VENV)/bin/policy-assistant eval

reliability: setup  ## re-ingest under load, kill -9 mid-update, malformed requests, schemathesis → tests/artifacts/reliability.json
	$(PY) -m pytest -s tests/integration/test_reliability.py tests/integration/test_schemathesis.py

bench: setup  ## benchmarks, scaling to 50k clauses, load test → eval/reports/
	$(VENV)/bin/policy-assistant bench
	$(PY) -m evaluation.scaling
	$(VENV)/bin/policy-assistant eval load --sweep --seconds 20
	$(VENV)/bin/policy-assistant eval load --clients 20 --seconds 60 --name load-20x60
	$(VENV)/bin/policy-assistant eval

constraints: setup
	@{ head -2 constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^policy-assistant' | sed 's/^torch==.*/torch==2.13.0/'; } > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf data .pytest_cache .ruff_cache .mypy_cache
