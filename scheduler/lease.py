"""Periodic jobs that must run once per cluster (the at-risk check, KPI rollups, outbox takeover) run only in
the process holding the job's lease: a Redis key set with NX and a TTL, renewed by its holder on each run.
A holder that dies lets the lease expire and another process takes the job over. The embedded deployment
has one process, so it always holds the lease."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.storage import keys
from gateway.storage.redis import retrying_client


class LocalLease:
    async def held(self, job: str, ttl: float) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisLease:
    def __init__(self, url: str, prefix: str, instance_id: str) -> None:
        self._client = retrying_client(url)
        self._prefix, self._instance = prefix, instance_id

    async def held(self, job: str, ttl: float) -> bool:
        """Take or renew the lease of ``job`` for ``ttl`` seconds; False while another process holds it."""
        key = keys.key(self._prefix, keys.LEASE, job)
        ttl_ms = int(ttl * 1000)
        if await self._client.set(key, self._instance, nx=True, px=ttl_ms):
            return True
        if (await self._client.get(key) or b"").decode() == self._instance:
            await self._client.pexpire(key, ttl_ms)
            return True
        return False

    async def close(self) -> None:
        await self._client.aclose()


def leased(lease, job: str, every: float, run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    """``run`` as a periodic job that only the lease holder executes (the lease outlives two periods)."""
    async def job_once() -> None:
        if await lease.held(job, max(2.5 * every, 5.0)):
            await run()

    return job_once
