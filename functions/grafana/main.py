"""Grafana function: the Grafana JSON data source API (JSON and SimpleJSON plugins) over HTTPS.

Thin by design: the request goes straight to the shared package.
"""

import functions_framework

from metricwatch.api.grafana import grafana


@functions_framework.http
def handle(request):
    return grafana(request)
