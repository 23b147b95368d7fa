"""Performs the actions handlers appended, in two phases: first every durable write of the event in one group
commit, then the sends (agents, storefront outbox). A crash between the phases loses no message: what was
committed is re-sent on reconnect or from the outbox."""

from __future__ import annotations

from typing import Any

from gateway import actions as act
from gateway.context import Context
from gateway.conversation import ConversationState
from gateway.db import Write
from gateway.ids import new_id
from gateway.models import Conversation
from gateway.timefmt import iso

_ROLE_OF_KIND = {"reply": "agent", "bot": "bot", "survey": "survey", "auto": "auto"}
_CONVERSATION_COLUMNS = tuple(c.name for c in Conversation.__table__.columns)


class Effects:
    def __init__(self, services) -> None:
        self.services = services

    async def persist(self, ctx: Context) -> dict[int, dict[str, Any]]:
        """Commit every durable write of the event (one group commit); returns what :meth:`send` needs."""
        writes, deliveries = self._durable(ctx)
        await self.services.db.write(*writes)
        return deliveries

    async def send(self, ctx: Context, deliveries: dict[int, dict[str, Any]]) -> None:
        """Perform the sends, once the writes they announce are durable."""
        for action in ctx.actions:
            await self._send(ctx, action, deliveries)

    def _durable(self, ctx: Context) -> tuple[list[Write], dict[int, dict[str, Any]]]:
        statements, state = self.services.db.statements, ctx.conversation
        writes: list[Write] = []
        deliveries: dict[int, dict[str, Any]] = {}
        persist = False
        for action in ctx.actions:
            match action:
                case act.RecordMessage(row=row):
                    writes.append(Write(statements.insert_message, row))
                case act.RecordRow(table=table, row=row):
                    writes.append(Write(statements.upserts[table], row))
                case act.PersistConversation():
                    persist = True
                case act.RecordDecision(kind=kind):
                    self.services.metrics.decisions.labels(kind=kind).inc()
                    writes.append(Write(statements.insert_decision, decision_row(ctx, action)))
                case act.AssignToAgent(agent_id=agent_id, reason=reason):
                    persist = True
                    writes.append(Write(statements.insert_decision, decision_row(
                        ctx, act.RecordDecision("assign", reason, agent_id, _public(action.extra)))))
                case act.DispatchToTeam(delivery=delivery):
                    self.services.team_outbox.claims.stamp(delivery)
                    writes.append(Write(statements.upserts["ticket_deliveries"], delivery))
                case act.DeliverToCustomer():
                    message, delivery = self._outgoing(ctx, action)
                    deliveries[id(action)] = delivery
                    writes += [Write(statements.insert_message, message), Write(statements.insert_delivery, delivery)]
        if persist and state is not None:
            writes.insert(0, Write(statements.upsert_conversation, conversation_row(state, ctx.now)))
        return writes, deliveries

    def _outgoing(self, ctx: Context, action: act.DeliverToCustomer) -> tuple[dict[str, Any], dict[str, Any]]:
        state = ctx.conversation
        message_id = new_id("m")
        message = {"id": message_id, "conversation_id": state.id, "seq": state.next_seq(),
                   "role": _ROLE_OF_KIND[action.kind], "author_id": action.author_id, "storefront_id": None,
                   "external_id": action.external_id, "text": action.text, "sent_at": iso(ctx.now),
                   "received_at": ctx.now, "script_id": action.script_id}
        delivery_id = new_id("dl")
        payload = {"type": "agent.message", "delivery_id": delivery_id, "conversation_id": state.id,
                   "customer_id": state.customer_id, "text": action.text, "kind": action.kind,
                   "sent_at": iso(ctx.now), "message_id": message_id}
        delivery = {"id": delivery_id, "storefront_id": state.storefront_id, "conversation_id": state.id,
                    "payload": payload, "status": "pending", "attempts": 0, "created_at": ctx.now,
                    "delivered_at": None, "channel": None, "last_error": None}
        return message, self.services.outbox.claims.stamp(delivery)

    async def _send(self, ctx: Context, action: act.Action, deliveries: dict[int, dict[str, Any]]) -> None:
        match action:
            case act.SendToAgent(agent_id=agent_id, payload=payload):
                await self.services.hub.send_to_agent(agent_id, await self._complete(ctx, action, payload))
            case act.AssignToAgent():
                await self._assign(ctx, action)
            case act.DeliverToCustomer():
                self.services.outbox.enqueue(deliveries[id(action)])
            case act.DispatchToTeam(delivery=delivery):
                self.services.team_outbox.enqueue(delivery)
            case act.ScheduleTimer(key=key, due_at=due_at, kind=kind, payload=payload):
                scoped = ctx.conversation is not None and action.of_conversation
                conversation = {"conversation_id": ctx.conversation.id} if scoped else {}
                await self.services.timers.arm(key, due_at, kind, {**conversation, **payload})
            case act.CancelTimer(key=key):
                await self.services.timers.cancel(key)
            case act.NotifySupervisors(payload=payload):
                await notify_supervisors(self.services, await self._complete(ctx, action, payload))

    async def _complete(self, ctx: Context, action, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload, with the history when asked: read now, after the commit, so it has this event too."""
        if not action.with_history:
            return payload
        return {**payload, "history": await self.services.records.history(ctx.conversation.id)}

    async def _assign(self, ctx: Context, action: act.AssignToAgent) -> None:
        state = ctx.conversation
        history = await self.services.records.history(state.id)
        assigned = {"type": "conversation.assigned", "conversation_id": state.id,
                    "conversation": conversation_view(state), "reason": action.reason, "history": history,
                    **_public(action.extra)}
        await self.services.hub.send_to_agent(action.agent_id, assigned)
        for message in action.extra.get("pending", ()):
            await self.services.hub.send_to_agent(action.agent_id, customer_message_event(message))


async def notify_supervisors(services, payload: dict[str, Any]) -> None:
    for presence in await services.directory.all():
        if presence.role == "supervisor" and presence.status != "offline":
            await services.hub.send_to_agent(presence.agent_id, payload)


def _public(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if k != "pending"}


def decision_row(ctx: Context, action: act.RecordDecision) -> dict[str, Any]:
    conversation = ctx.conversation.id if ctx.conversation else None
    return {"id": new_id("dc"), "at": ctx.now, "conversation_id": conversation, "kind": action.kind,
            "agent_id": action.agent_id, "reason": action.reason, "details": action.details}


def conversation_row(state: ConversationState, now: float) -> dict[str, Any]:
    values = {name: getattr(state, name, None) for name in _CONVERSATION_COLUMNS}
    values["updated_at"] = now
    return values


def conversation_view(state: ConversationState) -> dict[str, Any]:
    """The conversation as agents see it in ``conversation.assigned``."""
    return {"id": state.id, "customer_id": state.customer_id, "customer_name": state.customer_name,
            "storefront_id": state.storefront_id, "shop_id": state.shop_id, "order_id": state.order_id,
            "group": state.group, "status": state.status, "opened_at": iso(state.opened_at),
            "agent_id": state.agent_id}


def customer_message_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "customer.message", "conversation_id": message["conversation_id"],
            "message": {k: v for k, v in message.items() if k != "analysis"},
            "analysis": message.get("analysis", {})}
