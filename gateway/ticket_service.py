"""What happens to a ticket after it is opened: team acknowledgement and resolution (the agent hears back),
the acknowledgement deadline (supervisors are alerted when a team misses it), dead letters and replay."""

from __future__ import annotations

from typing import Any

from gateway.db import Write
from gateway.effects import notify_supervisors
from gateway.errors import ProtocolError
from gateway.ids import new_id
from handlers.tickets import public_ticket, ticket_event


class TicketService:
    def __init__(self, services) -> None:
        self.services = services

    async def get(self, ticket_id: str, team: str | None) -> dict[str, Any]:
        ticket = await self.services.records.ticket(ticket_id)
        if ticket is None or (team is not None and ticket["team"] != team):
            raise ProtocolError(404, "not_found", "unknown ticket")
        return ticket

    async def acknowledge(self, ticket_id: str, team: str) -> dict[str, Any]:
        ticket = await self.get(ticket_id, team)
        if ticket["status"] == "resolved":
            raise ProtocolError(409, "conflict", "the ticket is already resolved")
        if ticket["status"] == "open":
            ticket.update(status="acked", acked_at=self.services.clock())
            await self._save(ticket, "ticket_acked")
        return ticket

    async def resolve(self, ticket_id: str, team: str, note: str | None) -> dict[str, Any]:
        ticket = await self.get(ticket_id, team)
        if ticket["status"] != "resolved":
            now = self.services.clock()
            ticket.update(status="resolved", resolved_at=now, note=note, acked_at=ticket["acked_at"] or now)
            await self._save(ticket, "ticket_resolved")
        return ticket

    async def sla_expired(self, payload: dict[str, Any]) -> None:
        ticket = await self.services.records.ticket(payload["ticket_id"])
        if ticket is None or ticket["status"] != "open":
            return
        await self._decide("ticket_sla_missed", ticket)
        await notify_supervisors(self.services, {"type": "ticket.alert", "reason": "ack_sla_missed",
                                                 "conversation_id": ticket["conversation_id"],
                                                 "ticket": public_ticket(ticket)})

    async def dead_letter(self, delivery: dict[str, Any]) -> None:
        ticket = await self.services.records.ticket(delivery["ticket_id"])
        await self._decide("ticket_dead_letter", ticket or {"id": delivery["ticket_id"], "conversation_id": None},
                           {"delivery_id": delivery["id"], "attempts": delivery["attempts"],
                            "last_error": delivery["last_error"]})
        await notify_supervisors(self.services, {"type": "ticket.alert", "reason": "dead_letter",
                                                 "delivery_id": delivery["id"], "team": delivery["team"],
                                                 "ticket_id": delivery["ticket_id"], "error": delivery["last_error"]})

    async def replay(self, ticket_id: str) -> int:
        dead = await self.services.records.ticket_deliveries("dead", ticket_id)
        outbox = self.services.team_outbox
        revived = await outbox.claims.revive([delivery["id"] for delivery in dead])
        for delivery in revived:
            outbox.enqueue(delivery)
        return len(revived)

    async def _save(self, ticket: dict[str, Any], kind: str) -> None:
        db = self.services.db
        await db.write(Write(db.statements.upserts["tickets"], ticket))
        await self.services.timers.cancel(f"tsla:{ticket['id']}")
        await self._decide(kind, ticket)
        conversation = await self.services.records.conversation(ticket["conversation_id"])
        agent_id = (conversation or {}).get("agent_id") or ticket["agent_id"]
        if agent_id:
            await self.services.hub.send_to_agent(agent_id, ticket_event(ticket))

    async def _decide(self, kind: str, ticket: dict[str, Any], details: dict[str, Any] | None = None) -> None:
        db = self.services.db
        await db.write(Write(db.statements.insert_decision, {
            "id": new_id("dc"), "at": self.services.clock(), "conversation_id": ticket.get("conversation_id"),
            "kind": kind, "agent_id": None, "reason": ticket.get("status", "dead_letter"),
            "details": {"ticket_id": ticket["id"], **(details or {})}}))
