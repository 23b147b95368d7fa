"""DeadlineRunner: timers fired by hand with a fake clock, then a few real short timers."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from scheduler.deadlines import Deadline, DeadlineRunner, MemoryDeadlineStore
from scheduler.redis_deadlines import RedisDeadlineStore
from tests.scheduler.conftest import LEASE, REDIS_TEST_URL


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    """An on_fire that remembers what fired, and when by the real clock."""

    def __init__(self) -> None:
        self.fired: list[tuple[Deadline, float]] = []
        self.changed = asyncio.Event()

    async def __call__(self, deadline: Deadline) -> None:
        self.fired.append((deadline, time.time()))
        self.changed.set()

    @property
    def keys(self) -> list[str]:
        return [deadline.key for deadline, _ in self.fired]

    async def wait_for(self, count: int, timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.fired) < count:
                self.changed.clear()
                await self.changed.wait()


async def test_fire_due_fires_what_is_due_at_the_clock_in_order() -> None:
    store, clock, recorder = MemoryDeadlineStore(), FakeClock(), Recorder()
    runner = DeadlineRunner(store, recorder, clock=clock)
    for key, after in (("late", 30), ("first", 10), ("second", 20)):
        await runner.arm(key, clock.now + after, {})

    clock.now += 25
    assert await runner.fire_due() == 2

    assert recorder.keys == ["first", "second"]
    assert await store.next_due_at() == 1030, "fired deadlines are acked, so no lease is pending"


async def test_fire_due_takes_an_explicit_now_and_works_through_batches() -> None:
    store, recorder = MemoryDeadlineStore(), Recorder()
    runner = DeadlineRunner(store, recorder, batch=3)
    for i in range(10):
        await store.arm(f"k{i}", i, {})

    assert await runner.fire_due(now=100) == 10
    assert recorder.keys == [f"k{i}" for i in range(10)]


async def test_a_crashing_handler_is_logged_and_its_deadline_acked(caplog: pytest.LogCaptureFixture) -> None:
    store, recorder = MemoryDeadlineStore(), Recorder()

    async def on_fire(deadline: Deadline) -> None:
        if deadline.key == "poison":
            raise RuntimeError("handler bug")
        await recorder(deadline)

    runner = DeadlineRunner(store, on_fire)
    await store.arm("poison", 1, {})
    await store.arm("fine", 2, {})

    with caplog.at_level(logging.ERROR, logger="scheduler.deadlines"):
        assert await runner.fire_due(now=10) == 2

    assert recorder.keys == ["fine"]
    assert "poison" in caplog.text and "handler bug" in caplog.text
    assert await runner.fire_due(now=10 + 2 * LEASE) == 0


async def test_real_timers_fire_in_order_and_an_earlier_arm_wakes_the_sleeper() -> None:
    store, recorder = MemoryDeadlineStore(), Recorder()
    runner = DeadlineRunner(store, recorder)
    await runner.start()
    try:
        start = time.time()
        await runner.arm("c", start + 0.30, {})
        await asyncio.sleep(0.01)  # the runner now sleeps until c
        await runner.arm("a", start + 0.05, {})
        await runner.arm("b", start + 0.15, {})
        await recorder.wait_for(3)
    finally:
        await runner.stop()

    assert recorder.keys == ["a", "b", "c"]
    lateness = [fired_at - deadline.due_at for deadline, fired_at in recorder.fired]
    assert all(0 <= late < 0.15 for late in lateness), lateness  # without the wake-up, a is 0.25 s late


async def test_a_failing_store_is_retried_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    class FlakyStore(MemoryDeadlineStore):
        failures = 2

        async def claim_due(self, now: float, limit: int = 100) -> list[Deadline]:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("redis restarting")
            return await super().claim_due(now, limit)

    store, recorder = FlakyStore(), Recorder()
    runner = DeadlineRunner(store, recorder, poll_interval=0.01)
    await store.arm("k", time.time(), {})
    with caplog.at_level(logging.ERROR, logger="scheduler.deadlines"):
        await runner.start()
        try:
            await recorder.wait_for(1)
        finally:
            await runner.stop()

    assert recorder.keys == ["k"]
    assert [r.exc_info[1].args for r in caplog.records] == [("redis restarting",)] * 2


@pytest.mark.redis
async def test_runners_of_two_processes_share_redis_deadlines_once_each(redis_prefix: str) -> None:
    stores = [RedisDeadlineStore.from_url(REDIS_TEST_URL, prefix=redis_prefix) for _ in range(3)]
    arming, *runner_stores = stores
    recorder = Recorder()
    runners = [DeadlineRunner(store, recorder, poll_interval=0.05) for store in runner_stores]
    try:
        for runner in runners:
            await runner.start()
        start = time.time()
        for i in range(60):  # armed by a third process: the runners only learn of them by polling
            await arming.arm(f"k{i}", start + 0.05 + i * 0.004, {"i": i})
        await recorder.wait_for(60)
        await asyncio.sleep(0.1)  # room for a duplicate to show up
    finally:
        for runner in runners:
            await runner.stop()
        for store in stores:
            await store.close()

    assert sorted(recorder.keys) == sorted(f"k{i}" for i in range(60))
    lateness = [fired_at - deadline.due_at for deadline, fired_at in recorder.fired]
    assert max(lateness) < 0.05 + 0.1, max(lateness)
