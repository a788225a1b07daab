# metricwatch: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
FUNCTIONS := $(patsubst functions/%/main.py,%,$(wildcard functions/*/main.py))

.PHONY: help venv vendor test bench bench-trainer clean

help:  ## list targets
	@grep -hE '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed  ## create .venv from requirements-dev.txt

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-checkov.txt
	@touch $@

vendor:  ## copy the shared package and resources into every function directory
	@for fn in $(FUNCTIONS); do \
		rm -rf functions/$$fn/metricwatch functions/$$fn/resources; \
		cp -r shared/metricwatch functions/$$fn/metricwatch; \
		cp -r resources functions/$$fn/resources; \
		find functions/$$fn/metricwatch -name __pycache__ -prune -exec rm -rf {} +; \
	done

# The dashboard's browser tests drive Debian's Chromium through Playwright (a browser download
# cannot work offline): installed here when missing, if this user can (root, as on CI).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "the browser tests need Debian's chromium: run 'sudo apt-get install chromium'" >&2; exit 1; \
	fi

test: venv vendor $(CHROMIUM)  ## run the whole test suite (installs Debian's chromium when missing, as root)
	$(PY) -m pytest

bench: venv vendor  ## per-function cold start and size; in-process push, model, alerting and query benchmarks
	$(PY) benchmarks/bench_functions.py
	$(PY) benchmarks/bench_push.py
	$(PY) benchmarks/bench_alerting.py
	$(PY) benchmarks/bench_query.py

bench-trainer: venv  ## series trained per second by TRAIN_WORKERS (models to the GCS emulator); 10,000 and 100,000 series fanned out over instances
	$(PY) benchmarks/bench_trainer.py

clean:  ## remove virtualenvs, vendored copies and local data
	rm -rf $(VENV) $(CHECKOV_VENV) .data build $(addprefix functions/,$(addsuffix /metricwatch,$(FUNCTIONS))) $(addprefix functions/,$(addsuffix /resources,$(FUNCTIONS)))

# Targets of each area live in mk/*.mk (run, deploy, detection benchmarks).
-include mk/*.mk
