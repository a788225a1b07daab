"""OTLP/HTTP with JSON: `POST /push/v1/metrics` (an `ExportMetricsServiceRequest`).

The body is read into the official OpenTelemetry protobuf definitions (`opentelemetry-proto`)
with protobuf's JSON mapping (`google.protobuf.json_format`), unknown fields ignored as OTLP
asks. Each data point becomes points:

- gauge, and a sum that is not monotonic: one point named as the metric;
- a monotonic sum (a counter): one point named `<name>_total` (unless it already ends so);
- histogram and exponential histogram: `<name>_count` and, when sent, `<name>_sum`;
- summary: `<name>_count`, `<name>_sum` and `<name>{quantile="q"}` for each quantile.

Labels: the resource's attributes, then the scope's, then the data point's (a later one wins on
a clash), each key with '.' made '_' (`service.name` is `service_name`); a string value as is,
a number or boolean as its JSON text, an array or map as compact JSON. Time: `timeUnixNano`
(0 or missing: now). Exemplars, units, descriptions and temporality are not stored.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from metricwatch.errors import InvalidInput, UnsupportedMediaType
from metricwatch.formats import Format, Parsed, epoch_iso, point


def _check_type(request: Any) -> None:
    mimetype = (request.mimetype or "").lower()
    if mimetype == "application/json":
        return
    if mimetype == "application/x-protobuf":
        raise UnsupportedMediaType("OTLP's binary protobuf encoding is not supported here; send OTLP/HTTP JSON "
                                   "(Content-Type: application/json)")
    raise UnsupportedMediaType(f"Content-Type must be application/json (OTLP/HTTP JSON), not {mimetype or 'missing'}")


def _value(any_value: Any) -> str:
    kind = any_value.WhichOneof("value")
    if kind == "string_value":
        return any_value.string_value
    if kind is None:
        return ""
    return json.dumps(json_format.MessageToDict(any_value)[_CAMEL[kind]], separators=(",", ":"))


_CAMEL = {"bool_value": "boolValue", "int_value": "intValue", "double_value": "doubleValue",
          "array_value": "arrayValue", "kvlist_value": "kvlistValue", "bytes_value": "bytesValue"}


def _labels(*attribute_lists: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for attributes in attribute_lists:
        for kv in attributes:
            out[kv.key.replace(".", "_")] = _value(kv.value)
    return out


def _time(nanos: int, where: str) -> str | None:
    if not nanos:
        return None
    return epoch_iso(nanos // 10**9, nanos % 10**9, line=where)


def _number(dp: Any, where: str) -> float | int:
    kind = dp.WhichOneof("value")
    if kind is None:
        raise InvalidInput(f"{where}: the data point has neither asDouble nor asInt", field="value")
    return dp.as_double if kind == "as_double" else dp.as_int


def _series(metric: Any, where: str) -> Iterator[tuple[str, str, float | int, dict[str, str], Any]]:
    """(place, name, value, extra labels, data point) for every point a metric gives."""
    name, kind = metric.name, metric.WhichOneof("data")
    if kind is None:
        raise InvalidInput(f"{where}: metric {name!r} has no data (gauge, sum, histogram or summary)", field="data")
    data = getattr(metric, kind)
    camel = {"exponential_histogram": "exponentialHistogram"}.get(kind, kind)
    for d, dp in enumerate(data.data_points):
        place = f"{where}.{camel}.dataPoints[{d}]"
        if kind == "gauge" or kind == "sum" and not data.is_monotonic:
            yield place, name, _number(dp, place), {}, dp
        elif kind == "sum":
            yield place, name if name.endswith("_total") else f"{name}_total", _number(dp, place), {}, dp
        else:
            yield place, f"{name}_count", dp.count, {}, dp
            if kind == "summary" or dp.HasField("sum"):
                yield place, f"{name}_sum", dp.sum, {}, dp
            if kind == "summary":
                for q in dp.quantile_values:
                    yield place, name, q.value, {"quantile": repr(q.quantile)}, dp


def parse(body: bytes, request: Any, parts: list[str]) -> Parsed:
    _check_type(request)
    message = ExportMetricsServiceRequest()
    try:
        json_format.Parse(body.decode("utf-8"), message, ignore_unknown_fields=True)
    except UnicodeDecodeError:
        raise InvalidInput("body is not valid UTF-8", field="body") from None
    except Exception as exc:  # json_format.ParseError, or what malformed input trips (nesting, digits)
        raise InvalidInput(f"body is not a valid OTLP/HTTP JSON metrics request: {exc}", field="body") from None
    points: list[dict[str, Any]] = []
    places: list[str] = []
    for r, resource_metrics in enumerate(message.resource_metrics):
        for s, scope_metrics in enumerate(resource_metrics.scope_metrics):
            for m, metric in enumerate(scope_metrics.metrics):
                where = f"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}]"
                for place, name, value, extra, dp in _series(metric, where):
                    labels = _labels(resource_metrics.resource.attributes, scope_metrics.scope.attributes,
                                     dp.attributes)
                    points.append(point(name, value, {**labels, **extra}, _time(dp.time_unix_nano, place)))
                    places.append(place)
    if not points:
        raise InvalidInput("body has no data points", field="body")
    return Parsed(points, places=places)


FORMAT = Format("otlp-json", ("POST",), parse)
