# Detection quality (issue 5): backtests, the NAB benchmark and plots. See docs/detection.md.
NAB ?= ../shared/nab
BENCH_MODELS ?= sklearn_iforest,$(shell PYTHONPATH=shared $(PY) -c "from metricwatch.config import load_settings; print(load_settings().default_model)" 2>/dev/null)
BACKTEST := PYTHONPATH=shared $(PY) -m metricwatch.backtest

.PHONY: backtest bench-nab bench-synthetic bench-shapes bench-classes plot

backtest: venv  ## replay CSVs: make backtest DATA=<dir> OUT=<dir> [MODEL=<name>] (NAB results layout)
	@test -n "$(DATA)" && test -n "$(OUT)" || { echo "usage: make backtest DATA=<dir> OUT=<dir> [MODEL=<name>]"; exit 2; }
	$(BACKTEST) csv --data "$(DATA)" --out "$(OUT)" $(if $(MODEL),--model "$(MODEL)")

bench-nab: venv  ## NAB scores of the original and default models (MODELS=a,b to choose; NAB=<corpus dir>)
	$(PY) benchmarks/bench_nab.py --nab "$(NAB)" --models "$(or $(MODELS),$(BENCH_MODELS))"

bench-synthetic: venv  ## spike recall on synthetic hourly series by training window (MODEL=<name>)
	PYTHONPATH=shared $(PY) benchmarks/bench_synthetic.py $(if $(MODEL),--model "$(MODEL)")

bench-shapes: venv  ## recall and false alarms by kind of incident on synthetic metrics (MODEL=<name> PARAMS=<json>)
	PYTHONPATH=shared $(PY) benchmarks/bench_shapes.py $(if $(MODEL),--model "$(MODEL)") $(if $(PARAMS),--params '$(PARAMS)')

bench-classes: venv  ## per incident class and magnitude: windows found, median delay, false alarms per series-week, on a generated labelled corpus in NAB's layout (SEED=<n> REPS=<n>)
	$(PY) benchmarks/bench_classes.py $(if $(SEED),--seed "$(SEED)") $(if $(REPS),--reps "$(REPS)")

plot: venv  ## PNG of one CSV's detections: make plot CSV=<file> PNG=<file> [MODEL=<name>] [WINDOWS=<json> KEY=<name>]
	@test -n "$(CSV)" && test -n "$(PNG)" || { echo "usage: make plot CSV=<file> PNG=<file> [MODEL=<name>]"; exit 2; }
	$(BACKTEST) plot --csv "$(CSV)" --png "$(PNG)" $(if $(MODEL),--model "$(MODEL)") \
		$(if $(WINDOWS),--windows "$(WINDOWS)" --key "$(KEY)")
