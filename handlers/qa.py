"""Reply checks: every agent reply is checked before it reaches the customer (banned words, leaked personal
data, copy-paste repeats) and, by ``qa.on_violation``, blocked (``reply.rejected`` with each reason and span,
nothing delivered), masked (the spans masked, then delivered) or flagged (delivered and recorded).

Fails closed: if the check itself breaks, the reply is held back with a clear reason. Personal data the
customer gave in this conversation may be repeated back; it is remembered here from customer messages.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from gateway.actions import RecordDecision, RecordRow, SendToAgent
from gateway.context import Context
from gateway.events import AgentReply, CustomerMessage
from gateway.ids import new_id
from gateway.pii import find_pii

TABLE = "qa_violations"
REJECTED = "reply_rejected"   # the agent got reply.rejected: a WebSocket client needs no error frame too
GIVEN_LIMIT = 20


class ReplyQA:
    name = "qa"
    handles = (CustomerMessage, AgentReply)
    fail_closed = True

    async def handle(self, ctx: Context) -> None:
        if isinstance(ctx.event, CustomerMessage):
            _remember_given_data(ctx)
            return
        state, event = ctx.conversation, ctx.event
        previous = next((t.text for t in reversed(state.recent) if t.role == "agent"), None)
        given = [t.text for t in state.recent if t.role == "customer"] + state.data.get("customer_pii", [])
        checker = ctx.services.engines["reply_checker"]
        violations = checker.check(event.text, customer_texts=given, order_id=state.order_id,
                                   previous_reply=previous)
        if not violations:
            return
        policy = ctx.services.config.qa.on_violation
        if policy == "mask" and any(v.code != "repeat" for v in violations):
            ctx.event = replace(event, text=checker.mask(event.text, violations))
            _record(ctx, violations, "masked")
            ctx.emit(SendToAgent(event.agent_id, _notice("reply.masked", event, violations, ctx.event.text)))
        elif policy == "block":
            _record(ctx, violations, "blocked")
            notice = _notice("reply.rejected", event, violations)
            ctx.emit(SendToAgent(event.agent_id, notice))
            ctx.reject(422, REJECTED, "the reply was held back by the reply checks", {"reasons": notice["reasons"]})
        else:
            _record(ctx, violations, "flagged")

    def on_failure(self, ctx: Context, exc: Exception) -> None:
        if isinstance(ctx.event, AgentReply):
            reason = {"code": "check_failed", "detail": "the reply check failed; the reply was held back"}
            event = ctx.event
            ctx.emit(SendToAgent(event.agent_id, {"type": "reply.rejected", "conversation_id": event.conversation_id,
                                                  "client_msg_id": event.client_msg_id, "reasons": [reason]}))
            ctx.emit(RecordDecision("reply_rejected", "check_failed", event.agent_id, {"error": type(exc).__name__}))
            ctx.reject(422, REJECTED, "the reply check failed; the reply was held back", {"reasons": [reason]})


def _notice(kind: str, event: AgentReply, violations, text: str | None = None) -> dict:
    notice = {"type": kind, "conversation_id": event.conversation_id, "client_msg_id": event.client_msg_id,
              "reasons": [v.to_dict() for v in violations]}
    if text is not None:
        notice["text"] = text
    return notice


def _record(ctx: Context, violations, action: str) -> None:
    event = ctx.event
    for violation in violations:
        ctx.emit(RecordRow(TABLE, {"id": new_id("qv"), "at": ctx.now, "conversation_id": event.conversation_id,
                                   "agent_id": event.agent_id, "client_msg_id": event.client_msg_id,
                                   "code": violation.code, "detail": violation.detail, "action": action}))
    kind = {"blocked": "reply_rejected", "masked": "reply_masked", "flagged": "reply_flagged"}[action]
    ctx.emit(RecordDecision(kind, ",".join(sorted({v.code for v in violations})), event.agent_id,
                            {"client_msg_id": event.client_msg_id, "reasons": [v.to_dict() for v in violations]}))


def _remember_given_data(ctx: Context) -> None:
    spans = _personal_data(ctx.event.text)
    if spans:
        given = ctx.conversation.data.setdefault("customer_pii", [])
        given.extend(spans)
        del given[:-GIVEN_LIMIT]


@functools.lru_cache(maxsize=4096)
def _personal_data(text: str) -> tuple[str, ...]:
    """The personal data a customer message gives, as written; pure, and short turns recur."""
    return tuple(span.text for span in find_pii(text))
