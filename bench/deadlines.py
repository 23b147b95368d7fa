"""Deadline service benchmark: the figures issue 3 asks for, and the Redis twin's for issue 8.

    .venv/bin/python bench/deadlines.py [--seconds 10] [--rate 1000] [--redis-url URL | --no-redis]

Memory twin: bytes per armed deadline at 100,000 armed (tracemalloc), arm and reset cost, and firing
lateness while ``--rate`` deadlines a second fall due and customer messages keep resetting the other
conversations. Redis twin: the same lateness (deadlines armed by another client, so the runner also
polls) and claim throughput with one and four claimers. Redis keys live under a fresh prefix in the
given database and are deleted at the end. Targets: ≤ 500 B/deadline, reset ≤ 10 µs, lateness p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import tracemalloc
from collections.abc import Callable
from uuid import uuid4


from gateway.storage.redis import delete_keys
from scheduler.deadlines import Deadline, DeadlineRunner, DeadlineStore, MemoryDeadlineStore
from scheduler.redis_deadlines import RedisDeadlineStore

ARMED = 100_000
FAR = 3600.0  # background conversations are due long after the run


def conversation(i: int) -> tuple[str, dict]:
    """A watchdog key and payload shaped like the real ones."""
    return f"wd:cv_{i:06d}", {"conversation_id": f"cv_{i:06d}", "kind": "watchdog", "stage": 1, "period": 1}


def quantiles(values: list[float], *qs: float) -> list[float]:
    ordered = sorted(values)
    return [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in qs]


def show(label: str, values: list[float], unit: str, scale: float) -> None:
    p50, p99 = quantiles(values, 0.5, 0.99)
    print(f"  {label:<34} p50 {p50 * scale:8.2f} {unit}  p99 {p99 * scale:8.2f} {unit}  (n={len(values)})")


async def arm_background(store: DeadlineStore, now: float, count: int = ARMED, concurrency: int = 1) -> None:
    async def arm_slice(start: int) -> None:
        for i in range(start, count, concurrency):
            key, payload = conversation(i)
            await store.arm(key, now + FAR + i * 0.001, payload)

    await asyncio.gather(*(arm_slice(start) for start in range(concurrency)))


async def memory_per_deadline() -> tuple[float, float]:
    """(bytes per deadline including its key and payload, bytes the store itself adds)."""
    tracemalloc.start()
    with_data = await traced_bytes(conversation)
    made = [conversation(i) for i in range(ARMED)]
    store_only = await traced_bytes(made.__getitem__)
    tracemalloc.stop()
    return with_data / ARMED, store_only / ARMED


async def traced_bytes(make: Callable[[int], tuple[str, dict]]) -> int:
    """Bytes still allocated after arming ``ARMED`` deadlines made by ``make``, while the store lives."""
    store, now = MemoryDeadlineStore(), time.time()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(ARMED):
        key, payload = make(i)
        await store.arm(key, now + FAR + i * 0.001, payload)
    return tracemalloc.get_traced_memory()[0] - before


async def arm_and_reset_costs() -> tuple[list[float], list[float]]:
    """Seconds per arm of a new key, and per reset of an armed key to a later time (a customer message)."""
    store, now, clock = MemoryDeadlineStore(), time.time(), time.perf_counter
    arms, resets = [], []
    for i in range(ARMED):
        key, payload = conversation(i)
        started = clock()
        await store.arm(key, now + FAR + i * 0.001, payload)
        arms.append(clock() - started)
    rng = random.Random(1)
    for j in range(2 * ARMED):
        key, payload = conversation(rng.randrange(ARMED))
        due = now + FAR + 100 + j * 0.001
        started = clock()
        await store.arm(key, due, payload)
        resets.append(clock() - started)
    return arms, resets


async def reset_traffic(store: DeadlineStore, rate: float, until: float) -> None:
    """Customer messages: resets of random background conversations at ``rate`` a second."""
    rng = random.Random(2)
    while time.time() < until:
        for _ in range(int(rate / 100)):
            key, payload = conversation(rng.randrange(ARMED))
            await store.arm(key, time.time() + FAR, payload)
        await asyncio.sleep(0.01)


async def lateness(store: DeadlineStore, arming: DeadlineStore, seconds: float, rate: float,
                   poll_interval: float | None) -> tuple[list[float], int]:
    """Fire ``rate``/s for ``seconds`` through a runner; return lateness of each firing and duplicates."""
    late: list[float] = []
    seen: set[str] = set()
    duplicates = 0

    async def on_fire(deadline: Deadline) -> None:
        nonlocal duplicates
        late.append(time.time() - deadline.due_at)
        duplicates += deadline.key in seen
        seen.add(deadline.key)

    runner = DeadlineRunner(store, on_fire, poll_interval=poll_interval)
    start, count = time.time() + 2.0, int(seconds * rate)

    async def arm_slice(first: int) -> None:
        for i in range(first, count, 32):
            await arming.arm(f"due:{i}", start + i / rate, {"i": i})

    await asyncio.gather(*(arm_slice(first) for first in range(32)))
    await runner.start()
    await reset_traffic(arming, rate, start + seconds + 0.5)
    await runner.stop()
    return late, duplicates


async def claim_throughput(
    new_store: Callable[[], DeadlineStore], claimers: int, count: int = 20_000
) -> tuple[float, float]:
    """Deadlines a second through claim_due alone, and through claim_due + ack, over ``claimers`` clients."""
    rates = []
    for with_ack in (False, True):
        stores = [new_store() for _ in range(claimers)]
        await arm_background(stores[0], -FAR - count, count, concurrency=32)
        started = time.perf_counter()
        taken = await asyncio.gather(*(drain(store, with_ack) for store in stores))
        rates.append(sum(taken) / (time.perf_counter() - started))
        for store in stores:
            await store.close()
    return rates[0], rates[1]


async def drain(store: DeadlineStore, with_ack: bool) -> int:
    taken = 0
    while batch := await store.claim_due(time.time(), 100):
        taken += len(batch)
        for deadline in batch if with_ack else ():
            await store.ack(deadline)
    return taken


async def bench_memory(seconds: float, rate: float) -> None:
    print("memory twin")
    total, own = await memory_per_deadline()
    print(f"  memory per armed deadline at {ARMED:,}: {total:.0f} B with key and payload,"
          f" {own:.0f} B the store adds")
    arms, resets = await arm_and_reset_costs()
    show("arm (new key)", arms, "µs", 1e6)
    show("reset (same key, later)", resets, "µs", 1e6)
    store = MemoryDeadlineStore()
    await arm_background(store, time.time())
    late, duplicates = await lateness(store, store, seconds, rate, None)
    show(f"lateness at {rate:.0f}/s over {seconds:.0f} s", late, "ms", 1e3)
    print(f"  fired {len(late)}, duplicates {duplicates}, max lateness {max(late) * 1e3:.2f} ms")


async def bench_redis(url: str, seconds: float, rate: float) -> None:
    print(f"redis twin ({url})")
    prefix = f"bench-{uuid4().hex[:8]}"

    def new_store() -> RedisDeadlineStore:
        return RedisDeadlineStore.from_url(url, prefix=prefix)

    try:
        runner_store, arming = new_store(), new_store()
        await arm_background(arming, time.time(), concurrency=32)
        late, duplicates = await lateness(runner_store, arming, seconds, rate, 0.2)
        show(f"lateness at {rate:.0f}/s over {seconds:.0f} s", late, "ms", 1e3)
        print(f"  fired {len(late)}, duplicates {duplicates}, max lateness {max(late) * 1e3:.2f} ms"
              f" ({ARMED:,} armed in the background, armed by another client, poll 0.2 s)")
        await runner_store.close()
        await arming.close()
        for claimers in (1, 4):
            claim_only, with_ack = await claim_throughput(new_store, claimers)
            print(f"  claim throughput, {claimers} client(s): {claim_only:8.0f}/s claim_due alone,"
                  f" {with_ack:8.0f}/s with one ack each")
    finally:
        await delete_keys(url, prefix)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="how long deadlines fall due")
    parser.add_argument("--rate", type=float, default=1000.0, help="deadlines falling due per second")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    await bench_memory(args.seconds, args.rate)
    if not args.no_redis:
        await bench_redis(args.redis_url, args.seconds, args.rate)


if __name__ == "__main__":
    asyncio.run(main())
