"""The live 话术库: the shipped (or configured) library plus agents' personal scripts, the matcher built over
them, reload on file change, and the personal-script store.

A rebuilt matcher replaces the old one in one assignment; building runs in a worker thread (seconds for a
very large library) so the event loop keeps serving. A broken library file is reported and the old library
stays in use. With several processes (scale-out), each notices personal scripts changed by another from the
table's signature (row count, latest change) and loads them again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import func, select

from gateway.db import Database, Write
from gateway.ids import new_id
from gateway.models import PersonalScript
from scripts_lib.config import ScriptsConfig
from scripts_lib.library import Library, LibraryError, LibraryWatcher, Script
from scripts_lib.matcher import Matcher

log = logging.getLogger(__name__)


class ScriptsService:
    def __init__(self, config: ScriptsConfig) -> None:
        self.config = config
        self._watcher = LibraryWatcher(config.library, config.knowledge)
        loaded = self._watcher.check()
        if isinstance(loaded, LibraryError):
            raise loaded
        self.base: Library = loaded
        self.personal: dict[str, Script] = {}
        self._personal_signature: tuple[int, float | None] = (0, None)
        self.library = self.base
        self.matcher = Matcher(self.library, min_score=config.min_score)

    async def load_personal(self, db: Database) -> None:
        table = PersonalScript.__table__
        async with db.connect() as conn:
            rows = (await conn.execute(select(table))).mappings().all()
        self.personal = {row["id"]: _script(row) for row in rows}
        self._personal_signature = (len(rows), max((row["updated_at"] for row in rows), default=None))
        await self._rebuild()

    async def refresh_personal(self, db: Database) -> bool:
        """Load the personal scripts again if another process changed them (a create or an edit moves the
        latest ``updated_at``, a delete the count); True when it did."""
        table = PersonalScript.__table__
        async with db.connect() as conn:
            count, latest = (await conn.execute(select(func.count(), func.max(table.c.updated_at)))).one()
        if (count, latest) == self._personal_signature:
            return False
        await self.load_personal(db)
        return True

    async def reload_if_changed(self) -> bool:
        loaded = self._watcher.check()
        if loaded is None:
            return False
        if isinstance(loaded, LibraryError):
            log.error("the reply-script library was not reloaded: %s", loaded)
            return False
        self.base = loaded
        await self._rebuild()
        log.info("reply-script library reloaded: %d entries", len(self.library))
        return True

    async def save_personal(self, db: Database, agent_id: str, body: dict[str, Any], script_id: str | None,
                            now: float) -> Script:
        """Create or replace one of ``agent_id``'s personal scripts (LibraryError: refused, with the reason)."""
        row = {"id": script_id or new_id("ps"), "agent_id": agent_id, "category": body["category"],
               "phrasings": list(body["phrasings"]), "text": body["text"], "updated_at": now}
        script = _script(row)
        self.base.with_personal([*(s for s in self.personal.values() if s.id != script.id), script])
        await db.write(Write(db.statements.upserts["personal_scripts"], row))
        self.personal[script.id] = script
        await self._rebuild()
        return script

    async def delete_personal(self, db: Database, script_id: str) -> None:
        table = PersonalScript.__table__
        await db.write(Write(table.delete().where(table.c.id == script_id), {}))
        self.personal.pop(script_id, None)
        await self._rebuild()

    async def _rebuild(self) -> None:
        library = self.base.with_personal(self.personal.values()) if self.personal else self.base
        self.matcher = await asyncio.to_thread(Matcher, library, min_score=self.config.min_score)
        self.library = library


def _script(row: Any) -> Script:
    return Script(id=row["id"], category=row["category"], phrasings=tuple(row["phrasings"]), text=row["text"],
                  owner=row["agent_id"])
