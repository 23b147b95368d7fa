"""The weighted score of an agent: each metric normalised to 0..100 between documented bounds, then the weighted
mean over the metrics of the agent's profile (config ``kpis.profiles``, chosen by the agent's groups).

Pure. A metric without data in the range (no surveys, no orders…) is left out and the remaining weights are
renormalised; ``coverage`` says which share of the profile's weight had data, so a score built on a sliver of
the profile can be told apart. No data at all: no score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Normaliser:
    """0 points at ``worst``, 100 at ``best``, linear between and clamped outside (either may be the larger)."""

    worst: float
    best: float
    meaning: str

    def points(self, value: float) -> float:
        share = (value - self.worst) / (self.best - self.worst)
        return round(100.0 * min(1.0, max(0.0, share)), 1)


NORMALISERS: dict[str, Normaliser] = {
    "response_speed": Normaliser(120.0, 10.0, "mean response interval over all answered waits, seconds"),
    "first_response_time": Normaliser(90.0, 10.0, "mean first response time, seconds"),
    "response_rate_30s": Normaliser(0.5, 1.0, "share of first waits answered within 30 s"),
    "reply_rate_3m": Normaliser(0.7, 1.0, "share of waits answered within 3 minutes"),
    "reply_rate_5m": Normaliser(0.8, 1.0, "share of waits answered within 5 minutes"),
    "conversion": Normaliser(0.0, 0.5, "share of chats followed by the customer's order within the window"),
    "good_reviews": Normaliser(0.6, 1.0, "share of answered surveys that are positive"),
    "csat_rating": Normaliser(3.0, 5.0, "mean rating of answered surveys (1..5)"),
    "dispute_resolution": Normaliser(0.5, 1.0, "share of chats with a known outcome that were solved"),
    "first_contact_resolution": Normaliser(0.4, 0.9, "share solved without a repeat inquiry"),
    "repeat_inquiry_rate": Normaliser(0.3, 0.0, "share of chats followed by a repeat inquiry"),
    "complaint_rate": Normaliser(0.1, 0.0, "share of chats with a complaint"),
    "escalation_rate": Normaliser(0.2, 0.0, "escalations away from the agent per chat"),
    "transfers": Normaliser(0.5, 0.0, "passes away from the agent per chat"),
    "violations": Normaliser(5.0, 0.0, "reply-check violations per 100 replies"),
}


@dataclass(frozen=True, slots=True)
class Score:
    value: float | None
    profile: str
    coverage: float
    parts: dict[str, dict[str, Any]]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "profile": self.profile, "coverage": self.coverage, "parts": self.parts,
                "missing": list(self.missing)}


def profile_of(groups: Iterable[str], config) -> tuple[str, Mapping[str, float]]:
    """(name, weights) of the first profile, in config order, that lists one of ``groups``; else the default."""
    mine = set(groups)
    for name, profile in config.profiles.items():
        if mine & set(profile.groups):
            return name, profile.weights
    return "default", config.default_weights


def normaliser(metric: str, config) -> Normaliser:
    override = config.bounds.get(metric)
    shipped = NORMALISERS[metric]
    return shipped if override is None else Normaliser(override.worst, override.best, shipped.meaning)


def score(values: Mapping[str, float | None], groups: Iterable[str], config) -> Score:
    """The agent's score from its metric ``values`` (None: no data) under the profile of its ``groups``."""
    name, weights = profile_of(groups, config)
    parts, missing = {}, []
    for metric, weight in weights.items():
        value = values.get(metric)
        if value is None:
            missing.append(metric)
            continue
        parts[metric] = {"value": value, "points": normaliser(metric, config).points(value), "weight": weight}
    total = sum(weights.values())
    covered = sum(p["weight"] for p in parts.values())
    value = round(sum(p["points"] * p["weight"] for p in parts.values()) / covered, 1) if covered else None
    return Score(value, name, round(covered / total, 3), parts, tuple(missing))
