"""Fixtures for the KPI tests: the real app over loopback with the KPI wiring (the quality review step after
closing, the KPI routes, the ``qa_reviews`` upsert, the ``kpis:`` config section), and a real SQLite file for
histories written row by row.

"""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
import pytest

from gateway.app import create_app
from gateway.config import GatewayConfig
from gateway.db import Database, Write
from tests.conftest import GatewayClient, make_config

SUPERVISOR = {"Authorization": "Bearer tok-boss"}


def kpi_config(tmp_path, kpis: dict[str, Any] | None = None, **overrides: Any) -> GatewayConfig:
    return make_config(tmp_path, kpis=kpis or {}, **overrides)


@pytest.fixture
def kpi_gateway(aiohttp_client, tmp_path):
    async def start(clock=None, kpis: dict[str, Any] | None = None, **overrides: Any) -> GatewayClient:
        config = kpi_config(tmp_path, kpis, **overrides)
        client = await aiohttp_client(create_app(config, **({"clock": clock} if clock else {})))
        return GatewayClient(client, config.storefronts[0].secret if config.storefronts else None)

    return start


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def records_db(request, tmp_path):
    """The gateway's and the KPI tables, for histories written row by row: a real SQLite file, and a
    PostgreSQL database made for the test (at 127.0.0.1:5432; never skipped: it must run or fail)."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path}/records.db")
        await db.start()
        yield db
        await db.close()
        return
    name = f"kpi_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
    try:
        await db.start()
        yield db
        await db.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def insert(db: Database, model, rows: list[dict[str, Any]]) -> None:
    """Rows of ``model``'s table as the gateway writes them (unnamed columns take the model's defaults)."""
    table = model.__table__
    await db.write(*(Write(table.insert(), model(**row).model_dump()) for row in rows))


@pytest.fixture
async def day(kpi_gateway):
    """The hand-made day of tests/kpis/day.py, through the real app."""
    from tests.kpis.day import build_day

    return await build_day(kpi_gateway)
