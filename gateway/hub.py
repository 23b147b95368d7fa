"""Live WebSocket connections of this process: agents (several tabs each) and storefronts.

Sends never raise: a socket that fails is dropped and the peer recovers what it missed on reconnect
(agents get their open conversations again; storefront deliveries stay in the outbox until delivered).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

log = logging.getLogger(__name__)


def dumps(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload).decode()


class Hub:
    """Sockets of this process; with a ``fanout`` (scale-out), sends go through it to every process that holds
    the peer's sockets, this one included."""

    def __init__(self, fanout=None) -> None:
        self.agents: dict[str, list[web.WebSocketResponse]] = defaultdict(list)
        self.storefronts: dict[str, list[web.WebSocketResponse]] = defaultdict(list)
        self.fanout = fanout

    async def start(self, resync: Callable[[str, web.WebSocketResponse], Awaitable[None]]) -> None:
        """``resync(agent_id, ws)`` re-sends an agent socket its open conversations: after cross-process delivery
        was down (scale-out), events published meanwhile never reached this process."""
        self._resync = resync
        if self.fanout:
            await self.fanout.start(self._deliver_here, self._resync_all)

    async def _resync_all(self) -> None:
        for agent_id, sockets in list(self.agents.items()):
            for ws in list(sockets):
                try:
                    await self._resync(agent_id, ws)
                except Exception as exc:   # a socket closing meanwhile, a backend still flaky: it resumes later
                    log.warning("could not re-send agent %s its conversations: %s", agent_id, exc)

    async def add_agent(self, agent_id: str, ws: web.WebSocketResponse) -> None:
        await self._add(self.agents, "agent", agent_id, ws)

    async def remove_agent(self, agent_id: str, ws: web.WebSocketResponse) -> None:
        await self._remove(self.agents, "agent", agent_id, ws)

    async def add_storefront(self, storefront_id: str, ws: web.WebSocketResponse) -> None:
        await self._add(self.storefronts, "storefront", storefront_id, ws)

    async def remove_storefront(self, storefront_id: str, ws: web.WebSocketResponse) -> None:
        await self._remove(self.storefronts, "storefront", storefront_id, ws)

    async def _add(self, table, kind: str, peer_id: str, ws: web.WebSocketResponse) -> None:
        first = not table.get(peer_id)
        table[peer_id].append(ws)
        if first and self.fanout:
            await self.fanout.subscribe(kind, peer_id)

    async def _remove(self, table, kind: str, peer_id: str, ws: web.WebSocketResponse) -> None:
        sockets = table.get(peer_id)
        if sockets and ws in sockets:
            sockets.remove(ws)
        if not sockets:
            table.pop(peer_id, None)
            if self.fanout:
                await self.fanout.unsubscribe(kind, peer_id)

    async def _deliver_here(self, kind: str, peer_id: str, payload: dict[str, Any]) -> None:
        if kind == "agent":
            await self.deliver_to_agent(peer_id, payload)
        else:
            await self.deliver_to_storefront(peer_id, payload)

    async def send_to_agent(self, agent_id: str, payload: dict[str, Any]) -> bool:
        if self.fanout:
            return await self.fanout.publish("agent", agent_id, payload) > 0
        return await self.deliver_to_agent(agent_id, payload)

    async def send_to_storefront(self, storefront_id: str, payload: dict[str, Any]) -> bool:
        """True when a live storefront socket took it (in scale-out: when some process holds one)."""
        if self.fanout:
            return await self.fanout.publish("storefront", storefront_id, payload) > 0
        return await self.deliver_to_storefront(storefront_id, payload)

    async def deliver_to_agent(self, agent_id: str, payload: dict[str, Any]) -> bool:
        sockets = list(self.agents.get(agent_id, ()))
        text = dumps(payload)
        sent = False
        for ws in sockets:
            sent = await _send(ws, text) or sent
        return sent

    async def deliver_to_storefront(self, storefront_id: str, payload: dict[str, Any]) -> bool:
        """Send to the storefront's newest live socket of this process; False when none took it."""
        text = dumps(payload)
        for ws in reversed(list(self.storefronts.get(storefront_id, ()))):
            if await _send(ws, text):
                return True
        return False

    async def close(self) -> None:
        await self.close_all()
        if self.fanout:
            await self.fanout.close()

    async def close_all(self) -> None:
        for sockets in (*self.agents.values(), *self.storefronts.values()):
            for ws in list(sockets):
                await ws.close(code=1001, message=b"server shutdown")


async def _send(ws: web.WebSocketResponse, text: str) -> bool:
    if ws.closed:
        return False
    try:
        await ws.send_str(text)
        return True
    except (ConnectionError, RuntimeError) as exc:
        log.warning("dropping a WebSocket that failed a send: %s", exc)
        return False

