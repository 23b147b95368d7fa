"""Business hours: when the shop is open, and deadlines that only count open time.

A watchdog stage of "60 s without a reply" means 60 s of *open* time: a customer who writes at 17:59:30
on a Friday is nudged about at 09:00:30 on Monday, not at 18:00:30. The watchdog arms its deadline at
``add_business_seconds(now, after)``, which is how deadlines pause outside hours without the deadline
store knowing anything about calendars. Times are epoch seconds; open intervals are wall-clock times in the
configured timezone (zoneinfo, so days with a DST change are as long as they really are).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from scheduler.config import BusinessHoursConfig

Window = tuple[float, float]
"""An open interval ``[start, end)`` in epoch seconds."""


class BusinessCalendar:
    """Open-time arithmetic over a :class:`BusinessHoursConfig`; ``None`` means always open."""

    def __init__(self, config: BusinessHoursConfig | None) -> None:
        self._config = config
        self._zone = ZoneInfo(config.timezone) if config else None
        self._holidays = frozenset(config.holidays) if config else frozenset()
        # Every deadline armed computes the windows of today and the next open days: keep recent days.
        self._windows_on = lru_cache(maxsize=64)(self._compute_windows)

    def is_open(self, t: float) -> bool:
        """Whether ``t`` falls inside an open interval (the closing instant itself is closed)."""
        if self._config is None:
            return True
        return any(start <= t < end for start, end in self._windows_on(self._local_date(t)))

    def next_open(self, t: float) -> float:
        """``t`` if open, else the next opening."""
        if self._config is None:
            return t
        start, _ = next(self._windows_from(t))
        return start

    def add_business_seconds(self, start: float, seconds: float) -> float:
        """The instant when ``seconds`` of open time have passed since ``start``: a deadline's due time."""
        if self._config is None:
            return start + seconds
        windows = self._windows_from(start)
        begin, end = next(windows)
        while seconds > end - begin:
            seconds -= end - begin
            begin, end = next(windows)
        return begin + seconds

    def business_seconds_between(self, a: float, b: float) -> float:
        """Open time from ``a`` to ``b`` (0 if ``b`` is not later): how long a customer really waited."""
        if self._config is None:
            return max(0.0, b - a)
        total = 0.0
        windows = self._windows_from(a)
        begin, end = next(windows)
        while begin < b:
            total += min(end, b) - begin
            begin, end = next(windows)
        return total

    def _windows_from(self, t: float) -> Iterator[Window]:
        """Open windows from ``t`` on, the first clipped at ``t``; endless, as the config opens some day."""
        day = self._local_date(t)
        while True:
            for start, end in self._windows_on(day):
                if end > t:
                    yield max(start, t), end
            day += timedelta(days=1)

    def _compute_windows(self, day: date) -> tuple[Window, ...]:
        if day in self._holidays:
            return ()
        hours = self._config.hours_on(day.weekday())
        return tuple((self._epoch(day, start), self._epoch(day, end)) for start, end in hours)

    def _epoch(self, day: date, seconds_after_midnight: int) -> float:
        # Wall-clock arithmetic first, then the zone: 09:00 stays 09:00 on a day with a DST change.
        wall = datetime.combine(day, time()) + timedelta(seconds=seconds_after_midnight)
        return wall.replace(tzinfo=self._zone).timestamp()

    def _local_date(self, t: float) -> date:
        return datetime.fromtimestamp(t, self._zone).date()
