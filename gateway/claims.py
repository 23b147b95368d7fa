"""Which process delivers which pending outbox row (``deliveries``, ``ticket_deliveries``).

Each row carries a claim: the process delivering it (``claimed_by``) until when (``claimed_until``). A process
claims the rows it creates, renews its claims while it lives, and takes over rows whose claim has run out,
which is how the deliveries of a process that died are finished by another. Claiming is one ``UPDATE …
RETURNING`` whose ``WHERE`` re-checks the expiry, so two processes sweeping at once never both win a row (on
PostgreSQL the second waits for the first's row lock, then finds the claim fresh; SQLite has one writer).

A process that cannot renew for the claims' ``ttl`` (its database unreachable) may deliver a row that another has
taken over meanwhile: at-least-once, with the same ``delivery_id``, which receivers deduplicate on.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Table, or_

from gateway.db import Database


class Claims:
    """The claims of one process on one outbox table; a claim not renewed for ``ttl`` seconds is taken over
    (``state.instance_timeout``: how long a dead process's deliveries wait at most)."""

    def __init__(self, db: Database, table: Table, instance_id: str, clock: Callable[[], float], ttl: float) -> None:
        self.db, self.table, self.instance_id, self.clock, self.ttl = db, table, instance_id, clock, ttl

    def stamp(self, row: dict[str, Any]) -> dict[str, Any]:
        """A new row, claimed by this process."""
        row.update(claimed_by=self.instance_id, claimed_until=self.clock() + self.ttl)
        return row

    async def take(self, *, expired_only: bool = True) -> list[dict[str, Any]]:
        """Claim pending rows whose claim has run out (all pending rows with ``expired_only=False``: one
        process alone, at start-up); return them oldest first."""
        now, t = self.clock(), self.table
        query = t.update().where(t.c.status == "pending")
        if expired_only:
            query = query.where(or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
        query = query.values(claimed_by=self.instance_id, claimed_until=now + self.ttl).returning(*t.columns)
        async with self.db.engine.begin() as conn:
            rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        return sorted(rows, key=lambda row: row["created_at"])

    async def take_into(self, enqueue: Callable[[dict[str, Any]], None], *, expired_only: bool = True) -> int:
        """:meth:`take` and hand each row to the outbox's ``enqueue``; returns how many."""
        taken = await self.take(expired_only=expired_only)
        for row in taken:
            enqueue(row)
        return len(taken)

    async def renew(self, held: Collection[str]) -> None:
        """Extend this process's claims on the rows it ``held`` (is delivering). A row claimed here but not held
        (lost by a bug or a crash half-way) is not renewed, so a sweep takes it over rather than it waiting forever."""
        if not held:
            return
        t = self.table
        query = (t.update().where(t.c.claimed_by == self.instance_id, t.c.status == "pending",
                                  t.c.id.in_(list(held)))
                 .values(claimed_until=self.clock() + self.ttl))
        async with self.db.engine.begin() as conn:
            await conn.execute(query)

    async def revive(self, ids: Collection[str]) -> list[dict[str, Any]]:
        """Dead rows back to pending, claimed by this process, in one statement (a replay): no sweep elsewhere
        can take them in between."""
        now, t = self.clock(), self.table
        query = (t.update().where(t.c.id.in_(list(ids)), t.c.status == "dead")
                 .values(status="pending", attempts=0, last_error=None, claimed_by=self.instance_id,
                         claimed_until=now + self.ttl)
                 .returning(*t.columns))
        async with self.db.engine.begin() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings()]
