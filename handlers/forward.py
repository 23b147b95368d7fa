"""Forward: customer messages to the assigned agent, agent replies towards the customer.

A customer message that arrives while nobody has the conversation waits in ``data["unforwarded"]`` and
reaches the agent right after ``conversation.assigned``. An agent reply is acknowledged once it is durably in
the outbox (a repeated ``client_msg_id`` is acknowledged by the access step without a second delivery).
"""

from __future__ import annotations

from gateway.actions import AssignToAgent, DeliverToCustomer, PersistConversation, SendToAgent
from gateway.context import Context
from gateway.conversation import Turn
from gateway.effects import customer_message_event
from gateway.events import AgentReply, CustomerMessage
from handlers.supervision import watchers_of

RECENT_CLIENT_IDS = 50


class Forward:
    name = "forward"
    handles = (CustomerMessage, AgentReply)
    fail_closed = True

    def on_failure(self, ctx: Context, exc: Exception) -> None:
        """A customer message is stored and reaches the agent on reconnect; a reply must say it failed."""
        if isinstance(ctx.event, AgentReply):
            ctx.reject(500, "internal_error", "the reply could not be delivered; it was logged")

    async def handle(self, ctx: Context) -> None:
        if isinstance(ctx.event, CustomerMessage):
            self._to_agent(ctx)
        else:
            self._to_customer(ctx)

    def _to_agent(self, ctx: Context) -> None:
        if any(isinstance(a, AssignToAgent) for a in ctx.actions):
            return
        message = {**ctx.message, "analysis": ctx.analysis}
        state = ctx.conversation
        if state.agent_id is None:
            state.data.setdefault("unforwarded", []).append(message)
        else:
            ctx.emit(SendToAgent(state.agent_id, customer_message_event(message)))
        for watcher in watchers_of(ctx):
            ctx.emit(SendToAgent(watcher, customer_message_event(message)))

    def _to_customer(self, ctx: Context) -> None:
        event: AgentReply = ctx.event
        state = ctx.conversation
        seen = state.data.setdefault("client_ids", [])
        seen.append(event.client_msg_id)
        del seen[:-RECENT_CLIENT_IDS]
        ctx.emit(DeliverToCustomer(event.text, "reply", event.agent_id, event.client_msg_id, event.script_id))
        ctx.emit(PersistConversation())
        if state.first_response_at is None:
            state.first_response_at = event.received_at
        state.last_agent_at = event.received_at
        state.waiting_since = None
        state.remember(Turn("agent", event.text, event.received_at))
        ctx.emit(ack(event))
        for watcher in watchers_of(ctx):
            ctx.emit(SendToAgent(watcher, {"type": "conversation.reply", "conversation_id": state.id,
                                           "agent_id": event.agent_id, "text": event.text}))


def ack(event: AgentReply) -> SendToAgent:
    return SendToAgent(event.agent_id, {"type": "ack", "client_msg_id": event.client_msg_id,
                                        "conversation_id": event.conversation_id})
