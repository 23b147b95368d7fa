"""Analysis: every customer message gets its emotion, intent and order id before the steps that act on them
(escalation, routing, tickets, hints) and before the agent sees it (``customer.message``'s ``analysis``).

CPU-bound but small (30–60 µs per chat message in the live pipeline, a recurring text's own reading is
remembered; see bench/profile_pipeline.py), so it runs inline on the event loop.
"""

from __future__ import annotations

from escalation.analysis import CONTEXT_TURNS
from escalation.emotion import Turn
from gateway.actions import PersistConversation
from gateway.context import Context
from gateway.events import CustomerMessage


class Analysis:
    name = "analysis"
    handles = (CustomerMessage,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state, event = ctx.conversation, ctx.event
        earlier = state.recent[-CONTEXT_TURNS - 1:-1]   # the analyzer reads no further back
        context = [Turn("customer" if t.role == "customer" else "agent", t.text, t.at) for t in earlier]
        waited = event.received_at - state.waiting_since if state.waiting_since is not None else None
        result = ctx.services.engines["analyzer"].analyze(event.text, context, waited or None, event.order_id)
        ctx.analysis.update(result.to_dict())
        ctx.facts["analysis"] = result
        ctx.facts["waited_s"] = waited
        if result.order_id and state.order_id is None:
            state.order_id = result.order_id
            ctx.emit(PersistConversation())
