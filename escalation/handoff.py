"""The handoff summary a senior reads before accepting: who, which order, what happened, how the mood went,
how long they waited, what the agent already tried, and the last messages."""

from __future__ import annotations

from typing import Any

from escalation.emotion import Trend
from gateway.conversation import ConversationState

LAST_MESSAGES = 6
TRIED = 3


def build_summary(state: ConversationState, trend: Trend, reason: str, evidence: tuple[str, ...],
                  intent: str | None, waited_s: float | None) -> dict[str, Any]:
    turns = state.recent
    return {
        "customer": {"id": state.customer_id, "name": state.customer_name},
        "order_id": state.order_id,
        "intent": intent,
        "reason": reason,
        "evidence": list(evidence),
        "mood": {"level": trend.level, "slope": trend.slope, "peak": trend.peak, "messages": trend.count,
                 "moved_by": [{"text": text, "anger": anger} for text, anger in trend.moved_by]},
        "waited_s": None if waited_s is None else round(waited_s, 1),
        "agent_id": state.agent_id,
        "tried": [t.text for t in turns if t.role == "agent"][-TRIED:],
        "last_messages": [{"role": t.role, "text": t.text} for t in turns[-LAST_MESSAGES:]],
    }
