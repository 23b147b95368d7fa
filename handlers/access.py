"""Access: an agent acts only on conversations assigned to it (a supervisor on all; a senior on those escalated
to it, listed in ``data["participants"]``). Anything else is ``forbidden`` and nothing is delivered. A reply
whose ``client_msg_id`` was already delivered is acknowledged again and goes no further (idempotent retries)."""

from __future__ import annotations

from gateway.context import Context
from gateway.conversation import ConversationState
from gateway.events import AgentReply, CloseRequest, TransferRequest
from handlers.forward import ack


def may_act(agent_id: str, role: str | None, state: ConversationState) -> bool:
    return (agent_id == state.agent_id or role == "supervisor"
            or agent_id in state.data.get("participants", ()))


class Access:
    name = "access"
    handles = (AgentReply, CloseRequest, TransferRequest)
    fail_closed = True

    async def handle(self, ctx: Context) -> None:
        agent_id = getattr(ctx.event, "agent_id", None) or getattr(ctx.event, "by", None)
        if isinstance(ctx.event, CloseRequest) and agent_id == "system":
            return
        agent = ctx.services.agents.get(agent_id)
        if agent is None or not may_act(agent_id, agent.role, ctx.conversation):
            ctx.reject(403, "forbidden", "this conversation is not assigned to you")
        elif not ctx.conversation.is_open:
            ctx.reject(409, "conversation_closed", "the conversation is closed")
        elif isinstance(ctx.event, AgentReply) and ctx.event.client_msg_id in ctx.conversation.data.get("client_ids", ()):
            ctx.emit(ack(ctx.event))   # a retried reply: acknowledged again, delivered once
            ctx.stop("duplicate_reply")
