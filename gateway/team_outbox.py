"""Delivery of tickets to team webhooks: signed POSTs from the durable ``ticket_deliveries`` table.

Retries back off exponentially with jitter; a circuit breaker per team stops hammering a dead endpoint
(after ``breaker_threshold`` consecutive failures it opens for ``breaker_cooldown``, then one probe decides);
after ``max_attempts`` a delivery becomes a dead letter and supervisors are alerted; a replay sends it again.
At-least-once: the team deduplicates on ``delivery_id`` / the ticket id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from gateway.backoff import backoff
from gateway.breaker import Breaker
from gateway.claims import Claims
from gateway.config import TeamConfig
from gateway.db import Database, Write
from gateway.outbox import mark_delivered
from gateway.signing import sign
from handlers.tickets_config import TicketsConfig

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Team:
    config: TeamConfig
    breaker: Breaker
    ready: asyncio.Queue = field(default_factory=asyncio.Queue)


class TeamOutbox:
    def __init__(self, db: Database, teams: list[TeamConfig], config: TicketsConfig, metrics, clock,
                 claims: Claims, on_dead: Callable[[dict[str, Any]], Awaitable[None]] | None = None) -> None:
        self.db, self.config, self.metrics, self.clock, self.claims = db, config, metrics, clock, claims
        self.on_dead = on_dead
        self._teams = {t.id: _Team(t, Breaker(config.breaker_threshold, config.breaker_cooldown))
                       for t in teams if t.webhook_url}
        self._tasks: list[asyncio.Task] = []
        self._known: set[str] = set()         # delivery ids this process is delivering
        self._session: aiohttp.ClientSession | None = None

    async def start(self, *, alone: bool) -> None:
        """Claim the pending deliveries (as :meth:`StorefrontOutbox.start`) and start the team workers."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        await self.claims.take_into(self.enqueue, expired_only=not alone)
        self._tasks = [asyncio.create_task(self._work(team), name=f"team-{team.config.id}")
                       for team in self._teams.values() for _ in range(self.config.workers)]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session:
            await self._session.close()

    def enqueue(self, delivery: dict[str, Any]) -> None:
        team = self._teams.get(delivery["team"])
        if team is None:
            log.warning("ticket delivery %s: team %s has no webhook_url", delivery["id"], delivery["team"])
            return
        if delivery["id"] in self._known:
            return
        self._known.add(delivery["id"])
        team.ready.put_nowait(delivery)

    def held(self) -> frozenset[str]:
        """The deliveries this process is delivering (their claims are renewed)."""
        return frozenset(self._known)

    def breaker_open(self, team_id: str) -> bool:
        team = self._teams.get(team_id)
        return team is not None and team.breaker.is_open

    async def _work(self, team: _Team) -> None:
        while True:
            delivery = await team.ready.get()
            while (delay := team.breaker.wait_for(self.clock())) > 0:
                await asyncio.sleep(delay)
            try:
                error = await self._post(team.config, delivery)
            except Exception as exc:  # never let one delivery kill the worker
                log.exception("ticket delivery %s failed unexpectedly", delivery["id"])
                error = f"internal: {type(exc).__name__}"
            team.breaker.record(error is None, self.clock())
            await self._settle(team, delivery, error)

    async def _settle(self, team: _Team, delivery: dict[str, Any], error: str | None) -> None:
        delivery["attempts"] += 1
        statement = self.db.statements.upserts["ticket_deliveries"]
        if error is None:
            delivery.update(status="delivered", delivered_at=self.clock(), last_error=None)
            self.metrics.team_deliveries.labels(team=team.config.id, outcome="delivered").inc()
            await mark_delivered(self.db, Write(statement, dict(delivery)), delivery["id"], self._known)
            return
        delivery["last_error"] = error[:500]
        if delivery["attempts"] >= self.config.max_attempts:
            self._known.discard(delivery["id"])
            delivery["status"] = "dead"
            self.metrics.team_deliveries.labels(team=team.config.id, outcome="dead").inc()
            await self.db.write(Write(statement, dict(delivery)))
            if self.on_dead:
                await self.on_dead(delivery)
            return
        self.metrics.team_deliveries.labels(team=team.config.id, outcome="retry").inc()
        self.db.write_soon(Write(statement, dict(delivery)))
        delay = backoff(delivery["attempts"], self.config.retry_base, self.config.retry_cap)
        asyncio.get_running_loop().call_later(delay, team.ready.put_nowait, delivery)

    async def _post(self, team: TeamConfig, delivery: dict[str, Any]) -> str | None:
        body = orjson.dumps(delivery["payload"])
        headers = {"Content-Type": "application/json", "X-Delivery-Id": delivery["id"]}
        if team.secret:
            headers["X-Signature"] = sign(team.secret, body)
        try:
            async with self._session.post(team.webhook_url, data=body, headers=headers) as response:
                return None if 200 <= response.status < 300 else f"webhook answered {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return f"webhook unreachable: {type(exc).__name__} {exc}"
