"""The one-question post-chat survey.

``SurveyInvite`` (after closing): when a conversation closes, the customer gets ``survey.question`` unless an
exclusion applies (the agent never answered; the customer left before any answer; asked within
``min_interval``; an escalation still unresolved); a skip is recorded with its reason. The closed conversation
then listens for ``answer_window`` (``listening_until``).

``SurveyCapture`` (first): the customer's next message reaches the closed conversation. If it reads as an
answer it is recorded there, thanked once, and goes no further: no agent sees it, no conversation opens.
Anything else ends the listening, and the dispatcher opens a new conversation for it. A survey is never left
open: without an answer it is closed as unanswered with an evaluation inferred from the customer's last words.
"""

from __future__ import annotations

from gateway.actions import (CancelTimer, DeliverToCustomer, PersistConversation, RecordDecision, RecordMessage,
                             RecordRow, ScheduleTimer)
from gateway.context import Context
from gateway.conversation import ConversationState
from gateway.events import CloseRequest, CustomerMessage, TimerFired
from gateway.ids import new_id
from handlers.survey_answer import parse_survey_answer

TABLE = "surveys"
WINDOW = "survey_window"
ASKED = "surveyed"


def _timer_key(conversation_id: str) -> str:
    return f"sv:{conversation_id}"


class SurveyInvite:
    name = "survey_invite"
    handles = (CloseRequest, TimerFired)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state, config = ctx.conversation, ctx.services.config.survey
        if state.is_open or not config.enabled or "survey" in state.data:
            return
        reason = await self._exclusion(ctx)
        if reason is not None:
            state.data["survey"] = {"status": "skipped", "reason": reason}
            ctx.emit(RecordDecision("survey_skipped", reason, state.agent_id))
            return
        survey = {"id": new_id("sv"), "status": "sent", "sent_at": ctx.now}
        state.data["survey"] = survey
        state.listening_until = ctx.now + config.answer_window
        await ctx.services.state.set_marker(ASKED, state.customer_key, state.id, config.min_interval)
        ctx.emit(DeliverToCustomer(config.question, "survey"))
        ctx.emit(RecordRow(TABLE, _row(state, survey)))
        ctx.emit(RecordDecision("survey_sent", "conversation_closed", state.agent_id))
        ctx.emit(ScheduleTimer(_timer_key(state.id), state.listening_until, WINDOW, {}))
        ctx.emit(PersistConversation())

    async def _exclusion(self, ctx: Context) -> str | None:
        state, excluded = ctx.conversation, ctx.services.config.survey.exclude
        if state.first_response_at is None and not (state.data.get("bot") or {}).get("answers"):
            left = state.closed_by == "system"
            reason = "customer_left" if left else "agent_never_answered"
            if reason in excluded:
                return reason
        escalation = state.data.get("escalation") or {}
        if "escalation_unresolved" in excluded and escalation and escalation.get("status") != "accepted":
            return "escalation_unresolved"
        if "asked_recently" in excluded and await ctx.services.state.get_marker(ASKED, state.customer_key):
            return "asked_recently"
        return None


class SurveyCapture:
    name = "survey_capture"
    handles = (CustomerMessage, TimerFired)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state = ctx.conversation
        survey = state.data.get("survey")
        if state.is_open or not survey or survey.get("status") != "sent":
            return
        if isinstance(ctx.event, TimerFired):
            if ctx.event.kind == WINDOW:
                _close_unanswered(ctx, survey)
            return
        answer = parse_survey_answer(ctx.event.text, ctx.services.config.survey.scale)
        if answer is None:
            _close_unanswered(ctx, survey)
            ctx.stop("not_a_survey_answer")
            return
        self._record_answer(ctx, survey, answer)

    def _record_answer(self, ctx: Context, survey: dict, answer) -> None:
        state, event = ctx.conversation, ctx.event
        survey.update(status="answered", answered_at=ctx.now, resolved=answer.resolved, rating=answer.rating,
                      answer=answer.raw)
        ctx.emit(RecordMessage({"id": new_id("m"), "conversation_id": state.id, "seq": state.next_seq(),
                                "role": "customer", "author_id": None, "storefront_id": event.storefront_id,
                                "external_id": event.message_id, "text": event.text, "sent_at": event.sent_at,
                                "received_at": event.received_at, "script_id": None}))
        _finish(ctx, survey)
        ctx.emit(RecordDecision("survey_answer", "parsed", state.agent_id, answer.to_dict()))
        thanks = ctx.services.config.survey.thanks
        if thanks:
            ctx.emit(DeliverToCustomer(thanks, "survey"))
        ctx.consume()


def _close_unanswered(ctx: Context, survey: dict) -> None:
    """No answer: keep an inferred evaluation from the customer's last words beside the survey."""
    state = ctx.conversation
    score = infer_satisfaction(state, ctx.services.engines["analyzer"].emotion)
    survey.update(status="unanswered", inferred=True, inferred_score=score,
                  resolved=None if score is None or abs(score) < 0.3 else score > 0)
    _finish(ctx, survey)
    ctx.emit(RecordDecision("survey_unanswered", "inferred", state.agent_id, {"inferred_score": score}))


def _finish(ctx: Context, survey: dict) -> None:
    state = ctx.conversation
    state.listening_until = None
    ctx.emit(RecordRow(TABLE, _row(state, survey)))
    ctx.emit(CancelTimer(_timer_key(state.id)))
    ctx.emit(PersistConversation())


def infer_satisfaction(state: ConversationState, emotion_engine) -> float | None:
    """-1..1: the emotion of the customer's last two messages ("谢谢" scores high, "不太满意" low)."""
    texts = [t.text for t in state.recent if t.role == "customer"][-2:]
    if not texts:
        return None
    return round(sum(emotion_engine.score(t).score for t in texts) / len(texts), 3)


def _row(state: ConversationState, survey: dict) -> dict:
    return {"id": survey["id"], "conversation_id": state.id, "storefront_id": state.storefront_id,
            "customer_id": state.customer_id, "agent_id": state.agent_id, "sent_at": survey["sent_at"],
            "status": survey["status"], "answered_at": survey.get("answered_at"), "resolved": survey.get("resolved"),
            "rating": survey.get("rating"), "answer": survey.get("answer"), "inferred": survey.get("inferred", False),
            "inferred_score": survey.get("inferred_score")}


async def rearm_listening(services, state: ConversationState) -> None:
    """After a restart: the survey window of a closed conversation (fires at once if it already ran out)."""
    if state.listening_until is not None:
        await services.timers.arm(_timer_key(state.id), state.listening_until, WINDOW,
                                  {"conversation_id": state.id})
