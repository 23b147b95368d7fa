"""config.yaml ``kpis:`` — score profiles, duration flags, the repeat and conversion windows, QA review limits.

Every key has a default, so ``kpis: {}`` (or no ``kpis`` at all) gives the seeds' profiles.

```yaml
kpis:
  timezone: Asia/Shanghai        # where a day starts: "today", daily rollups, the report
  profiles:                      # first profile listing one of an agent's groups wins
    presales:   {groups: [presales],   weights: {response_speed: 30, conversion: 40, good_reviews: 30}}
    aftersales: {groups: [aftersales], weights: {dispute_resolution: 50, complaint_rate: 30, response_speed: 20}}
  default_weights: {reply_rate_3m: 25, first_contact_resolution: 25, good_reviews: 25, complaint_rate: 25}
  bounds: {response_speed: {worst: 120, best: 10}}   # override a metric's 0..100 normalisation
  duration: {too_short: 30s, too_long: 30m}
  repeat_window: 24h             # a customer back within this after a close: a repeat inquiry
  conversion_window: 3d          # an order within this after the chat opened: a conversion
  rollup_every: 5m               # refresh of the daily rollups of the days that may still change
  review: {long_wait: 3m, slow_first_response: 60s, dissatisfied_messages: 2}
```
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.durations import Duration
from kpis.scores import NORMALISERS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (write an IANA name such as Asia/Shanghai)") from None
    return name


def _known_metrics(weights: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(NORMALISERS))
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; scorable: {', '.join(sorted(NORMALISERS))}")
    if any(w <= 0 for w in weights.values()):
        raise ValueError("weights must be positive")
    if not weights:
        raise ValueError("a profile needs at least one weight")
    return weights


class Profile(_Strict):
    """Weights (any positive numbers; they are normalised) of the metrics that score agents of ``groups``."""

    groups: list[str] = Field(default_factory=list)
    weights: dict[str, float]

    @field_validator("weights")
    @classmethod
    def _scorable(cls, weights: dict[str, float]) -> dict[str, float]:
        return _known_metrics(weights)


class Bounds(_Strict):
    """A metric scores 0 at ``worst`` and 100 at ``best``, linearly between, clamped outside."""

    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> Bounds:
        if self.worst == self.best:
            raise ValueError("worst and best must differ")
        return self


class DurationFlags(_Strict):
    too_short: Duration = 30.0
    too_long: Duration = 1800.0

    @model_validator(mode="after")
    def _ordered(self) -> DurationFlags:
        if self.too_short >= self.too_long:
            raise ValueError("too_short must be shorter than too_long")
        return self


class ReviewConfig(_Strict):
    """Limits of the quality review at close (handlers.review)."""

    long_wait: Duration = 180.0              # a wait longer than this is a problem (the 3-minute line)
    slow_first_response: Duration = 60.0     # so is a first response slower than this
    dissatisfied_messages: int = Field(2, ge=1)  # negative or angry customer messages that make it "repeatedly"
    praise_score: float = Field(0.6, gt=0, le=1)  # emotion score of a customer message that praises
    angry_peak: float = Field(0.7, gt=0, le=1)   # anger a customer reached for "turned angry to calm"
    calm_level: float = Field(0.3, ge=0, lt=1)   # smoothed anger at the end below which they were calm


def _default_profiles() -> dict[str, Profile]:
    return {"presales": Profile(groups=["presales"],
                                weights={"response_speed": 30, "conversion": 40, "good_reviews": 30}),
            "aftersales": Profile(groups=["aftersales"],
                                  weights={"dispute_resolution": 50, "complaint_rate": 30, "response_speed": 20})}


class KpisConfig(_Strict):
    timezone: Annotated[str, AfterValidator(_known_timezone)] = "Asia/Shanghai"   # where days start
    profiles: dict[str, Profile] = Field(default_factory=_default_profiles)
    default_weights: dict[str, float] = Field(default_factory=lambda: {
        "reply_rate_3m": 25, "first_contact_resolution": 25, "good_reviews": 25, "complaint_rate": 25})
    bounds: dict[str, Bounds] = Field(default_factory=dict)
    duration: DurationFlags = DurationFlags()
    repeat_window: Duration = 86400.0
    conversion_window: Duration = 3 * 86400.0
    rollup_every: Duration = 300.0   # how often past days' rollups are refreshed (kpis.rollup)
    review: ReviewConfig = ReviewConfig()

    @field_validator("default_weights")
    @classmethod
    def _scorable(cls, weights: dict[str, float]) -> dict[str, float]:
        return _known_metrics(weights)

    @field_validator("bounds")
    @classmethod
    def _known_bounds(cls, bounds: dict[str, Bounds]) -> dict[str, Bounds]:
        unknown = sorted(set(bounds) - set(NORMALISERS))
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(unknown)}")
        return bounds

