"""Deployment tooling: packaging, function manifests, static checks and Cloud Scheduler helpers.

Run from a checkout (`python -m metricwatch.ops.<module>`), never by a deployed
function: the package is vendored with the rest of `metricwatch` but nothing in a
function's import graph reaches it, and google-cloud-scheduler is imported lazily
so no function needs it installed.
"""
