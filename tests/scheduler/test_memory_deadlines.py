"""White-box checks of the memory twin's heap: resets must not make it grow without bound."""

from __future__ import annotations

from scheduler.deadlines import MemoryDeadlineStore


async def test_resets_to_later_times_keep_one_heap_entry_per_key() -> None:
    store = MemoryDeadlineStore()
    for message in range(50):
        for conversation in range(1000):
            await store.arm(f"wd:cv_{conversation}", 1000 + message, {"message": message})

    assert len(store._heap) == 1000
    assert await store.next_due_at() == 1049


async def test_resets_to_earlier_times_and_cancels_are_compacted_away() -> None:
    store = MemoryDeadlineStore()
    for message in range(50):
        for conversation in range(1000):
            await store.arm(f"wd:cv_{conversation}", 1000 - message, {})
    for conversation in range(0, 1000, 2):
        await store.cancel(f"wd:cv_{conversation}")

    assert await store.pending() == 500
    assert len(store._heap) <= 2 * 1000


async def test_postponed_entries_surface_at_their_real_time() -> None:
    store = MemoryDeadlineStore()
    await store.arm("a", 10, {})
    await store.arm("b", 20, {})
    await store.arm("a", 30, {})

    assert [d.key for d in await store.claim_due(25)] == ["b"]
    assert [d.key for d in await store.claim_due(30)] == ["a"]
