"""The KPI package's own records, and the indexes its queries need on the gateway's tables.

Importing this module registers ``orders``, ``qa_reviews`` and the daily rollups (``kpi_rollups``,
``kpi_rollup_days``) on ``SQLModel.metadata`` and adds the indexes below to the gateway's tables, so the
schema (gateway/schema.py: ``create_all`` on a new database, the migrations on an existing one) has them.
Times are epoch seconds, as in :mod:`gateway.models`; money is in cents (integers: no float rounding).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from gateway.models import Conversation, Decision, Escalation, Message, ReplyPeriod, Survey


class Order(SQLModel, table=True):
    """An order event from the storefront (``POST /v1/storefront/orders``): what turns a chat into a sale."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer", "storefront_id", "customer_id", "placed_at"),)

    id: str = Field(primary_key=True)     # <storefront>:<order id>
    storefront_id: str
    shop_id: str = "default"
    order_id: str
    customer_id: str
    status: str                           # placed | paid | cancelled | refunded
    amount_cents: int = 0
    currency: str = "CNY"
    placed_at: float
    paid_at: float | None = None
    cancelled_at: float | None = None     # cancelled or refunded
    updated_at: float


class QAReview(SQLModel, table=True):
    """The quality review of one conversation at close (全量质检): its figures, flags and the reasons."""

    __tablename__ = "qa_reviews"
    __table_args__ = (Index("ix_qa_reviews_closed", "closed_at"),
                      Index("ix_qa_reviews_problem", "problem", "closed_at"),
                      Index("ix_qa_reviews_excellent", "excellent", "closed_at"),
                      Index("ix_qa_reviews_agent", "agent_id", "closed_at"))

    id: str = Field(primary_key=True)     # the conversation id: one review per conversation
    conversation_id: str
    storefront_id: str
    shop_id: str = "default"
    group: str = "default"
    customer_id: str
    agent_id: str | None = None
    opened_at: float
    closed_at: float
    closed_by: str | None = None
    duration_s: float
    customer_messages: int = 0
    agent_messages: int = 0
    waits: int = 0
    first_response_s: float | None = None
    longest_wait_s: float | None = None
    mean_wait_s: float | None = None
    transfers: int = 0
    escalated: bool = False
    complaint: bool = False
    tickets: int = 0
    violations: int = 0
    emotion_peak: float | None = None
    emotion_end: float | None = None
    survey: str | None = None             # sent | skipped:<reason> | None (as it stood at close)
    problem: bool = False
    excellent: bool = False
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    emotion: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reviewed_at: float


class KpiRollup(SQLModel, table=True):
    """One day's counters of one cell (agent, group, shop) or one script: a cache of :func:`kpis.collect.count_raw`."""

    __tablename__ = "kpi_rollups"
    __table_args__ = (Index("ix_kpi_rollups_day", "day", "computed_at"),)

    id: str = Field(primary_key=True)     # <day>|<agent>|<group>|<shop>, or <day>|script|<script id>
    day: float                            # local midnight (kpis.timezone), epoch seconds
    agent_id: str | None = None
    group: str | None = None
    shop_id: str | None = None
    script_id: str | None = None
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    samples: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # percentile inputs
    computed_at: float


class KpiRollupDay(SQLModel, table=True):
    """A day whose rollup rows exist; ``final`` once nothing can change it any more (it is not recomputed)."""

    __tablename__ = "kpi_rollup_days"

    id: str = Field(primary_key=True)     # the local date, YYYY-MM-DD
    day: float = Field(index=True)
    day_end: float
    computed_at: float
    final: bool = False


def _ix(name: str, table, *columns: str, where=None) -> Index:
    """An index the KPI queries need on a gateway table (partial where both dialects allow it)."""
    extra = {} if where is None else {"sqlite_where": where, "postgresql_where": where}
    return Index(name, *(table.c[c] for c in columns), **extra)


_messages = Message.__table__
_conversations = Conversation.__table__
# Each Index attaches itself to its table when built, so the schema carries it; the tuple only names them.
KPI_INDEXES: tuple[Index, ...] = (
    _ix("ix_kpi_conversations_opened", _conversations, "opened_at", "agent_id", "group", "shop_id"),
    _ix("ix_kpi_conversations_customer", _conversations, "storefront_id", "customer_id", "opened_at"),
    _ix("ix_kpi_periods", ReplyPeriod.__table__, "started_at", "conversation_id"),
    _ix("ix_kpi_messages_agent", _messages, "conversation_id", "author_id", "script_id",
        where=_messages.c.role == "agent"),
    _ix("ix_kpi_decisions_assign", Decision.__table__, "conversation_id", "agent_id",
        where=Decision.__table__.c.kind == "assign"),
    _ix("ix_kpi_escalations_conversation", Escalation.__table__, "conversation_id", "from_agent", "reason"),
    _ix("ix_kpi_surveys_conversation", Survey.__table__, "conversation_id", "status", "resolved"),
)
