"""Feedback function: a person marks a range of a series not_anomaly, anomaly or ignore (HTTPS)."""

import functions_framework

from metricwatch.api.feedback import feedback


@functions_framework.http
def handle(request):
    return feedback(request)
