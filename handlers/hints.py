"""Hints: for every customer message, the assigned agent gets the best 1–3 scripts and knowledge entries from
the 话术库, placeholders filled from the conversation, never sent to the customer. An angry customer gets
an empathy-first combination. Nothing matches well: no hint (a wrong hint is worse than none). What was
asked and what matched is logged for the hot list and the list of questions no script answers.

Runs after forward, so the agent sees the message before its hint; fails open.
"""

from __future__ import annotations

import functools

from gateway.actions import RecordRow, SendToAgent
from gateway.context import Context
from gateway.events import CustomerMessage
from gateway.ids import new_id
from gateway.pii import mask_pii
from scripts_lib.matcher import normalise

TABLE = "hint_log"


class Hints:
    name = "hints"
    handles = (CustomerMessage,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state = ctx.conversation
        if not state.is_open or ctx.message is None:
            return
        emotion = ctx.analysis.get("emotion") or {}
        suggestions = ctx.services.engines["scripts"].matcher.match(
            ctx.event.text, intent=(ctx.analysis.get("intent") or {}).get("label"),
            angry=emotion.get("label") == "angry", agent_id=state.agent_id, values=_values(ctx),
            limit=ctx.services.config.scripts.max_suggestions)
        best = suggestions[0] if suggestions else None
        ctx.emit(RecordRow(TABLE, {
            "id": new_id("hl"), "at": ctx.now, "conversation_id": state.id, "message_id": ctx.message["id"],
            "question": _question(ctx.event.text), "category": best.category if best else None,
            "script_id": best.script_id if best else None, "score": round(best.score, 3) if best else None}))
        if not suggestions or state.agent_id is None:
            return
        ctx.emit(SendToAgent(state.agent_id, {
            "type": "hint", "conversation_id": state.id, "for_message_id": ctx.message["id"],
            "suggestions": [s.to_dict() for s in suggestions if s.kind == "script"],
            "knowledge": [s.to_dict() for s in suggestions if s.kind == "knowledge"],
            "emotion": emotion.get("label"), "intent": (ctx.analysis.get("intent") or {}).get("label"),
            "order_id": state.order_id}))


@functools.lru_cache(maxsize=4096)
def _question(text: str) -> str:
    """What the hint log keeps of a message: normalised, personal data masked. Pure, and short turns recur."""
    return mask_pii(normalise(text))[:200]


def _values(ctx: Context) -> dict[str, str]:
    state = ctx.conversation
    agent = ctx.services.agents.get(state.agent_id or "")
    pairs = (("customer_name", state.customer_name), ("order_id", state.order_id),
             ("agent_name", agent.name if agent else None))
    return {key: value for key, value in pairs if value}
