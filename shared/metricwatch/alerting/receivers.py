"""Receivers: where notifications go, one small class per kind, chosen by `kind` in alerting.json.

Each takes the stored webhook payload and sends its own form of it:
`webhook` the payload itself, `slack` an incoming-webhook message,
`alertmanager` the alerts to `/api/v2/alerts`, `log` a line per alert.
URLs are resolved from the environment here, in the notify function only.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Mapping, Protocol, runtime_checkable

import requests

from metricwatch.alerting.payloads import alertmanager_alerts, slack_message
from metricwatch.alerting.rules import DEFAULT_RECEIVER, AlertingRules, ReceiverSpec
from metricwatch.envref import resolve
from metricwatch.errors import ConfigError, DeliveryFailed

log = logging.getLogger("metricwatch.alerts")
AM_RESEND = timedelta(minutes=1)  # the notify schedule: Alertmanager needs firing alerts re-sent


@runtime_checkable
class Receiver(Protocol):
    name: str
    send_resolved: bool

    def send(self, payload: Mapping[str, Any], timeout: float, now: datetime) -> None:
        """Deliver or raise DeliveryFailed."""
        ...


def post_json(url: str, body: Any, timeout: float) -> None:
    try:
        resp = requests.post(url, json=body, timeout=timeout, headers={"User-Agent": "metricwatch-notify"})
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}", unreachable=True) from None
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= resp.status_code < 300:
        raise DeliveryFailed(f"HTTP {resp.status_code}: {resp.text[:200]}")


class WebhookReceiver:
    def __init__(self, name: str, url: str, send_resolved: bool = True) -> None:
        self.name, self.url, self.send_resolved = name, url, send_resolved

    def send(self, payload: Mapping[str, Any], timeout: float, now: datetime) -> None:
        post_json(self.url, payload, timeout)


class SlackReceiver(WebhookReceiver):
    def send(self, payload: Mapping[str, Any], timeout: float, now: datetime) -> None:
        post_json(self.url, slack_message(payload), timeout)


class AlertmanagerReceiver(WebhookReceiver):
    def send(self, payload: Mapping[str, Any], timeout: float, now: datetime) -> None:
        post_json(self.url.rstrip("/") + "/api/v2/alerts", alertmanager_alerts(payload, now, AM_RESEND), timeout)


class LogReceiver:
    def __init__(self, name: str, url: str = "", send_resolved: bool = True) -> None:
        self.name, self.send_resolved = name, send_resolved

    def send(self, payload: Mapping[str, Any], timeout: float, now: datetime) -> None:
        for a in payload["alerts"]:
            log.warning("ALERT %s [%s] %s", a["status"].upper(), payload["groupKey"], a["annotations"].get("summary"))


KINDS: dict[str, type] = {"webhook": WebhookReceiver, "slack": SlackReceiver, "alertmanager": AlertmanagerReceiver,
                          "log": LogReceiver}


def default_spec(environ: Mapping[str, str]) -> ReceiverSpec:
    """`default`, unless declared: ALERT_WEBHOOK_URL's webhook when it is set, else the log."""
    if environ.get("ALERT_WEBHOOK_URL", "").strip():
        return ReceiverSpec(DEFAULT_RECEIVER, "webhook", "${ALERT_WEBHOOK_URL}")
    return ReceiverSpec(DEFAULT_RECEIVER, "log")


def build_receiver(spec: ReceiverSpec, environ: Mapping[str, str]) -> Receiver:
    url = resolve(spec.url, environ, f"alerting receiver {spec.name!r}").strip() if spec.url else ""
    if spec.kind != "log" and not url.startswith(("https://", "http://")):
        raise ConfigError(f"alerting receiver {spec.name!r}: its url must be http(s)://, and is {url[:8]!r}...")
    return KINDS[spec.kind](spec.name, url, spec.send_resolved)


def spec_for(rules: AlertingRules, name: str, environ: Mapping[str, str]) -> ReceiverSpec:
    return rules.receivers.get(name) or default_spec(environ)
