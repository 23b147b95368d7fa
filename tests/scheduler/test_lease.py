"""Cluster-wide jobs run in one process: the Redis lease, its renewal and its takeover after expiry."""

import asyncio
import uuid

from scheduler.lease import LocalLease, RedisLease, leased
from tests.conftest import REDIS_TEST_URL, delete_prefix


async def test_one_of_several_processes_holds_a_job_and_another_takes_over_after_expiry():
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    leases = [RedisLease(REDIS_TEST_URL, prefix, f"gw_{n}") for n in range(3)]
    try:
        held = await asyncio.gather(*(lease.held("rollups", 0.3) for lease in leases))
        assert sorted(held) == [False, False, True]
        holder = held.index(True)
        assert await leases[holder].held("rollups", 0.3)            # renewed by its holder
        assert not await leases[(holder + 1) % 3].held("rollups", 0.3)
        assert await leases[0].held("other_job", 0.3) or await leases[1].held("other_job", 0.3)
        await asyncio.sleep(0.4)                                    # the holder died: its lease runs out
        assert await leases[(holder + 1) % 3].held("rollups", 0.3)
    finally:
        for lease in leases:
            await lease.close()
        await delete_prefix(prefix)


async def test_a_leased_job_runs_only_where_the_lease_is_held():
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    runs = []
    first, second = RedisLease(REDIS_TEST_URL, prefix, "a"), RedisLease(REDIS_TEST_URL, prefix, "b")
    try:
        jobs = [leased(lease, "at_risk", 1.0, lambda name=name: _record(runs, name))
                for lease, name in ((first, "a"), (second, "b"))]
        for _ in range(3):
            await asyncio.gather(*(job() for job in jobs))
        assert len(runs) == 3 and len(set(runs)) == 1
        local_runs = []
        await leased(LocalLease(), "at_risk", 1.0, lambda: _record(local_runs, "local"))()
        assert local_runs == ["local"]
    finally:
        await first.close()
        await second.close()
        await delete_prefix(prefix)


async def _record(runs: list, name: str) -> None:
    runs.append(name)
