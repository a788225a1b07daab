"""The request bodies the two Grafana plugins document, quoted as their READMEs and OpenAPI file give them.

- JSON plugin (simpod-json-datasource): README.md and openapi.yaml of
  https://github.com/simPod/GrafanaJsonDatasource (0.3.x/0.6.x);
- SimpleJSON (grafana-simple-json-datasource): README.md of
  https://github.com/grafana/simple-json-datasource, whose /annotations body
  the JSON plugin's README also documented up to 0.2.x.

Only the metric names and ranges differ from ours, and tests change exactly
those (with `{**BODY, ...}`), so what Grafana sends is what is tested.
"""

# JSON plugin, "### /metrics": "Example request:" (both of them).
METRICS_EMPTY = {}
METRICS = {"metric": "DescribeMetricList", "payload": {"cloud": "cf6591c5dad211eaa22100163e120f6e", "namespace": "MySQL"}}

# JSON plugin, "### /metric-payload-options": "Example Request" (its JSON5 comments dropped).
METRIC_PAYLOAD_OPTIONS = {"metric": "DescribeMetricList", "payload": {"namespace": "acs_ecs"}, "name": "cms_metric"}

# JSON plugin, "### /query": "Example request".
QUERY = {
    "panelId": 1,
    "range": {"from": "2016-10-31T06:33:44.866Z", "to": "2016-10-31T12:33:44.866Z",
              "raw": {"from": "now-6h", "to": "now"}},
    "rangeRaw": {"from": "now-6h", "to": "now"},
    "interval": "30s",
    "intervalMs": 30000,
    "maxDataPoints": 550,
    "targets": [
        {"target": "Packets", "refId": "A", "payload": {"additional": "optional json"}},
        {"target": "Errors", "refId": "B"},
    ],
    "adhocFilters": [{"key": "City", "operator": "=", "value": "Berlin"}],
}

# SimpleJSON, "### Query API": "Example `timeseries` request" (its adhocFilters, not valid JSON there, left out).
SIMPLE_QUERY = {
    "panelId": 1,
    "range": {"from": "2016-10-31T06:33:44.866Z", "to": "2016-10-31T12:33:44.866Z",
              "raw": {"from": "now-6h", "to": "now"}},
    "rangeRaw": {"from": "now-6h", "to": "now"},
    "interval": "30s",
    "intervalMs": 30000,
    "targets": [
        {"target": "upper_50", "refId": "A", "type": "timeseries"},
        {"target": "upper_75", "refId": "B", "type": "timeseries"},
    ],
    "format": "json",
    "maxDataPoints": 550,
}

# SimpleJSON, "### Annotation API": "The JSON request body looks like this".
ANNOTATIONS = {
    "range": {"from": "2016-04-15T13:44:39.070Z", "to": "2016-04-15T14:44:39.070Z"},
    "rangeRaw": {"from": "now-1h", "to": "now"},
    "annotation": {"name": "deploy", "datasource": "Simple JSON Datasource", "iconColor": "rgba(255, 96, 96, 1)",
                   "enable": True, "query": "#deploy"},
}

# SimpleJSON "### Search API" and the JSON plugin's "/search" (0.2.x): the two forms Grafana sends.
SEARCH = {"target": "upper_50"}
SEARCH_PANEL = {"type": "timeseries", "target": "upper_50"}

# JSON plugin, "### /variable": "Example request body".
VARIABLE = {"payload": {"target": "systems"},
            "range": {"from": "2022-02-14T08:09:32.164Z", "to": "2022-02-21T08:09:32.164Z",
                      "raw": {"from": "now-7d", "to": "now"}}}

# Both, "### /tag-keys" and "### /tag-values": "Example request body".
TAG_KEYS = {}
TAG_VALUES = {"key": "City"}

EVERY_ROUTE = {"metrics": METRICS, "metric-payload-options": METRIC_PAYLOAD_OPTIONS, "query": QUERY,
               "search": SEARCH, "variable": VARIABLE, "annotations": ANNOTATIONS, "tag-keys": TAG_KEYS,
               "tag-values": TAG_VALUES}
