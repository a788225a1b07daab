"""Dashboard function: the monitoring pages, their static files and the JSON they draw, and the
feedback its buttons send.

Thin by design: the request goes straight to the shared package.
"""

import functions_framework

from metricwatch.api.dashboard import dashboard


@functions_framework.http
def handle(request):
    return dashboard(request)
