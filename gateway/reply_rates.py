"""Reply rates from the durable reply periods: 30-second response rate, 3- and 5-minute reply rates and first
response time, per agent and per shop, over any time range (live: since local midnight).

A wait counts once it is decided for a threshold: answered (within or late), or still waiting / closed after
the threshold passed (a miss). A wait younger than the threshold is not decided yet and not counted, so a
rate never drops merely because customers wrote a second ago. Only an agent's reply answers a wait:
auto-replies and bot replies do not.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gateway.db import Database
from gateway.models import ReplyPeriod

THRESHOLDS = {"response_rate_30s": (30.0, ("first_response",)),
              "reply_rate_3m": (180.0, ("first_response", "reply")),
              "reply_rate_5m": (300.0, ("first_response", "reply"))}


@dataclass(slots=True)
class Tally:
    waits: int = 0
    open: int = 0
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    decided: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_response_s: list[float] = field(default_factory=list)

    def add(self, period: dict[str, Any], now: float) -> None:
        self.waits += 1
        self.open += period["outcome"] == "waiting"
        if period["kind"] == "first_response" and period["outcome"] == "answered":
            self.first_response_s.append(period["waited_s"])
        for name, (threshold, kinds) in THRESHOLDS.items():
            if period["kind"] in kinds:
                verdict = _verdict(period, threshold, now)
                if verdict is not None:
                    self.decided[name] += 1
                    self.hits[name] += verdict

    def rate(self, name: str) -> float | None:
        decided = self.decided[name]
        return round(self.hits[name] / decided, 4) if decided else None

    def report(self) -> dict[str, Any]:
        times = self.first_response_s
        return {"waits": self.waits, "waiting_now": self.open,
                **{name: self.rate(name) for name in THRESHOLDS},
                "decided": dict(self.decided),
                "first_response_time": {"count": len(times),
                                        "mean_s": round(statistics.fmean(times), 2) if times else None,
                                        "p50_s": round(statistics.median(times), 2) if times else None}}


def _verdict(period: dict[str, Any], threshold: float, now: float) -> bool | None:
    if period["outcome"] == "answered":
        return period["waited_s"] <= threshold
    waited = period["waited_s"] if period["outcome"] == "closed" else now - period["started_at"]
    return False if waited > threshold else None


async def reply_rates(db: Database, since: float, until: float, now: float) -> dict[str, dict[str, Tally]]:
    """Tallies by agent and by shop of the waits that began in [since, until)."""
    table = ReplyPeriod.__table__
    query = select(table).where(table.c.started_at >= since, table.c.started_at < until)
    by_agent: dict[str, Tally] = defaultdict(Tally)
    by_shop: dict[str, Tally] = defaultdict(Tally)
    async with db.connect() as conn:
        for period in (await conn.execute(query)).mappings():
            by_agent[period["agent_id"] or "(unassigned)"].add(period, now)
            by_shop[period["shop_id"]].add(period, now)
    return {"agents": dict(by_agent), "shops": dict(by_shop)}


def start_of_day(now: float, timezone: str) -> float:
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, zone)
    return datetime.combine(local.date(), dtime(0), zone).timestamp()
