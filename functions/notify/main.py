"""Notify function: fired every minute by Cloud Scheduler, or on demand; delivers what is due."""

import functions_framework

from metricwatch.api.notify import notify


@functions_framework.http
def handle(request):
    return notify(request)
