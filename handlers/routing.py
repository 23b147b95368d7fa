"""Routing with first-contact ownership (首问负责制).

A conversation without an agent goes, in this order:
1. to the customer's owner (the agent who first answered them, for ``routing.owner_ttl`` after the last
   contact) when the owner is online with room: ``first_contact_owner``;
2. owner online but full: it waits for the owner (queue '@owner') up to ``routing.owner_wait``, then falls back;
3. owner away or offline, or the wait is over: the least-loaded online agent of its group with room, ties to
   the longest idle (``load_balance``), else the group's FIFO queue.
The owner stays the owner; when the owner comes back, conversations of their customers that are queued or
not yet answered by anyone go back to them (``owner_returned`` route requests, see handlers.presence).
"""

from __future__ import annotations

from gateway.actions import CancelTimer, RecordDecision, ScheduleTimer
from gateway.context import Context
from gateway.events import CustomerMessage, RouteRequest, TimerFired
from gateway.dispatcher import owner_queue
from handlers.assignment import assign, queue, reassign, release, reserve_in_group

OWNER_WAIT = "owner_wait"


class Routing:
    name = "routing"
    handles = (CustomerMessage, RouteRequest, TimerFired)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        event, state = ctx.event, ctx.conversation
        if not state.is_open:
            return
        if isinstance(event, TimerFired):
            if event.kind == OWNER_WAIT and state.data.get("waiting_for_owner") and state.agent_id is None:
                await self._owner_wait_over(ctx)
            return
        if isinstance(event, RouteRequest) and event.reason == "reassign":
            if event.from_agent is not None and state.agent_id == event.from_agent:
                await reassign(ctx, "reassign", why="agent_offline")
            return
        if isinstance(event, RouteRequest) and event.reason == "owner_returned":
            await self._back_to_owner(ctx)
            return
        if state.agent_id is not None:
            return
        if isinstance(event, CustomerMessage) and "queued_at" in state.data:
            return
        await route(ctx)

    async def _owner_wait_over(self, ctx: Context) -> None:
        state = ctx.conversation
        owner = state.data.pop("waiting_for_owner")
        await ctx.services.directory.unqueue(state.id)
        state.data.pop("queued_at", None)
        state.data["owner_wait_over"] = True
        ctx.emit(RecordDecision("owner_wait_over", "owner_still_busy", owner))
        await _fall_back(ctx, owner)

    async def _back_to_owner(self, ctx: Context) -> None:
        state = ctx.conversation
        owner = state.data.get("owner")
        if owner is None or state.agent_id == owner or state.last_agent_at is not None or not state.is_open:
            return
        if not await ctx.services.directory.assign_if_room(owner, state.id, ctx.now):
            await ctx.services.state.add_owner_fallback(owner, state.id)   # still theirs when a slot frees
            return
        previous = await release(ctx, "owner_returned")
        await ctx.services.directory.unqueue(state.id)
        assign(ctx, owner, "first_contact_owner", from_agent=previous)


async def route(ctx: Context) -> None:
    state = ctx.conversation
    owner = await ctx.services.state.owner_of(state.customer_key)
    if owner is not None and owner in ctx.services.agents:
        state.data["owner"] = owner
        if await ctx.services.directory.assign_if_room(owner, state.id, ctx.now):
            assign(ctx, owner, "first_contact_owner")
            return
        presence = await ctx.services.directory.get(owner)
        if presence is not None and presence.status == "online" and not state.data.get("owner_wait_over"):
            await _wait_for_owner(ctx, owner)
            return
    await _fall_back(ctx, owner)


async def _wait_for_owner(ctx: Context, owner: str) -> None:
    state = ctx.conversation
    state.data["waiting_for_owner"] = owner
    await queue(ctx, owner_queue(owner))
    wait = ctx.services.config.routing.owner_wait
    ctx.emit(ScheduleTimer(f"ow:{state.id}", ctx.now + wait, OWNER_WAIT, {}))


async def _fall_back(ctx: Context, owner: str | None) -> None:
    state = ctx.conversation
    ctx.emit(CancelTimer(f"ow:{state.id}"))
    if owner is not None:
        await ctx.services.state.add_owner_fallback(owner, state.id)
    agent_id = await reserve_in_group(ctx, state.group)
    if agent_id is None:
        await queue(ctx)
    else:
        assign(ctx, agent_id, "load_balance", **({"owner": owner} if owner else {}))
