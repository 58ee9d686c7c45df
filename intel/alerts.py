"""Instant alerts: important events pushed through apprise (Slack, Teams, webhooks, email).

Each (event, target) is recorded in the store: a failed alert is retried on the next run
and a delivered one is never sent again. A target is recorded by the hash of its URL as
written in the watchlist (before `${VAR}` expansion), so secrets never reach the store.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)
_VAR = re.compile(r"\$\{(\w+)\}")


def expand(url: str, environ: dict[str, str]) -> str:
    """`slack://${SLACK_TOKEN}` -> the token from the environment; a missing one is an error."""

    def sub(m: re.Match) -> str:
        if m.group(1) not in environ:
            raise KeyError(m.group(1))
        return environ[m.group(1)]

    return _VAR.sub(sub, url)


def target_id(url_template: str) -> str:
    return hashlib.sha1(url_template.encode()).hexdigest()[:16]


def message(event: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of one alert."""
    sig = (event.get("signal") or "neutral").upper()
    title = f"[{sig}] {event.get('competitor')}: {event.get('why') or event['type']}"
    body = (
        f"{event.get('why') or event['type']}\n"
        f"Importance {float(event.get('importance') or 0):.2f} - {event.get('url') or ''}"
    )
    return title[:250], body


def send_alerts(
    store: Any, config: Any, *, now: datetime | None = None, environ: dict[str, str] | None = None
) -> dict[str, int]:
    """Send every due alert; returns counts of sent, failed and skipped."""
    import apprise

    environ = dict(os.environ) if environ is None else environ
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=config.max_age_days)).isoformat(timespec="seconds")
    events = [
        e
        for e in store.events(since=since, min_importance=config.min_importance)
        if (e.get("signal") or "neutral") in config.signals
    ]
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for template in config.urls:
        tid = target_id(template)
        try:
            url = expand(template, environ)
        except KeyError as missing:
            log.error("alert target skipped: environment variable %s is not set", missing)
            counts["skipped"] += len(events)
            continue
        notifier = apprise.Apprise()
        if not notifier.add(url):
            log.error("alert target %s is not a URL apprise understands", tid)
            counts["skipped"] += len(events)
            continue
        for event in sorted(events, key=lambda e: e["id"]):
            if store.alert_status(event["id"], tid) == "sent":
                continue
            title, body = message(event)
            ok = bool(notifier.notify(title=title, body=body))
            store.record_alert(event["id"], tid, ok, None if ok else "apprise could not deliver")
            counts["sent" if ok else "failed"] += 1
    return counts
