"""Tickets: a customer message whose intent maps to a team (config ``intents``) opens one ticket per
(order, or conversation when no order is known; intent). The same complaint again adds evidence to the
open ticket instead of opening another. A new ticket is delivered to the team's webhook from the durable
outbox and gets an acknowledgement deadline (``teams[].ack_sla``); the agent is told (``ticket.updated``).
"""

from __future__ import annotations

from typing import Any

from gateway.actions import DispatchToTeam, RecordDecision, RecordRow, ScheduleTimer, SendToAgent
from gateway.context import Context
from gateway.events import CustomerMessage
from gateway.ids import new_id
from gateway.timefmt import iso

TABLE = "tickets"
SLA = "ticket_sla"
LABELS = {"logistics_delay": "物流延误", "address_change": "修改地址", "damaged_goods": "商品破损",
          "wrong_item": "发错货", "missing_item": "漏发", "stock": "缺货", "refund_return": "退换货"}


class Tickets:
    name = "tickets"
    handles = (CustomerMessage,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        intent = ctx.analysis.get("intent") or {}
        route = ctx.services.config.intents.get(intent.get("label") or "")
        teams = {t.id: t for t in ctx.services.config.teams}
        if route is None or route.team not in teams:
            return
        if intent["confidence"] < ctx.services.config.tickets.min_confidence:
            return
        state = ctx.conversation
        key = f"{state.order_id or state.id}:{intent['label']}"
        open_id = state.data.get("tickets", {}).get(key) or await ctx.services.records.open_ticket_id(key)
        ticket = await ctx.services.records.ticket(open_id) if open_id else None
        if ticket is not None and ticket["status"] != "resolved":
            self._add_evidence(ctx, ticket)
        else:
            self._open(ctx, key, intent, teams[route.team])

    def _open(self, ctx: Context, key: str, intent: dict[str, Any], team) -> None:
        state, message = ctx.conversation, ctx.message
        anger = (ctx.analysis.get("emotion") or {}).get("anger", 0.0)
        ticket = {"id": new_id("tk"), "team": team.id, "intent": intent["label"], "dedupe_key": key,
                  "conversation_id": state.id, "storefront_id": state.storefront_id,
                  "customer_id": state.customer_id, "agent_id": state.agent_id, "order_id": state.order_id,
                  "priority": "high" if anger >= 0.5 else "normal",
                  "summary": f"{LABELS.get(intent['label'], intent['label'])}：{message['text'][:80]}",
                  "reason": "; ".join(intent.get("evidence", ())) or intent["label"],
                  "evidence": [{"message_id": message["id"], "text": message["text"]}], "status": "open",
                  "created_at": ctx.now, "acked_at": None, "resolved_at": None, "note": None}
        state.data.setdefault("tickets", {})[key] = ticket["id"]
        ctx.emit(RecordRow(TABLE, ticket))
        ctx.emit(RecordDecision("ticket_opened", intent["label"], state.agent_id,
                                {"ticket_id": ticket["id"], "team": team.id, "confidence": intent["confidence"],
                                 "evidence": intent.get("evidence", [])}))
        ctx.emit(ScheduleTimer(f"tsla:{ticket['id']}", ctx.now + team.ack_sla, SLA, {"ticket_id": ticket["id"]},
                               of_conversation=False))
        if team.webhook_url:
            ctx.emit(DispatchToTeam(delivery_row(ticket, ctx.now)))
        if state.agent_id:
            ctx.emit(SendToAgent(state.agent_id, ticket_event(ticket)))

    def _add_evidence(self, ctx: Context, ticket: dict[str, Any]) -> None:
        state, message = ctx.conversation, ctx.message
        ticket = {**ticket, "evidence": [*ticket["evidence"], {"message_id": message["id"], "text": message["text"]}]}
        if len(ticket["evidence"]) >= 3:
            ticket["priority"] = "high"
        state.data.setdefault("tickets", {})[ticket["dedupe_key"]] = ticket["id"]
        ctx.emit(RecordRow(TABLE, ticket))
        ctx.emit(RecordDecision("ticket_merged", ticket["intent"], state.agent_id,
                                {"ticket_id": ticket["id"], "message_id": message["id"]}))


def public_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket as protocol-v1 §3 shows it (times in ISO 8601)."""
    hidden = {"dedupe_key", "storefront_id"}
    times = {"created_at", "acked_at", "resolved_at"}
    return {k: (iso(v) if k in times else v) for k, v in ticket.items() if k not in hidden}


def ticket_event(ticket: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ticket.updated", "conversation_id": ticket["conversation_id"], "ticket": public_ticket(ticket)}


def delivery_row(ticket: dict[str, Any], now: float) -> dict[str, Any]:
    delivery_id = new_id("td")
    return {"id": delivery_id, "ticket_id": ticket["id"], "team": ticket["team"],
            "payload": {"type": "ticket.created", "delivery_id": delivery_id, "ticket": public_ticket(ticket)},
            "status": "pending", "attempts": 0, "created_at": now, "delivered_at": None, "last_error": None}
