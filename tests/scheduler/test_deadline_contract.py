"""The DeadlineStore contract, run over both twins (memory and Redis)."""

from __future__ import annotations

import asyncio
import random

from scheduler.deadlines import Deadline, DeadlineStore
from tests.scheduler.conftest import LEASE, StoreFactory


async def keys_of(store: DeadlineStore, now: float, limit: int = 100) -> list[str]:
    return [deadline.key for deadline in await store.claim_due(now, limit)]


async def test_claims_due_deadlines_earliest_first(store: DeadlineStore) -> None:
    for key, due in (("c", 30), ("a", 10), ("d", 40), ("b", 20)):
        await store.arm(key, due, {"name": key})

    claimed = await store.claim_due(35)

    assert claimed == [Deadline("a", 10.0, {"name": "a"}), Deadline("b", 20.0, {"name": "b"}),
                       Deadline("c", 30.0, {"name": "c"})]
    assert await store.pending() == 1


async def test_nothing_is_claimed_before_it_is_due(store: DeadlineStore) -> None:
    await store.arm("a", 100, {})

    assert await store.claim_due(99.999) == []
    assert await keys_of(store, 100) == ["a"]


async def test_payload_survives_as_json(store: DeadlineStore) -> None:
    payload = {"conversation_id": "cv_1", "kind": "watchdog", "stage": 2, "period": 5,
               "text": "亲，请稍候～", "nested": {"ids": [1, 2]}, "ratio": 0.1}
    await store.arm("wd:cv_1", 1712345678.123456, payload)

    [deadline] = await store.claim_due(1712345679)

    assert deadline == Deadline("wd:cv_1", 1712345678.123456, payload)


async def test_arming_an_armed_key_replaces_it(store: DeadlineStore) -> None:
    await store.arm("k", 10, {"v": 1})
    await store.arm("k", 50, {"v": 2})

    assert await store.claim_due(20) == []
    assert await store.pending() == 1
    assert await store.claim_due(50) == [Deadline("k", 50.0, {"v": 2})]


async def test_rearming_earlier_replaces_too(store: DeadlineStore) -> None:
    await store.arm("k", 50, {"v": 1})
    await store.arm("k", 10, {"v": 2})

    [deadline] = await store.claim_due(10)
    await store.ack(deadline)

    assert deadline == Deadline("k", 10.0, {"v": 2})
    assert await store.claim_due(100) == []


async def test_cancel_forgets_the_key(store: DeadlineStore) -> None:
    await store.arm("a", 10, {})
    await store.arm("b", 20, {})

    await store.cancel("a")
    await store.cancel("never-armed")

    assert await store.pending() == 1
    assert await keys_of(store, 100) == ["b"]


async def test_limit_takes_the_earliest_and_leaves_the_rest(store: DeadlineStore) -> None:
    for i in range(10):
        await store.arm(f"k{i}", 100 - i, {})

    first = await keys_of(store, 1000, limit=3)
    rest = await keys_of(store, 1000, limit=100)

    assert first == ["k9", "k8", "k7"]
    assert rest == [f"k{i}" for i in range(6, -1, -1)]


async def test_next_due_at_follows_arms_resets_and_cancels(store: DeadlineStore) -> None:
    assert await store.next_due_at() is None
    await store.arm("a", 20, {})
    await store.arm("b", 10, {})
    assert await store.next_due_at() == 10
    await store.arm("b", 30, {})
    assert await store.next_due_at() == 20
    await store.cancel("a")
    assert await store.next_due_at() == 30


async def test_next_due_at_includes_the_lease_of_an_unacked_claim(store: DeadlineStore) -> None:
    await store.arm("a", 10, {})
    [deadline] = await store.claim_due(12)

    assert await store.next_due_at() == 12 + LEASE
    await store.ack(deadline)
    assert await store.next_due_at() is None


async def test_concurrent_claimers_get_disjoint_sets(new_store: StoreFactory) -> None:
    arming = new_store()
    for i in range(1000):
        await arming.arm(f"k{i}", i, {"i": i})
    claimers = [new_store() for _ in range(5)]

    async def drain(store: DeadlineStore) -> list[str]:
        taken: list[str] = []
        while batch := await keys_of(store, 5000, limit=7):
            taken += batch
            await asyncio.sleep(0)  # a runner fires between claims, letting the others in
        return taken

    takes = await asyncio.gather(*(drain(store) for store in claimers))

    everything = [key for take in takes for key in take]
    assert len(everything) == 1000
    assert set(everything) == {f"k{i}" for i in range(1000)}
    assert sum(1 for take in takes if take) >= 2, "the claimers did not actually compete"


async def test_an_unacked_claim_returns_when_its_lease_runs_out(store: DeadlineStore) -> None:
    await store.arm("k", 10, {"v": 1})
    [first] = await store.claim_due(10)

    assert await store.claim_due(10 + LEASE - 1) == []
    [again] = await store.claim_due(10 + LEASE)

    assert again == first
    await store.ack(again)
    assert await store.claim_due(10 + 5 * LEASE) == []
    assert await store.next_due_at() is None


async def test_an_acked_claim_never_returns(store: DeadlineStore) -> None:
    await store.arm("k", 10, {})
    [deadline] = await store.claim_due(10)

    await store.ack(deadline)

    assert await store.claim_due(10 + 2 * LEASE) == []
    assert await store.pending() == 0


async def test_rearm_after_claim_is_not_resurrected(store: DeadlineStore) -> None:
    await store.arm("k", 10, {"stage": 1})
    await store.claim_due(10)

    await store.arm("k", 1000, {"stage": 2})

    assert await store.next_due_at() == 1000
    assert await store.claim_due(10 + 2 * LEASE) == []
    assert await store.claim_due(1000) == [Deadline("k", 1000.0, {"stage": 2})]


async def test_an_identical_rearm_survives_the_ack_of_the_old_claim(store: DeadlineStore) -> None:
    await store.arm("k", 10, {"stage": 1})
    [old] = await store.claim_due(10)
    await store.arm("k", 10, {"stage": 1})

    await store.ack(old)

    assert await store.claim_due(10) == [old]


async def test_cancel_after_claim_is_not_resurrected(store: DeadlineStore) -> None:
    await store.arm("k", 10, {})
    await store.claim_due(10)

    await store.cancel("k")

    assert await store.claim_due(10 + 2 * LEASE) == []
    assert await store.next_due_at() is None


async def test_a_stale_ack_leaves_the_newer_claim_leased(store: DeadlineStore) -> None:
    await store.arm("k", 10, {"stage": 1})
    [old] = await store.claim_due(10)
    await store.arm("k", 20, {"stage": 2})
    [new] = await store.claim_due(20)

    await store.ack(old)

    assert await store.claim_due(20 + LEASE) == [new]


async def test_random_arms_resets_and_cancels_match_a_plain_dict(store: DeadlineStore) -> None:
    rng = random.Random(7)
    expected: dict[str, float] = {}
    for step in range(600):
        key = f"k{rng.randrange(60)}"
        if rng.random() < 0.15:
            await store.cancel(key)
            expected.pop(key, None)
        else:
            due = float(rng.randrange(1000))
            await store.arm(key, due, {"step": step})
            expected[key] = due

    claimed: list[Deadline] = []
    for now in range(0, 1001, 50):
        batch = await store.claim_due(now, limit=1000)
        for deadline in batch:
            await store.ack(deadline)
        claimed += batch

    assert {d.key: d.due_at for d in claimed} == expected
    assert [d.due_at for d in claimed] == sorted(expected.values())
