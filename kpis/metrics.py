"""KPI definitions, pure: counters per cell (agent, group, shop) in, figures per agent / group / shop out.

Waits (reply periods; a wait began in the range; one the gateway left "waiting" in a closed conversation
ended at the close):
* first response time (mean, p50, p90) — answered first waits; average response interval — all answered
  waits; 30-second response rate (first waits), 3- and 5-minute reply rates (all waits) — exactly
  :mod:`gateway.reply_rates`' definitions (its ``THRESHOLDS`` and ``Tally``): only an agent's reply answers a
  wait (auto, bot and survey messages do not), and a wait younger than a threshold is not decided yet.
* measured in business time (``watchdog.business_hours``), as the watchdog's deadlines are: a customer who
  writes at night waits from the opening.
* a wait handed from one agent to another (reassigned, transferred, escalated) is split: a hit belongs to the
  agent who answered, a miss to the agent who had the chat when the threshold passed; the agent's own
  response time counts from when they got the chat, the shop's and group's from when the customer wrote.

Conversations (a conversation opened in the range, counted whole on that day even if it ends after midnight):
* the agent of record (who had it at the end) owns its duration, survey, resolution, repeat and conversion;
* duration: to the close, or for an idle close to the last message; flagged below ``too_short`` or above
  ``too_long``;
* CSAT: answered surveys and inferred evaluations apart — resolved share, positive share (rating >= 4, or
  resolved without a rating), mean rating; inferred mean score (-1..1);
* first-contact resolution: solved (survey resolved, answered or inferred) and no repeat inquiry, over the
  chats whose outcome is known; repeat inquiry: the customer opened another chat within ``repeat_window``
  after the close (over closed chats; the last day's figure can still grow);
* conversion: the customer bought (paid, else placed; not cancelled) within ``conversion_window`` of opening;
* per agent, the rates of what happens to a chat are over the chats the agent was given (``assign``
  decisions): escalations and passes (transfers, reassignments) are charged to the agent the chat left; a
  complaint (hard-trigger escalation, or found by the quality review) to the agent escalated from, else to
  the agent of record. Per group and shop they are over the conversations, and transfers are the
  assignments after the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.reply_rates import THRESHOLDS, Tally

NOT_PER_AGENT = "*"          # a cell's agent for counters that belong to a group or shop only
UNASSIGNED = "(unassigned)"


@dataclass(slots=True)
class Cell:
    counts: Counter = field(default_factory=Counter)
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, counts: Mapping[str, Any], values: Mapping[str, Iterable[float]] | None = None) -> None:
        own, get = self.counts, self.counts.get     # dict.get: no Counter.__missing__ call per key
        for name, value in counts.items():
            if value:
                own[name] = get(name, 0) + value
        for name, items in (values or {}).items():
            self.values.setdefault(name, []).extend(items)

    def merge(self, other: Cell) -> None:
        self.add(other.counts, other.values)


class Cells(dict):
    """Counters by (agent, group, shop); rows from any query or rollup add into it."""

    def cell(self, agent: str | None, group: str | None, shop: str | None) -> Cell:
        key = (agent or UNASSIGNED, group or "default", shop or "default")
        if key not in self:
            self[key] = Cell()
        return self[key]

    def add_rows(self, rows: Iterable[Mapping[str, Any]], agent: str | None = None) -> None:
        """Rows shaped ``{agent, group, shop, <counter>: n, ...}``; ``agent`` overrides the row's."""
        for row in rows:
            counts = {k: float(v) for k, v in row.items()
                      if k not in ("agent", "group", "shop") and v is not None and not isinstance(v, str)}
            self.cell(agent or row.get("agent"), row.get("group"), row.get("shop")).add(counts)

    def merge(self, other: Cells) -> None:
        for key, cell in other.items():
            self.cell(*key).merge(cell)

    def scope(self, index: int) -> dict[str, Cell]:
        """Cells summed by agent (0), group (1) or shop (2)."""
        out: dict[str, Cell] = {}
        for key, cell in self.items():
            if index == 0 and key[0] == NOT_PER_AGENT:
                continue
            out.setdefault(key[index], Cell()).merge(cell)
        return out


# --- waits -------------------------------------------------------------------------------------------------

def bulk_values(rows: Iterable[Sequence[Any]]) -> Cells:
    """Answered first waits of the bulk: the agent's and the customer's view are the same wait."""
    cells = Cells()
    for agent, group, shop, seconds in rows:
        cells.cell(agent, group, shop).add({}, {"frt_agent": [seconds], "frt_customer": [seconds]})
    return cells


def bulk_counts(rows: Iterable[Mapping[str, Any]]) -> Cells:
    """Bulk wait counters; the agent's and the customer's answered seconds are the same there."""
    cells = Cells()
    for row in rows:
        counts = {k: float(v or 0) for k, v in row.items() if k not in ("agent", "group", "shop")}
        counts["answered_s_agent"] = counts["answered_s_customer"] = counts.pop("answered_s")
        cells.cell(row["agent"], row["group"], row["shop"]).add(counts)
    return cells


@dataclass(frozen=True, slots=True)
class Holders:
    """Who had a conversation when: its ``assign`` decisions, oldest first."""

    assigns: Sequence[tuple[float, str]]
    fallback: str | None

    def before(self, t: float) -> str | None:
        """The agent who had it just before ``t`` (a hand-over at ``t`` is the new agent's from ``t`` on)."""
        current = self.assigns[0][1] if self.assigns else self.fallback
        for at, agent in self.assigns:
            if at >= t:
                break
            current = agent
        return current

    def received(self, agent: str, t: float) -> float | None:
        """When ``agent`` last got the conversation at or before ``t``."""
        times = [at for at, who in self.assigns if who == agent and at <= t]
        return times[-1] if times else None


def split_wait(period: Mapping[str, Any], holders: Holders, calendar, now: float) -> Cells:
    """A handed-over or off-hours wait, charged as the module docstring says."""
    cells, group, shop = Cells(), period["group"], period["shop_id"]
    start, outcome = period["started_at"], period["outcome"]
    answered = outcome == "answered"
    if outcome == "waiting" and period.get("conversation_closed_at") is not None:
        outcome, period = "closed", {**period, "waited_s": period["conversation_closed_at"] - start}
    end = period["answered_at"] if answered else now if outcome == "waiting" else start + period["waited_s"]
    waited = calendar.business_seconds_between(start, end)
    closer = period["agent_id"] if answered else holders.before(end + 1e-6)
    cells.cell(closer, group, shop).add({"waits": 1, "waiting": outcome == "waiting"})
    if answered:
        got = max(start, holders.received(closer, end) or start)
        own = calendar.business_seconds_between(got, end)
        cells.cell(closer, group, shop).add(
            {"answered": 1, "answered_s_agent": own, "answered_s_customer": waited},
            {"frt_agent": [own], "frt_customer": [waited]} if period["kind"] == "first_response" else {})
    for name, (threshold, kinds) in THRESHOLDS.items():
        if period["kind"] not in kinds:
            continue
        if answered and waited <= threshold:
            cells.cell(closer, group, shop).add({f"decided:{name}": 1, f"hits:{name}": 1})
        elif waited > threshold:
            passed = calendar.add_business_seconds(start, threshold)
            cells.cell(holders.before(passed), group, shop).add({f"decided:{name}": 1})
    return cells


def tally(cell: Cell, view: str) -> Tally:
    """The cell's waits as :class:`gateway.reply_rates.Tally` (the shipped report shape)."""
    result = Tally()
    result.waits = int(cell.counts["waits"])
    result.open = int(cell.counts["waiting"])
    for name in THRESHOLDS:
        result.decided[name] = int(cell.counts[f"decided:{name}"])
        result.hits[name] = int(cell.counts[f"hits:{name}"])
    result.first_response_s = list(cell.values.get(f"frt_{view}", ()))
    return result


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (p50 is the median, as ``statistics.median``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- figures -----------------------------------------------------------------------------------------------

def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def wait_figures(cell: Cell, view: str) -> dict[str, Any]:
    """The shipped reply-rate report (``Tally.report()``, unchanged) plus p90 and the response interval."""
    report = tally(cell, view).report()
    p90 = percentile(cell.values.get(f"frt_{view}", []), 0.9)
    report["first_response_time_p90_s"] = None if p90 is None else round(p90, 2)
    c = cell.counts
    report["response_interval"] = {"count": int(c["answered"]),
                                   "mean_s": ratio(c[f"answered_s_{view}"], c["answered"], 2)}
    return report


def conversation_figures(cell: Cell, per_agent: bool) -> dict[str, Any]:
    c = cell.counts
    base = c["given"] if per_agent else c["conversations"]
    transfers = c["passes"] if per_agent else c["transfers"]
    return {
        "conversations": int(c["conversations"]), **({"given": int(c["given"])} if per_agent else {}),
        "duration": {"closed": int(c["closed"]), "mean_s": ratio(c["duration_s"], c["closed"], 1),
                     "too_short": int(c["too_short"]), "too_long": int(c["too_long"]),
                     "too_short_rate": ratio(c["too_short"], c["closed"]),
                     "too_long_rate": ratio(c["too_long"], c["closed"])},
        "first_contact_resolution": {"rate": ratio(c["first_contact_solved"], c["known"]),
                                     "solved": int(c["first_contact_solved"]), "known": int(c["known"])},
        "solved_rate": ratio(c["solved"], c["known"]),
        "repeat_inquiry": {"rate": ratio(c["repeats"], c["closed"]), "repeats": int(c["repeats"])},
        "csat": csat(c),
        "conversion": {"rate": ratio(c["converted"], c["conversations"]), "converted": int(c["converted"])},
        "complaints": {"count": int(c["complaints"]), "rate": ratio(c["complaints"], base)},
        "escalations": {"count": int(c["escalations"]), "rate": ratio(c["escalations"], base)},
        "transfers": {"count": int(transfers), "per_conversation": ratio(transfers, base, 3)},
        "tickets_opened": int(c["tickets"]),
        "violations": {"count": int(c["violations"]), "per_100_replies": ratio(100 * c["violations"],
                                                                                c["replies"], 2),
                       "by_code": {k[10:]: int(v) for k, v in sorted(c.items()) if k.startswith("violation:")}},
        "scripts": {"replies": int(c["replies"]), "scripted": int(c["scripted"]),
                    "usage_rate": ratio(c["scripted"], c["replies"])},
    }


def csat(c: Mapping[str, float]) -> dict[str, Any]:
    return {"answered": {"count": int(c["answered_surveys"]), "resolved_rate": ratio(c["answered_solved"],
                                                                                    c["answered_known"]),
                         "positive_rate": ratio(c["answered_positive"], c["answered_verdicts"]),
                         "mean_rating": ratio(c["rating_sum"], c["rated"], 2), "rated": int(c["rated"])},
            "inferred": {"count": int(c["inferred"]), "resolved_rate": ratio(c["inferred_solved"],
                                                                             c["inferred_known"]),
                         "mean_score": ratio(c["inferred_score_sum"], c["inferred_scored"], 3)}}


def scorable(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """The values :mod:`kpis.scores` normalises, read from one agent's figures."""
    return {"response_speed": figures["response_interval"]["mean_s"],
            "first_response_time": figures["first_response_time"]["mean_s"],
            "response_rate_30s": figures["response_rate_30s"], "reply_rate_3m": figures["reply_rate_3m"],
            "reply_rate_5m": figures["reply_rate_5m"], "conversion": figures["conversion"]["rate"],
            "good_reviews": figures["csat"]["answered"]["positive_rate"],
            "csat_rating": figures["csat"]["answered"]["mean_rating"],
            "dispute_resolution": figures["solved_rate"],
            "first_contact_resolution": figures["first_contact_resolution"]["rate"],
            "repeat_inquiry_rate": figures["repeat_inquiry"]["rate"],
            "complaint_rate": figures["complaints"]["rate"], "escalation_rate": figures["escalations"]["rate"],
            "transfers": figures["transfers"]["per_conversation"],
            "violations": figures["violations"]["per_100_replies"]}


def script_figures(counts: Mapping[str, Counter]) -> list[dict[str, Any]]:
    return sorted(({"script_id": script, "uses": int(c["uses"]), "chats": int(c["chats"]),
                    "solved_rate": ratio(c["solved"], c["known"]), "known": int(c["known"])}
                   for script, c in counts.items()), key=lambda s: (-s["uses"], s["script_id"]))

