"""Durable records (SQLModel tables). Times are epoch seconds (float): cheap to compare in KPI queries.

Rows are written through :class:`gateway.db.Database`'s group commit as idempotent inserts/upserts, so the tables
carry no foreign keys: a batch may hold a message before its conversation's snapshot without breaking anything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_customer", "storefront_id", "customer_id", "status"),
                      Index("ix_conversations_status", "status"))

    id: str = Field(primary_key=True)
    storefront_id: str
    shop_id: str = "default"
    customer_id: str
    customer_name: str | None = None
    order_id: str | None = None
    group: str = "default"
    status: str = "open"                  # open | closed
    agent_id: str | None = Field(default=None, index=True)
    assign_reason: str | None = None
    opened_at: float
    first_response_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    resolved: bool | None = None
    updated_at: float
    waiting_since: float | None = None    # the customer's first unanswered message (watchdogs wait from it)
    listening_until: float | None = None  # closed, awaiting a follow-up such as a survey answer
    last_customer_at: float | None = None
    last_agent_at: float | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_external", "storefront_id", "external_id", unique=True),
                      Index("ix_messages_conversation", "conversation_id", "seq"),
                      Index("ix_messages_received", "received_at"))

    id: str = Field(primary_key=True)
    conversation_id: str
    seq: int                              # order within the conversation
    role: str                             # customer | agent | bot | auto | survey | whisper
    author_id: str | None = None          # agent id for agent replies
    storefront_id: str | None = None
    external_id: str | None = None        # the storefront's message_id, or the agent's client_msg_id
    text: str
    sent_at: str | None = None            # as the sender stated it (ISO 8601)
    received_at: float                    # when the gateway received it: every wait is measured from here
    script_id: str | None = None


class Delivery(SQLModel, table=True):
    """The durable outbox towards storefronts: a row per message to deliver, until it is delivered."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_pending", "status", "created_at"),)

    id: str = Field(primary_key=True)
    storefront_id: str
    conversation_id: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = "pending"               # pending | delivered
    attempts: int = 0
    created_at: float
    delivered_at: float | None = None
    channel: str | None = None            # websocket | callback
    last_error: str | None = None
    claimed_by: str | None = None         # the process delivering it until claimed_until (gateway.claims)
    claimed_until: float | None = None


class AgentSession(SQLModel, table=True):
    __tablename__ = "agent_sessions"

    id: str = Field(primary_key=True)
    agent_id: str = Field(index=True)
    instance_id: str
    connected_at: float
    disconnected_at: float | None = None


class ReplyPeriod(SQLModel, table=True):
    """One wait of a customer for an answer: the unit of the 30 s / 3 min / 5 min reply rates."""

    __tablename__ = "reply_periods"
    __table_args__ = (Index("ix_reply_periods_started", "started_at"),
                      Index("ix_reply_periods_agent", "agent_id", "started_at"))

    id: str = Field(primary_key=True)     # <conversation_id>:<period number>
    conversation_id: str
    storefront_id: str
    shop_id: str
    agent_id: str | None = None           # who had the conversation when the wait began (or who answered)
    kind: str                             # first_response | reply
    started_at: float
    answered_at: float | None = None
    waited_s: float | None = None
    outcome: str = "waiting"              # waiting | answered | closed
    auto_replied: bool = False


class Survey(SQLModel, table=True):
    """The post-chat question and its answer, or the evaluation inferred when no answer came."""

    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_sent", "sent_at"), Index("ix_surveys_agent", "agent_id", "sent_at"))

    id: str = Field(primary_key=True)
    conversation_id: str = Field(index=True)
    storefront_id: str
    customer_id: str
    agent_id: str | None = None
    sent_at: float
    status: str = "sent"                  # sent | answered | unanswered
    answered_at: float | None = None
    resolved: bool | None = None
    rating: int | None = None
    answer: str | None = None
    inferred: bool = False                # resolved/score below were inferred from the customer's last words
    inferred_score: float | None = None


class QAViolation(SQLModel, table=True):
    """A reply-check finding: what, in which reply, and what was done (blocked, masked, flagged)."""

    __tablename__ = "qa_violations"
    __table_args__ = (Index("ix_qa_violations_agent", "agent_id", "at"),)

    id: str = Field(primary_key=True)
    at: float
    conversation_id: str = Field(index=True)
    agent_id: str
    client_msg_id: str
    code: str
    detail: str
    action: str


class Ticket(SQLModel, table=True):
    """A problem the warehouse or logistics team must act on, opened from a chat with its evidence."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_team_status", "team", "status"), Index("ix_tickets_key", "dedupe_key"))

    id: str = Field(primary_key=True)
    team: str
    intent: str
    dedupe_key: str                       # <order id or conversation id>:<intent>: one open ticket per key
    conversation_id: str = Field(index=True)
    storefront_id: str
    customer_id: str
    agent_id: str | None = None
    order_id: str | None = None
    priority: str = "normal"              # normal | high
    summary: str
    reason: str                           # why it was opened (intent evidence)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = "open"                  # open | acked | resolved
    created_at: float
    acked_at: float | None = None
    resolved_at: float | None = None
    note: str | None = None


class TicketDelivery(SQLModel, table=True):
    """The durable outbox towards team webhooks; ``dead`` after the configured attempts, until replayed."""

    __tablename__ = "ticket_deliveries"
    __table_args__ = (Index("ix_ticket_deliveries_status", "status", "created_at"),)

    id: str = Field(primary_key=True)
    ticket_id: str = Field(index=True)
    team: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = "pending"               # pending | delivered | dead
    attempts: int = 0
    created_at: float
    delivered_at: float | None = None
    last_error: str | None = None
    claimed_by: str | None = None         # the process delivering it until claimed_until (gateway.claims)
    claimed_until: float | None = None


class Owner(SQLModel, table=True):
    """First-contact ownership (首问负责制), kept durable so a restart does not forget who owns whom."""

    __tablename__ = "owners"

    id: str = Field(primary_key=True)     # the customer key <storefront>:<customer>
    agent_id: str
    expires_at: float = Field(index=True)


class Escalation(SQLModel, table=True):
    """An escalation to a senior: why (with the evidence), to whom it was offered, who took it."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_started", "started_at"),)

    id: str = Field(primary_key=True)
    conversation_id: str = Field(index=True)
    reason: str
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str                           # offered | accepted (resolved) | unanswered (closed while offered)
    from_agent: str | None = None
    offered_to: str | None = None
    accepted_by: str | None = None
    mode: str | None = None
    started_at: float
    accepted_at: float | None = None
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PersonalScript(SQLModel, table=True):
    """An agent's own quick reply, visible to that agent only."""

    __tablename__ = "personal_scripts"

    id: str = Field(primary_key=True)
    agent_id: str = Field(index=True)
    category: str
    phrasings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str
    updated_at: float


class HintLog(SQLModel, table=True):
    """What customers ask and which script matched (or none): the hot list and the unanswered questions."""

    __tablename__ = "hint_log"
    __table_args__ = (Index("ix_hint_log_at", "at"),)

    id: str = Field(primary_key=True)
    at: float
    conversation_id: str
    message_id: str
    question: str                         # normalised, personal data masked
    category: str | None = None
    script_id: str | None = None
    score: float | None = None


class Decision(SQLModel, table=True):
    """Every automatic decision (route, queue, reject, escalate, …) with its reason and inputs."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_conversation", "conversation_id", "at"),
                      Index("ix_decisions_kind_at", "kind", "at"))

    id: str = Field(primary_key=True)
    at: float
    conversation_id: str | None = None
    kind: str                             # route | queue | reassign | reply_rejected | ...
    agent_id: str | None = None
    reason: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
