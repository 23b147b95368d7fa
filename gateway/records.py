"""Reads of the durable records that the gateway needs: histories, open conversations, pending deliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gateway.db import Database
from gateway.models import Conversation, Decision, Message, Owner, Survey, Ticket, TicketDelivery
from gateway.timefmt import iso


class Records:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        table = Conversation.__table__
        async with self.db.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.id == conversation_id))).mappings().first()
        return dict(row) if row else None

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's messages, oldest first, as agents receive them."""
        table = Message.__table__
        query = select(table).where(table.c.conversation_id == conversation_id).order_by(table.c.seq)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [message_payload(row) for row in rows if row["role"] != "whisper"]

    async def last_seq(self, conversation_id: str) -> int:
        table = Message.__table__
        query = select(func.max(table.c.seq)).where(table.c.conversation_id == conversation_id)
        async with self.db.connect() as conn:
            return (await conn.execute(query)).scalar() or 0

    async def open_conversations(self) -> list[dict[str, Any]]:
        """Open conversations, and closed ones still listening for a follow-up."""
        table = Conversation.__table__
        live = (table.c.status == "open") | table.c.listening_until.is_not(None)
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(table).where(live))).mappings().all()
        return [dict(r) for r in rows]

    async def recent_external_ids(self, since: float) -> list[tuple[str, str, str]]:
        """(storefront, message_id, conversation) of customer messages since ``since``: the dedupe window."""
        table = Message.__table__
        query = select(table.c.storefront_id, table.c.external_id, table.c.conversation_id).where(
            table.c.role == "customer", table.c.received_at >= since)
        async with self.db.connect() as conn:
            return [tuple(r) for r in (await conn.execute(query)).all()]

    async def ticket(self, ticket_id: str) -> dict[str, Any] | None:
        table = Ticket.__table__
        async with self.db.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.id == ticket_id))).mappings().first()
        return dict(row) if row else None

    async def tickets_awaiting_ack(self) -> list[dict[str, Any]]:
        """Open tickets whose acknowledgement deadline was not reported missed (no ``ticket_sla_missed``)."""
        tickets, decisions = Ticket.__table__, Decision.__table__
        missed_id = decisions.c.details["ticket_id"].as_string()    # never NULL: NOT IN a NULL matches nothing
        missed = select(missed_id).where(decisions.c.kind == "ticket_sla_missed", missed_id.is_not(None))
        query = select(tickets).where(tickets.c.status == "open", tickets.c.id.not_in(missed))
        async with self.db.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def open_ticket_id(self, dedupe_key: str) -> str | None:
        table = Ticket.__table__
        query = select(table.c.id).where(table.c.dedupe_key == dedupe_key, table.c.status != "resolved")
        async with self.db.connect() as conn:
            return (await conn.execute(query.order_by(table.c.created_at.desc()))).scalars().first()

    async def tickets(self, team: str | None, status: str | None, limit: int = 200) -> list[dict[str, Any]]:
        table = Ticket.__table__
        query = select(table).order_by(table.c.created_at.desc()).limit(limit)
        if team:
            query = query.where(table.c.team == team)
        if status:
            query = query.where(table.c.status == status)
        async with self.db.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def ticket_deliveries(self, status: str, ticket_id: str | None = None) -> list[dict[str, Any]]:
        table = TicketDelivery.__table__
        query = select(table).where(table.c.status == status).order_by(table.c.created_at)
        if ticket_id:
            query = query.where(table.c.ticket_id == ticket_id)
        async with self.db.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]

    async def live_owners(self, now: float) -> list[dict[str, Any]]:
        table = Owner.__table__
        async with self.db.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(table).where(table.c.expires_at > now))).mappings()]

    async def surveyed_since(self, since: float) -> list[dict[str, Any]]:
        table = Survey.__table__
        query = select(table.c.storefront_id, table.c.customer_id, table.c.conversation_id,
                       table.c.sent_at).where(table.c.sent_at >= since)
        async with self.db.connect() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]


def message_payload(row: Any) -> dict[str, Any]:
    """A stored message as the protocol shows it to agents (``history`` and ``customer.message``)."""
    return {"id": row["id"], "message_id": row["external_id"], "conversation_id": row["conversation_id"],
            "role": row["role"], "author_id": row["author_id"], "text": row["text"], "sent_at": row["sent_at"],
            "received_at": iso(row["received_at"]), "script_id": row["script_id"]}
