"""`make run`: every function of `functions/` served from one local process, plus a local scheduler.

One process on purpose: functions-framework's `create_app` builds one WSGI
app per function, and serving them side by side means they share one
`metricwatch` package, hence one runtime and one in-memory store when
MONGO_URL is empty. `python -m metricwatch.local` is the entry point.
"""
