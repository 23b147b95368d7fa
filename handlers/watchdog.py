"""Watchdogs: staged deadlines while a customer waits for an answer.

A waiting period starts with the first customer message that nobody has answered (``first_response`` stages
before the conversation's first agent reply, ``reply`` stages after it) and ends with an agent reply; auto
replies do not end it. Each stage fires at most once per period, in order: the period number and stage index
travel in the timer's payload, and a firing that does not match the conversation's current period and next
stage is stale and ignored. Deadlines count business time only (``watchdog.business_hours``); waiting is
measured from when the gateway received the customer's message. Progress lives in ``data["watchdog"]`` and is
persisted with the conversation, so a restart re-arms exactly the next stage (:func:`rearm`).
"""

from __future__ import annotations

from gateway.actions import (CancelTimer, DeliverToCustomer, NotifySupervisors, PersistConversation,
                             RecordDecision, ScheduleTimer, SendToAgent)
from gateway.context import Context
from gateway.conversation import ConversationState
from gateway.events import AgentReply, CloseRequest, CustomerMessage, TimerFired
from handlers.reply_periods import record_period_end, record_period_start
from handlers.assignment import reassign

KIND = "watchdog"
IDLE = "idle"


def timer_key(conversation_id: str) -> str:
    return f"wd:{conversation_id}"


class Watchdog:
    name = "watchdog"
    handles = (CustomerMessage, AgentReply, TimerFired, CloseRequest)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        event = ctx.event
        if isinstance(event, (CustomerMessage, AgentReply)):
            ctx.emit(idle_timer(ctx.services, ctx.conversation.id, ctx.now))
        if isinstance(event, CustomerMessage):
            self._customer_wrote(ctx)
        elif isinstance(event, AgentReply):
            self._agent_answered(ctx)
        elif isinstance(event, CloseRequest):
            self._closed(ctx)
        elif event.kind == KIND:
            await self._stage_due(ctx)

    def _customer_wrote(self, ctx: Context) -> None:
        state = ctx.conversation
        watch = state.data.get("watchdog")
        _off_hours_reply(ctx)
        if watch and watch["waiting"]:
            return
        kind = "first_response" if state.first_response_at is None else "reply"
        watch = {"period": (watch["period"] + 1) if watch else 1, "kind": kind, "stage": 0, "waiting": True}
        state.data["watchdog"] = watch
        record_period_start(ctx, watch)
        _arm_next(ctx, state)

    def _agent_answered(self, ctx: Context) -> None:
        watch = ctx.conversation.data.get("watchdog")
        if not watch or not watch["waiting"]:
            return
        watch["waiting"] = False
        record_period_end(ctx, watch, answered=True)
        ctx.emit(CancelTimer(timer_key(ctx.conversation.id)))

    def _closed(self, ctx: Context) -> None:
        watch = ctx.conversation.data.get("watchdog")
        if watch and watch["waiting"]:
            watch["waiting"] = False
            record_period_end(ctx, watch, answered=False)
        ctx.emit(CancelTimer(timer_key(ctx.conversation.id)))
        ctx.emit(CancelTimer(f"idle:{ctx.conversation.id}"))

    async def _stage_due(self, ctx: Context) -> None:
        state = ctx.conversation
        watch = state.data.get("watchdog")
        payload = ctx.event.payload
        if (not watch or not watch["waiting"] or payload.get("period") != watch["period"]
                or payload.get("stage") != watch["stage"]):
            return
        stage = stages_of(ctx, watch["kind"])[watch["stage"]]
        waited = round(ctx.now - state.waiting_since, 1)
        alert = {"type": "watchdog.alert", "conversation_id": state.id, "stage": f"{watch['kind']}.{watch['stage'] + 1}",
                 "period": watch["kind"], "after_s": stage.after, "waited_s": waited, "action": stage.action,
                 "agent_id": state.agent_id}
        watch["stage"] += 1
        ctx.emit(RecordDecision("watchdog", stage.action, state.agent_id, {k: v for k, v in alert.items()
                                                                           if k != "type"}))
        ctx.emit(PersistConversation())
        await _act(ctx, stage, alert)
        _arm_next(ctx, state)


async def _act(ctx: Context, stage, alert: dict) -> None:
    state = ctx.conversation
    if stage.action == "nudge_agent" and state.agent_id:
        ctx.emit(SendToAgent(state.agent_id, alert))
    elif stage.action == "alert_supervisor":
        ctx.emit(NotifySupervisors(alert))
    elif stage.action == "reassign":
        await reassign(ctx, "reassign", why="watchdog")
    elif stage.action == "auto_reply":
        ctx.emit(DeliverToCustomer(stage.text, "auto"))
        ctx.conversation.data["watchdog"]["auto_replied"] = True


def stages_of(ctx: Context, kind: str):
    return getattr(ctx.services.config.watchdog, kind)


def _arm_next(ctx: Context, state: ConversationState) -> None:
    for action in rearm(ctx.services, state):
        ctx.emit(action)


def rearm(services, state: ConversationState) -> list[ScheduleTimer]:
    """The deadline of the period's next stage, if any: used live and after a restart."""
    watch = state.data.get("watchdog")
    if not watch or not watch["waiting"] or state.waiting_since is None:
        return []
    stages = getattr(services.config.watchdog, watch["kind"])
    if watch["stage"] >= len(stages):
        return []
    due = services.calendar.add_business_seconds(state.waiting_since, stages[watch["stage"]].after)
    return [ScheduleTimer(timer_key(state.id), due, KIND, {"period": watch["period"], "stage": watch["stage"]})]


def idle_timer(services, conversation_id: str, last_activity: float) -> ScheduleTimer:
    """The idle close, counted in business time like every other deadline."""
    due = services.calendar.add_business_seconds(last_activity, services.config.watchdog.idle_close)
    return ScheduleTimer(f"idle:{conversation_id}", due, IDLE, {})


def _off_hours_reply(ctx: Context) -> None:
    """Outside business hours, tell the customer once per conversation when they will be answered."""
    config = ctx.services.config.watchdog
    hours = config.business_hours
    state = ctx.conversation
    if hours is None or not hours.off_hours_reply or ctx.services.calendar.is_open(ctx.now):
        return
    if state.data.get("off_hours_replied"):
        return
    state.data["off_hours_replied"] = True
    ctx.emit(DeliverToCustomer(hours.off_hours_reply, "auto"))
    ctx.emit(RecordDecision("auto_reply", "off_hours"))
