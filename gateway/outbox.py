"""Delivery to storefronts: at-least-once, in order per conversation, from the durable ``deliveries`` table.

Each conversation has a line of pending deliveries; only its head is attempted, so a customer never sees a
later reply before an earlier one, while other conversations go on. A head goes over the storefront's WebSocket
when one is connected, else by signed POST to ``callback_url``; a failure waits with exponential backoff and
jitter (capped, retried forever), and a storefront that connects its WebSocket gets its waiting lines at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from gateway.backoff import backoff
from gateway.claims import Claims
from gateway.config import DeliveryConfig, StorefrontConfig
from gateway.db import Database, Write
from gateway.errors import BACKEND_ERRORS
from gateway.hub import Hub
from gateway.signing import sign

log = logging.getLogger(__name__)


async def mark_delivered(db: Database, write: Write, delivery_id: str, known: set[str]) -> None:
    """Record a delivery as done; the id is forgotten only once that is durable, so a takeover sweep never
    re-sends it. A failed write leaves the row pending: a later takeover may re-send (at-least-once)."""
    try:
        await db.write(write)
    except BACKEND_ERRORS as exc:
        log.warning("delivery %s went out but could not be marked delivered: %s", delivery_id, exc)
        return
    known.discard(delivery_id)


@dataclass(slots=True)
class _Line:
    storefront_id: str
    items: deque[dict[str, Any]] = field(default_factory=deque)
    retry: asyncio.TimerHandle | None = None
    busy: bool = False


class StorefrontOutbox:
    def __init__(self, db: Database, hub: Hub, storefronts: dict[str, StorefrontConfig], config: DeliveryConfig,
                 metrics, clock, claims: Claims) -> None:
        self.db, self.hub, self.storefronts, self.config = db, hub, storefronts, config
        self.metrics, self.clock, self.claims = metrics, clock, claims
        self._lines: dict[str, _Line] = {}
        self._known: set[str] = set()         # delivery ids this process is delivering
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self, *, alone: bool) -> None:
        """Claim the pending deliveries (every one when this process is ``alone``, else those whose claim ran
        out) and start delivering."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        await self.claims.take_into(self.enqueue, expired_only=not alone)
        self._workers = [asyncio.create_task(self._work(), name=f"outbox-{i}")
                         for i in range(self.config.concurrency)]

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for line in self._lines.values():
            if line.retry:
                line.retry.cancel()
        if self._session:
            await self._session.close()

    def enqueue(self, delivery: dict[str, Any]) -> None:
        if delivery["id"] in self._known:
            return
        self._known.add(delivery["id"])
        line = self._lines.get(delivery["conversation_id"])
        if line is None:
            line = self._lines[delivery["conversation_id"]] = _Line(delivery["storefront_id"])
            self._ready.put_nowait(delivery["conversation_id"])
        line.items.append(delivery)
        self.metrics.outbox_pending.inc()

    def held(self) -> frozenset[str]:
        """The deliveries this process is delivering (their claims are renewed)."""
        return frozenset(self._known)

    def storefront_connected(self, storefront_id: str) -> None:
        """A storefront opened its WebSocket: stop waiting out backoffs for its lines."""
        for conversation_id, line in self._lines.items():
            if line.storefront_id == storefront_id and line.retry is not None:
                line.retry.cancel()
                line.retry = None
                self._ready.put_nowait(conversation_id)

    async def _work(self) -> None:
        while True:
            conversation_id = await self._ready.get()
            line = self._lines.get(conversation_id)
            if line is None or line.busy or not line.items:
                continue
            line.busy = True
            try:
                await self._attempt_head(conversation_id, line)
            except Exception:
                log.exception("outbox worker failed on conversation %s", conversation_id)
                self._retry_later(conversation_id, line, line.items[0])
            finally:
                line.busy = False

    async def _attempt_head(self, conversation_id: str, line: _Line) -> None:
        delivery = line.items[0]
        delivery["attempts"] += 1
        channel, error = await self._deliver(delivery)
        if error is None:
            line.items.popleft()
            self.metrics.outbox_pending.dec()
            self.metrics.deliveries.labels(channel=channel, outcome="delivered").inc()
            await self._mark_delivered(Write(self.db.statements.delivery_done, {
                "delivery_id": delivery["id"], "delivered_at": self.clock(), "channel": channel,
                "attempts": delivery["attempts"]}), delivery["id"])
            if line.items:
                self._ready.put_nowait(conversation_id)
            else:
                del self._lines[conversation_id]
            return
        self.metrics.deliveries.labels(channel=channel, outcome="retry").inc()
        log.info("delivery %s to %s failed (attempt %d): %s", delivery["id"], delivery["storefront_id"],
                 delivery["attempts"], error)
        self.db.write_soon(Write(self.db.statements.delivery_failed, {
            "delivery_id": delivery["id"], "attempts": delivery["attempts"], "last_error": error[:500]}))
        self._retry_later(conversation_id, line, delivery)

    async def _mark_delivered(self, write: Write, delivery_id: str) -> None:
        await mark_delivered(self.db, write, delivery_id, self._known)

    def _retry_later(self, conversation_id: str, line: _Line, delivery: dict[str, Any]) -> None:
        delay = backoff(delivery["attempts"], self.config.retry_base, self.config.retry_cap)
        line.retry = asyncio.get_running_loop().call_later(delay, self._wake, conversation_id)

    def _wake(self, conversation_id: str) -> None:
        line = self._lines.get(conversation_id)
        if line is not None:
            line.retry = None
            self._ready.put_nowait(conversation_id)

    async def _deliver(self, delivery: dict[str, Any]) -> tuple[str, str | None]:
        storefront_id, payload = delivery["storefront_id"], delivery["payload"]
        if await self.hub.send_to_storefront(storefront_id, payload):
            return "websocket", None
        storefront = self.storefronts.get(storefront_id)
        if storefront is None or not storefront.callback_url:
            return "none", "no WebSocket connected and no callback_url configured"
        return "callback", await self._post(storefront, payload)

    async def _post(self, storefront: StorefrontConfig, payload: dict[str, Any]) -> str | None:
        body = orjson.dumps(payload)
        headers = {"Content-Type": "application/json", "X-Delivery-Id": payload["delivery_id"]}
        if storefront.secret:
            headers["X-Signature"] = sign(storefront.secret, body)
        try:
            async with self._session.post(storefront.callback_url, data=body, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"callback answered {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return f"callback unreachable: {type(exc).__name__} {exc}"
