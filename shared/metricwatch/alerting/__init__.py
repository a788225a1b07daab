"""Alerting: verdicts become incidents, incidents become notifications, delivered at least once.

Layers, each importing only those below it (and never the HTTP edge):
`matchers` and `durations` (parsing) < `rules` (resources/alerting.json) <
`incidents` (state of one series) < `store` (MongoDB collections) <
`tracker` (bookkeeping in the request that stores points), `nodata`, `silences`
< `payloads` < `receivers` < `planner` (grouping into the outbox) < `outbox`
(delivery) < `notify` (one run of the notify function).
"""
