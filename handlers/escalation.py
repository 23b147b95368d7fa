"""Escalation: when a customer's anger rises, the chat is offered to a senior with a handoff summary.

Every customer message updates the conversation's mood trend (``data["emotion"]``); the policy
(escalation.policy) decides, with hysteresis and a cooldown. The offer goes to the least-loaded online senior
of the conversation's group; a decline or ``accept_timeout`` passes it to the next senior, then to the
supervisors. Accepting takes the chat (mode ``transfer``) or joins it as an adviser who whispers to the agent
(mode ``assist``; a supervisor always joins as adviser). The first agent hears ``escalation.started`` and
``escalation.resolved``; the customer notices nothing. Each step is a recorded decision.
"""

from __future__ import annotations

from escalation.emotion import Trend
from escalation.handoff import build_summary
from escalation.policy import EscalationPolicy
from gateway.actions import (CancelTimer, NotifySupervisors, PersistConversation, RecordDecision, RecordRow,
                             ScheduleTimer, SendToAgent)
from gateway.context import Context
from gateway.events import CloseRequest, CustomerMessage, EscalationResponse, TimerFired
from gateway.ids import new_id
from handlers.assignment import assign, release
from handlers.supervision import add_watcher

TABLE = "escalations"
TIMEOUT = "escalation_timeout"
MARKER = "escalation"
MARKER_TTL = 7 * 86400.0
"""How long an escalation id finds its conversation (the escalation frames name the id only)."""
SUPERVISORS = "supervisors"


def accept_timeout(services, conversation_id: str, escalation: dict) -> ScheduleTimer:
    """The deadline of the senior's answer to the current offer: armed with the offer, and after a restart."""
    due = escalation.get("offered_at", services.clock()) + services.config.escalation.accept_timeout
    return ScheduleTimer(_key(conversation_id), due, TIMEOUT, {"offer": escalation["offer"]})


def _key(conversation_id: str) -> str:
    return f"esc:{conversation_id}"


class Escalation:
    name = "escalation"
    handles = (CustomerMessage, EscalationResponse, TimerFired, CloseRequest)
    fail_closed = False

    def __init__(self, policy: EscalationPolicy) -> None:
        self.policy = policy

    async def handle(self, ctx: Context) -> None:
        event, state = ctx.event, ctx.conversation
        if isinstance(event, CustomerMessage) and state.is_open and "analysis" in ctx.facts:
            await self._customer_wrote(ctx)
        elif isinstance(event, EscalationResponse):
            await self._response(ctx, event)
        elif isinstance(event, TimerFired) and event.kind == TIMEOUT:
            await self._timed_out(ctx)
        elif isinstance(event, CloseRequest):
            self._closed(ctx)

    async def _customer_wrote(self, ctx: Context) -> None:
        state, analysis = ctx.conversation, ctx.facts["analysis"]
        trend = Trend.from_dict(state.data.get("emotion", {})).update(analysis.emotion, ctx.event.text)
        state.data["emotion"] = trend.to_dict()
        current = state.data.get("escalation") or {}
        escalated = current.get("status") == "offered"
        decision = self.policy.decide(trend, analysis.emotion, ctx.facts.get("waited_s"), escalated,
                                      state.data.get("last_escalated_at"), ctx.now)
        if decision is not None:
            await self._start(ctx, trend, decision, analysis.intent.label)

    async def _start(self, ctx: Context, trend: Trend, decision, intent: str | None) -> None:
        state = ctx.conversation
        escalation = {"id": new_id("esc"), "status": "offered", "reason": decision.reason,
                      "evidence": list(decision.evidence), "from_agent": state.agent_id,
                      "tried": [state.agent_id] if state.agent_id else [], "offer": 0,
                      "started_at": ctx.now, "summary": build_summary(state, trend, decision.reason,
                                                                      decision.evidence, intent,
                                                                      ctx.facts.get("waited_s"))}
        state.data["escalation"] = escalation
        state.data["last_escalated_at"] = ctx.now
        await ctx.services.state.set_marker(MARKER, escalation["id"], state.id, MARKER_TTL)
        ctx.emit(RecordDecision("escalate", decision.reason, state.agent_id,
                                {"escalation_id": escalation["id"], "evidence": list(decision.evidence)}))
        if state.agent_id:
            ctx.emit(SendToAgent(state.agent_id, {"type": "escalation.started", "conversation_id": state.id,
                                                  "escalation_id": escalation["id"], "reason": decision.reason}))
        await self._offer_next(ctx, escalation)

    async def _offer_next(self, ctx: Context, escalation: dict) -> None:
        state = ctx.conversation
        seniors = [(p.agent_id, p.load, p.capacity) for p in await ctx.services.directory.all()
                   if p.role == "senior" and p.status == "online" and state.group in p.groups]
        senior = self.policy.senior_chain(seniors, escalation["tried"])
        escalation["offer"] += 1
        handoff = {"type": "escalation.handoff", "conversation_id": state.id, "escalation_id": escalation["id"],
                   "reason": escalation["reason"], "summary": escalation["summary"]}
        if senior is None:
            escalation["offered_to"] = SUPERVISORS
            ctx.emit(NotifySupervisors(handoff, with_history=True))
        else:
            escalation["offered_to"] = senior
            escalation["offered_at"] = ctx.now
            escalation["tried"].append(senior)
            ctx.emit(SendToAgent(senior, handoff, with_history=True))
            ctx.emit(accept_timeout(ctx.services, state.id, escalation))
        ctx.emit(RecordDecision("escalation_offered", escalation["offered_to"], None,
                                {"escalation_id": escalation["id"], "offer": escalation["offer"]}))
        _save(ctx, escalation)

    async def _response(self, ctx: Context, event: EscalationResponse) -> None:
        escalation = ctx.conversation.data.get("escalation") or {}
        if escalation.get("id") != event.escalation_id or escalation.get("status") != "offered":
            ctx.reject(409, "escalation_not_open", "this escalation is not waiting for an answer")
            return
        role = ctx.services.agents[event.agent_id].role
        offered_to = escalation["offered_to"]
        if event.agent_id != offered_to and not (offered_to == SUPERVISORS and role == "supervisor"):
            ctx.reject(403, "forbidden", "this escalation was not offered to you")
            return
        if event.accept:
            await self._accept(ctx, escalation, event.agent_id, role)
        elif offered_to != SUPERVISORS:
            ctx.emit(RecordDecision("escalation_declined", "declined", event.agent_id,
                                    {"escalation_id": escalation["id"]}))
            ctx.emit(CancelTimer(_key(ctx.conversation.id)))
            await self._offer_next(ctx, escalation)

    async def _accept(self, ctx: Context, escalation: dict, agent_id: str, role: str) -> None:
        state = ctx.conversation
        mode = "assist" if role == "supervisor" else ctx.services.config.escalation.mode
        escalation.update(status="accepted", accepted_by=agent_id, accepted_at=ctx.now, mode=mode)
        state.data["last_escalated_at"] = ctx.now     # resolved: the cooldown and hysteresis count from here
        ctx.emit(CancelTimer(_key(state.id)))
        first = state.agent_id
        if mode == "transfer":
            await release(ctx, "escalation")
            await ctx.services.directory.assign(agent_id, state.id, ctx.now)
            assign(ctx, agent_id, "escalation", escalation_id=escalation["id"], from_agent=first)
        else:
            state.data.setdefault("participants", []).append(agent_id)
            add_watcher(ctx, agent_id, role="adviser")
        if first:
            ctx.emit(SendToAgent(first, {"type": "escalation.resolved", "conversation_id": state.id,
                                         "escalation_id": escalation["id"], "outcome": "accepted",
                                         "mode": mode, "by": agent_id}))
        ctx.emit(RecordDecision("escalation_accepted", mode, agent_id, {"escalation_id": escalation["id"]}))
        _save(ctx, escalation)

    async def _timed_out(self, ctx: Context) -> None:
        escalation = ctx.conversation.data.get("escalation") or {}
        if escalation.get("status") != "offered" or ctx.event.payload.get("offer") != escalation.get("offer"):
            return
        ctx.emit(RecordDecision("escalation_declined", "accept_timeout", escalation["offered_to"],
                                {"escalation_id": escalation["id"]}))
        await self._offer_next(ctx, escalation)

    def _closed(self, ctx: Context) -> None:
        escalation = ctx.conversation.data.get("escalation") or {}
        if escalation.get("status") == "offered":
            escalation["status"] = "unanswered"
            ctx.emit(CancelTimer(_key(ctx.conversation.id)))
            _save(ctx, escalation)


def _save(ctx: Context, escalation: dict) -> None:
    state = ctx.conversation
    ctx.emit(RecordRow(TABLE, {
        "id": escalation["id"], "conversation_id": state.id, "reason": escalation["reason"],
        "evidence": escalation["evidence"], "status": escalation["status"], "from_agent": escalation["from_agent"],
        "offered_to": escalation.get("offered_to"), "accepted_by": escalation.get("accepted_by"),
        "mode": escalation.get("mode"), "started_at": escalation["started_at"],
        "accepted_at": escalation.get("accepted_at"), "summary": escalation["summary"]}))
    ctx.emit(PersistConversation())
