"""KPIs for a time range, per agent, group and shop: rollups for whole past days, the raw records for the rest.

Used by the routes (``/v1/metrics/...``) and by ``python -m gateway report``; built from the gateway config,
the database and the business calendar, with no aiohttp in sight.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from kpis import rollup
from kpis.collect import Scripts, Settings, count_raw, day_segments
from kpis.metrics import NOT_PER_AGENT, Cell, Cells, conversation_figures, scorable, script_figures, wait_figures
from kpis.scores import score

RAW_DAYS_AT_ONCE = 4      # days counted from the raw records concurrently (each on its own connection)


class KpiService:
    def __init__(self, db, config, calendar) -> None:
        self.db = db
        self.config = config
        self.settings = Settings.of(config, calendar)

    async def counts(self, since: float, until: float, now: float) -> tuple[Cells, Scripts]:
        segments = day_segments(since, until, self.settings.kpis.timezone)
        rolled = await rollup.computed_days(self.db, since, until)
        from_rollup = {start for start, _, whole in segments if whole and start in rolled}
        cells, scripts = await rollup.load(self.db, from_rollup)
        gate = asyncio.Semaphore(RAW_DAYS_AT_ONCE)

        async def raw(start: float, end: float) -> tuple[Cells, Scripts]:
            async with gate:
                return await count_raw(self.db, self.settings, start, end, now)

        parts = await asyncio.gather(*(raw(start, end) for start, end, _ in segments if start not in from_rollup))
        for part_cells, part_scripts in parts:
            cells.merge(part_cells)
            for script, counts in part_scripts.items():
                scripts.setdefault(script, Counter()).update(counts)
        return cells, scripts

    async def report(self, since: float, until: float, now: float) -> dict[str, Any]:
        """Figures per agent (with the weighted score), per group, per shop, and per script."""
        cells, scripts = await self.counts(since, until, now)
        by_agent = cells.scope(0)
        return {"agents": [self.agent_figures(agent_id, by_agent.get(agent_id, Cell()))
                           for agent_id in self._agent_ids(by_agent)],
                "groups": [{"group": group, **_scope_figures(cell)}
                           for group, cell in sorted(cells.scope(1).items())],
                "shops": [{"shop_id": shop, **_scope_figures(cell)} for shop, cell in sorted(cells.scope(2).items())],
                "scripts": script_figures(scripts)}

    def agent_figures(self, agent_id: str, cell: Cell) -> dict[str, Any]:
        agent = next((a for a in self.config.agents if a.id == agent_id), None)
        figures = {"agent_id": agent_id, "name": agent.name if agent else None,
                   "role": agent.role if agent else None, "groups": list(agent.groups) if agent else [],
                   **wait_figures(cell, "agent"), **conversation_figures(cell, per_agent=True)}
        figures["score"] = score(scorable(figures), figures["groups"], self.settings.kpis).to_dict()
        return figures

    def _agent_ids(self, by_agent: dict[str, Cell]) -> list[str]:
        configured = [a.id for a in self.config.agents if a.role != "supervisor"]
        seen = [agent_id for agent_id in by_agent if agent_id != NOT_PER_AGENT and agent_id not in configured]
        return sorted({*configured, *seen})


def _scope_figures(cell: Cell) -> dict[str, Any]:
    return {**wait_figures(cell, "customer"), **conversation_figures(cell, per_agent=False)}
