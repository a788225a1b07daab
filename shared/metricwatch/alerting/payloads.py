"""What receivers get: Alertmanager's alerts and webhook payload (version 4), and a Slack message.

The outbox stores the webhook payload; each receiver kind turns it into what
it sends (`receivers.py`), so there is one source of truth per notification.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

from metricwatch.alerting.durations import show
from metricwatch.alerting.incidents import NO_DATA
from metricwatch.series import labels_part
from metricwatch.timeutil import as_utc

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


def rfc3339(ts: datetime) -> str:
    return as_utc(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def number(value: float | None) -> str:
    """1,000 / 99.5 / 0.0031: readable on a phone, never `1e+03`."""
    if value is None:
        return "?"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def band(lower: float, upper: float) -> str:
    """Both ends at the precision the band's width calls for: `90–110`, `92–108`, `0.25–0.75`."""
    width = abs(upper - lower)
    decimals = 0 if width == 0 else min(4, max(0, 1 - math.floor(math.log10(width))))
    return f"{lower:,.{decimals}f}–{upper:,.{decimals}f}"


def series_name(incident: Mapping[str, Any]) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(incident["labels"].items()))
    return f"{incident['metric']}{{{labels}}}" if labels else incident["metric"]


def sentence(incident: Mapping[str, Any]) -> str:
    """`latency{region=eu} 1,000 is above its expected 90–110 since 10:15 UTC`."""
    peak, since = incident.get("peak") or {}, as_utc(incident["first_anomaly_at"]).strftime("%H:%M UTC")
    name = series_name(incident)
    if incident["kind"] == NO_DATA:
        absent = timedelta(seconds=peak.get("absent_after_seconds") or 0)
        return f"{name} has sent no data since {as_utc(peak['timestamp']).strftime('%H:%M UTC')} (absent_after {show(absent)})"
    value, lower, upper = peak.get("value"), peak.get("lower"), peak.get("upper")
    where = ("above" if upper is not None and value is not None and value > upper else
             "below" if lower is not None and value is not None and value < lower else "unusual against")
    expected = band(lower, upper) if lower is not None and upper is not None else number(peak.get("expected"))
    tail = " (resolved)" if incident["status"] == "resolved" else ""
    return f"{name} {number(value)} is {where} its expected {expected} since {since}{tail}"


def annotations(incident: Mapping[str, Any]) -> dict[str, str]:
    peak = incident.get("peak") or {}
    out = {k: number(peak.get(k)) for k in ("value", "expected", "lower", "upper") if peak.get(k) is not None}
    if peak.get("score") is not None:
        out["score"] = f"{peak['score']:.3f}"
    out.update({k: str(peak[k]) for k in ("model", "reason") if peak.get(k)})
    out["summary"] = sentence(incident)
    return out


def generator_url(incident: Mapping[str, Any], external_url: str) -> str:
    if not external_url:
        return ""
    query = {"metric": incident["metric"], "labels": labels_part(incident["labels"])}
    return f"{external_url.rstrip('/')}/dashboard?{urlencode({k: v for k, v in query.items() if v})}"


def alert(incident: Mapping[str, Any], external_url: str) -> dict[str, Any]:
    """One alert in Alertmanager's form (the webhook's `alerts[]` and the v2 API's body)."""
    resolved = incident["status"] == "resolved"
    return {"status": "resolved" if resolved else "firing", "labels": dict(incident["alert_labels"]),
            "annotations": annotations(incident), "startsAt": rfc3339(incident["first_anomaly_at"]),
            "endsAt": rfc3339(incident["ends_at"]) if resolved else ZERO_TIME,
            "generatorURL": generator_url(incident, external_url), "fingerprint": incident["fingerprint"]}


def _common(maps: Sequence[Mapping[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(m.get(k) == v for m in maps[1:])}


def webhook_payload(group_key: str, receiver: str, group_labels: Mapping[str, str], alerts: list[dict[str, Any]],
                    external_url: str) -> dict[str, Any]:
    """Alertmanager's webhook body, version 4: firing while any alert of the group fires."""
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": group_key, "truncatedAlerts": 0, "status": status, "receiver": receiver,
            "groupLabels": dict(group_labels), "commonLabels": _common([a["labels"] for a in alerts]),
            "commonAnnotations": _common([a["annotations"] for a in alerts]), "externalURL": external_url,
            "alerts": alerts}


def slack_message(payload: Mapping[str, Any], most: int = 10) -> dict[str, Any]:
    """An incoming-webhook message: a header line, then one short line per alert (at most `most`)."""
    alerts = payload["alerts"]
    firing = sum(1 for a in alerts if a["status"] == "firing")
    icon = ":red_circle:" if payload["status"] == "firing" else ":large_green_circle:"
    kinds = sorted({a["labels"].get("alertname", "") for a in alerts})
    title = f"{icon} {payload['status'].upper()}: {', '.join(kinds)} ({firing} firing, {len(alerts) - firing} resolved)"
    lines = [f"• {a['annotations'].get('summary', '')}" + (f" <{a['generatorURL']}|chart>" if a["generatorURL"] else "")
             for a in alerts[:most]]
    if len(alerts) > most:
        lines.append(f"…and {len(alerts) - most} more")
    return {"text": title, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
                                      {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}}]}


def alertmanager_alerts(payload: Mapping[str, Any], now: datetime, resend: timedelta) -> list[dict[str, Any]]:
    """The v2 API body: firing alerts end at now + 4 resends, so Alertmanager resolves them if we stop."""
    ends = rfc3339(now + 4 * resend)
    out = []
    for a in payload["alerts"]:
        item = {"labels": a["labels"], "annotations": a["annotations"], "startsAt": a["startsAt"],
                "endsAt": a["endsAt"] if a["status"] == "resolved" else ends}
        if a["generatorURL"]:  # the API validates it as a URI: an empty one is refused
            item["generatorURL"] = a["generatorURL"]
        out.append(item)
    return out

