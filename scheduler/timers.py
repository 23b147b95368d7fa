"""The gateway's timers: one deadline store (memory or Redis twin), one runner, and where firings go.

Every firing becomes an event through the one door: a conversation's deadline is fed to the dispatcher as
``TimerFired``; other kinds (an agent's disconnect grace, a ticket's acknowledgement deadline) go to the handler registered
for the kind, which feeds the dispatcher or records what it must. Handlers never arm timers themselves: they emit ``ScheduleTimer``/``CancelTimer`` actions.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.events import TimerFired
from scheduler.deadlines import Deadline, DeadlineRunner, DeadlineStore

log = logging.getLogger(__name__)

KindHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Timers:
    def __init__(self, store: DeadlineStore, clock: Callable[[], float], poll_interval: float | None = None) -> None:
        self.store = store
        self.clock = clock
        self.runner = DeadlineRunner(store, self._fire, clock=clock, poll_interval=poll_interval)
        self._feed: Callable[[Any], Awaitable[Any]] | None = None
        self._kind_handlers: dict[str, KindHandler] = {}

    def route(self, feed: Callable[[Any], Awaitable[Any]], kind_handlers: dict[str, KindHandler]) -> None:
        """Where firings go: conversation timers to ``feed`` (the dispatcher), the others by kind."""
        self._feed, self._kind_handlers = feed, kind_handlers

    async def arm(self, key: str, due_at: float, kind: str, payload: dict[str, Any]) -> None:
        await self.runner.arm(key, due_at, {**payload, "kind": kind})

    async def cancel(self, key: str) -> None:
        await self.store.cancel(key)

    async def fire_due(self, now: float | None = None) -> int:
        """Fire everything due (tests drive timers by hand with this)."""
        return await self.runner.fire_due(now)

    async def _fire(self, deadline: Deadline) -> None:
        payload = dict(deadline.payload)
        kind = payload.pop("kind")
        if "conversation_id" in payload:
            await self._feed(TimerFired(payload.pop("conversation_id"), kind, self.clock(),
                                        {**payload, "due_at": deadline.due_at}))
        elif kind in self._kind_handlers:
            await self._kind_handlers[kind](payload)
        else:
            log.error("deadline %s has no handler (kind %s)", deadline.key, kind)
