"""The Redis twin of the state backend, for several gateway processes sharing one state. Same contract as
:mod:`gateway.storage.memory` (tests/storage runs over both); every change that reads before it writes is one Lua
script or one MULTI, so it stays atomic across processes.

Layout (``<p>`` is the deployment prefix, names from :mod:`gateway.storage.keys`; values are JSON or plain
strings, never pickle)::

    <p>:conv:<id>            string  JSON conversation state (hot conversations only)
    <p>:convcust             hash    conversation id -> customer key
    <p>:custopen:<customer>  string  the customer's open conversation id
    <p>:dedupe:<sf>:<msg>    string  JSON {conversation_id, expires_at}, Redis TTL = the dedupe window
    <p>:owner:<customer>     string  JSON {agent_id, expires_at}, Redis TTL = the owner ttl
    <p>:ownerfb:<agent>      set     conversations waiting for that owner to return
    <p>:marker:<ns>:<key>    string  JSON {value, expires_at}, Redis TTL = the marker ttl
    <p>:lock:<name>          string  lock holder's random token, Redis TTL = the lock ttl
    <p>:agents               zset    registered agent ids, all scored 0, so ranged by id
    <p>:agent:<agent>        hash    role, groups (JSON list), capacity, status, connections, idle_since
    <p>:assigned:<agent>     set     the agent's conversations
    <p>:instances            set     gateway processes that hold agent sockets
    <p>:instagents:<inst>    hash    agent id -> sockets that process holds (counted in the agent's connections)
    <p>:alive:<inst>         string  that process's heartbeat, Redis TTL: missing once the process is dead
    <p>:queue                zset    waiting conversation -> arrival time
    <p>:queue:groups         hash    waiting conversation -> group

Expiry is judged by the injected clock (``expires_at`` in the value), as in the memory twin; the Redis TTL only
collects the garbage. Times go to Redis as ``repr(float)`` and come back exact (no Lua cjson re-encoding, which
keeps 14 digits). ``reserve`` and ``all`` build agent keys inside their script, so the layout suits one Redis
server (or Sentinel), not Redis Cluster.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import redis.asyncio as redis
from redis.asyncio.lock import Lock
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import LockError, RedisError

from gateway.conversation import ConversationState
from gateway.storage import keys
from gateway.storage.base import Presence
from gateway.storage.memory import MemoryLocks

log = logging.getLogger(__name__)


class RedisLocks:
    """Per-name locks shared by every process on the Redis server (redis-py's :class:`~redis.asyncio.lock.Lock`:
    SET NX PX with a random token, release by a Lua compare-and-delete).

    Fairness: inside one process, holders of a name queue FIFO on a local :class:`asyncio.Lock` (the memory twin)
    and only the head of that queue polls Redis, with a jittered backoff from ``poll`` doubling up to ``max_poll``.
    Across processes the order is not FIFO: a process with a backlog on a name hands it on within one round
    trip, while another process's waiter only wins a poll that lands between a release and the next acquire.

    A holder that dies keeps the name at most ``ttl`` seconds. A holder outliving ``ttl`` loses the lock (it is
    not extended); its release then logs a warning, and the ttl must stay well above the slowest pipeline run.
    """

    def __init__(self, client: redis.Redis, prefix: str = keys.DEFAULT_PREFIX, ttl: float = 30.0, *,
                 poll: float = 0.001, max_poll: float = 0.01) -> None:
        self._client, self._prefix, self._ttl = client, prefix, ttl
        self._poll, self._max_poll = poll, max_poll
        self._local = MemoryLocks()

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        async with self._local.lock(name):
            held = Lock(self._client, keys.key(self._prefix, keys.LOCK, name), timeout=self._ttl,
                        thread_local=False)
            token = secrets.token_hex(16)
            try:
                await self._acquire(held, token)
            except BaseException:
                await asyncio.shield(_release(held, token, held_for_sure=False))   # a cancelled SET NX may have landed
                raise
            try:
                yield
            finally:
                await asyncio.shield(_release(held, token))   # even when cancelled, free the name now, not at its ttl

    async def _acquire(self, held: Lock, token: str) -> None:
        task, delay = asyncio.current_task(), self._poll
        cancels = task.cancelling()
        while not await held.acquire(blocking=False, token=token):
            _raise_if_cancelled(task, cancels)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._max_poll)
        _raise_if_cancelled(task, cancels)


def _raise_if_cancelled(task: asyncio.Task, cancels: int) -> None:
    """Python 3.11's ``asyncio.wait_for``, which redis-py sends commands with, drops a cancel that lands while a
    command is being sent (CPython gh-86296, fixed in 3.12). The cancel still counts in ``task.cancelling()``:
    honour it here, or a cancelled waiter (an ``asyncio.timeout`` around the lock) would wait on for the lock."""
    if task.cancelling() > cancels:
        raise asyncio.CancelledError


async def _release(held: Lock, token: str, held_for_sure: bool = True) -> None:
    """Compare-and-delete by ``token``. Never raises a Redis error: the body's own outcome matters more, and the
    ttl frees the name anyway. Quiet when the lock may never have been taken."""
    held.local.token = token.encode()
    try:
        await held.release()
    except LockError:
        if held_for_sure:
            log.warning("lock %s was no longer held at release (held longer than its ttl?)", held.name)
    except RedisError as error:
        if held_for_sure:
            log.warning("lock %s not released (%s); it expires with its ttl", held.name, error)


class RedisStateStore:
    """Conversations, customer pointers, dedupe, owners, owner fallbacks and markers; see the module docstring."""

    def __init__(self, client: redis.Redis, prefix: str = keys.DEFAULT_PREFIX, dedupe_window: float = 86400.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._client, self._prefix, self._window, self._clock = client, prefix, dedupe_window, clock
        self._customers = keys.key(prefix, keys.CONVERSATION_CUSTOMER)

    def _key(self, *parts: str) -> str:
        return keys.key(self._prefix, *parts)

    async def load(self, conversation_id: str) -> ConversationState | None:
        blob = await self._client.get(self._key(keys.CONVERSATION, conversation_id))
        return ConversationState.from_dict(json.loads(blob)) if blob else None

    async def save(self, state: ConversationState) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            if state.is_live:
                pipe.set(self._key(keys.CONVERSATION, state.id), _json(state.to_dict()))
                pipe.hset(self._customers, state.id, state.customer_key)
            else:
                pipe.delete(self._key(keys.CONVERSATION, state.id))
                pipe.hdel(self._customers, state.id)
            await pipe.execute()

    async def open_conversation_of(self, customer_key: str) -> str | None:
        return _text(await self._client.get(self._key(keys.CUSTOMER_OPEN, customer_key)))

    async def set_open_conversation(self, customer_key: str, conversation_id: str | None) -> None:
        if conversation_id is None:
            await self._client.delete(self._key(keys.CUSTOMER_OPEN, customer_key))
        else:
            await self._client.set(self._key(keys.CUSTOMER_OPEN, customer_key), conversation_id)

    async def customer_key_of(self, conversation_id: str) -> str | None:
        return _text(await self._client.hget(self._customers, conversation_id))

    async def seen_message(self, storefront_id: str, message_id: str) -> str | None:
        return await self._unexpired(self._key(keys.DEDUPE, storefront_id, message_id), "conversation_id")

    async def remember_message(self, storefront_id: str, message_id: str, conversation_id: str) -> None:
        await self._set_expiring(self._key(keys.DEDUPE, storefront_id, message_id),
                                 {"conversation_id": conversation_id}, self._window)

    async def owner_of(self, customer_key: str) -> str | None:
        return await self._unexpired(self._key(keys.OWNER, customer_key), "agent_id")

    async def set_owner(self, customer_key: str, agent_id: str, ttl: float) -> None:
        await self._set_expiring(self._key(keys.OWNER, customer_key), {"agent_id": agent_id}, ttl)

    async def add_owner_fallback(self, agent_id: str, conversation_id: str) -> None:
        await self._client.sadd(self._key(keys.OWNER_FALLBACKS, agent_id), conversation_id)

    async def take_owner_fallbacks(self, agent_id: str) -> list[str]:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.smembers(self._key(keys.OWNER_FALLBACKS, agent_id))
            pipe.delete(self._key(keys.OWNER_FALLBACKS, agent_id))
            members, _ = await pipe.execute()
        return sorted(_text(m) for m in members)

    async def get_marker(self, namespace: str, key: str) -> str | None:
        return await self._unexpired(self._key(keys.MARKER, namespace, key), "value")

    async def set_marker(self, namespace: str, key: str, value: str, ttl: float) -> None:
        await self._set_expiring(self._key(keys.MARKER, namespace, key), {"value": value}, ttl)

    async def ping(self) -> None:
        await self._client.ping()

    async def _set_expiring(self, key: str, record: dict[str, Any], ttl: float) -> None:
        if ttl <= 0:   # already expired, as in the memory twin
            await self._client.delete(key)
            return
        record["expires_at"] = self._clock() + ttl
        await self._client.set(key, _json(record), px=math.ceil(ttl * 1000))

    async def _unexpired(self, key: str, field: str) -> str | None:
        # No delete when expired: another process may have set the key again since our GET.
        blob = await self._client.get(key)
        record = json.loads(blob) if blob else None
        return record[field] if record and record["expires_at"] > self._clock() else None


_SNAPSHOT = "return {redis.call('HGETALL', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}"

# KEYS: agent hash, assigned set, this process's sockets hash, instances set. ARGV: now, agent id, instance id.
_CONNECT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('SADD', KEYS[4], ARGV[3])
if redis.call('HINCRBY', KEYS[1], 'connections', 1) == 1 then
  redis.call('HSET', KEYS[1], 'status', 'online', 'idle_since', ARGV[1])
end
""" + _SNAPSHOT

# KEYS: agent hash, assigned set, this process's sockets hash. ARGV: agent id. A socket that was already
# forgotten (its process was taken for dead) is not subtracted twice.
_DISCONNECT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') > 0 then
  if redis.call('HINCRBY', KEYS[3], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[1]) end
  local left = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'connections')) - 1)
  redis.call('HSET', KEYS[1], 'connections', left)
  if left == 0 then redis.call('HSET', KEYS[1], 'status', 'offline') end
end
""" + _SNAPSHOT

# KEYS: the process's sockets hash, instances set, its heartbeat key. ARGV: agent key prefix, instance id.
# Returns the agents that this took offline; nothing while the heartbeat is there (the process lives).
_FORGET_INSTANCE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local offline = {}
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  local agent = ARGV[1] .. held[i]
  if redis.call('EXISTS', agent) == 1 then
    local left = math.max(0, tonumber(redis.call('HGET', agent, 'connections')) - tonumber(held[i + 1]))
    redis.call('HSET', agent, 'connections', left)
    if left == 0 and redis.call('HGET', agent, 'status') ~= 'offline' then
      redis.call('HSET', agent, 'status', 'offline')
      offline[#offline + 1] = held[i]
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return offline
"""

# ARGV: status.
_SET_STATUS = """
if tonumber(redis.call('HGET', KEYS[1], 'connections') or '0') == 0 then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
""" + _SNAPSHOT

# ARGV: conversation, now, '1' to check status and capacity first.
_ASSIGN = """
local agent = redis.call('HMGET', KEYS[1], 'status', 'capacity')
if not agent[2] then return 0 end
if ARGV[3] == '1' and (agent[1] ~= 'online' or redis.call('SCARD', KEYS[2]) >= tonumber(agent[2])) then
  return 0
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'idle_since', ARGV[2])
return 1
"""

# KEYS: agents zset. ARGV: agent key prefix, assigned key prefix, conversation, group, now, JSON roles, JSON
# exclude. Agents come ranged by id, and only a strictly better one replaces the best: ties go to the smallest id.
_RESERVE = """
local roles, excluded = {}, {}
for _, role in ipairs(cjson.decode(ARGV[6])) do roles[role] = true end
for _, id in ipairs(cjson.decode(ARGV[7])) do excluded[id] = true end
local function serves(groups)
  for _, group in ipairs(cjson.decode(groups)) do if group == ARGV[4] then return true end end
  return false
end
local best, best_load, best_idle
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local agent = redis.call('HMGET', ARGV[1] .. id, 'status', 'role', 'groups', 'capacity', 'idle_since')
  if not excluded[id] and agent[1] == 'online' and roles[agent[2]] and serves(agent[3]) then
    local load, idle = redis.call('SCARD', ARGV[2] .. id), tonumber(agent[5])
    if load < tonumber(agent[4]) and (not best or load < best_load or (load == best_load and idle < best_idle)) then
      best, best_load, best_idle = id, load, idle
    end
  end
end
if not best then return false end
redis.call('SADD', ARGV[2] .. best, ARGV[3])
redis.call('HSET', ARGV[1] .. best, 'idle_since', ARGV[5])
return best
"""

# KEYS: agents zset. ARGV: agent key prefix, assigned key prefix.
_ALL = """
local found = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  found[#found + 1] = {id, redis.call('HGETALL', ARGV[1] .. id), redis.call('SMEMBERS', ARGV[2] .. id)}
end
return found
"""

# KEYS: queue zset, queue groups hash. ARGV: JSON groups. Oldest first (ties by id), scanned in batches.
_DEQUEUE = """
local wanted = {}
for _, group in ipairs(cjson.decode(ARGV[1])) do wanted[group] = true end
local start = 0
while true do
  local ids = redis.call('ZRANGE', KEYS[1], start, start + 255)
  if #ids == 0 then return false end
  local groups = redis.call('HMGET', KEYS[2], unpack(ids))
  for i, id in ipairs(ids) do
    if groups[i] and wanted[groups[i]] then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HDEL', KEYS[2], id)
      return id
    end
  end
  start = start + 256
end
"""


class RedisDirectory:
    """Presence, capacity, assignments and the waiting queue; see the module docstring. Connections are counted
    over every process, so an agent connected to two processes goes offline when the last one disconnects; each
    process also counts the sockets it holds and keeps a heartbeat, so the sockets of a process that died (and
    cannot say so) are forgotten by another (:meth:`forget_dead_instances`)."""

    def __init__(self, client: redis.Redis, prefix: str = keys.DEFAULT_PREFIX, instance_id: str = "gw") -> None:
        self._client, self._prefix, self._instance = client, prefix, instance_id
        self._instances = keys.key(prefix, keys.INSTANCES)
        self._instance_agents_prefix = keys.key(prefix, keys.INSTANCE_AGENTS, "")
        self._alive_prefix = keys.key(prefix, keys.ALIVE, "")
        self._agents = keys.key(prefix, keys.AGENTS)
        self._agent_prefix = keys.key(prefix, keys.AGENT, "")
        self._assigned_prefix = keys.key(prefix, keys.ASSIGNED, "")
        self._queue = keys.key(prefix, keys.QUEUE)
        self._queue_groups = keys.key(prefix, keys.QUEUE_GROUPS)
        script = client.register_script
        self._connect, self._disconnect, self._set_status = script(_CONNECT), script(_DISCONNECT), script(_SET_STATUS)
        self._assign, self._reserve, self._all, self._dequeue = (
            script(_ASSIGN), script(_RESERVE), script(_ALL), script(_DEQUEUE))
        self._forget_instance = script(_FORGET_INSTANCE)

    def _keys_of(self, agent_id: str) -> list[str]:
        return [self._agent_prefix + agent_id, self._assigned_prefix + agent_id]

    async def register(self, agent_id: str, role: str, groups: Collection[str], capacity: int) -> None:
        """Idempotent: a re-registration updates role, groups and capacity and keeps presence and assignments."""
        agent = self._agent_prefix + agent_id
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(self._agents, {agent_id: 0})
            pipe.hset(agent, mapping={"role": role, "groups": _json(list(groups)), "capacity": int(capacity)})
            for field, initial in (("status", "offline"), ("connections", 0), ("idle_since", repr(0.0))):
                pipe.hsetnx(agent, field, initial)
            await pipe.execute()

    async def connect(self, agent_id: str, now: float) -> Presence:
        found = await self._connect(keys=[*self._keys_of(agent_id), self._instance_agents_prefix + self._instance,
                                          self._instances], args=[repr(float(now)), agent_id, self._instance])
        if found is None:
            raise KeyError(agent_id)
        return _presence(agent_id, *found)

    async def disconnect(self, agent_id: str) -> Presence | None:
        found = await self._disconnect(keys=[*self._keys_of(agent_id),
                                             self._instance_agents_prefix + self._instance], args=[agent_id])
        return _presence(agent_id, *found) if found else None

    async def heartbeat(self, ttl: float) -> None:
        """This process is alive for ``ttl`` more seconds (call it well within ``ttl``, first before any socket)."""
        await self._client.set(self._alive_prefix + self._instance, "1", px=int(ttl * 1000))

    async def forget_dead_instances(self) -> list[str]:
        """Drop the sockets counted for processes whose heartbeat has expired; return the agents left offline."""
        offline: list[str] = []
        for instance in sorted(_text(i) for i in await self._client.smembers(self._instances)):
            if instance != self._instance:
                found = await self._forget_instance(
                    keys=[self._instance_agents_prefix + instance, self._instances, self._alive_prefix + instance],
                    args=[self._agent_prefix, instance])
                offline.extend(_text(agent) for agent in found)
        return offline

    async def set_status(self, agent_id: str, status: str) -> Presence | None:
        found = await self._set_status(keys=self._keys_of(agent_id), args=[status])
        return _presence(agent_id, *found) if found else None

    async def get(self, agent_id: str) -> Presence | None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._agent_prefix + agent_id)
            pipe.smembers(self._assigned_prefix + agent_id)
            fields, assigned = await pipe.execute()
        return _presence(agent_id, fields, assigned) if fields else None

    async def all(self) -> list[Presence]:
        """Every registered agent, ordered by id."""
        found = await self._all(keys=[self._agents], args=[self._agent_prefix, self._assigned_prefix])
        return [_presence(_text(agent_id), fields, assigned) for agent_id, fields, assigned in found]

    async def reserve(self, conversation_id: str, group: str, roles: Collection[str], now: float,
                      exclude: Collection[str] = ()) -> str | None:
        args = [self._agent_prefix, self._assigned_prefix, conversation_id, group, repr(float(now)),
                _json(list(roles)), _json(list(exclude))]
        return _text(await self._reserve(keys=[self._agents], args=args))

    async def assign_if_room(self, agent_id: str, conversation_id: str, now: float) -> bool:
        return bool(await self._assign(keys=self._keys_of(agent_id), args=[conversation_id, repr(float(now)), "1"]))

    async def assign(self, agent_id: str, conversation_id: str, now: float) -> None:
        await self._assign(keys=self._keys_of(agent_id), args=[conversation_id, repr(float(now)), "0"])

    async def release(self, agent_id: str, conversation_id: str) -> None:
        await self._client.srem(self._assigned_prefix + agent_id, conversation_id)

    async def enqueue(self, conversation_id: str, group: str, at: float) -> None:
        """A conversation already waiting keeps its place and group."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(self._queue, {conversation_id: float(at)}, nx=True)
            pipe.hsetnx(self._queue_groups, conversation_id, group)
            await pipe.execute()

    async def dequeue(self, groups: Collection[str]) -> str | None:
        if not groups:
            return None
        return _text(await self._dequeue(keys=[self._queue, self._queue_groups], args=[_json(list(groups))]))

    async def unqueue(self, conversation_id: str) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._queue, conversation_id)
            pipe.hdel(self._queue_groups, conversation_id)
            await pipe.execute()

    async def is_queued(self, conversation_id: str) -> bool:
        return await self._client.zscore(self._queue, conversation_id) is not None

    async def queued(self) -> list[tuple[str, str]]:
        """Waiting conversations and their groups, oldest first (ties by id)."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrange(self._queue, 0, -1)
            pipe.hgetall(self._queue_groups)
            ids, groups = await pipe.execute()
        groups = {_text(cid): _text(group) for cid, group in groups.items()}
        return [(_text(cid), groups[_text(cid)]) for cid in ids]


class RedisBackend(NamedTuple):
    state: RedisStateStore
    directory: RedisDirectory
    locks: RedisLocks
    close: Callable[[], Awaitable[None]]


def open_redis_backend(url: str, prefix: str = keys.DEFAULT_PREFIX, dedupe_window: float = 86400.0,
                       clock: Callable[[], float] = time.time, *, instance_id: str = "gw", lock_ttl: float = 30.0,
                       max_connections: int = 50) -> RedisBackend:
    """The three twins on one client of ``url`` (``state.redis_url``); ``close`` closes that client."""
    client = retrying_client(url, max_connections)
    return RedisBackend(RedisStateStore(client, prefix, dedupe_window, clock),
                        RedisDirectory(client, prefix, instance_id),
                        RedisLocks(client, prefix, lock_ttl), client.aclose)


def retrying_client(url: str, max_connections: int = 20) -> redis.Redis:
    """A client of ``url`` for the gateway's every use of Redis.

    Its pool blocks (up to 5 s) for a free connection when ``max_connections`` commands are in flight, where
    redis-py's default pool raises ``MaxConnectionsError``: a burst of events then waits instead of failing half-way
    (a deadline not armed after its message was stored). Connections retry (:func:`_retry`): without it, every
    connection left in the pool by a Redis restart would fail one request after Redis is back.
    """
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=5, retry=_retry())
    return redis.Redis.from_pool(pool)


async def delete_keys(url: str, prefix: str) -> None:
    """Remove every key of a deployment prefix (a test's or a bench's), never ``FLUSHDB``: others share the
    server."""
    client = redis.Redis.from_url(url)
    try:
        stale = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(stale), 1000):
            await client.delete(*stale[start:start + 1000])
    finally:
        await client.aclose()


def _retry() -> Retry:
    """Three retries on connection errors and timeouts, with jittered exponential backoff: a connection left
    stale by a Redis restart is replaced, and a Redis coming back is waited for briefly. (A client built from a
    URL or a pool has no retry policy unless given one.)"""
    return Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), 3)


def _presence(agent_id: str, fields: dict | list, assigned: Collection[bytes | str]) -> Presence:
    if isinstance(fields, list):   # HGETALL through a script: a flat [field, value, ...] list
        fields = dict(zip(fields[::2], fields[1::2]))
    get = {_text(name): _text(value) for name, value in fields.items()}.__getitem__
    return Presence(agent_id, get("role"), tuple(json.loads(get("groups"))), int(get("capacity")), get("status"),
                    int(get("connections")), float(get("idle_since")), {_text(cid) for cid in assigned})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
