"""Transfers: an agent hands a conversation to a named agent or to a group, with a note for the receiver."""

from __future__ import annotations

from gateway.context import Context
from gateway.events import TransferRequest
from handlers.assignment import assign, release


class Transfer:
    name = "transfer"
    handles = (TransferRequest,)
    fail_closed = False

    async def handle(self, ctx: Context) -> None:
        event: TransferRequest = ctx.event
        target = await self._target(ctx, event)
        if target is None:
            return
        previous = await release(ctx, "transfer")
        assign(ctx, target, "transfer", note=event.note, from_agent=previous)

    async def _target(self, ctx: Context, event: TransferRequest) -> str | None:
        directory, state = ctx.services.directory, ctx.conversation
        if event.to_agent is not None:
            agent = ctx.services.agents.get(event.to_agent)
            if agent is None or agent.role == "supervisor" or event.to_agent == state.agent_id:
                ctx.reject(400, "invalid_target", "to_agent must be another agent or senior")
                return None
            if not await directory.assign_if_room(event.to_agent, state.id, ctx.now):
                ctx.reject(409, "target_unavailable", f"{event.to_agent} is not online or has no free slot")
                return None
            return event.to_agent
        roles = ("agent", "senior")
        target = await directory.reserve(state.id, event.to_group, roles, ctx.now, exclude=[state.agent_id])
        if target is None:
            ctx.reject(409, "no_agent_available", f"nobody in group {event.to_group} can take it now")
        return target
