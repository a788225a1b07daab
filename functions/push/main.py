"""Push function: HTTPS endpoint taking metric points from anywhere.

Thin by design: the request goes straight to the shared package.
"""

import functions_framework

from metricwatch.api.push import push


@functions_framework.http
def handle(request):
    return push(request)
