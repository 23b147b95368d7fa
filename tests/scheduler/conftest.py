"""Fixtures for the deadline twins: every contract test runs on memory and on the real Redis.

Redis tests never skip: with Redis down they error, so a CI run without Redis cannot pass quietly.
Each test gets its own key prefix in database 15 and deletes its keys afterwards (others share the server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest

from tests.conftest import REDIS_TEST_URL, delete_prefix
from scheduler.deadlines import DeadlineStore, MemoryDeadlineStore
from scheduler.redis_deadlines import RedisDeadlineStore

LEASE = 30.0

StoreFactory = Callable[[], DeadlineStore]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test-{uuid4().hex[:8]}"
    yield prefix
    await delete_prefix(prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def new_store(request: pytest.FixtureRequest) -> AsyncIterator[StoreFactory]:
    """Each call is another handle on the same deadlines: for Redis another client, as another process has."""
    if request.param == "memory":
        shared = MemoryDeadlineStore(lease=LEASE)
        yield lambda: shared
        return
    prefix = f"test-{uuid4().hex[:8]}"
    opened: list[RedisDeadlineStore] = []

    def open_redis() -> DeadlineStore:
        opened.append(RedisDeadlineStore.from_url(REDIS_TEST_URL, prefix=prefix, lease=LEASE))
        return opened[-1]

    yield open_redis
    for store in opened:
        await store.close()
    await delete_prefix(prefix)


@pytest.fixture
def store(new_store: StoreFactory) -> DeadlineStore:
    return new_store()
