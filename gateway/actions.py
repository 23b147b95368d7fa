"""Typed actions: what handlers decide. :mod:`gateway.effects` performs them; handlers do no I/O of their own.

Durable actions (records) are committed before any message leaves the gateway, so nothing reaches an agent or a
customer that a crash could make the gateway forget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordMessage:
    row: dict[str, Any]          # a gateway.models.Message row


@dataclass(frozen=True, slots=True)
class PersistConversation:
    """Write the conversation's snapshot to the database (opened, assigned, answered, closed)."""


@dataclass(frozen=True, slots=True)
class RecordRow:
    """Insert or replace (by id) a row of one of the record tables that capabilities own."""

    table: str
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordDecision:
    kind: str
    reason: str
    agent_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendToAgent:
    agent_id: str
    payload: dict[str, Any]
    with_history: bool = False   # add the conversation's ``history``, read after this event's commit


@dataclass(frozen=True, slots=True)
class AssignToAgent:
    """Hand the conversation to an agent: ``conversation.assigned`` with the history, then the unseen messages."""

    agent_id: str
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliverToCustomer:
    text: str
    kind: str                    # reply | bot | survey | auto
    author_id: str | None = None
    external_id: str | None = None
    script_id: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleTimer:
    """Arm (or re-arm: one live deadline per key) a deadline; it comes back as a ``TimerFired`` event."""

    key: str
    due_at: float
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    of_conversation: bool = True   # False: the firing goes to the kind's own handler (e.g. a ticket SLA)


@dataclass(frozen=True, slots=True)
class DispatchToTeam:
    """A ticket delivery (a ``ticket_deliveries`` row): stored with the event's writes, then sent."""

    delivery: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: str


@dataclass(frozen=True, slots=True)
class NotifySupervisors:
    payload: dict[str, Any]
    with_history: bool = False


@dataclass(frozen=True, slots=True)
class DrainQueue:
    """After this event: offer waiting conversations to an agent that has room again."""

    agent_id: str


Action = (RecordMessage | RecordRow | PersistConversation | RecordDecision | SendToAgent | AssignToAgent
          | DeliverToCustomer | DispatchToTeam | ScheduleTimer | CancelTimer | NotifySupervisors | DrainQueue)
