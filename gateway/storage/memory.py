"""The embedded twin: state in this process's memory. Every method runs without awaiting in between, so each one
is atomic on the event loop, the property the Redis twin gets from Lua scripts and transactions."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from gateway.conversation import ConversationState
from gateway.storage.base import Presence


class MemoryLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


class MemoryStateStore:
    def __init__(self, dedupe_window: float = 86400.0, clock=time.time) -> None:
        self._conversations: dict[str, ConversationState] = {}
        self._open: dict[str, str] = {}
        self._customer_of: dict[str, str] = {}
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._owners: dict[str, tuple[str, float]] = {}
        self._fallbacks: dict[str, set[str]] = {}
        self._markers: dict[tuple[str, str], tuple[str, float]] = {}
        self._prune_at: dict[int, int] = {}
        self._window = dedupe_window
        self._clock = clock

    async def load(self, conversation_id: str) -> ConversationState | None:
        state = self._conversations.get(conversation_id)
        return state.copy() if state else None

    async def save(self, state: ConversationState) -> None:
        # Stored as a dict copy so a caller's later mutation never leaks in without a save (as with Redis).
        if state.is_live:
            self._conversations[state.id] = state.copy()
            self._customer_of[state.id] = state.customer_key
        else:
            self._conversations.pop(state.id, None)
            self._customer_of.pop(state.id, None)

    async def open_conversation_of(self, customer_key: str) -> str | None:
        return self._open.get(customer_key)

    async def set_open_conversation(self, customer_key: str, conversation_id: str | None) -> None:
        if conversation_id is None:
            self._open.pop(customer_key, None)
        else:
            self._open[customer_key] = conversation_id

    async def customer_key_of(self, conversation_id: str) -> str | None:
        return self._customer_of.get(conversation_id)

    async def seen_message(self, storefront_id: str, message_id: str) -> str | None:
        self._expire()
        found = self._seen.get(f"{storefront_id}:{message_id}")
        return found[0] if found else None

    async def remember_message(self, storefront_id: str, message_id: str, conversation_id: str) -> None:
        self._seen[f"{storefront_id}:{message_id}"] = (conversation_id, self._clock() + self._window)

    async def owner_of(self, customer_key: str) -> str | None:
        owner = self._owners.get(customer_key)
        if owner is None or owner[1] <= self._clock():
            self._owners.pop(customer_key, None)
            return None
        return owner[0]

    async def set_owner(self, customer_key: str, agent_id: str, ttl: float) -> None:
        self._owners[customer_key] = (agent_id, self._clock() + ttl)
        self._prune(self._owners)

    async def add_owner_fallback(self, agent_id: str, conversation_id: str) -> None:
        self._fallbacks.setdefault(agent_id, set()).add(conversation_id)

    async def take_owner_fallbacks(self, agent_id: str) -> list[str]:
        return sorted(self._fallbacks.pop(agent_id, ()))

    async def get_marker(self, namespace: str, key: str) -> str | None:
        found = self._markers.get((namespace, key))
        if found is None or found[1] <= self._clock():
            self._markers.pop((namespace, key), None)
            return None
        return found[0]

    async def set_marker(self, namespace: str, key: str, value: str, ttl: float) -> None:
        self._markers[(namespace, key)] = (value, self._clock() + ttl)
        self._prune(self._markers)

    def _prune(self, table: dict) -> None:
        """Drop expired entries once a table has doubled since its last pruning (what Redis TTLs do)."""
        limit = self._prune_at.get(id(table), 1024)
        if len(table) < limit:
            return
        now = self._clock()
        for key in [k for k, (_, expires) in table.items() if expires <= now]:
            del table[key]
        self._prune_at[id(table)] = max(1024, 2 * len(table))

    async def ping(self) -> None:
        return None

    def _expire(self) -> None:
        now = self._clock()
        while self._seen:
            key, (_, expires) = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[key]


class MemoryDirectory:
    def __init__(self) -> None:
        self._agents: dict[str, Presence] = {}
        self._queue: dict[str, tuple[str, float]] = {}

    async def register(self, agent_id: str, role: str, groups: Collection[str], capacity: int) -> None:
        presence = self._agents.get(agent_id)
        if presence is None:
            self._agents[agent_id] = Presence(agent_id, role, tuple(groups), capacity)
        else:
            presence.role, presence.groups, presence.capacity = role, tuple(groups), capacity

    async def connect(self, agent_id: str, now: float) -> Presence:
        presence = self._agents[agent_id]
        if presence.connections == 0:
            presence.status, presence.idle_since = "online", now
        presence.connections += 1
        return _copy(presence)

    async def disconnect(self, agent_id: str) -> Presence | None:
        presence = self._agents.get(agent_id)
        if presence is None:
            return None
        presence.connections = max(0, presence.connections - 1)
        if presence.connections == 0:
            presence.status = "offline"
        return _copy(presence)

    async def heartbeat(self, ttl: float) -> None:
        """One process holds every socket: there is no other process to tell it is alive."""

    async def forget_dead_instances(self) -> list[str]:
        """One process: when it dies, its memory state dies with it, so nothing is ever left to forget."""
        return []

    async def set_status(self, agent_id: str, status: str) -> Presence | None:
        presence = self._agents.get(agent_id)
        if presence is None or presence.connections == 0:
            return None
        presence.status = status
        return _copy(presence)

    async def get(self, agent_id: str) -> Presence | None:
        presence = self._agents.get(agent_id)
        return _copy(presence) if presence else None

    async def all(self) -> list[Presence]:
        return [_copy(p) for p in self._agents.values()]

    async def reserve(self, conversation_id: str, group: str, roles: Collection[str], now: float,
                      exclude: Collection[str] = ()) -> str | None:
        candidates = [p for p in self._agents.values() if p.can_take(group, roles) and p.agent_id not in exclude]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda p: (p.load, p.idle_since, p.agent_id))
        chosen.assigned.add(conversation_id)
        chosen.idle_since = now
        return chosen.agent_id

    async def assign_if_room(self, agent_id: str, conversation_id: str, now: float) -> bool:
        presence = self._agents.get(agent_id)
        if presence is None or presence.status != "online" or presence.load >= presence.capacity:
            return False
        presence.assigned.add(conversation_id)
        presence.idle_since = now
        return True

    async def assign(self, agent_id: str, conversation_id: str, now: float) -> None:
        presence = self._agents.get(agent_id)
        if presence is not None:
            presence.assigned.add(conversation_id)
            presence.idle_since = now

    async def release(self, agent_id: str, conversation_id: str) -> None:
        presence = self._agents.get(agent_id)
        if presence is not None:
            presence.assigned.discard(conversation_id)

    async def enqueue(self, conversation_id: str, group: str, at: float) -> None:
        self._queue.setdefault(conversation_id, (group, at))

    async def dequeue(self, groups: Collection[str]) -> str | None:
        waiting = [(at, cid) for cid, (group, at) in self._queue.items() if group in groups]
        if not waiting:
            return None
        _, conversation_id = min(waiting)
        del self._queue[conversation_id]
        return conversation_id

    async def unqueue(self, conversation_id: str) -> None:
        self._queue.pop(conversation_id, None)

    async def is_queued(self, conversation_id: str) -> bool:
        return conversation_id in self._queue

    async def queued(self) -> list[tuple[str, str]]:
        return [(cid, group) for cid, (group, _) in sorted(self._queue.items(), key=lambda kv: kv[1][1])]


def _copy(presence: Presence) -> Presence:
    return Presence(presence.agent_id, presence.role, presence.groups, presence.capacity, presence.status,
                    presence.connections, presence.idle_since, set(presence.assigned))
