"""Query function: read stored points, verdicts and scores back over HTTPS (GET).

Thin by design: the request goes straight to the shared package.
"""

import functions_framework

from metricwatch.api.query import query


@functions_framework.http
def handle(request):
    return query(request)
