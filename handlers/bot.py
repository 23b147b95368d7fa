"""The chatbot tier: a bot answers first (``bot.mode: first``) or while no agent can (``overflow``: all busy
or off-hours), and hands the conversation to a person on request (转人工…), after ``misses_before_handoff``
answers below ``min_confidence``, on anger, on a ticket-worthy problem, when the bot says so, or (overflow)
the moment an agent can take it. The agent then gets ``conversation.assigned`` with ``reason: "bot_handoff"``,
the handoff reason and the whole transcript in ``history``; watchdogs count from the handoff. Bot replies go
out with ``kind: "bot"`` and never count as an agent's answer. Every bot decision is recorded.
"""

from __future__ import annotations

from gateway.actions import DeliverToCustomer, PersistConversation, RecordDecision
from gateway.context import Context
from gateway.conversation import Turn
from gateway.events import CustomerMessage, RouteRequest
from escalation.human_request import asks_for_human
from handlers.assignment import queue
from handlers.watchdog import idle_timer

REPHRASE = "亲，没太理解您的意思，可以换个说法描述一下吗？也可以回复“人工”转人工客服～"


class Bot:
    name = "bot"
    handles = (CustomerMessage, RouteRequest)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        config, state = ctx.services.config.bot, ctx.conversation
        if config.mode == "off" or not state.is_open or state.agent_id is not None:
            return
        bot = state.data.get("bot")
        if isinstance(ctx.event, RouteRequest):
            if bot and bot["active"]:
                _hand_over(ctx, bot, "agent_available", say=False)
            return
        if bot is None:
            if not await _bot_takes_it(ctx):
                return
            bot = state.data["bot"] = {"active": True, "misses": 0, "answers": 0}
            if config.mode == "overflow":
                await queue(ctx)
        if bot["active"]:
            await self._turn(ctx, bot)

    async def _turn(self, ctx: Context, bot: dict) -> None:
        reason = _handoff_reason(ctx)
        if reason is not None:
            _hand_over(ctx, bot, reason)
            return
        answer = await ctx.services.engines["bot"].turn(
            ctx.event.text, intent=(ctx.analysis.get("intent") or {}).get("label"), values=_values(ctx),
            conversation_id=ctx.conversation.id, customer_id=ctx.conversation.customer_id,
            history=[{"role": t.role, "text": t.text} for t in ctx.conversation.recent[:-1]])
        if answer.handoff:
            if answer.reply:
                _say(ctx, answer.reply)
            _hand_over(ctx, bot, answer.reason or "bot_handoff", say=not answer.reply)
        elif answer.reply and answer.confidence >= ctx.services.config.bot.min_confidence:
            bot.update(misses=0, answers=bot["answers"] + 1)
            _say(ctx, answer.reply)
            ctx.emit(RecordDecision("bot_answered", answer.entry or "webhook", details={
                "entry": answer.entry, "confidence": round(answer.confidence, 3)}))
            _stay_with_bot(ctx)
        else:
            self._missed(ctx, bot, answer)

    def _missed(self, ctx: Context, bot: dict, answer) -> None:
        bot["misses"] += 1
        ctx.emit(RecordDecision("bot_declined", "low_confidence", details={
            "entry": answer.entry, "confidence": round(answer.confidence, 3), "misses": bot["misses"]}))
        if bot["misses"] >= ctx.services.config.bot.misses_before_handoff:
            _hand_over(ctx, bot, "low_confidence")
        else:
            _say(ctx, REPHRASE)
            _stay_with_bot(ctx)


async def _bot_takes_it(ctx: Context) -> bool:
    """first: always; overflow: only when no agent could take the chat now (all busy, or off-hours)."""
    if ctx.services.config.bot.mode == "first":
        return True
    if not ctx.services.calendar.is_open(ctx.now):
        return True
    state = ctx.conversation
    return not any(p.can_take(state.group, ("agent",)) for p in await ctx.services.directory.all())


def _handoff_reason(ctx: Context) -> str | None:
    if asks_for_human(ctx.event.text):
        return "customer_request"
    emotion = ctx.analysis.get("emotion") or {}
    if emotion.get("anger", 0.0) >= ctx.services.config.bot.handoff_anger or emotion.get("label") == "angry":
        return "negative_emotion"
    intent = (ctx.analysis.get("intent") or {}).get("label")
    if intent in ctx.services.config.intents:
        return "ticket_intent"
    return None


def _hand_over(ctx: Context, bot: dict, reason: str, say: bool = True) -> None:
    state = ctx.conversation
    bot.update(active=False, handoff_reason=reason)
    state.waiting_since = ctx.now            # watchdogs count from when a person is asked for
    if say:
        _say(ctx, ctx.services.config.bot.handoff_text)
    ctx.emit(RecordDecision("bot_handoff", reason, details={"answers": bot["answers"], "misses": bot["misses"]}))
    ctx.emit(PersistConversation())


def _stay_with_bot(ctx: Context) -> None:
    ctx.emit(idle_timer(ctx.services, ctx.conversation.id, ctx.now))
    ctx.emit(PersistConversation())
    ctx.stop("bot_answered")


def _say(ctx: Context, text: str) -> None:
    """A bot reply: delivered, and kept in the recent turns (the bot's history and the agent's handoff)."""
    ctx.emit(DeliverToCustomer(text, "bot"))
    ctx.conversation.remember(Turn("bot", text, ctx.now))


def _values(ctx: Context) -> dict[str, str]:
    state = ctx.conversation
    return {k: v for k, v in (("customer_name", state.customer_name), ("order_id", state.order_id)) if v}
