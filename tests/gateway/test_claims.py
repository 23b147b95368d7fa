"""Outbox claims on a real SQLite file and a real PostgreSQL database: two processes (two engines) sweeping at
once never both take a row; a claim that is renewed stays; one that runs out is taken over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.claims import Claims
from gateway.db import Database, Write
from gateway.models import Delivery, TicketDelivery
from tests.conftest import FakeClock

TTL = 30.0


@pytest.fixture
async def two_processes(empty_database_url) -> AsyncIterator[tuple[Database, Database]]:
    first, second = Database(empty_database_url), Database(empty_database_url)
    await first.start()
    await second.start()
    yield first, second
    await first.close()
    await second.close()


def _row(n: int, claimed_by: str | None = None, claimed_until: float | None = None) -> dict:
    return {"id": f"dl_{n:03d}", "storefront_id": "shop", "conversation_id": f"cv_{n % 7}",
            "payload": {"delivery_id": f"dl_{n:03d}"}, "status": "pending", "attempts": 0, "created_at": float(n),
            "delivered_at": None, "channel": None, "last_error": None,
            "claimed_by": claimed_by, "claimed_until": claimed_until}


async def test_two_processes_sweeping_at_once_take_each_row_once(two_processes) -> None:
    first, second = two_processes
    clock = FakeClock(1000.0)
    await first.write(*(Write(first.statements.insert_delivery, _row(n, "gw_dead", 999.0)) for n in range(60)))
    claims = [Claims(db, Delivery.__table__, name, clock, TTL) for db, name in ((first, "gw_a"), (second, "gw_b"))]

    taken = await asyncio.gather(*(claim.take() for claim in claims for _ in range(3)))

    ids = [row["id"] for rows in taken for row in rows]
    assert sorted(ids) == [f"dl_{n:03d}" for n in range(60)]          # every row once, none twice
    for rows in taken:
        assert [row["created_at"] for row in rows] == sorted(row["created_at"] for row in rows)
    assert await claims[0].take() == [] and await claims[1].take() == []


async def test_a_renewed_claim_stays_and_one_that_runs_out_is_taken_over(two_processes) -> None:
    first, second = two_processes
    clock = FakeClock(1000.0)
    alive, dying = (Claims(first, Delivery.__table__, name, clock, TTL) for name in ("gw_alive", "gw_dying"))
    survivor = Claims(second, Delivery.__table__, "gw_survivor", clock, TTL)
    await first.write(Write(first.statements.insert_delivery, alive.stamp(_row(1))),
                      Write(first.statements.insert_delivery, alive.stamp(_row(3))),
                      Write(first.statements.insert_delivery, dying.stamp(_row(2))))
    assert await survivor.take() == []                                 # every claim is fresh

    clock.advance(TTL * 0.9)
    await alive.renew(["dl_001"])            # gw_dying renews nothing: it died; dl_003 was lost by gw_alive
    clock.advance(TTL * 0.2)
    taken = await survivor.take()
    assert [(row["id"], row["claimed_by"]) for row in taken] == [("dl_002", "gw_survivor"), ("dl_003", "gw_survivor")]

    alone = await alive.take(expired_only=False)                       # a process alone takes even fresh claims
    assert [(row["id"], row["claimed_by"]) for row in alone] == [("dl_001", "gw_alive"), ("dl_002", "gw_alive"),
                                                                 ("dl_003", "gw_alive")]


async def test_a_replay_revives_dead_rows_claimed_by_the_replaying_process(two_processes) -> None:
    first, _ = two_processes
    clock = FakeClock(1000.0)
    table = TicketDelivery.__table__
    replaying = Claims(first, table, "gw_replay", clock, TTL)
    dead = {"id": "td_1", "ticket_id": "tk_1", "team": "logistics", "payload": {}, "status": "dead", "attempts": 8,
            "created_at": 1.0, "delivered_at": None, "last_error": "webhook answered 500",
            "claimed_by": "gw_other", "claimed_until": clock() + TTL}
    await first.write(Write(first.statements.upserts["ticket_deliveries"], dead))
    [revived] = await replaying.revive(["td_1"])
    assert (revived["status"], revived["attempts"], revived["claimed_by"]) == ("pending", 0, "gw_replay")
    assert await replaying.revive(["td_1"]) == []                      # only dead rows come back
