"""Reply periods: each wait of a customer for an answer becomes a durable row, the source of the live reply
rates (30 s response rate, 3- and 5-minute reply rates, first response time) and of the KPIs."""

from __future__ import annotations

from gateway.actions import RecordRow
from gateway.context import Context

TABLE = "reply_periods"


def _row(ctx: Context, watch: dict) -> dict:
    state = ctx.conversation
    return {"id": f"{state.id}:{watch['period']}", "conversation_id": state.id, "storefront_id": state.storefront_id,
            "shop_id": state.shop_id, "agent_id": state.agent_id, "kind": watch["kind"],
            "started_at": state.waiting_since, "answered_at": None, "waited_s": None, "outcome": "waiting",
            "auto_replied": bool(watch.get("auto_replied"))}


def record_period_start(ctx: Context, watch: dict) -> None:
    ctx.emit(RecordRow(TABLE, _row(ctx, watch)))


def record_period_end(ctx: Context, watch: dict, answered: bool) -> None:
    row = _row(ctx, watch)
    if answered:
        agent_id = getattr(ctx.event, "agent_id", None) or row["agent_id"]
        row.update(agent_id=agent_id, answered_at=ctx.now, waited_s=round(ctx.now - row["started_at"], 3),
                   outcome="answered")
    else:
        row.update(outcome="closed", waited_s=round(ctx.now - row["started_at"], 3))
    ctx.emit(RecordRow(TABLE, row))
