"""Typed events: everything that happens to a conversation enters :meth:`Dispatcher.feed` as one of these.

Customer messages, agent frames and timer firings alike; timers never take a side door.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    storefront_id: str
    message_id: str
    customer_id: str
    text: str
    received_at: float
    sent_at: str | None = None
    shop_id: str = "default"
    order_id: str | None = None
    customer_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    conversation_id: str | None = None   # resolved by the dispatcher


@dataclass(frozen=True, slots=True)
class AgentReply:
    agent_id: str
    conversation_id: str
    client_msg_id: str
    text: str
    received_at: float
    script_id: str | None = None


@dataclass(frozen=True, slots=True)
class CloseRequest:
    conversation_id: str
    by: str                       # agent id, or "system" for automatic closes
    at: float
    resolved: bool | None = None
    reason: str = "agent_close"   # agent_close | idle_close


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """Try (again) to give a waiting conversation to an agent: a slot freed, an agent came online."""

    conversation_id: str
    at: float
    reason: str = "load_balance"   # load_balance | reassign | owner_returned
    from_agent: str | None = None  # reassign: only if the conversation is still this agent's


@dataclass(frozen=True, slots=True)
class TransferRequest:
    agent_id: str
    conversation_id: str
    at: float
    to_agent: str | None = None
    to_group: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EscalationResponse:
    """A senior's (or supervisor's) answer to an escalation handoff."""

    agent_id: str
    conversation_id: str
    escalation_id: str
    accept: bool
    at: float


@dataclass(frozen=True, slots=True)
class Supervision:
    """A supervisor watches (or stops watching) a conversation, or whispers to its agent."""

    agent_id: str
    conversation_id: str
    action: str                   # watch | unwatch | whisper
    at: float
    text: str | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    conversation_id: str
    kind: str
    at: float
    payload: dict[str, Any] = field(default_factory=dict)


Event = (CustomerMessage | AgentReply | CloseRequest | RouteRequest | TransferRequest | EscalationResponse
         | Supervision | TimerFired)
