"""Schema migrations (gateway/migrations, gateway/schema.py) on real SQLite files and real PostgreSQL databases:
the chain builds the models' schema, ``migrate`` upgrades what is behind, start-up creates an empty database and
refuses anything not at head, and the ``migrate`` command speaks in one line."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from gateway import schema
from gateway.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(empty_database_url: str) -> str:
    return empty_database_url


@pytest.fixture
def next_revision(tmp_path, monkeypatch):
    """The shipped chain plus one revision after head that adds ``owners.note`` (a batch ALTER on SQLite), so a
    database can be one step behind head today. Yields (the shipped head, the new head)."""
    shipped = schema.head()
    location = tmp_path / "migrations"
    shutil.copytree(ROOT / "gateway" / "migrations", location, ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "9001_owner_note.py").write_text(f'''"""Test revision.\n\nWhy: a step to be behind."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{shipped}"


def upgrade():
    with op.batch_alter_table("owners") as batch:
        batch.add_column(sa.Column("note", sa.String(), nullable=True))


def downgrade():
    with op.batch_alter_table("owners") as batch:
        batch.drop_column("note")
''')
    monkeypatch.setattr(schema, "SCRIPT_LOCATION", str(location))
    schema.scripts.cache_clear()
    yield shipped, "9001"
    monkeypatch.undo()
    schema.scripts.cache_clear()


async def on(url: str, work, *args):
    """``work(connection, *args)`` in one transaction on the database at ``url``."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work, *args)
    finally:
        await engine.dispose()


def differences(connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), schema.METADATA)


def revision(connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {schema.VERSION_TABLE}


def upgrade(connection, target: str) -> None:
    command.upgrade(schema.alembic_config(connection), target)


def downgrade(connection, target: str) -> None:
    command.downgrade(schema.alembic_config(connection), target)


def made_before_migrations(connection) -> None:
    """Tables as an earlier build's ``create_all`` left them: the first revision's, and no alembic_version."""
    upgrade(connection, schema.scripts().get_base())
    connection.execute(text(f"DROP TABLE {schema.VERSION_TABLE}"))


async def start(url: str) -> None:
    db = Database(url)
    try:
        await db.start()
    finally:
        await db.close()


async def test_every_migration_from_an_empty_database_gives_the_models_schema(url):
    assert await schema.migrate(url) == (None, schema.head(), False)
    assert await on(url, revision) == schema.head()
    assert await on(url, differences) == []


async def test_every_downgrade_undoes_its_upgrade(url):
    await on(url, upgrade, "head")
    await on(url, downgrade, "base")
    assert await on(url, tables) == set()
    await on(url, upgrade, "head")
    assert await on(url, differences) == []


async def test_migrate_upgrades_a_database_behind_head_and_keeps_its_rows(url, next_revision):
    shipped, newest = next_revision
    await on(url, upgrade, shipped)
    await on(url, lambda c: c.execute(text("INSERT INTO owners (id, agent_id, expires_at) VALUES ('s:u', 'a1', 1)")))

    assert await schema.migrate(url) == (shipped, newest, False)

    assert await on(url, revision) == newest
    rows = await on(url, lambda c: c.execute(text("SELECT id, agent_id, note FROM owners")).all())
    assert [tuple(row) for row in rows] == [("s:u", "a1", None)]


async def test_start_up_refuses_a_database_behind_head(url, next_revision):
    shipped, newest = next_revision
    await on(url, upgrade, shipped)

    with pytest.raises(schema.SchemaError) as refused:
        await start(url)

    message = str(refused.value)
    assert f"at revision {shipped};" in message and f"head is {newest}" in message
    assert "python -m gateway migrate" in message
    assert await on(url, revision) == shipped       # nothing was touched


async def test_start_up_creates_and_stamps_an_empty_database(url):
    await start(url)
    assert await on(url, revision) == schema.head()
    assert await on(url, differences) == []
    await start(url)                                # at head: starts again


async def test_tables_made_before_migrations_are_refused_then_stamped_and_upgraded_by_migrate(url):
    await on(url, made_before_migrations)
    with pytest.raises(schema.SchemaError, match="has tables but no revision"):
        await start(url)

    assert await schema.migrate(url) == (schema.scripts().get_base(), schema.head(), True)
    await start(url)


async def test_migrate_refuses_tables_that_differ_from_the_first_revision(url):
    await on(url, made_before_migrations)
    await on(url, lambda c: c.execute(text("DROP INDEX ix_hint_log_at")))

    with pytest.raises(schema.SchemaError, match="differ from the first revision .*add_index ix_hint_log_at"):
        await schema.migrate(url)
    assert await on(url, revision) is None


async def test_a_revision_this_code_does_not_know_is_refused_by_start_up_and_migrate(url):
    await on(url, upgrade, "head")
    await on(url, lambda c: c.execute(text(f"UPDATE {schema.VERSION_TABLE} SET version_num = 'f00d'")))

    with pytest.raises(schema.SchemaError, match=f"at revision f00d .*head is {schema.head()}"):
        await start(url)
    with pytest.raises(schema.SchemaError, match="f00d, unknown to this code"):
        await schema.migrate(url)


def test_every_revision_says_why():
    for script in schema.scripts().walk_revisions():
        doc = importlib.import_module(f"gateway.migrations.versions.{Path(script.path).stem}").__doc__ or ""
        assert "Why:" in doc and "<say why" not in doc, script.path


def _gateway(tmp_path, command_: str, database_url: str) -> subprocess.CompletedProcess:
    config = tmp_path / "gateway.yaml"
    config.write_text(yaml.safe_dump({"database": {"url": database_url}}), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "gateway", command_, "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_the_migrate_command_prints_the_revision_and_exits_0(url, tmp_path):
    first = _gateway(tmp_path, "migrate", url)
    assert (first.returncode, first.stdout, first.stderr) == (0, f"migrated empty -> {schema.head()}\n", "")
    again = _gateway(tmp_path, "migrate", url)
    assert (again.returncode, again.stdout) == (0, f"database at {schema.head()} (head)\n")


def test_the_migrate_command_reports_an_unreachable_database_in_one_line(tmp_path):
    result = _gateway(tmp_path, "migrate", "postgresql://postgres@127.0.0.1:1/gateway")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("migrate: database postgresql+asyncpg://postgres@127.0.0.1:1/gateway: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.slow
async def test_serve_refuses_a_database_not_at_head_without_a_traceback(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await on(url, made_before_migrations)

    result = _gateway(tmp_path, "serve", url)

    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("schema error: database ") and "python -m gateway migrate" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
