"""Cross-process delivery for the scale-out deployment: Redis pub/sub, one channel per agent and per storefront.

With several gateway processes, the event for an agent may be produced where the agent is not connected.
So every send is published on the peer's channel, and each process subscribes to the channels of the peers
holding a socket on it (the first socket subscribes, the last one unsubscribes) and delivers locally. A peer
connected to two processes gets the event on both sockets. Order is kept per publishing process, which is
the process holding the conversation's lock: per conversation, events arrive in order.

Pub/sub keeps nothing: what is published while a subscriber's connection is down (Redis restarting) is lost
for it. So once the subscriptions are back, ``on_resubscribed`` runs, and the hub re-sends its sockets what
they may have missed from the durable records.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from gateway.storage import keys
from gateway.storage.redis import retrying_client

log = logging.getLogger(__name__)


class RedisFanout:
    def __init__(self, url: str, prefix: str, instance_id: str) -> None:
        self._client = retrying_client(url)
        self._pubsub = self._client.pubsub()
        self._prefix, self._instance = prefix, instance_id
        self._reader: asyncio.Task | None = None
        self._deliver = None
        self._on_resubscribed = None

    def channel(self, kind: str, peer_id: str) -> str:
        return keys.key(self._prefix, keys.EVENTS, kind, peer_id)

    async def start(self, deliver, on_resubscribed) -> None:
        """``deliver(kind, peer_id, payload)`` sends to this process's own sockets; ``on_resubscribed()`` runs
        after a lost subscription connection is back."""
        self._deliver, self._on_resubscribed = deliver, on_resubscribed
        await self._pubsub.subscribe(keys.key(self._prefix, keys.EVENTS, "instance", self._instance))
        self._reader = asyncio.create_task(self._read(), name="fanout-reader")

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._pubsub.aclose()
        await self._client.aclose()

    async def subscribe(self, kind: str, peer_id: str) -> None:
        await self._pubsub.subscribe(self.channel(kind, peer_id))

    async def unsubscribe(self, kind: str, peer_id: str) -> None:
        await self._pubsub.unsubscribe(self.channel(kind, peer_id))

    async def publish(self, kind: str, peer_id: str, payload: dict[str, Any]) -> int:
        """How many processes took it (0: the peer is connected nowhere)."""
        return await self._client.publish(self.channel(kind, peer_id), orjson.dumps(payload))

    async def _read(self) -> None:
        lost = False
        while True:
            try:
                if lost:
                    await self._pubsub.ping()        # reconnects and subscribes again, or raises
                    lost = False
                    log.warning("cross-process delivery is back; re-sending what local sockets may have missed")
                    await self._on_resubscribed()
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                kind, peer_id = message["channel"].decode().rsplit(":", 2)[-2:]
                await self._deliver(kind, peer_id, orjson.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: log, wait, go on (the pub/sub reconnects)
                if not lost:
                    log.error("cross-process delivery lost its Redis connection: %s", exc)
                lost = True
                await asyncio.sleep(0.2)
