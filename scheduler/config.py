"""The ``watchdog:`` section of config.yaml: staged reply deadlines, idle close, business hours, red line.

Key names from config-v1 are a contract (``first_response``, ``reply``, ``idle_close``); the others are
additions with defaults, so an empty ``watchdog:`` behaves like config-v1's example.

```yaml
watchdog:
  disconnect_grace: 60s          # an agent's WebSocket may drop this long before its chats are reassigned
  business_hours:                # omit (the default) for always open
    timezone: Asia/Shanghai
    mon: ["09:00-12:00", "13:30-18:00"]
    sat: ["10:00-16:00"]         # a weekday not listed is closed; 24:00 closes at midnight
    holidays: [2025-10-01, 2025-10-02]
    off_hours_reply: "亲，现在是非工作时间，客服上班后第一时间回复您～"
  at_risk: {red_line: 0.8, warn_margin: 0.05}
```
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from gateway.durations import Duration

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Field names of the open hours, indexed by ``date.weekday()``."""

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WatchdogStage(_Strict):
    """One stage: ``after`` this long without an agent reply, take ``action``."""

    after: Duration
    action: Literal["nudge_agent", "alert_supervisor", "reassign", "auto_reply"]
    text: str | None = None

    @model_validator(mode="after")
    def _auto_reply_has_text(self) -> WatchdogStage:
        if self.action == "auto_reply" and not self.text:
            raise ValueError("an auto_reply stage needs its text (what the customer is sent)")
        return self


def _in_order(stages: tuple[WatchdogStage, ...]) -> tuple[WatchdogStage, ...]:
    """Stages fire in list order, so a later stage with a shorter ``after`` would be a config mistake."""
    for earlier, later in zip(stages, stages[1:]):
        if later.after <= earlier.after:
            raise ValueError(
                f"stages must be in increasing `after` order: {later.after:g}s follows {earlier.after:g}s"
            )
    return stages


Stages = Annotated[tuple[WatchdogStage, ...], AfterValidator(_in_order)]


def _parse_interval(value: object) -> tuple[int, int]:
    """``"09:00-18:00"`` -> seconds after local midnight ``(32400, 64800)``; an interval ends by 24:00."""
    match = _INTERVAL.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not an open interval (write it as 09:00-18:00)")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_m > 59 or end_m > 59 or start_h > 23 or (end_h, end_m) > (24, 0):
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    start, end = start_h * 3600 + start_m * 60, end_h * 3600 + end_m * 60
    if start >= end:
        raise ValueError(f"{value!r} ends before it starts; split a night shift at 24:00 over two days")
    return start, end


def _disjoint(intervals: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    ordered = tuple(sorted(intervals))
    for (_, end), (start, _) in zip(ordered, ordered[1:]):
        if start < end:
            raise ValueError("open intervals of one day overlap")
    return ordered


DayHours = Annotated[
    tuple[Annotated[tuple[int, int], BeforeValidator(_parse_interval)], ...], AfterValidator(_disjoint)
]


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (write an IANA name such as Asia/Shanghai)") from None
    return name


class BusinessHoursConfig(_Strict):
    """Open hours per weekday in ``timezone``; deadlines pause outside them and on ``holidays``."""

    timezone: Annotated[str, AfterValidator(_known_timezone)] = "Asia/Shanghai"
    mon: DayHours = ()
    tue: DayHours = ()
    wed: DayHours = ()
    thu: DayHours = ()
    fri: DayHours = ()
    sat: DayHours = ()
    sun: DayHours = ()
    holidays: tuple[date, ...] = ()
    off_hours_reply: str | None = None

    @model_validator(mode="after")
    def _opens_some_day(self) -> BusinessHoursConfig:
        # A calendar that never opens would postpone every deadline forever.
        if not any(self.hours_on(weekday) for weekday in range(7)):
            raise ValueError("business_hours opens on no weekday: give one of mon..sun an interval")
        return self

    def hours_on(self, weekday: int) -> tuple[tuple[int, int], ...]:
        """Open intervals (seconds after local midnight) of a ``date.weekday()``."""
        return getattr(self, WEEKDAYS[weekday])


class AtRiskConfig(_Strict):
    """Supervisors are warned when the 5-minute reply rate falls below ``red_line + warn_margin``."""

    red_line: float = Field(0.8, gt=0, le=1)
    warn_margin: float = Field(0.05, ge=0, lt=1)
    min_periods: int = Field(10, ge=1, description="no verdict on fewer decided waits than this")
    check_every: Duration = 30.0
    timezone: Annotated[str, AfterValidator(_known_timezone)] = "Asia/Shanghai"   # where "today" starts


DEFAULT_FIRST_RESPONSE = (
    WatchdogStage(after=30, action="nudge_agent"),
    WatchdogStage(after=60, action="alert_supervisor"),
    WatchdogStage(after=180, action="reassign"),
    WatchdogStage(after=270, action="auto_reply", text="亲，客服正在为您查询，请稍候～"),
)
DEFAULT_REPLY = (
    WatchdogStage(after=60, action="nudge_agent"),
    WatchdogStage(after=180, action="alert_supervisor"),
)


class WatchdogConfig(_Strict):
    """``watchdog:`` — defaults are config-v1's example."""

    first_response: Stages = DEFAULT_FIRST_RESPONSE
    reply: Stages = DEFAULT_REPLY
    idle_close: Duration = 600.0
    disconnect_grace: Duration = 60.0
    business_hours: BusinessHoursConfig | None = None
    at_risk: AtRiskConfig = Field(default_factory=AtRiskConfig)
