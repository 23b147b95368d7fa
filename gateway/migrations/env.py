"""Alembic's environment, run by every migration command (gateway/schema.py, ``python -m gateway.migrations``).

No engine and no URL here: the caller opens the connection — over the async engine with ``run_sync``,
alembic's asyncio recipe, or a plain SQLite one — and passes it in ``config.attributes``, so one environment
serves SQLite and PostgreSQL and the caller's transaction covers the whole upgrade. ``render_as_batch`` turns
ALTERs into SQLite's copy-and-move of the table, which PostgreSQL does not need but does not mind.
"""

from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from gateway.schema import METADATA


def render_item(kind: str, item: object, _autogen_context: object) -> str | bool:
    """Autogenerate writes SQLModel's ``AutoString`` as ``sa.String()``, so revisions need no sqlmodel import."""
    if kind == "type" and isinstance(item, AutoString):
        return "sa.String()"
    return False


context.configure(connection=context.config.attributes["connection"], target_metadata=METADATA,
                  render_as_batch=True, render_item=render_item)
with context.begin_transaction():
    context.run_migrations()
