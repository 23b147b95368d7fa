"""Closing: an agent's ``conversation.close`` (or an automatic close) ends the conversation, frees the agent's
slot and offers the slot to the queue. The customer's next message opens a new conversation."""

from __future__ import annotations

from gateway.actions import DrainQueue, PersistConversation, RecordDecision, SendToAgent
from gateway.context import Context
from gateway.events import CloseRequest, TimerFired
from handlers.watchdog import IDLE


class IdleClose:
    """An idle timer that finds the conversation really idle becomes a system ``CloseRequest``, so every later
    step (watchdog, escalation, closing, survey) sees an ordinary close."""

    name = "idle_close"
    handles = (TimerFired,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state = ctx.conversation
        if ctx.event.kind != IDLE or not state.is_open:
            return
        last = max(t for t in (state.last_customer_at, state.last_agent_at, state.opened_at) if t is not None)
        if ctx.services.calendar.business_seconds_between(last, ctx.now) >= ctx.services.config.watchdog.idle_close - 0.5:
            ctx.event = CloseRequest(state.id, "system", ctx.now, None, "idle_close")


class Closing:
    name = "closing"
    handles = (CloseRequest,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        event: CloseRequest = ctx.event
        state = ctx.conversation
        state.status, state.closed_at, state.closed_by, state.resolved = "closed", event.at, event.by, event.resolved
        state.waiting_since = None
        await ctx.services.directory.unqueue(state.id)
        ctx.emit(PersistConversation())
        if event.by == "system":
            ctx.emit(RecordDecision("close", event.reason))
        if state.agent_id is not None:
            await ctx.services.directory.release(state.agent_id, state.id)
            ctx.emit(SendToAgent(state.agent_id, {"type": "conversation.closed", "conversation_id": state.id,
                                                  "resolved": event.resolved, "reason": event.reason}))
            ctx.emit(DrainQueue(state.agent_id))
