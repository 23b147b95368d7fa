"""Contract of the state backend: conversations, the customer's open conversation, dedupe, locks, directory."""

import asyncio

from gateway.conversation import ConversationState, Turn


def _state(cid="cv_1", customer="u-1"):
    return ConversationState(id=cid, storefront_id="shop", customer_id=customer, opened_at=1.0)


async def test_saved_state_loads_back_equal_and_is_a_copy(backend):
    store, _, _ = backend
    state = _state()
    state.remember(Turn("customer", "你好", 1.0, "m1"))
    state.data["emotion"] = {"level": 0.4}
    await store.save(state)
    state.data["emotion"]["level"] = 0.9
    loaded = await store.load("cv_1")
    assert loaded.data["emotion"] == {"level": 0.4}
    assert loaded.recent == [Turn("customer", "你好", 1.0, "m1")]
    assert await store.customer_key_of("cv_1") == "shop:u-1"


async def test_closed_conversations_leave_the_hot_state(backend):
    store, _, _ = backend
    state = _state()
    await store.save(state)
    state.status = "closed"
    await store.save(state)
    assert await store.load("cv_1") is None and await store.customer_key_of("cv_1") is None


async def test_open_conversation_pointer(backend):
    store, _, _ = backend
    assert await store.open_conversation_of("shop:u-1") is None
    await store.set_open_conversation("shop:u-1", "cv_1")
    assert await store.open_conversation_of("shop:u-1") == "cv_1"
    await store.set_open_conversation("shop:u-1", None)
    assert await store.open_conversation_of("shop:u-1") is None


async def test_dedupe_remembers_within_the_window_only(backend, clock):
    store, _, _ = backend
    await store.remember_message("shop", "m-1", "cv_1")
    assert await store.seen_message("shop", "m-1") == "cv_1"
    assert await store.seen_message("other", "m-1") is None
    clock.now += 61
    assert await store.seen_message("shop", "m-1") is None


async def test_locks_serialise_holders_of_the_same_name_only(backend):
    _, _, locks = backend
    order = []

    async def hold(name, tag, delay):
        async with locks.lock(name):
            order.append(f"{tag}+")
            await asyncio.sleep(delay)
            order.append(f"{tag}-")

    await asyncio.gather(hold("k", "a", 0.05), hold("k", "b", 0.0), hold("other", "c", 0.0))
    assert order.index("a-") < order.index("b+")
    assert order.index("c+") < order.index("a-")


async def test_reserve_picks_least_loaded_then_longest_idle_and_respects_capacity(backend):
    _, directory, _ = backend
    for agent in ("a1", "a2"):
        await directory.register(agent, "agent", ["presales"], 1)
    await directory.register("s1", "senior", ["presales"], 5)
    await directory.connect("a2", now=10.0)
    await directory.connect("a1", now=20.0)
    await directory.connect("s1", now=5.0)
    assert await directory.reserve("cv_1", "presales", ["agent"], now=30.0) == "a2"
    assert await directory.reserve("cv_2", "presales", ["agent"], now=31.0) == "a1"
    assert await directory.reserve("cv_3", "presales", ["agent"], now=32.0) is None
    assert await directory.reserve("cv_3", "aftersales", ["senior"], now=32.0) is None
    await directory.release("a2", "cv_1")
    assert await directory.reserve("cv_3", "presales", ["agent"], now=33.0) == "a2"
    assert (await directory.get("a2")).assigned == {"cv_3"}


async def test_concurrent_reservations_never_exceed_capacity(backend):
    _, directory, _ = backend
    for i in range(10):
        await directory.register(f"a{i}", "agent", ["default"], 10)
        await directory.connect(f"a{i}", now=float(i))
    chosen = await asyncio.gather(*(directory.reserve(f"cv_{n}", "default", ["agent"], now=100.0 + n)
                                    for n in range(100)))
    loads = {agent: chosen.count(agent) for agent in set(chosen)}
    assert None not in loads and sorted(loads.values()) == [10] * 10


async def test_presence_counts_connections_and_away(backend):
    _, directory, _ = backend
    await directory.register("a1", "agent", ["default"], 2)
    await directory.connect("a1", now=1.0)
    await directory.connect("a1", now=2.0)
    await directory.disconnect("a1")
    assert (await directory.get("a1")).status == "online"
    await directory.set_status("a1", "away")
    assert await directory.reserve("cv_1", "default", ["agent"], now=3.0) is None
    await directory.disconnect("a1")
    assert (await directory.get("a1")).status == "offline"
    assert await directory.set_status("a1", "online") is None


async def test_queue_is_fifo_by_arrival_and_by_group(backend):
    _, directory, _ = backend
    await directory.enqueue("cv_b", "presales", at=2.0)
    await directory.enqueue("cv_a", "presales", at=1.0)
    await directory.enqueue("cv_c", "aftersales", at=0.5)
    await directory.enqueue("cv_a", "presales", at=9.0)   # already queued: keeps its place
    assert await directory.is_queued("cv_a")
    assert await directory.dequeue(["presales"]) == "cv_a"
    assert await directory.dequeue(["presales", "aftersales"]) == "cv_c"
    await directory.unqueue("cv_b")
    assert await directory.dequeue(["presales"]) is None and await directory.queued() == []


async def test_expired_markers_and_owners_do_not_accumulate(backend, clock):
    store, _, _ = backend
    for n in range(1500):
        await store.set_marker("surveyed", f"c{n}", "cv", ttl=10)
        await store.set_owner(f"c{n}", "a1", ttl=10)
    clock.now += 11
    for n in range(1500, 3100):
        await store.set_marker("surveyed", f"c{n}", "cv", ttl=10)
        await store.set_owner(f"c{n}", "a1", ttl=10)
    assert await store.get_marker("surveyed", "c1") is None and await store.owner_of("c1") is None
    assert await store.get_marker("surveyed", "c3000") == "cv" and await store.owner_of("c3000") == "a1"
    if hasattr(store, "_markers"):     # the memory twin prunes what Redis expires by TTL
        assert len(store._markers) < 3100 and len(store._owners) < 3100
