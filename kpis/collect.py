"""Counting one stretch of time from the raw records: the KPI queries, run and added up into cells.

The range is cut at local midnights (``kpis.timezone``); each day is read from its rollup when one was
computed (:mod:`kpis.rollup`), else counted here from the raw records, so a month costs a few raw days at
most. Waits are counted per open interval of the business hours, the bulk in SQL and the few that were handed
over or cross closed hours one by one (:func:`kpis.metrics.split_wait`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kpis import queries as q
from kpis.metrics import NOT_PER_AGENT, Cells, Holders, bulk_counts, bulk_values, split_wait

Scripts = dict[str, Counter]


@dataclass(frozen=True, slots=True)
class Settings:
    """What counting needs from config: ``kpis`` (KpisConfig), the business hours (or None), the calendar."""

    kpis: object
    hours: object | None
    calendar: object

    @classmethod
    def of(cls, config, calendar) -> Settings:
        return cls(config.kpis, config.watchdog.business_hours, calendar)


def day_segments(since: float, until: float, timezone: str) -> list[tuple[float, float, bool]]:
    """``[since, until)`` cut at local midnights: (start, end, whether it is a whole day)."""
    zone = ZoneInfo(timezone)
    day = datetime.fromtimestamp(since, zone).date()
    segments, start = [], since
    while start < until:
        day += timedelta(days=1)
        cut = midnight_of(day, zone)
        end = min(cut, until)
        whole = end == cut and start == midnight_of(day - timedelta(days=1), zone)
        segments.append((start, end, whole))
        start = end
    return segments


def midnight_of(day: date, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(), zone).timestamp()


def open_windows(hours, since: float, until: float) -> tuple[list[q.Window], list[tuple[float, float]]]:
    """Open intervals (clipped to the range for where waits begin) and the closed gaps between them."""
    if hours is None:
        return [q.Window(since, until, None)], []
    zone = ZoneInfo(hours.timezone)
    day = datetime.fromtimestamp(since, zone).date() - timedelta(days=1)
    windows, gaps, cursor = [], [], since
    while midnight_of(day, zone) < until:
        if day not in hours.holidays:
            for start, end in hours.hours_on(day.weekday()):
                begin = _wall(day, start, zone)
                finish = _wall(day, end, zone)
                lo, hi = max(begin, since), min(finish, until)
                if lo < hi:
                    if cursor < lo:
                        gaps.append((cursor, lo))
                    windows.append(q.Window(lo, hi, finish))
                    cursor = hi
        day += timedelta(days=1)
    if cursor < until:
        gaps.append((cursor, until))
    return windows, gaps


def _wall(day: date, seconds: int, zone: ZoneInfo) -> float:
    """Wall-clock time first, then the zone, as the business calendar does (09:00 stays 09:00 across DST)."""
    return (datetime.combine(day, time()) + timedelta(seconds=seconds)).replace(tzinfo=zone).timestamp()


async def count_raw(db, settings: Settings, since: float, until: float, now: float) -> tuple[Cells, Scripts]:
    """Every counter of ``[since, until)`` from the raw records."""
    cells = Cells()
    async with db.connect() as conn:
        await _count_waits(conn, cells, settings, since, until, now)
        await _count_conversations(conn, cells, settings.kpis, since, until)
        scripts = {row["script_id"]: Counter({k: float(v or 0) for k, v in row.items() if k != "script_id"})
                   for row in await q.script_outcomes(conn, since, until)}
    return cells, scripts


async def _count_waits(conn, cells: Cells, settings: Settings, since: float, until: float, now: float) -> None:
    windows, gaps = open_windows(settings.hours, since, until)
    handed = await q.handed_over(conn, since, until)
    for window in windows:
        cells.merge(bulk_counts(await q.wait_tallies(conn, window, now, handed)))
        cells.merge(bulk_values(await q.first_response_values(conn, window, now, handed)))
    special = await q.special_waits(conn, windows, gaps, now, handed, since, until)
    holders = await q.assignments(conn, {p["conversation_id"] for p in special})
    for period in special:
        who = Holders(holders.get(period["conversation_id"], ()), period["agent_id"])
        cells.merge(split_wait(period, who, settings.calendar, now))


async def _count_conversations(conn, cells: Cells, kpis, since: float, until: float) -> None:
    cells.add_rows(await q.conversation_outcomes(conn, since, until, kpis.duration.too_short,
                                                 kpis.duration.too_long, kpis.repeat_window,
                                                 kpis.conversion_window))
    hand_overs = await q.hand_overs(conn, since, until)
    cells.add_rows(hand_overs["given"])
    cells.add_rows(hand_overs["passes"])
    cells.add_rows(hand_overs["transfers"], agent=NOT_PER_AGENT)
    cells.add_rows(await q.escalations(conn, since, until))
    cells.add_rows(await q.complaints(conn, since, until))
    cells.add_rows(await q.tickets(conn, since, until))
    for row in await q.violations(conn, since, until):
        count = float(row["violations"])
        cells.cell(row["agent"], row["group"], row["shop"]).add({"violations": count,
                                                                 f"violation:{row['code']}": count})
    cells.add_rows(await q.replies(conn, since, until))
