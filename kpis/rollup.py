"""Daily rollups: each past day's counters stored once computed, so a month of KPIs reads ~30 small rows per
cell instead of a million messages.

A day's figures keep changing for a while after midnight (survey answers, customers coming back within the
repeat window, orders within the conversion window), so :func:`refresh` recomputes the days that may still
change at every run and marks a day ``final`` once ``settle`` has passed; a final day is never recomputed.
Several gateway processes may refresh at once: rows have deterministic ids (upserts), and rows a newer
computation no longer produced are deleted, so the result is one of the equally right computations.
Today is never rolled up: it is counted live.
"""

from __future__ import annotations

import asyncio
import json
import time as _time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, bindparam, cast, delete, select

from gateway.db import Database, Write, upsert
from kpis.collect import Scripts, Settings, count_raw, midnight_of
from kpis.metrics import Cells
from kpis.models import KpiRollup, KpiRollupDay

R = KpiRollup.__table__
RD = KpiRollupDay.__table__
SETTLE_MARGIN = 86400.0    # a chat may last into the next day before its repeat/conversion clocks start


async def refresh_job(services) -> None:
    """The periodic job (APScheduler, every ``kpis.rollup_every``): refresh from the gateway's services."""
    await refresh(services.db, Settings.of(services.config, services.calendar), services.clock())


def settle(kpis) -> float:
    return max(kpis.repeat_window, kpis.conversion_window) + SETTLE_MARGIN


async def computed_days(db: Database, since: float, until: float) -> set[float]:
    """Starts of the days in ``[since, until)`` that have rollups."""
    query = select(RD.c.day).where(RD.c.day >= since, RD.c.day < until)
    async with db.connect() as conn:
        return set((await conn.execute(query)).scalars())


async def load(db: Database, days: set[float]) -> tuple[Cells, Scripts]:
    """The rollups of ``days`` added up. The JSON is fetched as text and decoded and added in a worker thread:
    a month is ~10,000 rows, ~100 ms of CPU that the event loop (customers' messages) must not wait for."""
    if not days:
        return Cells(), {}
    query = select(R.c.agent_id, R.c.group, R.c.shop_id, R.c.script_id, cast(R.c.counts, Text),
                   cast(R.c.samples, Text)).where(R.c.day.in_(sorted(days)))
    async with db.connect() as conn:
        rows = (await conn.execute(query)).all()
    return await asyncio.to_thread(_add_up, rows)


def _add_up(rows) -> tuple[Cells, Scripts]:
    cells, scripts = Cells(), {}
    for agent, group, shop, script, counts, samples in rows:
        if script is not None:
            scripts.setdefault(script, Counter()).update(json.loads(counts))
        else:
            cells.cell(agent, group, shop).add(json.loads(counts), json.loads(samples))
    return cells, scripts


async def refresh(db: Database, settings: Settings, now: float, backfill_days: int = 45,
                  max_days: int = 10) -> list[str]:
    """(Re)compute the rollups of past days that lack one or may still change, newest first; returns them."""
    zone = ZoneInfo(settings.kpis.timezone)
    today = datetime.fromtimestamp(now, zone).date()
    async with db.connect() as conn:
        final = set((await conn.execute(select(RD.c.id).where(RD.c.final.is_(True)))).scalars())
    done = []
    for back in range(1, backfill_days + 1):
        day = today - timedelta(days=back)
        if day.isoformat() in final:
            continue
        await _roll_up(db, settings, day, zone, now)
        done.append(day.isoformat())
        if len(done) >= max_days:
            break
    return done


async def _roll_up(db: Database, settings: Settings, day, zone: ZoneInfo, now: float) -> None:
    start, end = midnight_of(day, zone), midnight_of(day + timedelta(days=1), zone)
    cells, scripts = await count_raw(db, settings, start, end, now)
    stamp = _time.time()
    statement = upsert(db.dialect, R)
    writes = [Write(statement, _cell_row(day.isoformat(), start, key, cell, stamp)) for key, cell in cells.items()]
    writes += [Write(statement, _script_row(day.isoformat(), start, script, counts, stamp))
               for script, counts in scripts.items()]
    writes.append(Write(delete(R).where(R.c.day == bindparam("d"), R.c.computed_at < bindparam("stamp")),
                        {"d": start, "stamp": stamp}))
    writes.append(Write(upsert(db.dialect, RD), {"id": day.isoformat(), "day": start, "day_end": end,
                                                 "computed_at": stamp,
                                                 "final": end + settle(settings.kpis) < now}))
    await db.write(*writes)


def _cell_row(day: str, start: float, key, cell, stamp: float) -> dict[str, Any]:
    agent, group, shop = key
    return {"id": f"{day}|{agent}|{group}|{shop}", "day": start, "agent_id": agent, "group": group,
            "shop_id": shop, "script_id": None, "counts": dict(cell.counts), "samples": cell.values,
            "computed_at": stamp}


def _script_row(day: str, start: float, script: str, counts: Counter, stamp: float) -> dict[str, Any]:
    return {"id": f"{day}|script|{script}", "day": start, "agent_id": None, "group": None, "shop_id": None,
            "script_id": script, "counts": dict(counts), "samples": {}, "computed_at": stamp}
