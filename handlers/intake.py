"""Intake: records every customer message and updates the conversation's clock before any other step looks.

The row is written by the effects before anything leaves the gateway, so the storefront's 202/ack always
means the message is stored, whatever later steps decide (a survey answer is recorded but not forwarded).
"""

from __future__ import annotations

from gateway.actions import PersistConversation, RecordMessage
from gateway.context import Context
from gateway.conversation import Turn
from gateway.events import CustomerMessage
from gateway.ids import new_id
from gateway.timefmt import iso


class Intake:
    name = "intake"
    handles = (CustomerMessage,)
    fail_closed = True

    async def handle(self, ctx: Context) -> None:
        event: CustomerMessage = ctx.event
        state = ctx.conversation
        if not state.is_open:
            return
        state.customer_name = event.customer_name or state.customer_name
        state.order_id = event.order_id or state.order_id
        state.last_customer_at = event.received_at
        if state.waiting_since is None:
            state.waiting_since = event.received_at
        row = {"id": new_id("m"), "conversation_id": state.id, "seq": state.next_seq(), "role": "customer",
               "author_id": None, "storefront_id": event.storefront_id, "external_id": event.message_id,
               "text": event.text, "sent_at": event.sent_at, "received_at": event.received_at, "script_id": None}
        state.remember(Turn("customer", event.text, event.received_at, row["id"]))
        ctx.message = {"id": row["id"], "message_id": event.message_id, "conversation_id": state.id,
                       "role": "customer", "customer_id": event.customer_id, "text": event.text,
                       "sent_at": event.sent_at, "received_at": iso(event.received_at), "order_id": event.order_id}
        ctx.emit(RecordMessage(row))
        ctx.emit(PersistConversation())   # the waiting clock and handler state survive a restart
