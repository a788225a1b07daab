"""Trainer function: fired daily by Cloud Scheduler, or on demand (`?metric=NAME`)."""

import functions_framework

from metricwatch.api.train import train


@functions_framework.http
def handle(request):
    return train(request)
