"""Ownership: the agent who first answers a customer becomes their owner; every contact keeps the ownership
alive for ``routing.owner_ttl``. Runs after the reply checks, so a held-back reply makes nobody an owner."""

from __future__ import annotations

from gateway.actions import RecordRow
from gateway.context import Context
from gateway.events import AgentReply, CustomerMessage


TABLE = "owners"
RECORD_EVERY = 3600.0
"""The durable owner row is rewritten at most this often per conversation (the live TTL is refreshed on every
contact): a restart may forget at most this much of an extension, and the hot path skips a write."""


class Ownership:
    name = "ownership"
    handles = (CustomerMessage, AgentReply)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        state, store = ctx.conversation, ctx.services.state
        owner = await store.owner_of(state.customer_key)
        if isinstance(ctx.event, AgentReply) and owner is None:
            agent = ctx.services.agents.get(ctx.event.agent_id)
            if agent is not None and agent.role in ("agent", "senior"):
                owner = state.data["owner"] = ctx.event.agent_id
        if owner is not None:
            await self._keep(ctx, owner)

    async def _keep(self, ctx: Context, owner: str) -> None:
        state, ttl = ctx.conversation, ctx.services.config.routing.owner_ttl
        await ctx.services.state.set_owner(state.customer_key, owner, ttl)
        recorded = state.data.get("owner_recorded")
        if recorded is None or recorded[0] != owner or ctx.now - recorded[1] >= RECORD_EVERY:
            state.data["owner_recorded"] = [owner, ctx.now]
            ctx.emit(RecordRow(TABLE, {"id": state.customer_key, "agent_id": owner, "expires_at": ctx.now + ttl}))
