"""Exports a BI tool reads directly, and instant alerts delivered once to a real webhook."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
from click.testing import CliRunner

from intel.alerts import send_alerts
from intel.cli import cli
from intel.store import Store
from intel.watchlist import parse_watchlist

WL = """
crawl: {allow_private_networks: true}
alerts: {urls: ["json://127.0.0.1:PORT/hook/${HOOK_TOKEN}"], min_importance: 0.5}
competitors:
  - name: Acme
    pages: [{url: http://127.0.0.1:9/pricing, kind: pricing}]
"""


def seeded_store(data, now="2026-11-20T02:00:00+00:00"):
    wl = parse_watchlist(WL.replace("PORT", "1"))
    with Store.open(data) as st:
        pid = st.sync_watchlist(wl)["http://127.0.0.1:9/pricing"]
        sid = st.add_snapshot(
            None, pid, url="http://127.0.0.1:9/pricing", status=200, body=b"x", fetched_at=now
        )
        plans = {
            "plans": [
                {
                    "name": "Team",
                    "features": ["SSO"],
                    "prices": [
                        {
                            "amount": 29.0,
                            "currency": "USD",
                            "period": "month",
                            "billing": "monthly",
                            "per_seat": True,
                        }
                    ],
                }
            ]
        }
        st.save_processed(
            st.snapshot(sid),
            outcome="changed",
            extraction=("pricing", 1, plans),
            found_at=now,
            events=[
                {
                    "type": "price_change",
                    "plan": "Team",
                    "old_price": 19.0,
                    "new_price": 29.0,
                    "currency": "USD",
                    "period": "month",
                    "signal": "opportunity",
                    "importance": 0.8,
                    "tags": ["pricing"],
                    "why": "Price rise 53% on Team",
                    "key": "a",
                },
                {
                    "type": "feature_added",
                    "feature": "SSO",
                    "plan": "Team",
                    "signal": "threat",
                    "importance": 0.2,
                    "tags": ["security"],
                    "why": "SSO added",
                    "key": "b",
                },
            ],
        )
    return wl


def test_events_export_to_parquet_reads_back_typed(tmp_path):
    seeded_store(tmp_path)
    out = tmp_path / "events.parquet"
    r = CliRunner().invoke(
        cli, ["export", "events", "--data", str(tmp_path), "--format", "parquet", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out)
    assert len(df) == 2
    assert str(df["found_at"].dtype).startswith("datetime64") and df["found_at"].dt.tz is not None
    assert df["new_price"].dtype == "float64"
    row = df[df["type"] == "price_change"].iloc[0]
    assert (row["competitor"], row["plan"], row["old_price"], row["new_price"]) == (
        "Acme",
        "Team",
        19.0,
        29.0,
    )


def test_prices_export_to_csv_one_row_per_observation(tmp_path):
    seeded_store(tmp_path)
    r = CliRunner().invoke(cli, ["export", "prices", "--data", str(tmp_path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert rows == [
        {
            "observed_at": "2026-11-20T02:00:00Z",
            "competitor": "Acme",
            "url": "http://127.0.0.1:9/pricing",
            "plan": "Team",
            "amount": "29.0",
            "currency": "USD",
            "period": "month",
            "billing": "monthly",
            "per_seat": "True",
            "custom": "False",
            "free": "False",
        }
    ]


def test_xlsx_needs_out_and_plans_export_works(tmp_path):
    seeded_store(tmp_path)
    r = CliRunner().invoke(cli, ["export", "plans", "--data", str(tmp_path), "--format", "xlsx"])
    assert r.exit_code == 2 and "--out" in r.output
    out = tmp_path / "plans.xlsx"
    r = CliRunner().invoke(
        cli, ["export", "plans", "--data", str(tmp_path), "--format", "xlsx", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    df = pd.read_excel(out)
    assert list(df["plan"]) == ["Team"] and df["feature_count"].iloc[0] == 1


class Hook:
    """A real local HTTP endpoint that records webhook POSTs."""

    def __init__(self, port: int) -> None:
        self.received: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                outer.received.append({"path": self.path, "json": json.loads(self.rfile.read(n))})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), H)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_alert_delivered_once_and_retried_after_failure(tmp_path):
    from datetime import UTC, datetime

    port = free_port()
    seeded_store(tmp_path)
    wl = parse_watchlist(WL.replace("PORT", str(port)))
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    env = {"HOOK_TOKEN": "s3cret"}
    with Store.open(tmp_path) as st:
        down = send_alerts(st, wl.alerts, now=now, environ=env)  # nobody listens yet
        assert down == {"sent": 0, "failed": 1, "skipped": 0}
        with Hook(port) as hook:
            assert send_alerts(st, wl.alerts, now=now, environ=env)["sent"] == 1
            assert send_alerts(st, wl.alerts, now=now, environ=env)["sent"] == 0
        stored = st.conn.execute("SELECT target, status, attempts FROM alerts").fetchall()
    assert len(hook.received) == 1, "only the event above min_importance, exactly once"
    payload = hook.received[0]
    assert payload["path"] == "/hook/s3cret"
    assert "Price rise 53% on Team" in payload["json"]["title"]
    assert "OPPORTUNITY" in payload["json"]["title"]
    assert stored[0][1:] == ("sent", 2)
    assert "s3cret" not in stored[0][0]
