"""Supervision: a supervisor may watch any conversation (receiving its messages and replies) and whisper to
its agent (text only the agent sees, recorded but never delivered to the customer). A senior who joined as
an adviser after an escalation watches and whispers the same way."""

from __future__ import annotations

from gateway.actions import RecordMessage, SendToAgent
from gateway.context import Context
from gateway.effects import conversation_view
from gateway.events import Supervision
from gateway.ids import new_id
from gateway.timefmt import iso


def add_watcher(ctx: Context, agent_id: str, role: str = "supervisor") -> None:
    state = ctx.conversation
    watchers = state.data.setdefault("watchers", [])
    if agent_id not in watchers:
        watchers.append(agent_id)
    ctx.emit(SendToAgent(agent_id, {"type": "conversation.watching", "conversation_id": state.id, "role": role,
                                    "conversation": conversation_view(state)}, with_history=True))


class Supervise:
    name = "supervision"
    handles = (Supervision,)
    fail_closed = True

    async def handle(self, ctx: Context) -> None:
        event: Supervision = ctx.event
        state = ctx.conversation
        role = ctx.services.agents[event.agent_id].role
        allowed = role == "supervisor" or (event.action != "watch" and event.agent_id in state.data.get("participants", ()))
        if not allowed:
            ctx.reject(403, "forbidden", "watching and whispering are for supervisors and advisers")
        elif event.action == "watch":
            add_watcher(ctx, event.agent_id)
        elif event.action == "unwatch":
            watchers = state.data.get("watchers", [])
            if event.agent_id in watchers:
                watchers.remove(event.agent_id)
        elif not event.text:
            ctx.reject(400, "invalid_request", "whisper needs a text")
        elif not state.agent_id:
            ctx.reject(409, "no_agent", "nobody has this conversation to whisper to")
        else:
            self._whisper(ctx, event)

    def _whisper(self, ctx: Context, event: Supervision) -> None:
        state = ctx.conversation
        ctx.emit(RecordMessage({"id": new_id("m"), "conversation_id": state.id, "seq": state.next_seq(),
                                "role": "whisper", "author_id": event.agent_id, "storefront_id": None,
                                "external_id": None, "text": event.text, "sent_at": iso(ctx.now),
                                "received_at": ctx.now, "script_id": None}))
        ctx.emit(SendToAgent(state.agent_id, {"type": "whisper", "conversation_id": state.id,
                                              "from": event.agent_id, "text": event.text}))


def watchers_of(ctx: Context) -> list[str]:
    return list(ctx.conversation.data.get("watchers", ()))
