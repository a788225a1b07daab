# `make run`: the whole system locally, nothing to configure (see README "Running locally").
.PHONY: run receiver new-collector

run: venv vendor  ## every function on http://127.0.0.1:$${PORT:-8080}/<function>, plus the local scheduler
	PYTHONPATH=shared $(PY) -m metricwatch.local

receiver: venv  ## print every alert POSTed to http://127.0.0.1:$${RECEIVER_PORT:-9000}/ (try ALERT_WEBHOOK_URL with make run)
	PYTHONPATH=shared $(PY) -m metricwatch.local.receiver $${RECEIVER_PORT:-9000}

new-collector: venv  ## write functions/collect-$(NAME)/ for a new collector and print its schedule line
	@PYTHONPATH=shared $(PY) -m metricwatch.local.scaffold $(NAME)
