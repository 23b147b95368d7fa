"""Giving a conversation to an agent and taking it back: shared by routing, transfers, watchdogs and presence.

Every change of agent goes through :func:`assign`, which records an ``assign`` decision with its reason (and
the previous agent), so "how many times was this customer passed around" is a count of those records.
"""

from __future__ import annotations

from collections.abc import Collection

from gateway.actions import AssignToAgent, PersistConversation, RecordDecision, SendToAgent
from gateway.context import Context


def assign(ctx: Context, agent_id: str, reason: str, **extra) -> None:
    """Give the conversation to ``agent_id`` (capacity already reserved) with every message it has not seen.
    The first assignment after the chatbot handed over says so (``bot_handoff`` and the handoff reason)."""
    state = ctx.conversation
    bot = state.data.get("bot") or {}
    if bot.get("handoff_reason") and not bot.get("assigned"):
        bot["assigned"] = True
        reason, extra = "bot_handoff", {**extra, "handoff_reason": bot["handoff_reason"]}
    state.agent_id, state.assign_reason = agent_id, reason
    for key in ("queued_at", "waiting_for_owner"):
        state.data.pop(key, None)
    pending = [*state.data.pop("unforwarded", ()), *([{**ctx.message, "analysis": ctx.analysis}]
                                                     if ctx.message else [])]
    ctx.emit(AssignToAgent(agent_id, reason, {"pending": pending, **extra}))
    ctx.emit(PersistConversation())


def roles_for_new_chats(ctx: Context) -> list[tuple[str, ...]]:
    """Agents first; seniors only when no agent can, and only where config allows."""
    roles = [("agent",)]
    if ctx.services.config.routing.seniors_take_new_chats:
        roles.append(("senior",))
    return roles


async def reserve_in_group(ctx: Context, group: str, exclude: Collection[str] = ()) -> str | None:
    state = ctx.conversation
    for roles in roles_for_new_chats(ctx):
        agent_id = await ctx.services.directory.reserve(state.id, group, roles, ctx.now, exclude)
        if agent_id is not None:
            return agent_id
    return None


async def queue(ctx: Context, group: str | None = None) -> None:
    """Wait (FIFO by first arrival) for an agent of the group, or for the owner when ``group`` is '@owner'."""
    state = ctx.conversation
    queued_at = state.data.setdefault("queued_at", ctx.now)
    await ctx.services.directory.enqueue(state.id, group or state.group, queued_at)
    ctx.emit(RecordDecision("queue", "owner_busy" if group else "no_agent_available",
                            details={"group": group or state.group}))


async def release(ctx: Context, why: str) -> str | None:
    """Take the conversation from its agent (who is told), freeing the slot; returns the previous agent."""
    state = ctx.conversation
    previous = state.agent_id
    if previous is not None:
        await ctx.services.directory.release(previous, state.id)
        ctx.emit(SendToAgent(previous, {"type": "conversation.reassigned", "conversation_id": state.id,
                                        "reason": why}))
        state.agent_id = None
    return previous


async def reassign(ctx: Context, reason: str, why: str) -> None:
    """Move the conversation to another agent of its group (or back to the queue), never to the same agent."""
    state = ctx.conversation
    previous = await release(ctx, why)
    await ctx.services.directory.unqueue(state.id)
    agent_id = await reserve_in_group(ctx, state.group, exclude=[previous] if previous else [])
    if agent_id is None:
        await queue(ctx)
    else:
        assign(ctx, agent_id, reason, from_agent=previous, why=why)

