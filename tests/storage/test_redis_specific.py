"""What only the Redis twin has: several processes on one state, crashed lock holders, values that outlive a client.

Processes are real where it matters (a SIGKILLed lock holder, two reserving processes); elsewhere a second client
stands for a second process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import time
from pathlib import Path

import pytest
import redis.asyncio as redis

from gateway.conversation import ConversationState, Turn
from gateway.storage import keys
from tests.conftest import REDIS_TEST_URL
from tests.storage.conftest import OpenRedis

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]

_HOLD_LOCK = """
import asyncio, sys
from gateway.storage.redis import open_redis_backend

async def main(url, prefix, ttl):
    backend = open_redis_backend(url, prefix, lock_ttl=float(ttl))
    async with backend.locks.lock("shop:u-1"):
        print("held", flush=True)
        await asyncio.sleep(60)

asyncio.run(main(*sys.argv[1:]))
"""

_RESERVE_MANY = """
import asyncio, json, sys
import redis.asyncio as redis
from gateway.storage import keys
from gateway.storage.redis import open_redis_backend

async def main(url, prefix, name, count):
    backend, starter = open_redis_backend(url, prefix), redis.Redis.from_url(url)
    await starter.blpop([keys.key(prefix, "test", "go")], timeout=10)   # both start at once
    await starter.aclose()
    chosen = await asyncio.gather(*(backend.directory.reserve(f"{name}-{n}", "default", ["agent"], now=100.0 + n)
                                    for n in range(int(count))))
    print(json.dumps(chosen), flush=True)
    await backend.close()

asyncio.run(main(*sys.argv[1:]))
"""


async def _python(code: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-c", code, *args, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE)


async def _raw() -> redis.Redis:
    return redis.Redis.from_url(REDIS_TEST_URL)


def _state(cid: str = "cv_1", customer: str = "u-1") -> ConversationState:
    return ConversationState(id=cid, storefront_id="shop", customer_id=customer, opened_at=1.0)


async def test_lock_of_a_killed_holder_frees_after_its_ttl(open_redis: OpenRedis, redis_prefix: str) -> None:
    ttl = 1.0
    holder = await _python(_HOLD_LOCK, REDIS_TEST_URL, redis_prefix, str(ttl))
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), 10) == b"held\n"
        held_at = time.monotonic()
    finally:
        holder.kill()
        await holder.communicate()
    locks = open_redis().locks

    async with locks.lock("shop:u-1"):
        waited = time.monotonic() - held_at

    assert ttl * 0.7 < waited < ttl + 1.0


async def test_two_processes_reserving_at_once_never_exceed_capacity(open_redis: OpenRedis,
                                                                     redis_prefix: str) -> None:
    directory = open_redis().directory
    for i in range(10):
        await directory.register(f"a{i}", "agent", ["default"], 10)
        await directory.connect(f"a{i}", now=float(i))
    workers = [await _python(_RESERVE_MANY, REDIS_TEST_URL, redis_prefix, name, "150") for name in ("p1", "p2")]
    raw = await _raw()
    try:
        await raw.rpush(keys.key(redis_prefix, "test", "go"), "go", "go")
    finally:
        await raw.aclose()
    outputs = [json.loads((await asyncio.wait_for(worker.communicate(), 20))[0]) for worker in workers]

    chosen = [agent for output in outputs for agent in output if agent is not None]
    assert len(chosen) == 100
    agents = await directory.all()
    assert [len(p.assigned) for p in agents] == [10] * 10
    assert len(set().union(*(p.assigned for p in agents))) == 100
    assert sorted(chosen) == sorted(p.agent_id for p in agents for _ in p.assigned)


async def test_state_survives_a_new_client(open_redis: OpenRedis) -> None:
    first = open_redis()
    state = _state()
    state.remember(Turn("customer", "还在吗", 2.0, "m1"))
    await first.state.save(state)
    await first.state.set_open_conversation("shop:u-1", "cv_1")
    await first.state.remember_message("shop", "m1", "cv_1")
    await first.state.set_owner("shop:u-1", "a1", ttl=600)
    await first.state.add_owner_fallback("a1", "cv_1")
    await first.directory.register("a1", "agent", ["presales", "default"], 3)
    await first.directory.connect("a1", now=1767225600.123456)
    await first.directory.assign("a1", "cv_1", now=1767225601.654321)
    await first.directory.enqueue("cv_2", "presales", at=3.0)
    await first.close()

    second = open_redis()
    assert await second.state.load("cv_1") == state
    assert await second.state.open_conversation_of("shop:u-1") == "cv_1"
    assert await second.state.customer_key_of("cv_1") == "shop:u-1"
    assert await second.state.seen_message("shop", "m1") == "cv_1"
    assert await second.state.owner_of("shop:u-1") == "a1"
    assert await second.state.take_owner_fallbacks("a1") == ["cv_1"]
    presence = await second.directory.get("a1")
    assert (presence.groups, presence.capacity, presence.status, presence.connections) == (
        ("presales", "default"), 3, "online", 1)
    assert presence.idle_since == 1767225601.654321 and presence.assigned == {"cv_1"}
    assert await second.directory.queued() == [("cv_2", "presales")]


async def test_an_agent_on_two_processes_goes_offline_with_its_last_connection(open_redis: OpenRedis) -> None:
    one, two = open_redis().directory, open_redis().directory
    await one.register("a1", "agent", ["default"], 2)
    await two.register("a1", "agent", ["default"], 2)   # every process registers the agents it is configured with

    await one.connect("a1", now=1.0)
    await two.connect("a1", now=2.0)
    after_first = await one.disconnect("a1")
    after_last = await two.disconnect("a1")

    assert (after_first.status, after_first.connections, after_first.idle_since) == ("online", 1, 1.0)
    assert (after_last.status, after_last.connections) == ("offline", 0)
    assert (await two.disconnect("a1")).connections == 0


async def test_reregistering_keeps_presence_and_assignments(open_redis: OpenRedis) -> None:
    directory = open_redis().directory
    await directory.register("a1", "agent", ["default"], 1)
    await directory.connect("a1", now=5.0)
    assert await directory.reserve("cv_1", "default", ["agent"], now=6.0) == "a1"

    await open_redis().directory.register("a1", "senior", ["vip"], 4)

    presence = await directory.get("a1")
    assert (presence.role, presence.groups, presence.capacity) == ("senior", ("vip",), 4)
    assert (presence.status, presence.connections, presence.assigned) == ("online", 1, {"cv_1"})
    assert await directory.reserve("cv_2", "vip", ["senior"], now=7.0, exclude=["a1"]) is None
    assert await directory.reserve("cv_2", "vip", ["senior"], now=7.0) == "a1"


async def test_values_are_json_and_expire_in_redis_too(open_redis: OpenRedis, redis_prefix: str) -> None:
    store = open_redis().state
    state = _state()
    state.data["emotion"] = {"level": 0.4, "words": ["差评"]}
    await store.save(state)
    await store.remember_message("shop", "m1", "cv_1")
    await store.set_owner("shop:u-1", "a1", ttl=5)
    raw = await _raw()
    try:
        conversation = json.loads(await raw.get(keys.key(redis_prefix, keys.CONVERSATION, "cv_1")))
        dedupe_ttl = await raw.pttl(keys.key(redis_prefix, keys.DEDUPE, "shop", "m1"))
        owner_ttl = await raw.pttl(keys.key(redis_prefix, keys.OWNER, "shop:u-1"))
        found = sorted([k.decode() async for k in raw.scan_iter(match=f"{redis_prefix}:*")])
    finally:
        await raw.aclose()
    assert conversation == state.to_dict()
    assert 55_000 < dedupe_ttl <= 60_000 and 0 < owner_ttl <= 5_000
    assert found == [keys.key(redis_prefix, *parts) for parts in (
        (keys.CONVERSATION, "cv_1"), (keys.CONVERSATION_CUSTOMER,), (keys.DEDUPE, "shop", "m1"),
        (keys.OWNER, "shop:u-1"))]


async def test_markers_expire_by_the_clock_and_in_redis(open_redis: OpenRedis, redis_prefix: str, clock) -> None:
    one, two = open_redis().state, open_redis().state
    await one.set_marker("survey_asked", "shop:u-1", "cv_1", ttl=30)
    await one.set_marker("escalation", "shop:u-1", "cv_9", ttl=30)
    await one.set_marker("survey_asked", "shop:u-2", "cv_2", ttl=-5)   # rehydrated after its window: gone
    raw = await _raw()
    try:
        ttl = await raw.pttl(keys.key(redis_prefix, keys.MARKER, "survey_asked", "shop:u-1"))
    finally:
        await raw.aclose()

    assert 25_000 < ttl <= 30_000
    assert await two.get_marker("survey_asked", "shop:u-1") == "cv_1"
    assert await two.get_marker("escalation", "shop:u-1") == "cv_9"
    assert await two.get_marker("survey_asked", "shop:u-2") is None
    clock.advance(30)
    assert await two.get_marker("survey_asked", "shop:u-1") is None


async def test_locks_exclude_holders_on_other_clients(open_redis: OpenRedis) -> None:
    counter = {"value": 0, "inside": 0, "most_inside": 0}

    async def bump(locks) -> None:
        async with locks.lock("shop:u-1"):
            counter["inside"] += 1
            counter["most_inside"] = max(counter["most_inside"], counter["inside"])
            value = counter["value"]
            await asyncio.sleep(0.002)
            counter["value"] = value + 1
            counter["inside"] -= 1

    one, two = open_redis().locks, open_redis().locks
    await asyncio.gather(*(bump(locks) for _ in range(15) for locks in (one, two)))

    assert counter["value"] == 30 and counter["most_inside"] == 1


async def test_waiters_in_one_process_get_the_lock_in_arrival_order(open_redis: OpenRedis) -> None:
    locks = open_redis().locks
    order = []

    async def take(n: int) -> None:
        async with locks.lock("shop:u-1"):
            order.append(n)
            await asyncio.sleep(0.01 if n == 0 else 0)

    tasks = []
    for n in range(12):
        tasks.append(asyncio.create_task(take(n)))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)

    assert order == list(range(12))


async def test_a_holder_past_its_ttl_leaves_the_next_holders_lock_alone(
        open_redis: OpenRedis, redis_prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    slow, other = open_redis(lock_ttl=0.1).locks, open_redis().locks
    raw = await _raw()
    successor_in, slow_out = asyncio.Event(), asyncio.Event()

    async def successor() -> bytes | None:
        async with other.lock("shop:u-1"):
            successor_in.set()
            await slow_out.wait()
            return await raw.get(keys.key(redis_prefix, keys.LOCK, "shop:u-1"))

    try:
        with caplog.at_level(logging.WARNING, logger="gateway.storage.redis"):
            async with slow.lock("shop:u-1"):
                taking_over = asyncio.create_task(successor())
                await asyncio.wait_for(successor_in.wait(), 2)   # the ttl ran out under the slow holder
            slow_out.set()
            token = await taking_over
    finally:
        await raw.aclose()

    assert token is not None
    assert "no longer held" in caplog.text


async def test_cancelled_waiters_stop_waiting_and_leave_no_lock_behind(open_redis: OpenRedis,
                                                                        redis_prefix: str) -> None:
    holder, waiter = open_redis().locks, open_redis().locks
    async with holder.lock("shop:u-1"):
        for _ in range(40):   # cancels land at random points, some while a poll is being sent (CPython gh-86296)
            waiting = asyncio.create_task(_enter(waiter))
            await asyncio.sleep(random.uniform(0, 0.02))
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(waiting, 1.0)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await _enter(waiter)
    raw = await _raw()
    try:
        assert await raw.exists(keys.key(redis_prefix, keys.LOCK, "shop:u-1")) == 0
    finally:
        await raw.aclose()
    await asyncio.wait_for(_enter(waiter), 0.5)


async def _enter(locks) -> None:
    async with locks.lock("shop:u-1"):
        pass


async def test_owner_fallbacks_go_to_one_taker_each(open_redis: OpenRedis) -> None:
    adder, takers = open_redis().state, [open_redis().state for _ in range(3)]
    taken: list[str] = []

    async def take_until_done(store, done: asyncio.Event) -> None:
        while not done.is_set():
            taken.extend(await store.take_owner_fallbacks("a1"))

    done = asyncio.Event()
    running = [asyncio.create_task(take_until_done(store, done)) for store in takers]
    for n in range(200):
        await adder.add_owner_fallback("a1", f"cv_{n}")
    done.set()
    await asyncio.gather(*running)
    taken.extend(await adder.take_owner_fallbacks("a1"))

    assert sorted(taken) == sorted(f"cv_{n}" for n in range(200))


async def test_dequeue_from_several_clients_hands_out_each_conversation_once(open_redis: OpenRedis) -> None:
    directories = [open_redis().directory for _ in range(3)]
    for n in range(300):
        await directories[0].enqueue(f"cv_{n}", "presales" if n % 3 else "aftersales", at=float(n))

    async def drain(directory) -> list[str]:
        got = []
        while (conversation := await directory.dequeue(["presales", "aftersales"])) is not None:
            got.append(conversation)
        return got

    drained = await asyncio.gather(*(drain(d) for d in directories))

    assert sorted(c for got in drained for c in got) == sorted(f"cv_{n}" for n in range(300))
    assert all(got == sorted(got, key=lambda c: int(c[3:])) for got in drained)
    assert await directories[1].queued() == []


async def test_sockets_of_a_dead_process_are_forgotten_once_its_heartbeat_expires(open_redis: OpenRedis) -> None:
    dying, survivor = open_redis(instance_id="gw-dying"), open_redis(instance_id="gw-survivor")
    for agent in ("a1", "a2"):
        await survivor.directory.register(agent, "agent", ["default"], 5)
    await dying.directory.heartbeat(0.3)
    await survivor.directory.heartbeat(30)
    await dying.directory.connect("a1", now=1.0)        # a1 only on the process that will die
    await dying.directory.connect("a2", now=1.0)        # a2 on both
    await survivor.directory.connect("a2", now=1.0)

    assert await survivor.directory.forget_dead_instances() == []       # still beating: nothing forgotten
    await asyncio.sleep(0.4)
    assert await dying.directory.forget_dead_instances() == []          # a process never forgets itself
    assert await survivor.directory.forget_dead_instances() == ["a1"]
    a1, a2 = await survivor.directory.get("a1"), await survivor.directory.get("a2")
    assert (a1.status, a1.connections) == ("offline", 0)
    assert (a2.status, a2.connections) == ("online", 1)
    assert await survivor.directory.forget_dead_instances() == []       # once

    # The "dead" process was only slow: its late disconnect does not count a forgotten socket twice.
    await dying.directory.disconnect("a2")
    assert (await survivor.directory.get("a2")).connections == 1
    await survivor.directory.disconnect("a2")
    assert (await survivor.directory.get("a2")).status == "offline"
