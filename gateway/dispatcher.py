"""One door in: :meth:`Dispatcher.feed` takes every event, locks its conversation, loads the state, runs the
pipeline, commits the durable actions, saves the state, then sends.

The lock is per customer (``storefront:customer``): a customer message must find or open the customer's
conversation atomically, and an agent frame for a conversation takes the same lock through the conversation's
immutable customer index, so one lock orders everything that happens to a conversation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from gateway.actions import DrainQueue
from gateway.context import Context, Rejection
from gateway.conversation import ConversationState, customer_key
from gateway.events import CustomerMessage, Event, RouteRequest
from gateway.ids import new_id
from gateway.pipeline import Pipeline

log = logging.getLogger(__name__)


def owner_queue(agent_id: str) -> str:
    """The queue 'group' of conversations waiting for their first-contact owner to have room."""
    return f"@{agent_id}"

NOT_FOUND = Rejection(404, "not_found", "unknown conversation")
CLOSED = Rejection(409, "conversation_closed", "the conversation is closed")


@dataclass(frozen=True, slots=True)
class Outcome:
    conversation_id: str | None = None
    duplicate: bool = False
    rejection: Rejection | None = None


class Dispatcher:
    def __init__(self, pipeline: Pipeline, services, effects) -> None:
        self.pipeline = pipeline
        self.services = services
        self.effects = effects
        self._timers: dict[type, Any] = {}   # feed_seconds per event type: labels() costs a lock and a lookup

    async def feed(self, event: Event) -> Outcome:
        started = time.perf_counter()
        try:
            return await self._feed(event)
        finally:
            self._timer(type(event)).observe(time.perf_counter() - started)

    def _timer(self, kind: type) -> Any:
        timer = self._timers.get(kind)
        if timer is None:
            timer = self._timers[kind] = self.services.metrics.feed_seconds.labels(event=kind.__name__)
        return timer

    async def _feed(self, event: Event) -> Outcome:
        if isinstance(event, CustomerMessage):
            return await self._feed_customer(event)
        key = await self.services.state.customer_key_of(event.conversation_id)
        if key is None:
            return Outcome(event.conversation_id, rejection=await self._why_unknown(event.conversation_id))
        async with self.services.locks.lock(key):
            state = await self.services.state.load(event.conversation_id)
            if state is None:
                return Outcome(event.conversation_id, rejection=CLOSED)
            ctx, sends = await self._run(event, state)
            await self.effects.send(ctx, sends)
        await self._follow_up(ctx)
        return Outcome(state.id, rejection=ctx.rejection)

    async def _feed_customer(self, event: CustomerMessage) -> Outcome:
        store = self.services.state
        key = customer_key(event.storefront_id, event.customer_id)
        async with self.services.locks.lock(key):
            seen = await store.seen_message(event.storefront_id, event.message_id)
            if seen is not None:
                return Outcome(seen, duplicate=True)
            open_id = await store.open_conversation_of(key)
            state = await store.load(open_id) if open_id else None
            if state is not None and not state.is_open:   # closed, listening: is this its follow-up?
                ctx, sends = await self._run(replace(event, conversation_id=state.id), state)
                if ctx.consumed:
                    await store.remember_message(event.storefront_id, event.message_id, state.id)
                await self.effects.send(ctx, sends)
                if ctx.consumed:
                    return Outcome(state.id)
                state = None
            opened = state is None
            if opened:
                state = self._open(event)
            ctx, sends = await self._run(replace(event, conversation_id=state.id), state, opened=opened)
            # Remembered before the sends: once stored, a retry of the message is a duplicate even if a send
            # failed and the storefront got an error. A refused message is processed when the storefront retries.
            if ctx.rejection is None:
                if opened:
                    await store.set_open_conversation(key, state.id)
                await store.remember_message(event.storefront_id, event.message_id, state.id)
            await self.effects.send(ctx, sends)
        await self._follow_up(ctx)
        return Outcome(state.id, rejection=ctx.rejection)

    async def drain(self, agent_id: str) -> None:
        """Offer waiting conversations, oldest first, while the agent is online with room."""
        directory = self.services.directory
        while True:
            presence = await directory.get(agent_id)
            if presence is None or presence.status != "online" or presence.load >= presence.capacity:
                return
            conversation_id = await directory.dequeue((*presence.groups, owner_queue(agent_id)))
            if conversation_id is None:
                return
            await self.feed(RouteRequest(conversation_id, self.services.clock()))
            if await directory.is_queued(conversation_id):
                return  # it went back to the queue: nobody may take it now

    async def _follow_up(self, ctx: Context) -> None:
        """Events that follow this one, fed after its lock is released."""
        for action in ctx.actions:
            if isinstance(action, DrainQueue):
                await self.drain(action.agent_id)

    async def _run(self, event: Event, state: ConversationState, opened: bool = False
                   ) -> tuple[Context, dict[int, dict[str, Any]]]:
        """Run the pipeline, commit, save the state; return the context and the sends, for the caller to perform
        once what it must remember of the event is remembered too."""
        ctx = Context(event=event, conversation=state, now=self.services.clock(), services=self.services,
                      opened=opened)
        await self.pipeline.run(ctx)
        sends = await self.effects.persist(ctx)
        # The state is saved before anyone hears of the event: an agent on another process may answer the
        # customer.message at once, and its reply must find the conversation (and its customer index).
        state.updated_at = ctx.now
        await self.services.state.save(state)
        if not state.is_live:
            await self.services.state.set_open_conversation(state.customer_key, None)
        return ctx, sends

    async def _why_unknown(self, conversation_id: str) -> Rejection:
        """Closed conversations leave the hot state; the database tells closed from never-existed."""
        row = await self.services.records.conversation(conversation_id)
        return NOT_FOUND if row is None else CLOSED

    def _open(self, event: CustomerMessage) -> ConversationState:
        group = event.metadata.get("group") if isinstance(event.metadata.get("group"), str) else None
        return ConversationState(
            id=new_id("cv"), storefront_id=event.storefront_id, customer_id=event.customer_id,
            opened_at=event.received_at, shop_id=event.shop_id, customer_name=event.customer_name,
            order_id=event.order_id, group=group or self.services.config.routing.default_group)
