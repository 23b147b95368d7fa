"""Quality review (全量质检): every conversation gets a QA record when it closes — response figures, emotion
trend, violations, escalations, survey status — flagged ``problem`` or ``excellent`` with the reasons
(:mod:`kpis.quality`), so a reviewer reads the flagged few instead of a random sample.

Runs after Closing (and the survey invitation) on the event that closed the conversation, once. The customer's
recent messages are read again by the same emotion engine as live; the rest comes from the records, plus what
this event is about to write (the wait the close ended). Fails open: a broken review never blocks a close.
"""

from __future__ import annotations

from escalation.emotion import Turn
from gateway.actions import RecordDecision, RecordRow
from gateway.context import Context
from gateway.events import CloseRequest, TimerFired
from handlers.closing import IDLE
from handlers.survey_answer import parse_survey_answer
from kpis import reads
from kpis.quality import Facts, Said, review

TABLE = "qa_reviews"
DONE = "reviewed_at"


class QualityReview:
    name = "review"
    handles = (CloseRequest, TimerFired)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state = ctx.conversation
        if isinstance(ctx.event, TimerFired) and ctx.event.kind != IDLE:
            return
        if state.status != "closed" or DONE in state.data:
            return
        config = ctx.services.config.kpis
        row = review(await _facts(ctx, config.repeat_window), config.review)
        state.data[DONE] = ctx.now
        ctx.emit(RecordRow(TABLE, row))
        flags = [flag for flag in ("problem", "excellent") if row[flag]]
        if flags:
            ctx.emit(RecordDecision("qa_review", ",".join(flags), state.agent_id,
                                    {"reasons": [r["code"] for r in row["reasons"]]}))


async def _facts(ctx: Context, repeat_window: float) -> Facts:
    state = ctx.conversation
    async with ctx.services.db.connect() as conn:
        stored = await reads.review_inputs(conn, state.id)
        repeat = await reads.closed_recently(conn, state.storefront_id, state.customer_id, state.id,
                                             state.opened_at, repeat_window)
    waits = {w["id"]: _ended_by_close(w, state.closed_at) for w in stored["waits"]}
    waits.update((a.row["id"], a.row) for a in ctx.actions if isinstance(a, RecordRow) and a.table == "reply_periods")
    said = _said(ctx)
    return Facts(conversation=_fields(state), said=said, trend=state.data.get("emotion", {}),
                 waits=sorted(waits.values(), key=lambda w: w["started_at"]), transfers=max(0, stored["assigns"] - 1),
                 escalations=stored["escalations"], violations=stored["violations"], tickets=stored["tickets"],
                 messages=stored["messages"], repeat_inquiry=repeat, survey=_survey(state.data.get("survey")),
                 signed_off=_signed_off(said))


def _ended_by_close(wait: dict, closed_at: float) -> dict:
    """An idle close leaves the wait "waiting" in the records: it ended with the conversation."""
    if wait["outcome"] != "waiting":
        return wait
    return {**wait, "outcome": "closed", "waited_s": round(closed_at - wait["started_at"], 3)}


def _survey(survey: dict | None) -> str | None:
    if not survey:
        return None
    return f"skipped:{survey['reason']}" if survey["status"] == "skipped" else survey["status"]


def _signed_off(said: list[Said]) -> bool:
    """The customer's last words end the chat: thanks or an acknowledgement ("好的", "谢谢", "ok")."""
    if not said:
        return False
    answer = parse_survey_answer(said[-1].text)
    return said[-1].label == "positive" or (answer is not None and answer.resolved is True)


def _fields(state) -> dict:
    names = ("id", "storefront_id", "shop_id", "group", "customer_id", "agent_id", "opened_at", "closed_at",
             "closed_by", "resolved")
    return {name: getattr(state, name) for name in names}


def _said(ctx: Context) -> list[Said]:
    """The customer's recent messages, scored in their conversation as the live analysis scores them."""
    engine = ctx.services.engines["analyzer"].emotion
    turns = ctx.conversation.recent
    said, answered = [], False
    for index, turn in enumerate(turns):
        if turn.role != "customer":
            answered = answered or turn.role == "agent"
            continue
        context = [Turn("customer" if t.role == "customer" else "agent", t.text, t.at) for t in turns[:index]]
        emotion = engine.score(turn.text, context)
        said.append(Said(turn.text, turn.at, emotion.label, emotion.score, emotion.anger, emotion.hard_trigger,
                         answered))
    return said
