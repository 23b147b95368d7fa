"""The Redis twin of the deadline store, for several gateway processes sharing one set of deadlines.

Layout (``<p>`` is the deployment prefix, names from :mod:`gateway.storage.keys`)::

    <p>:deadlines            sorted set  key -> due_at                (armed, not claimed)
    <p>:deadlines:inflight   sorted set  key -> lease expiry          (claimed, not acked)
    <p>:deadlines:data       hash        key -> JSON {due_at, key, payload}   (armed or in flight)

Exactly once vs at least once. ``claim_due`` is one Lua script, so each due deadline is *handed out*
exactly once however many processes call it at the same moment. *Firing* is exactly once only while the
claimer acks within its lease: a claimer that dies (or whose handler outlives the lease) loses the
deadline to the next ``claim_due`` after the lease, which fires it again — at least once, late by at most
the lease plus the poll interval. Handlers therefore make their effect idempotent (the watchdog payload
carries its period and stage for this), and the lease is set well above the slowest handler. Re-arming or
cancelling a key ends its flight, so a deadline superseded after its claim is never resurrected. Leases
are measured on the callers' clocks (``now``), which the processes must keep in step (NTP).
"""

from __future__ import annotations

import json

import redis.asyncio as redis

from gateway.storage import keys
from gateway.storage.redis import retrying_client
from scheduler.deadlines import DEFAULT_LEASE, Deadline

# KEYS: due, data, inflight. ARGV: now, limit, lease expiry for what is claimed now.
_CLAIM = """
for _, key in ipairs(redis.call('ZRANGE', KEYS[3], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])) do
  local blob = redis.call('HGET', KEYS[2], key)
  redis.call('ZREM', KEYS[3], key)
  redis.call('ZADD', KEYS[1], cjson.decode(blob)['due_at'], key)
end
local blobs = {}
for i, key in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])) do
  redis.call('ZREM', KEYS[1], key)
  redis.call('ZADD', KEYS[3], ARGV[3], key)
  blobs[i] = redis.call('HGET', KEYS[2], key)
end
return blobs
"""

# KEYS: data, inflight. ARGV: key, blob. Only the flight of this very deadline ends (ZREM answers 0 when
# the key was re-armed since); the data then goes, since an in-flight key is not armed.
_ACK = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
"""


def _encode(key: str, due_at: float, payload: dict) -> str:
    """Deterministic JSON, so an ack can name its deadline by value."""
    record = {"due_at": due_at, "key": key, "payload": payload}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _decode(blob: bytes | str) -> Deadline:
    record = json.loads(blob)
    return Deadline(record["key"], record["due_at"], record["payload"])


class RedisDeadlineStore:
    """Deadlines in Redis, claimed atomically by any number of processes; see the module docstring."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = keys.DEFAULT_PREFIX,
        lease: float = DEFAULT_LEASE,
        owns_client: bool = False,
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._lease = lease
        self._due = keys.key(prefix, keys.DEADLINES)
        self._data = keys.key(prefix, keys.DEADLINES, "data")
        self._inflight = keys.key(prefix, keys.DEADLINES_INFLIGHT)
        self._claim = client.register_script(_CLAIM)
        self._ack = client.register_script(_ACK)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = keys.DEFAULT_PREFIX, lease: float = DEFAULT_LEASE
    ) -> RedisDeadlineStore:
        """A store with its own client (``state.redis_url``), closed by :meth:`close`."""
        return cls(retrying_client(url), prefix=prefix, lease=lease, owns_client=True)

    async def arm(self, key: str, due_at: float, payload: dict) -> None:
        """Arm ``key`` at ``due_at``, replacing its live deadline and ending any flight of it."""
        due_at = float(due_at)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(self._due, {key: due_at})
            pipe.hset(self._data, key, _encode(key, due_at, payload))
            pipe.zrem(self._inflight, key)
            await pipe.execute()

    async def cancel(self, key: str) -> None:
        """Forget ``key``, armed or in flight; cancelling an unknown key is a no-op."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._due, key)
            pipe.zrem(self._inflight, key)
            pipe.hdel(self._data, key)
            await pipe.execute()

    async def claim_due(self, now: float, limit: int = 100) -> list[Deadline]:
        """Take up to ``limit`` deadlines due at ``now``, earliest first; expired flights count as due."""
        args = [repr(float(now)), limit, repr(float(now) + self._lease)]
        blobs = await self._claim(keys=[self._due, self._data, self._inflight], args=args)
        return [_decode(blob) for blob in blobs]

    async def ack(self, deadline: Deadline) -> None:
        """End the flight of ``deadline``; a stale ack (the key was re-armed or re-claimed) does nothing."""
        blob = _encode(deadline.key, deadline.due_at, deadline.payload)
        await self._ack(keys=[self._data, self._inflight], args=[deadline.key, blob])

    async def next_due_at(self) -> float | None:
        """The earliest time ``claim_due`` may return something: a due time or a lease expiry."""
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.zrange(self._due, 0, 0, withscores=True)
            pipe.zrange(self._inflight, 0, 0, withscores=True)
            firsts = await pipe.execute()
        return min((score for first in firsts for _, score in first), default=None)

    async def pending(self) -> int:
        """Armed deadlines not yet claimed."""
        return await self._client.zcard(self._due)

    async def close(self) -> None:
        """Close the client if this store opened it; a borrowed client belongs to its owner."""
        if self._owns_client:
            await self._client.aclose()
