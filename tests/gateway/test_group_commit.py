"""Group commit: concurrent writes share transactions, and one bad write does not fail its neighbours."""

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.db import Database, Write
from gateway.models import Decision


def _decision(i: int, id_: str | None = None) -> Write:
    return {"id": id_ or f"dc_{i}", "at": float(i), "conversation_id": None, "kind": "test", "agent_id": None,
            "reason": "bench", "details": {}}


async def _count(db: Database) -> int:
    async with db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(Decision.__table__))).scalar()


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/gc.db")
    await database.start()
    yield database
    await database.close()


async def test_concurrent_writes_are_committed_in_few_transactions(db):
    statement = db.statements.insert_decision
    await asyncio.gather(*(db.write(Write(statement, _decision(i))) for i in range(300)))
    assert await _count(db) == 300
    assert db.batches < 100


async def test_a_failing_write_fails_alone(db):
    statement = db.statements.insert_decision
    await db.write(Write(statement, _decision(0, "dc_dup")))
    results = await asyncio.gather(*(db.write(Write(statement, _decision(i))) for i in range(1, 20)),
                                   db.write(Write(statement, _decision(99, "dc_dup"))), return_exceptions=True)
    assert isinstance(results[-1], IntegrityError)
    assert all(r is None for r in results[:-1])
    assert await _count(db) == 20
