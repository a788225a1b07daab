"""Collector function `random`: fired by Cloud Scheduler (resources/schedules.json); the work is in the shared package."""

import functions_framework

from metricwatch.api.collect import collect


@functions_framework.http
def handle(request):
    return collect(request, "random")
