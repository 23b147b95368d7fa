"""When a conversation goes to a senior, and to which one: pure decisions on the emotion and its trend.

Triggers, in the order they are checked (the first that holds is the reason):
  1. ``hard_trigger``        the message names a complaint channel or is abusive (``config.hard_triggers``);
  2. ``anger_level``         the message's anger reaches ``anger_threshold``, or the smoothed anger
                             (trend level) reaches ``sustained_level``;
  3. ``rising_trend``        the smoothed anger rose by ``rise_slope`` per message over ``rise_window``
                             messages and reached ``rise_floor``;
  4. ``long_wait_negative``  unanswered for ``long_wait`` and the message reads negative.
Nothing is decided while the conversation is escalated or within ``cooldown`` of the previous escalation.
Hysteresis: once a conversation has been escalated, ``anger_level`` fires again only for an outburst after
the mood had calmed, i.e. when the smoothed anger before this message was below ``release_threshold``;
a customer who stays angry after a senior resolved the case is not handed over again and again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from escalation.config import EscalationConfig
from escalation.emotion import Emotion, EmotionEngine, Trend, Turn, unanswered_since


@dataclass(frozen=True, slots=True)
class EscalationDecision:
    """Why a conversation goes to a senior; ``evidence`` is recorded and shown to the senior."""

    reason: str
    evidence: tuple[str, ...]


class EscalationPolicy:
    """Decides escalations from the emotion engine's output and picks the senior."""

    def __init__(self, config: EscalationConfig) -> None:
        self._config = config

    def decide(self, trend: Trend, emotion: Emotion, waited_s: float | None, escalated: bool,
               last_escalated_at: float | None, now: float) -> EscalationDecision | None:
        """The escalation this message calls for, or None.

        ``trend`` already includes this message. ``last_escalated_at``: when the previous escalation
        ended (resolved), or started if it never resolved; None if there was none. Epoch seconds.
        """
        if escalated or self._cooling_down(last_escalated_at, now):
            return None
        reason = (self._hard_trigger(emotion)
                  or self._anger_level(trend, emotion, rearm=last_escalated_at is not None)
                  or self._rising(trend)
                  or self._long_wait(emotion, waited_s))
        if reason is None:
            return None
        name, facts = reason
        return EscalationDecision(name, (*facts, *emotion.evidence))

    def senior_chain(self, seniors: Sequence[tuple[str, int, int]], tried: Collection[str]) -> str | None:
        """The next senior to offer the handoff: untried, with spare capacity, fewest open conversations
        (ties: most spare capacity, then agent id, so the order is stable). None: go to the supervisors."""
        candidates = [(load, -(capacity - load), agent_id) for agent_id, load, capacity in seniors
                      if agent_id not in tried and load < capacity]
        return min(candidates)[2] if candidates else None

    def _cooling_down(self, last_escalated_at: float | None, now: float) -> bool:
        return last_escalated_at is not None and now - last_escalated_at < self._config.cooldown

    def _hard_trigger(self, emotion: Emotion) -> tuple[str, tuple[str, ...]] | None:
        if emotion.hard_trigger in self._config.hard_triggers:
            return "hard_trigger", (f"hard_trigger:{emotion.hard_trigger}",)
        return None

    def _anger_level(self, trend: Trend, emotion: Emotion, rearm: bool) -> tuple[str, tuple[str, ...]] | None:
        if rearm and trend.previous_level >= self._config.release_threshold:
            return None
        threshold, sustained = self._config.anger_threshold, self._config.sustained_level
        if emotion.anger >= threshold:
            return "anger_level", (f"anger:{emotion.anger:.2f}>={threshold:.2f}",)
        if trend.level >= sustained:
            return "anger_level", (f"level:{trend.level:.2f}>={sustained:.2f}",)
        return None

    def _rising(self, trend: Trend) -> tuple[str, tuple[str, ...]] | None:
        window = self._config.rise_window
        if len(trend.levels) < window:
            return None
        first, last = trend.levels[-window], trend.levels[-1]
        per_message = (last - first) / (window - 1)
        if per_message < self._config.rise_slope or last < self._config.rise_floor:
            return None
        return "rising_trend", (f"trend:{first:.2f}->{last:.2f}_over_{window}_messages",)

    def _long_wait(self, emotion: Emotion, waited_s: float | None) -> tuple[str, tuple[str, ...]] | None:
        if waited_s is None or waited_s < self._config.long_wait:
            return None
        if emotion.score > self._config.long_wait_score and emotion.label not in ("negative", "angry"):
            return None
        return "long_wait_negative", (f"waited:{int(waited_s)}s", f"score:{emotion.score:.2f}")


@dataclass(frozen=True, slots=True)
class Step:
    """What the live pipeline concludes at one customer turn of a replayed conversation."""

    turn: Turn
    emotion: Emotion
    trend: Trend
    waited_s: float | None
    decision: EscalationDecision | None


def replay(engine: EmotionEngine, policy: EscalationPolicy, turns: Sequence[Turn]) -> Iterator[Step]:
    """Score a recorded conversation turn by turn, as the gateway would live (for ``analyze --context``,
    tests and benchmarks). No escalation is assumed to have happened in between."""
    trend = Trend()
    for index, turn in enumerate(turns):
        if turn.role != "customer":
            continue
        context = turns[:index]
        waited = unanswered_wait(context, turn.at)
        emotion = engine.score(turn.text, context, waited)
        trend = trend.update(emotion, turn.text)
        now = turn.at if turn.at is not None else 0.0
        yield Step(turn, emotion, trend, waited, policy.decide(trend, emotion, waited, False, None, now))


def unanswered_wait(context: Sequence[Turn], at: float | None) -> float | None:
    """Seconds the customer had waited for an answer at time ``at``; None if answered or not known."""
    since = unanswered_since(context)
    return None if since is None or at is None else at - since
