"""The schema gate: a process starts only on a database at the migrations' head (gateway/migrations/).

Before migrations, start-up ran ``create_all``, which creates missing tables but never alters existing ones, so
a release that added a column failed later, on a live request, with "no such column". Now start-up decides:

- an empty database gets the whole schema at once (``create_all``) and is stamped at head: alembic's recipe
  for building an up-to-date database from scratch, much faster than replaying every migration (the test
  suite starts ~1,800 apps, most on a fresh database), and ``make run`` on a fresh machine still just works;
- a database at head starts;
- anything else (behind head, a revision this code does not know, tables made before migrations) is refused
  with a :class:`SchemaError`: altering tables is the operator's decision (``python -m gateway migrate``),
  taken once, not a side effect of whichever process starts first.

:func:`migrate` is that command: alembic's upgrade over the async engine with ``run_sync`` (its asyncio
recipe; only asyncpg and aiosqlite are installed). Tables made before migrations are stamped with the first
revision first, when they match it. On PostgreSQL both hold an advisory lock for their transaction, so
processes starting together against a new database do not race to create it.
"""

from __future__ import annotations

import functools
import logging
from typing import NamedTuple

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers the gateway's tables on SQLModel.metadata)
import kpis.models  # noqa: F401  (and the KPI tables and indexes)

METADATA = SQLModel.metadata
SCRIPT_LOCATION = "gateway:migrations"
VERSION_TABLE = "alembic_version"
_LOCK_KEY = 0x63_73_67_77   # "csgw": the PostgreSQL advisory lock held while the schema is checked or changed

# Its INFO lines ("Context impl SQLiteImpl.", "Will assume non-transactional DDL.") would open every start-up log.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


class SchemaError(Exception):
    """The database's schema is not the code's: start-up refuses it, ``python -m gateway migrate`` fixes it."""


class Migrated(NamedTuple):
    before: str | None      # the revision the upgrade started from (None: an empty database)
    after: str              # head
    stamped: bool           # tables made before migrations were stamped with the first revision


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no alembic.ini); env.py runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def scripts() -> ScriptDirectory:
    """The revisions, read once per process."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return scripts().get_current_head()


def prepare(connection: Connection, url: str) -> None:
    """Start-up (``Database.start``): create and stamp an empty database, accept one at head, refuse the rest."""
    _lock(connection)
    context = MigrationContext.configure(connection)
    current = context.get_current_revision()
    if current == head():
        return
    tables = _tables(connection)
    if current is None and not tables:
        METADATA.create_all(connection)
        context.stamp(scripts(), "head")
        return
    if current is None:
        state = "has tables but no revision (made before migrations)"
    else:
        state = f"is at revision {current}" + ("" if _known(current) else " (unknown here: a newer release's?)")
    raise SchemaError(f"database {_shown(url)} {state}; the code's head is {head()}: "
                      "run `python -m gateway migrate` with this config")


async def migrate(url: str) -> Migrated:
    """``python -m gateway migrate``: upgrade the database to head, in one transaction where the database allows."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_migrate, url)
    finally:
        await engine.dispose()


def _migrate(connection: Connection, url: str) -> Migrated:
    _lock(connection)
    before = MigrationContext.configure(connection).get_current_revision()
    if before is not None and not _known(before):
        raise SchemaError(f"database {_shown(url)} is at revision {before}, unknown to this code (head "
                          f"{head()}): a newer release migrated it; run that release")
    stamped = before is None and bool(_tables(connection))
    if stamped:
        before = _stamp_first_revision(connection, url)
    command.upgrade(alembic_config(connection), "head")
    return Migrated(before, head(), stamped)


def _stamp_first_revision(connection: Connection, url: str) -> str:
    """Tables made by ``create_all`` before migrations existed: stamp the first revision if they are its tables
    (every table, column and index; types are left out, as dialects name them differently), else refuse."""
    first = scripts().get_base()
    built = MetaData()
    scratch = create_engine("sqlite://")
    with scratch.begin() as sqlite:
        command.upgrade(alembic_config(sqlite), first)
        built.reflect(sqlite)
    scratch.dispose()
    built.remove(built.tables[VERSION_TABLE])
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    differences = compare_metadata(context, built)
    if differences:
        raise SchemaError(f"database {_shown(url)} has tables but no revision, and they differ from the first "
                          f"revision {first}: {_summary(differences)}; fix them by hand, or start from an "
                          "empty database")
    MigrationContext.configure(connection).stamp(scripts(), first)
    return first


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {VERSION_TABLE}


def _known(revision: str) -> bool:
    return revision in {script.revision for script in scripts().walk_revisions()}


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _summary(differences: list, shown: int = 5) -> str:
    """``add_column deliveries.claimed_by, remove_index ix_x, …``: what autogenerate would change, briefly."""
    described = [_describe(difference) for difference in differences]
    more = f" and {len(described) - shown} more" if len(described) > shown else ""
    return ", ".join(described[:shown]) + more


def _describe(difference: tuple | list) -> str:
    if isinstance(difference, list):        # the modify_* changes of one column
        kind, _schema, table, column = difference[0][:4]
        return f"{kind} {table}.{column}"
    kind, *args = difference
    if kind in ("add_column", "remove_column"):
        return f"{kind} {args[1]}.{args[2].name}"
    return f"{kind} {args[0].name}"
