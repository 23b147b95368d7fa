"""The chatbot tier's own KPIs over a time range, from the recorded bot decisions:

- containment rate: conversations the bot handled without handing over that ended solved by the bot alone —
  the survey said resolved, or the customer did not come back within 24 h;
- handoff rate and reasons; the distribution of the confidence of the bot's answers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from gateway.db import Database
from gateway.models import Conversation, Decision, Survey

REPEAT_WINDOW = 86400.0
BOT_KINDS = ("bot_answered", "bot_declined", "bot_handoff")


async def bot_metrics(db: Database, since: float, until: float, now: float) -> dict[str, Any]:
    decisions, conversations, surveys = Decision.__table__, Conversation.__table__, Survey.__table__
    async with db.connect() as conn:
        rows = (await conn.execute(select(decisions.c.conversation_id, decisions.c.kind, decisions.c.reason,
                                          decisions.c.details)
                                   .where(decisions.c.kind.in_(BOT_KINDS), decisions.c.at >= since,
                                          decisions.c.at < until))).all()
        ids = {row.conversation_id for row in rows}
        convs = {r["id"]: r for r in (await conn.execute(select(conversations).where(
            conversations.c.id.in_(ids)))).mappings()} if ids else {}
        resolved = {r.conversation_id: r.resolved for r in (await conn.execute(
            select(surveys.c.conversation_id, surveys.c.resolved).where(surveys.c.conversation_id.in_(ids))))} \
            if ids else {}
        later = await _returning_customers(conn, conversations, convs)
    handed = {row.conversation_id for row in rows if row.kind == "bot_handoff"}
    contained = [cid for cid in ids - handed if _solved(convs.get(cid), resolved.get(cid), later, now)]
    confidences = [row.details.get("confidence") for row in rows if row.kind == "bot_answered"]
    return {"conversations": len(ids), "handoffs": len(handed),
            "handoff_rate": _rate(len(handed), len(ids)),
            "handoff_reasons": dict(Counter(row.reason for row in rows if row.kind == "bot_handoff")),
            "contained": len(contained), "containment_rate": _rate(len(contained), len(ids)),
            "answers": len(confidences),
            "confidence": dict(sorted(Counter(_bucket(c) for c in confidences if c is not None).items()))}


async def _returning_customers(conn, conversations, convs: dict) -> set[tuple[str, str, float]]:
    """(storefront, customer, opened_at) of every conversation of these customers, to spot a return."""
    customers = {(c["storefront_id"], c["customer_id"]) for c in convs.values()}
    if not customers:
        return set()
    query = select(conversations.c.storefront_id, conversations.c.customer_id, conversations.c.opened_at).where(
        conversations.c.customer_id.in_({c for _, c in customers}))
    return {tuple(row) for row in (await conn.execute(query)).all()}


def _solved(conversation, survey_resolved, later, now: float) -> bool:
    if conversation is None or conversation["status"] != "closed":
        return False
    if survey_resolved is not None:
        return survey_resolved
    closed = conversation["closed_at"]
    came_back = any(s == conversation["storefront_id"] and c == conversation["customer_id"]
                    and closed < opened <= closed + REPEAT_WINDOW for s, c, opened in later)
    return not came_back and now - closed >= REPEAT_WINDOW


def _bucket(confidence: float) -> str:
    low = min(int(confidence * 10), 9) / 10
    return f"{low:.1f}-{low + 0.1:.1f}"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
