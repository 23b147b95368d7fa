"""The deadline service: one live deadline per key, claimed once, fired by a runner.

Watchdog stages, survey windows, idle close and ticket SLAs all arm deadlines here. The store is an
interface with two twins — :class:`MemoryDeadlineStore` below and ``RedisDeadlineStore`` in
:mod:`scheduler.redis_deadlines` — which pass the same contract suite. :class:`DeadlineRunner` turns due
deadlines into ``on_fire`` calls; the app feeds those to the dispatcher, so timers enter through the same
door as messages.

Both twins share one claim model. ``claim_due`` moves a due deadline from *armed* to *in flight* and hands
it to exactly one caller; ``ack`` ends the flight. A flight whose lease (``now + lease``) runs out before
the ack is armed again, so a deadline claimed by a process that died is fired by another. Re-arming or
cancelling the key ends its flight, so a superseded deadline is never resurrected.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol

log = logging.getLogger(__name__)

DEFAULT_LEASE = 30.0
"""Seconds a claimer has to ack before the deadline is handed to someone else."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline as claimed; ``(key, due_at, payload)`` is its identity when it is acked."""

    key: str
    due_at: float
    payload: dict


class DeadlineStore(Protocol):
    """Armed deadlines, one per key; ``claim_due`` gives each due deadline to exactly one caller."""

    async def arm(self, key: str, due_at: float, payload: dict) -> None: ...

    async def cancel(self, key: str) -> None: ...

    async def claim_due(self, now: float, limit: int = 100) -> list[Deadline]: ...

    async def ack(self, deadline: Deadline) -> None: ...

    async def next_due_at(self) -> float | None: ...

    async def pending(self) -> int: ...

    async def close(self) -> None: ...


class _Entry:
    """An armed deadline in the heap, placed by ``heap_due``, which may be earlier than ``due_at``."""

    __slots__ = ("key", "due_at", "payload", "heap_due")

    def __init__(self, key: str, due_at: float, payload: dict) -> None:
        self.key = key
        self.due_at = due_at
        self.payload = payload
        self.heap_due = due_at

    def __lt__(self, other: _Entry) -> bool:
        return self.heap_due < other.heap_due


class MemoryDeadlineStore:
    """The single-process twin: a heap with lazy deletion, ~450 bytes and ~1 µs per armed deadline.

    The common call is a reset — every customer message pushes its conversation's deadline later. A reset
    to a later time only rewrites the entry; the entry keeps its earlier place in the heap and is moved to
    its real time when it reaches the top. So a reset costs a dict lookup and the heap holds each key
    about once. A reset to an earlier time or a cancel leaves a dead entry behind; the heap is rebuilt
    when dead entries make up half of it, so it cannot grow without bound.

    The payload is kept by reference: callers must not mutate it after arming.
    """

    _COMPACT_MIN_DEAD = 64

    def __init__(self, *, lease: float = DEFAULT_LEASE) -> None:
        self._lease = lease
        self._heap: list[_Entry] = []
        self._armed: dict[str, _Entry] = {}
        self._dead = 0
        self._inflight: dict[str, tuple[Deadline, float]] = {}

    async def arm(self, key: str, due_at: float, payload: dict) -> None:
        """Arm ``key`` at ``due_at``, replacing its live deadline and ending any flight of it."""
        due_at = float(due_at)
        entry = self._armed.get(key)
        if entry is not None and due_at >= entry.heap_due:
            entry.due_at = due_at
            entry.payload = payload
        else:
            self._push(_Entry(key, due_at, payload))
            self._bury(entry)
        self._inflight.pop(key, None)

    async def cancel(self, key: str) -> None:
        """Forget ``key``, armed or in flight; cancelling an unknown key is a no-op."""
        self._bury(self._armed.pop(key, None))
        self._inflight.pop(key, None)

    async def claim_due(self, now: float, limit: int = 100) -> list[Deadline]:
        """Take up to ``limit`` deadlines due at ``now``, earliest first; expired flights count as due."""
        self._rearm_expired_flights(now)
        claimed: list[Deadline] = []
        while len(claimed) < limit:
            top = self._live_top()
            if top is None or top.due_at > now:
                break
            claimed.append(self._take_top(now))
        return claimed

    async def ack(self, deadline: Deadline) -> None:
        """End the flight of ``deadline``; a stale ack (the key was re-armed or re-claimed) does nothing."""
        flight = self._inflight.get(deadline.key)
        if flight is not None and flight[0] == deadline:
            del self._inflight[deadline.key]

    async def next_due_at(self) -> float | None:
        """The earliest time ``claim_due`` may return something: a due time or a lease expiry."""
        top = self._live_top()
        times = [until for _, until in self._inflight.values()]
        if top is not None:
            times.append(top.due_at)
        return min(times, default=None)

    async def pending(self) -> int:
        """Armed deadlines not yet claimed."""
        return len(self._armed)

    async def close(self) -> None:
        """Nothing to release; present so the twins are interchangeable."""

    def _push(self, entry: _Entry) -> None:
        self._armed[entry.key] = entry
        heapq.heappush(self._heap, entry)

    def _bury(self, entry: _Entry | None) -> None:
        """Count an entry that stays in the heap but no longer holds its key; rebuild when they dominate."""
        if entry is None:
            return
        self._dead += 1
        if self._dead > self._COMPACT_MIN_DEAD and self._dead * 2 > len(self._heap):
            self._heap = list(self._armed.values())
            heapq.heapify(self._heap)
            self._dead = 0

    def _live_top(self) -> _Entry | None:
        """Drop dead entries and move postponed ones on until the top of the heap is real."""
        heap = self._heap
        while heap:
            top = heap[0]
            if self._armed.get(top.key) is not top:
                heapq.heappop(heap)
                self._dead -= 1
            elif top.heap_due < top.due_at:
                top.heap_due = top.due_at
                heapq.heapreplace(heap, top)
            else:
                return top
        return None

    def _take_top(self, now: float) -> Deadline:
        entry = heapq.heappop(self._heap)
        del self._armed[entry.key]
        deadline = Deadline(entry.key, entry.due_at, entry.payload)
        self._inflight[entry.key] = (deadline, now + self._lease)
        return deadline

    def _rearm_expired_flights(self, now: float) -> None:
        expired = [flight for flight, until in self._inflight.values() if until <= now]
        for deadline in expired:
            del self._inflight[deadline.key]
            self._push(_Entry(deadline.key, deadline.due_at, deadline.payload))


class DeadlineRunner:
    """Fires due deadlines: sleeps until the next one, claims what is due, awaits ``on_fire``, then acks.

    ``notify_armed`` wakes the sleeper early when a deadline earlier than the one it waits for is armed in
    this process (:meth:`arm` arms and notifies in one call). Deadlines armed by other processes cannot be
    observed, so with a shared store pass ``poll_interval`` (e.g. 0.2 s) and the runner also wakes that
    often. Deadlines fire one after another, in due order; ``on_fire`` should hand the deadline on (feed
    the dispatcher) rather than do slow I/O itself.

    A crashing ``on_fire`` is logged and its deadline acked anyway, so a poisoned deadline cannot loop. A
    failing store (Redis restarting) is logged and retried after ``poll_interval`` (or one second) — the
    runner never dies of it. ``fire_due(now)`` fires everything due at ``now`` and returns, which is how
    unit tests drive timers by hand with a fake clock.
    """

    def __init__(
        self,
        store: DeadlineStore,
        on_fire: Callable[[Deadline], Awaitable[None]],
        *,
        clock: Callable[[], float] = time.time,
        poll_interval: float | None = None,
        batch: int = 100,
    ) -> None:
        self._store = store
        self._on_fire = on_fire
        self._clock = clock
        self._poll_interval = poll_interval
        self._batch = batch
        self._wake = asyncio.Event()
        self._waiting_until = math.inf
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def arm(self, key: str, due_at: float, payload: dict) -> None:
        """Arm in the store and wake the runner if this deadline comes first."""
        await self._store.arm(key, due_at, payload)
        self.notify_armed(due_at)

    def notify_armed(self, due_at: float) -> None:
        """Wake the sleeper if ``due_at`` is earlier than what it waits for."""
        if due_at < self._waiting_until:
            self._wake.set()

    async def fire_due(self, now: float | None = None) -> int:
        """Claim and fire everything due at ``now`` (default: the clock); return how many fired."""
        now = self._clock() if now is None else now
        fired = 0
        while claimed := await self._store.claim_due(now, self._batch):
            for deadline in claimed:
                await self._fire(deadline)
            fired += len(claimed)
        return fired

    async def start(self) -> None:
        """Run in the background until :meth:`stop`."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="deadline-runner")

    async def stop(self) -> None:
        """Stop the background loop and wait; a deadline interrupted mid-fire stays leased, un-acked.

        The loop is told to stop as well as cancelled: on Python 3.11 a cancellation that lands while a Redis
        command times out can be swallowed (cpython gh-86296), and a loop that only relies on it never ends.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _fire(self, deadline: Deadline) -> None:
        try:
            await self._on_fire(deadline)
        except Exception:
            log.exception("deadline %s: on_fire failed; acked anyway so it does not fire again", deadline.key)
        await self._store.ack(deadline)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.fire_due()
                await self._sleep_until_due()
            except Exception:
                retry = self._poll_interval or 1.0
                log.exception("deadline runner: the store failed; retrying in %.2f s", retry)
                await asyncio.sleep(retry)

    async def _sleep_until_due(self) -> None:
        # Any arm notified while next_due_at is in flight must wake us, hence inf until it answers.
        self._wake.clear()
        self._waiting_until = math.inf
        next_due = await self._store.next_due_at()
        self._waiting_until = math.inf if next_due is None else next_due
        try:
            async with asyncio.timeout(self._delay_until(next_due)):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _delay_until(self, next_due: float | None) -> float | None:
        delay = None if next_due is None else max(0.0, next_due - self._clock())
        if self._poll_interval is not None:
            delay = self._poll_interval if delay is None else min(delay, self._poll_interval)
        return delay
