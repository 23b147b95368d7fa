"""Backend twins under one contract: every test here runs against each state backend.

Redis tests never skip: with Redis down they error, so a CI run without Redis cannot pass quietly. Each test
gets its own key prefix in database 15 and deletes its keys afterwards (others share the server: no FLUSHDB).
"""

from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest

from tests.conftest import REDIS_TEST_URL, FakeClock, delete_prefix
from gateway.storage.memory import MemoryDirectory, MemoryLocks, MemoryStateStore
from gateway.storage.redis import RedisBackend, open_redis_backend

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]

OpenRedis = Callable[..., RedisBackend]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test-{uuid4().hex[:8]}"
    yield prefix
    await delete_prefix(prefix)


@pytest.fixture
async def open_redis(redis_prefix, clock) -> AsyncIterator[OpenRedis]:
    """Each call opens the Redis twins on a new client of the test's prefix, as another process would."""
    opened: list[RedisBackend] = []

    def open_backend(**options) -> RedisBackend:
        opened.append(open_redis_backend(REDIS_TEST_URL, redis_prefix, **{"dedupe_window": 60, "clock": clock,
                                                                        **options}))
        return opened[-1]

    yield open_backend
    for backend in opened:
        await backend.close()


@pytest.fixture(params=BACKENDS)
async def backend(request, clock):
    """(state store, directory, locks) of one backend, with a 60 s dedupe window."""
    if request.param == "memory":
        yield MemoryStateStore(dedupe_window=60, clock=clock), MemoryDirectory(), MemoryLocks()
        return
    prefix = f"test-{uuid4().hex[:8]}"
    state, directory, locks, close = open_redis_backend(REDIS_TEST_URL, prefix, dedupe_window=60, clock=clock)
    try:
        yield state, directory, locks
    finally:
        await close()
        await delete_prefix(prefix)
