"""``python -m gateway report --since 24h [--format table|csv|json]``: the KPIs per agent, group and shop.

Also the flat CSV row shared with ``GET /v1/metrics/agents.csv``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gateway.durations import parse_duration
from gateway.timefmt import iso

Column = tuple[str, Callable[[Mapping[str, Any]], Any]]

COLUMNS: tuple[Column, ...] = (
    ("conversations", lambda f: f["conversations"]),
    ("waits", lambda f: f["waits"]),
    ("response_rate_30s", lambda f: f["response_rate_30s"]),
    ("reply_rate_3m", lambda f: f["reply_rate_3m"]),
    ("reply_rate_5m", lambda f: f["reply_rate_5m"]),
    ("first_response_mean_s", lambda f: f["first_response_time"]["mean_s"]),
    ("first_response_p50_s", lambda f: f["first_response_time"]["p50_s"]),
    ("first_response_p90_s", lambda f: f["first_response_time_p90_s"]),
    ("response_interval_mean_s", lambda f: f["response_interval"]["mean_s"]),
    ("duration_mean_s", lambda f: f["duration"]["mean_s"]),
    ("too_short", lambda f: f["duration"]["too_short"]),
    ("too_long", lambda f: f["duration"]["too_long"]),
    ("first_contact_resolution", lambda f: f["first_contact_resolution"]["rate"]),
    ("repeat_inquiry_rate", lambda f: f["repeat_inquiry"]["rate"]),
    ("csat_answered", lambda f: f["csat"]["answered"]["count"]),
    ("csat_answered_positive_rate", lambda f: f["csat"]["answered"]["positive_rate"]),
    ("csat_answered_mean_rating", lambda f: f["csat"]["answered"]["mean_rating"]),
    ("csat_inferred", lambda f: f["csat"]["inferred"]["count"]),
    ("csat_inferred_resolved_rate", lambda f: f["csat"]["inferred"]["resolved_rate"]),
    ("conversion_rate", lambda f: f["conversion"]["rate"]),
    ("complaint_rate", lambda f: f["complaints"]["rate"]),
    ("escalation_rate", lambda f: f["escalations"]["rate"]),
    ("transfers_per_conversation", lambda f: f["transfers"]["per_conversation"]),
    ("tickets_opened", lambda f: f["tickets_opened"]),
    ("violations", lambda f: f["violations"]["count"]),
    ("script_usage_rate", lambda f: f["scripts"]["usage_rate"]),
)
AGENT_COLUMNS: tuple[Column, ...] = (
    ("agent_id", lambda f: f["agent_id"]), ("name", lambda f: f["name"]), ("role", lambda f: f["role"]),
    ("groups", lambda f: " ".join(f["groups"])), ("profile", lambda f: f["score"]["profile"]),
    ("score", lambda f: f["score"]["value"]), ("given", lambda f: f["given"]), *COLUMNS)
TABLE = ("score", "conversations", "waits", "response_rate_30s", "reply_rate_3m", "reply_rate_5m",
         "first_response_mean_s", "first_response_p90_s", "first_contact_resolution", "repeat_inquiry_rate",
         "csat_answered_positive_rate", "csat_inferred_resolved_rate", "conversion_rate", "complaint_rate",
         "escalation_rate", "transfers_per_conversation", "tickets_opened", "violations")
SHORT = {"conversations": "chats", "response_rate_30s": "30s", "reply_rate_3m": "3m", "reply_rate_5m": "5m",
         "first_response_mean_s": "FRT s", "first_response_p90_s": "FRT p90", "first_contact_resolution": "FCR",
         "repeat_inquiry_rate": "repeat", "csat_answered_positive_rate": "CSAT ans",
         "csat_inferred_resolved_rate": "CSAT inf", "conversion_rate": "conv", "complaint_rate": "complaint",
         "escalation_rate": "escal", "transfers_per_conversation": "transfers", "tickets_opened": "tickets",
         "violations": "viol"}


def flat(figures: Mapping[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    return {name: read(figures) for name, read in columns}


def to_csv(report: Mapping[str, Any]) -> str:
    """One row per agent, then per group and per shop (``scope`` says which), the same columns."""
    out = io.StringIO()
    names = ["scope", "id", *[n for n, _ in AGENT_COLUMNS if n != "agent_id"]]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for agent in report["agents"]:
        row = flat(agent, AGENT_COLUMNS)
        writer.writerow({"scope": "agent", "id": row.pop("agent_id"), **row})
    for scope, key in (("group", "group"), ("shop", "shop_id")):
        for figures in report[scope + "s"]:
            writer.writerow({"scope": scope, "id": figures[key], **flat(figures, COLUMNS)})
    return out.getvalue()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return "-"
    if column.endswith("_rate") or column.startswith(("response_rate", "reply_rate", "first_contact")):
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def table(title: str, rows: Sequence[Mapping[str, Any]], key: str, label: str) -> str:
    """A plain-text table, aligned for Chinese names too (wide characters take two columns)."""
    headers = [label, *[SHORT.get(c, c) for c in TABLE if c in rows[0]]] if rows else [label]
    body = [[_cell(row[key]), *[_cell(row[c], c) for c in TABLE if c in row]] for row in rows]
    widths = [max(_width(r[i]) for r in [headers, *body]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([title, line(headers), line(["-" * w for w in widths]), *map(line, body)])


def render(report: Mapping[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return to_csv(report)
    agents = [{**flat(a, AGENT_COLUMNS), "who": f"{a['agent_id']} {a['name'] or ''}".strip()}
              for a in report["agents"]]
    groups = [{**flat(g, COLUMNS), "who": g["group"]} for g in report["groups"]]
    shops = [{**flat(s, COLUMNS), "who": s["shop_id"]} for s in report["shops"]]
    return "\n\n".join([f"KPIs {report['from']} .. {report['to']}",
                        table("Agents", agents, "who", "agent"), table("Groups", groups, "who", "group"),
                        table("Shops", shops, "who", "shop")])


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", default="24h", help="how far back: 30m, 24h, 7d (default 24h)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def run_report(args: argparse.Namespace, out=None) -> int:
    """The ``report`` subcommand: reads the database named in the config; ConfigError goes up to __main__."""
    from gateway.config import load_config

    config = load_config(args.config or os.environ.get("GATEWAY_CONFIG") or "config.yaml")
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"--since: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(compute(config, since))
    print(render(report, args.format), file=out or sys.stdout)
    return 0


async def compute(config, since: float) -> dict[str, Any]:
    from gateway.db import Database
    from kpis.service import KpiService
    from scheduler.business_hours import BusinessCalendar

    db = Database(config.database.url)
    await db.start()
    try:
        now = time.time()
        service = KpiService(db, config, BusinessCalendar(config.watchdog.business_hours))
        return {"from": iso(now - since), "to": iso(now), **await service.report(now - since, now, now)}
    finally:
        await db.close()
