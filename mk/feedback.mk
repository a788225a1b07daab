# Feedback that teaches (issue: not_anomaly / anomaly marks change the next model). See docs/detection.md, "Feedback".
.PHONY: bench-feedback

bench-feedback: venv  ## false alarms, windows found and NAB scores with and without a simulated user's feedback (NAB=<dir>, SHAPES=<n> adds synthetic series)
	$(PY) benchmarks/bench_feedback.py --nab "$(or $(NAB),../shared/nab)" $(if $(MODEL),--model "$(MODEL)") $(if $(SHAPES),--shapes "$(SHAPES)")
