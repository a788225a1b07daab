"""Alerts function: HTTPS API for incidents and silences (token-guarded like push and query)."""

import functions_framework

from metricwatch.api.alerts import alerts


@functions_framework.http
def handle(request):
    return alerts(request)
