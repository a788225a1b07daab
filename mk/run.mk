# `make run`: the whole system locally, nothing to configure (see README "Running locally").
.PHONY: run

run: venv vendor  ## every function on http://127.0.0.1:$${PORT:-8080}/<function>, plus the local scheduler
	PYTHONPATH=shared $(PY) -m metricwatch.local
