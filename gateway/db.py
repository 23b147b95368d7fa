"""The durable store: engine from a URL, schema, and group commit.

Acknowledged means durable, but a commit per message costs 0.5–1 ms of CPU through the async ORM. So every
write is a :class:`Write` handed to :meth:`Database.write`, which returns once the transaction that holds it has
committed; one writer task commits whatever has queued up since its last commit in a single transaction, with
consecutive writes of the same statement sent as one ``executemany``. Under load the batch grows by itself;
when idle a write commits at once, with no timer to wait for.

On SQLite a whole batch runs in one call to a dedicated writer thread on a plain (synchronous) connection:
through aiosqlite every statement would cost several thread hand-offs (cursor, execute, close, commit).

The schema is not made here: :meth:`Database.start` asks :func:`gateway.schema.prepare`, which creates an empty
database and refuses one that is not at the migrations' head.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

from gateway import models, schema
from kpis.models import QAReview

log = logging.getLogger(__name__)


_JSON = {"json_serializer": lambda value: orjson.dumps(value).decode(), "json_deserializer": orjson.loads}


@dataclass(frozen=True, slots=True)
class Write:
    statement: Executable
    params: dict[str, Any]


def async_url(url: str) -> str:
    """Accept the plain URLs operators write and pick the async driver for them."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


class Statements:
    """Prebuilt statements, one object each, so the group commit can batch them by identity."""

    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.upsert_conversation = upsert(dialect, models.Conversation.__table__)
        self.insert_message = insert(models.Message.__table__).on_conflict_do_nothing()
        self.insert_delivery = insert(models.Delivery.__table__).on_conflict_do_nothing()
        self.insert_decision = insert(models.Decision.__table__)
        self.upserts = {table.name: upsert(dialect, table)
                        for table in (models.ReplyPeriod.__table__, models.Survey.__table__,
                                      models.QAViolation.__table__, models.Ticket.__table__,
                                      models.TicketDelivery.__table__, models.Owner.__table__,
                                      models.Escalation.__table__, models.PersonalScript.__table__,
                                      models.HintLog.__table__, QAReview.__table__)}
        self.insert_session = insert(models.AgentSession.__table__).on_conflict_do_nothing()
        sessions = models.AgentSession.__table__
        self.end_session = sessions.update().where(sessions.c.id == bindparam("session_id")).values(
            disconnected_at=bindparam("disconnected_at"))
        deliveries = models.Delivery.__table__
        self.delivery_done = deliveries.update().where(deliveries.c.id == bindparam("delivery_id")).values(
            status="delivered", delivered_at=bindparam("delivered_at"), channel=bindparam("channel"),
            attempts=bindparam("attempts"))
        self.delivery_failed = deliveries.update().where(deliveries.c.id == bindparam("delivery_id")).values(
            attempts=bindparam("attempts"), last_error=bindparam("last_error"))


@functools.cache
def upsert(dialect: str, table):
    """INSERT … ON CONFLICT (id) DO UPDATE of every column but the id and an outbox row's claim (only
    gateway.claims moves it). One object per table and dialect, so the group commit batches its writes."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    kept = {"id", "claimed_by", "claimed_until"}
    return statement.on_conflict_do_update(
        index_elements=["id"], set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in kept})


class Database:
    def __init__(self, url: str, *, batch_max: int = 500, sqlite_synchronous: str = "full") -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url, **_JSON)
        self.dialect = self.engine.dialect.name
        self.statements = Statements(self.dialect)
        self._batch_max = batch_max
        self._pending: list[tuple[Sequence[Write], asyncio.Future[None] | None]] = []
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0
        self._sync_writer = None
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(sqlite_synchronous))
            self._sync_writer = create_engine(self.url.replace("+aiosqlite", ""), pool_size=1, max_overflow=0,
                                              **_JSON)
            event.listen(self._sync_writer, "connect", _sqlite_pragmas(sqlite_synchronous))
            self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def start(self) -> None:
        if self.dialect == "sqlite":
            _ensure_sqlite_dir(self.url)
        async with self.engine.begin() as conn:
            await conn.run_sync(schema.prepare, self.url)
        self._writer = asyncio.create_task(self._write_loop(), name="group-commit")

    async def close(self) -> None:
        if self._writer:
            self._wakeup.set()
            while self._pending:
                await asyncio.sleep(0.005)
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.engine.dispose()
        if self._sync_writer is not None:
            self._writer_thread.shutdown(wait=True)
            self._sync_writer.dispose()

    async def write(self, *writes: Write) -> None:
        """Return once every write is committed; raise if the database refused them."""
        if not writes:
            return
        future = asyncio.get_running_loop().create_future()
        self._pending.append((writes, future))
        self._wakeup.set()
        await future

    def write_soon(self, *writes: Write) -> None:
        """Queue writes whose loss on a crash is harmless (e.g. marking a delivery done: it is redelivered)."""
        if writes:
            self._pending.append((writes, None))
            self._wakeup.set()

    def connect(self) -> Any:
        """A read connection: ``async with db.connect() as conn``."""
        return self.engine.connect()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch, self._pending = self._pending[: self._batch_max], self._pending[self._batch_max:]
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[tuple[Sequence[Write], asyncio.Future[None] | None]]) -> None:
        try:
            await self._commit([w for writes, _ in batch for w in writes])
            self.batches += 1
            _settle(batch, None)
        except Exception as exc:  # noqa: BLE001 (one bad request must not fail its neighbours: retry one by one)
            if len(batch) == 1:
                log.error("database write failed: %s", exc)
                _settle(batch, exc)
                return
            for item in batch:
                await self._commit_batch([item])

    async def _commit(self, writes: Iterable[Write]) -> None:
        if self._sync_writer is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer_thread, self._commit_in_thread, list(writes))
            return
        async with self.engine.begin() as conn:
            for statement, params in _grouped(writes):
                await conn.execute(statement, params)

    def _commit_in_thread(self, writes: list[Write]) -> None:
        with self._sync_writer.begin() as conn:
            _execute_grouped_sync(conn, writes)


def _grouped(writes: Iterable[Write]) -> list[tuple[Executable, list[dict[str, Any]]]]:
    groups: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
    for write in writes:
        groups.setdefault(id(write.statement), (write.statement, []))[1].append(write.params)
    return list(groups.values())


def _execute_grouped_sync(conn: Connection, writes: Iterable[Write]) -> None:
    for statement, params in _grouped(writes):
        conn.execute(statement, params)


def _settle(batch: list[tuple[Sequence[Write], asyncio.Future[None] | None]], exc: Exception | None) -> None:
    for _, future in batch:
        if future is None or future.done():
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return on_connect


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
