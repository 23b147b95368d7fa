"""Scale-out: throughput of 1, 2 and 3 gateway processes sharing Redis and PostgreSQL, and cross-process latency.

    .venv/bin/python bench/cluster.py [--processes 1 2 3] [--customers 200] [--agents 20] [--duration 10]
                                      [--rate 1000] [--below 0.7] [--floor-rate 50] [--overload-duration 3]
                                      [--skip-cross] [--redis URL] [--postgres DSN] [--keep-tmp]

The load is bench/load.py's (its storefront, agents process, closed and open loops and CPU meter), on the
scale-out deployment: every gateway process runs ``python -m gateway serve`` with ``state.backend: redis``
(Redis database 14, a key prefix of its own) and a PostgreSQL database of its own, both created for each
cluster and removed after it. Processes start one at a time (the first creates the schema), each on a port of
its own choosing (``server.port: 0``). Two measurements:

(a) throughput, for each N in ``--processes``: customers POST their messages round robin over the N processes,
    the agents are connected round robin to the N processes and the storefront's one socket (where replies come
    back as ``agent.message``) to the first, so most messages and replies cross processes over Redis pub/sub.
    Saturation as in load.py: closed loop, each customer sends again when its reply is back; msg/s and the
    round trip's p50/p99 (customer message -> agent -> reply -> storefront), and the speed-up over N = 1.
(b) cross-process latency with 2 processes, A and B: customers POST to A, the storefront socket is on A, every
    agent is on B. First this layout's saturation, then open loop at ``--floor-rate``, at ``--rate`` and, when
    that is above the saturation, at ``--below`` of it (an overload phase lasts ``--overload-duration`` only):
    p50/p99 of POST sent -> agent receives ``customer.message`` (on B) and of agent reply sent -> storefront
    receives ``agent.message`` (on A), timed with CLOCK_MONOTONIC, which every process on the machine shares;
    plus load.py's round trip from each message's scheduled send time.

Before measuring, every customer's conversation is opened with one message (see ``open_all``: in scale-out an
agent's first reply to a new conversation can be refused, and the bench counts how often).

Every phase reports the CPU of each gateway process (and its event loop), the agents process, this process (the
storefront), redis-server, the PostgreSQL server and the whole machine: on 2 cores shared by the load generator,
Redis and PostgreSQL, that is what limits the figures. Targets (issue 8): cross-process p99 <= 10 ms at
1,000 msg/s; 2 processes >= 1.6 x one where the cores allow.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import redis.asyncio as redis
from load import (
    STOREFRONT_TOKEN,
    WARMUP,
    CpuMeter,
    Figures,
    Storefront,
    Tally,
    clock,
    cpu_seconds,
    finish,
    fixed_rate,
    gateway_config,
    log_problems,
    quantiles,
    reference,
    saturation,
    settle,
    start_agents,
    stop_agents,
)
from gateway.storage.redis import delete_keys
from processes import scratch_dir, start_gateway, stop

HZ = os.sysconf("SC_CLK_TCK")


# --- the storefront of a scale-out shop ------------------------------------------------------------------------

class PostingStorefront(Storefront):
    """load.py's storefront, but customer messages are POSTed, round robin over ``post_urls``, so that one
    storefront can feed several gateway processes; replies still come back on its one socket (``ws``), wherever
    that is connected, since the gateway fans them out over Redis. Remembers when each POST went out and each
    reply came back, for the cross-process legs."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession,
                 post_urls: list[str]) -> None:
        super().__init__(ws)
        self.session, self.post_urls, self.turn = session, post_urls, itertools.count()
        self.posts: set[asyncio.Task] = set()
        self.phase: object = None
        self.posted: dict[str, tuple[object, float]] = {}   # message_id -> (phase, when its POST went out)
        self.arrived: dict[str, float] = {}                  # message_id -> when its reply came back

    async def _transmit(self, message_id: str, frame: dict) -> None:
        """Start the POST and return at once: the caller may be the socket reader, which must not wait on it."""
        url = self.post_urls[next(self.turn) % len(self.post_urls)]
        body = {key: value for key, value in frame.items() if key != "type"}
        task = asyncio.create_task(self._post(url, message_id, body))
        self.posts.add(task)
        task.add_done_callback(self.posts.discard)

    async def _post(self, url: str, message_id: str, body: dict) -> None:
        self.posted[message_id] = (self.phase, clock())
        try:
            async with self.session.post(f"{url}/v1/storefront/messages", json=body,
                                         headers={"Authorization": f"Bearer {STOREFRONT_TOKEN}"}) as response:
                answer = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._refused(message_id, f"{type(exc).__name__}: {str(exc)[:80]}")
            return
        if response.status in (200, 202):
            self._acked(message_id, answer["conversation_id"])
        else:
            error = answer.get("error", {})
            self._refused(message_id, f"HTTP {response.status} {error.get('code')}: {str(error.get('message'))[:80]}")

    async def _reply(self, event: dict) -> None:
        self.arrived.setdefault(reference(event["text"]), clock())
        await super()._reply(event)

    async def quiesce(self, timeout: float = 10.0) -> None:
        """Let the POSTs still running finish (then cancel the rest), so the session closes cleanly."""
        if self.posts:
            await asyncio.wait(set(self.posts), timeout=timeout)
        for task in list(self.posts):
            task.cancel()


# --- CPU of everything on the machine that the figures depend on ------------------------------------------------

def own_and_children_cpu(pid: int) -> float:
    """User + system CPU of a process and of its children it has reaped: for the PostgreSQL postmaster, every
    backend that has exited (a connection pool's overflow connections come and go within a phase)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(value) for value in fields[11:15]) / HZ


def children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if int(Path(entry.path, "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return found


def process_tree_cpu(root: int) -> float:
    """CPU of a server made of processes (PostgreSQL): the root, its exited children and its live ones."""
    total = own_and_children_cpu(root)
    for child in children(root):
        try:
            total += cpu_seconds(child)
        except OSError:     # exited between the listing and the read: then counted in the root's children
            continue
    return total


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine, all cores, from /proc/stat (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / HZ


class BackendCpu:
    """CPU of one database's PostgreSQL backends, exited ones counted as last seen. Polled, since a connection
    pool's overflow connections come and go within a phase; the whole server's figure would include other
    users' databases on a shared machine."""

    def __init__(self, dsn: str, database: str, every: float = 0.5) -> None:
        self.dsn, self.database, self.every = dsn, database, every
        self.seen: dict[int, float] = {}

    def total(self) -> float:
        for pid in self.seen:
            try:
                self.seen[pid] = cpu_seconds(pid)
            except (OSError, IndexError):
                continue
        return sum(self.seen.values())

    async def poll(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            while True:
                for row in await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1",
                                                  self.database):
                    self.seen.setdefault(row["pid"], 0.0)
                self.total()
                await asyncio.sleep(self.every)
        finally:
            await connection.close()


class ClusterMeter(CpuMeter):
    """load.py's CPU meter over several gateway processes (``gw1``, ``gw2``, … and their event loops), plus
    ``readers``: CPU seconds of the servers they share (Redis, PostgreSQL) and of the whole machine."""

    def __init__(self, pids: dict[str, int], readers: dict[str, Callable[[], float]]) -> None:
        gateways = [name for name in pids if name.startswith("gw")]
        super().__init__(pids, loops={f"{name} loop": name for name in gateways})
        self.readers = readers

    def sample(self) -> tuple[float, dict[str, float]]:
        at, used = super().sample()
        return at, {**used, **{name: read() for name, read in self.readers.items()}}


async def cpu_readers(redis_url: str, admin: asyncpg.Connection, backends: BackendCpu) -> dict[str, Callable]:
    """What the meter reads besides the gateways and the load generator: redis-server (its pid from INFO), the
    PostgreSQL server (the postmaster is our own backend's parent) and this cluster's backends, when they run on
    this machine with readable /proc entries (else they are left out), and the machine."""
    client = redis.Redis.from_url(redis_url)
    try:
        redis_pid = int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()
    backend = await admin.fetchval("SELECT pg_backend_pid()")
    readers: dict[str, Callable[[], float]] = {}
    if os.access(f"/proc/{redis_pid}/stat", os.R_OK):
        readers["redis"] = functools.partial(cpu_seconds, redis_pid)
    if os.access(f"/proc/{backend}/stat", os.R_OK):
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rpartition(")")[2].split()[1])
        readers["postgres"] = functools.partial(process_tree_cpu, postmaster)
        readers["our db"] = backends.total
    return {**readers, "machine": machine_cpu}


# --- a cluster: N gateway processes, a database and a key prefix of their own -------------------------------------

@dataclass
class Cluster:
    name: str                         # the PostgreSQL database and the Redis key prefix
    urls: list[str] = field(default_factory=list)
    procs: list[asyncio.subprocess.Process] = field(default_factory=list)
    readers: dict[str, Callable[[], float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        return {f"gw{i + 1}": proc.pid for i, proc in enumerate(self.procs)}


@asynccontextmanager
async def cluster(n: int, tmp: Path, args: argparse.Namespace) -> AsyncIterator[Cluster]:
    """Start N processes on a fresh database and key prefix; on the way out (errors too) stop them, count the
    rows they stored, check their logs, DROP the database and delete the keys (never FLUSHDB: Redis is shared)."""
    tmp.mkdir(parents=True, exist_ok=True)
    found = Cluster(f"bench_cluster_{uuid.uuid4().hex[:8]}_{n}")
    admin = await asyncpg.connect(args.postgres)
    backends = BackendCpu(args.postgres, found.name)
    poller = asyncio.create_task(backends.poll())
    try:
        await admin.execute(f"CREATE DATABASE {found.name}")
        found.readers = await cpu_readers(args.redis, admin, backends)
        config = gateway_config(tmp, 0, args.agents,
                                database={"url": dsn(args, found.name, "postgresql+asyncpg")},
                                state={"backend": "redis", "redis_url": args.redis, "key_prefix": found.name})
        for i in range(n):          # one at a time: the first creates the schema
            proc, url = await start_gateway(config, tmp / f"gw{i + 1}.log")
            found.procs.append(proc)
            found.urls.append(url)
        yield found
    finally:
        try:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
            await shut_down(found, tmp)
            found.notes += await database_counts(admin, args, found.name)
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {found.name} WITH (FORCE)")
            await admin.close()
            await delete_keys(args.redis, found.name)


async def shut_down(found: Cluster, tmp: Path) -> None:
    """Stop every process (SIGTERM, then SIGKILL), then note any that had died and any errors in their logs."""
    alive = [proc.returncode is None for proc in found.procs]
    for proc in found.procs:
        await stop(proc)
    for i, was_alive in enumerate(alive):
        found.notes += [f"gw{i + 1}: {note}" for note in log_problems(tmp / f"gw{i + 1}.log", was_alive)]


async def database_counts(admin: asyncpg.Connection, args: argparse.Namespace, name: str) -> list[str]:
    """What the cluster stored (after shutdown, so the deferred writes are in): every message and delivery."""
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        return []
    db = await asyncpg.connect(dsn(args, name))
    try:
        if not await db.fetchval("SELECT to_regclass('messages') IS NOT NULL"):
            return ["PostgreSQL: no schema"]
        roles = dict(await db.fetch("SELECT role, count(*) FROM messages GROUP BY role"))
        status = dict(await db.fetch("SELECT status, count(*) FROM deliveries GROUP BY status"))
        conversations = await db.fetchval("SELECT count(*) FROM conversations")
    finally:
        await db.close()
    return [f"PostgreSQL after shutdown: {conversations:,} conversations, messages {roles}, deliveries {status}"]


# --- one measurement: the agents process and the storefront around it --------------------------------------------

@dataclass
class Rig:
    sf: PostingStorefront
    meter: ClusterMeter


@asynccontextmanager
async def rig(found: Cluster, figures: Figures, args: argparse.Namespace, posts_to: list[str],
              agents_on: list[str], stamp: bool = False) -> AsyncIterator[Rig]:
    """Agents connected round robin to ``agents_on``, the storefront socket on ``posts_to[0]`` and its POSTs
    round robin over ``posts_to``; afterwards the agents' counts (and stamps) are in ``figures.agents``."""
    agents = await start_agents(agents_on, args.agents, stamp)
    try:
        meter = ClusterMeter({**found.pids, "agents": agents.pid}, found.readers)
        connector = aiohttp.TCPConnector(limit=max(100, args.customers))
        async with aiohttp.ClientSession(connector=connector) as session:
            ws = await session.ws_connect(f"{posts_to[0]}/v1/storefront/ws", max_msg_size=0,
                                          headers={"Authorization": f"Bearer {STOREFRONT_TOKEN}"})
            sf = PostingStorefront(ws, session, posts_to)
            try:
                yield Rig(sf, meter)
            finally:
                await sf.quiesce()
                await finish(sf, figures)
    finally:
        figures.agents = await stop_quietly(agents)


async def stop_quietly(agents: asyncio.subprocess.Process) -> dict:
    """load.py's stop_agents; if that fails (the process died, or hangs), kill it instead of leaving it behind."""
    try:
        return await stop_agents(agents)
    except (TimeoutError, ValueError, OSError) as exc:
        if agents.returncode is None:
            agents.kill()
            await agents.wait()
        return {"error": repr(exc)}


async def open_all(sf: PostingStorefront, figures: Figures, customers: int, quiet: float = 2.0,
                   timeout: float = 30.0) -> None:
    """Open every customer's conversation with one message before measuring. Why: in scale-out an agent's
    reply to a brand-new conversation can be refused (``conversation_closed``: the agent got the message before
    the new conversation's state was saved in Redis), and a closed-loop customer whose reply never comes stops
    sending for good. The phases should measure the open conversations they are about, at full strength; the
    refusals are counted here (and in the agents' ``error:conversation_closed``)."""
    tally = Tally()
    for c in range(customers):
        await sf.send(tally, f"cust-{c:05d}")
    end, seen, changed = clock() + timeout, -1, clock()
    while tally.outstanding and clock() < end:
        await asyncio.sleep(0.1)
        if len(tally.times) != seen:
            seen, changed = len(tally.times), clock()
        elif tally.acked + tally.failed >= tally.sent and clock() - changed > quiet:
            break
    unanswered = [mid for mid, (_, _, owner) in sf.pending.items() if owner is tally]
    for mid in unanswered:
        del sf.pending[mid]
    figures.notes.append(f"opening {customers} conversations before the phases: {len(unanswered)} first messages "
                         f"got no reply, {tally.failed} were refused {dict(tally.errors)}")
    print(f"  {figures.label}: {customers} conversations opened, {len(unanswered)} first messages without a reply",
          flush=True)


# --- (a) throughput of N processes --------------------------------------------------------------------------------

async def throughput(n: int, tmp: Path, args: argparse.Namespace) -> Figures:
    figures = Figures(f"{n} process{'es' if n > 1 else ''}")
    async with cluster(n, tmp / f"throughput-{n}", args) as found:
        print(f"{figures.label}: {', '.join(found.urls)}", flush=True)
        async with rig(found, figures, args, posts_to=found.urls, agents_on=found.urls) as run:
            await open_all(run.sf, figures, args.customers)
            await saturation(run.sf, figures, run.meter, args)
            await settle(run.sf)
    figures.notes += found.notes
    return figures


# --- (b) cross-process latency ------------------------------------------------------------------------------------

@dataclass
class Legs:
    """One open-loop phase of the A/B layout, in ms (p50, p99): the two cross-process legs, and the whole round
    trip from the POST, counting every reply however late (load.py's figure stops 10 s after the phase)."""
    rate: float
    to_agent: tuple[float, ...]
    to_storefront: tuple[float, ...]
    round_trip: tuple[float, ...]
    count: int


async def cross_process(tmp: Path, args: argparse.Namespace) -> tuple[Figures, list[Legs]]:
    figures = Figures("cross-process")
    async with cluster(2, tmp / "cross-process", args) as found:
        a, b = found.urls
        print(f"cross-process: customers and storefront on A {a}, agents on B {b}", flush=True)
        async with rig(found, figures, args, posts_to=[a], agents_on=[b], stamp=True) as run:
            await open_all(run.sf, figures, args.customers)
            await saturation(run.sf, figures, run.meter, args)
            for rate in rates(args, figures.saturation):
                await settle(run.sf)
                run.sf.phase = rate
                await fixed_rate(run.sf, figures, run.meter, phase_args(args, rate > figures.saturation), rate)
            await settle(run.sf)
    figures.notes += found.notes
    stamps = figures.agents.pop("stamps", {})
    return figures, [legs(run.sf, stamps, rate) for rate in figures.rates]


def rates(args: argparse.Namespace, saturated: float) -> list[float]:
    """``--floor-rate`` (the legs with next to no queueing: the floor the bench itself can see), ``--rate``, and
    ``--below`` of this layout's saturation when ``--rate`` is above that; the lowest first, so that none is
    measured in the wake of an overload."""
    chosen = {args.rate, args.floor_rate}
    if args.rate > saturated * 0.95 and args.below > 0:
        chosen.add(float(max(10, round(args.below * saturated, -1))))
    return sorted(rate for rate in chosen if rate > 0)


def phase_args(args: argparse.Namespace, overload: bool) -> argparse.Namespace:
    """load.py's phases read their length from ``args.duration``; an overload phase runs ``--overload-duration``
    instead, because every second above saturation leaves a backlog that takes longer than that to drain."""
    return argparse.Namespace(**{**vars(args), "duration": args.overload_duration}) if overload else args


def legs(sf: PostingStorefront, stamps: dict[str, list[float]], rate: float) -> Legs:
    """POST sent -> agent received, agent replied -> reply on the storefront socket, for the messages of one
    phase posted after its first ``WARMUP`` seconds (load.py leaves those out too)."""
    posted = {mid: at for mid, (phase, at) in sf.posted.items() if phase == rate}
    start = min(posted.values(), default=0.0) + WARMUP
    to_agent, to_storefront, round_trip = [], [], []
    for mid, at in posted.items():
        stamp = stamps.get(mid)
        if at < start or stamp is None:
            continue
        to_agent.append(stamp[0] - at)
        if mid in sf.arrived:
            to_storefront.append(sf.arrived[mid] - stamp[1])
            round_trip.append(sf.arrived[mid] - at)
    return Legs(rate, *(ms(quantiles(values, 0.5, 0.99)) for values in (to_agent, to_storefront, round_trip)),
                len(to_agent))


def ms(seconds: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(1000 * s for s in seconds)


# --- report -------------------------------------------------------------------------------------------------------

def shares(used: dict[str, float]) -> dict[str, float]:
    """CPU seconds -> % of one core over the phase's wall-clock time."""
    return {name: 100 * seconds / used["wall"] for name, seconds in used.items() if name != "wall"}


def cpu_cells(used: dict[str, float], round_trips: int) -> dict[str, str]:
    """Who used the cores during a phase (``other work``: see ``other_work``), and the gateways' CPU per round
    trip."""
    if not used:
        return {}
    share = shares(used)
    gateways = gateway_names(used)
    nan = float("nan")
    return {
        "CPU %: gateways (their event loops)": " + ".join(f"{share[g]:.0f} ({share[g + ' loop']:.0f})"
                                                         for g in gateways),
        "  agents / storefront (the load generator)": f"{share['agents']:.0f} / {share['storefront']:.0f}",
        "  redis-server / PostgreSQL: our db (whole server)": f"{share.get('redis', nan):.0f} / "
                                                             f"{share.get('our db', nan):.0f} "
                                                             f"({share.get('postgres', nan):.0f})",
        "  machine (of 100 x cores) / other work": f"{share['machine']:.0f} of {100 * os.cpu_count()} / "
                                                   f"{other_work(used):.0f}",
        "gateway CPU per round trip, ms (all processes)": f"{per_trip(used, round_trips):.2f}" if round_trips else "-",
    }


def other_work(used: dict[str, float]) -> float:
    """% of one core the machine was busy outside the processes measured: other users' work, the kernel."""
    share = shares(used)
    return share["machine"] - sum(share.get(name, 0.0) for name in our_names(used))


def cpu_rows(phases: list[tuple[dict[str, float], int]]) -> list[tuple[str, list[str]]]:
    cells = [cpu_cells(used, trips) for used, trips in phases]
    names = next((list(c) for c in cells if c), [])
    return [(name, [c.get(name, "-") for c in cells]) for name in names]


def print_table(header: list[str], rows: list[tuple[str, list[str]]], width: int = 30) -> None:
    print(f"{'':48}" + "".join(f"{h:>{width}}" for h in header))
    for name, cells in rows:
        print(f"{name:48}" + "".join(f"{c:>{width}}" for c in cells))


def pair(values: tuple[float, ...], digits: int = 1) -> str:
    """p50 / p99; ``none`` when no reply counted (load.py's open-loop figure above saturation: all were late)."""
    if any(math.isnan(value) for value in values):
        return "none"
    return f"{values[0]:,.{digits}f} / {values[1]:,.{digits}f}"


def report_throughput(results: list[Figures]) -> None:
    base = results[0].saturation if results[0].label.startswith("1 ") else 0.0
    rows = [("saturation, msg/s (closed loop)", [f"{f.saturation:,.0f}" for f in results]),
            ("  speed-up over 1 process", [f"{f.saturation / base:.2f} x" if base else "-" for f in results]),
            ("  round trip p50 / p99, ms", [pair(f.saturation_ms) for f in results]),
            *cpu_rows([(f.cpu, f.round_trips) for f in results]),
            ("late / lost replies, errors", [f"{f.late} / {f.lost}, {sum(f.errors.values())}" for f in results])]
    print("\n(a) throughput: POSTs and agents round robin over the processes, the storefront socket on the first")
    print_table([f.label for f in results], rows)


def report_cross(figures: Figures, phases: list[Legs]) -> None:
    print("\n(b) cross-process, 2 processes: POSTs and the storefront socket on A, every agent on B")
    columns = [figures.rates[leg.rate] for leg in phases]
    rows = [("saturation in this layout, msg/s", [f"{figures.saturation:,.0f}"] + [""] * len(phases)),
            ("POST sent -> agent gets it on B: p50 / p99, ms", ["-"] + [pair(leg.to_agent, 2) for leg in phases]),
            ("agent reply -> storefront on A: p50 / p99, ms", ["-"] + [pair(leg.to_storefront, 2) for leg in phases]),
            ("round trip from the POST: p50 / p99, ms", ["-"] + [pair(leg.round_trip, 2) for leg in phases]),
            ("  from the schedule, back within 10 s (load.py)",
             [pair(figures.saturation_ms)] + [pair((r.p50, r.p99), 2) for r in columns]),
            ("sent msg/s (the sender's own lag p99, ms)", ["-"] + [f"{r.sent_rate:,.0f} ({r.lag_p99:.1f})"
                                                                  for r in columns]),
            ("messages timed (after the first second)", ["-"] + [f"{leg.count:,}" for leg in phases]),
            ("replies not back 10 s after the phase", [f"{figures.late - sum(r.late for r in columns)}"]
             + [f"{r.late}" for r in columns]),
            *cpu_rows([(figures.cpu, figures.round_trips)] + [(r.cpu, r.round_trips) for r in columns])]
    print_table(["saturation"] + [f"{leg.rate:,.0f} msg/s offered" for leg in phases], rows)
    print(f"lost replies (never back) {figures.lost}, error responses {sum(figures.errors.values())}")


def print_verdicts(results: list[Figures], cross: Figures | None, phases: list[Legs],
                   args: argparse.Namespace) -> None:
    """The issue's two targets, each with what limited it."""
    by_n = {int(f.label.split()[0]): f for f in results}
    if 1 in by_n and by_n[1].saturation and by_n[1].round_trips:
        print_scaling(by_n)
    if cross is None:
        return
    for leg in phases:
        worst = max(leg.to_agent[1], leg.to_storefront[1])
        verdict = "met" if worst <= 10 else "NOT met"
        above = (f"; {leg.rate:,.0f} msg/s is ABOVE this layout's saturation ({cross.saturation:,.0f} msg/s), so "
                 f"this measures a growing queue") if leg.rate > cross.saturation else ""
        target = {args.rate: " (the target's rate)", args.floor_rate: " (the floor rate)"}.get(
            leg.rate, f" ({args.below:.0%} of saturation)")
        print(f"cross-process p99 at {leg.rate:,.0f} msg/s{target}: to the agent {leg.to_agent[1]:,.2f} ms, to the "
              f"storefront {leg.to_storefront[1]:,.2f} ms  (target <= 10 ms: {verdict}{above})")


def print_scaling(by_n: dict[int, Figures]) -> None:
    """Speed-ups as measured, and what the cores allow: on 2 cores shared with the load generator, Redis and
    PostgreSQL (and whatever else the machine is doing) the measured ratio moves with the machine's other work,
    while the CPU each message costs hardly does; so the ceiling is worked out from those costs."""
    one = by_n[1]
    for n, figures in sorted(by_n.items()):
        if n == 1:
            continue
        ratio = figures.saturation / one.saturation
        verdict = f"  (target >= 1.6: {'met' if ratio >= 1.6 else 'NOT met'})" if n == 2 else ""
        print(f"{n} processes / 1: {ratio:.2f} x measured{verdict}")
        before, after = other_work(one.cpu), other_work(figures.cpu)
        if abs(before - after) > 25:
            print(f"  not like for like: other work took {before:.0f}% of a core during the 1-process phase and "
                  f"{after:.0f}% during the {n}-process one")
        low, high = cpu_bound(one, 1), cpu_bound(figures, n)
        print(f"  what the cores allow at the CPU each message cost here, with no other work: 1 process <= "
              f"{low[0]:,.0f} msg/s ({low[1]}), {n} processes <= {high[0]:,.0f} msg/s ({high[1]}): <= "
              f"{high[0] / low[0]:.2f} x")


def cpu_bound(figures: Figures, n: int) -> tuple[float, str]:
    """The most msg/s the measured CPU per round trip allows on this machine alone, and what sets it: each
    gateway process is one event loop (one core at most), and all we run shares the cores. The gateways' CPU
    per round trip grows with N (cross-process hops, every process polling Redis), so it is taken from the
    N-process phase itself."""
    used, trips = figures.cpu, max(1, figures.round_trips)
    gateway_ms = per_trip(used, trips)
    all_ms = 1000 * sum(used.get(name, 0.0) for name in our_names(used)) / trips
    loops, cores = n * 1000 / gateway_ms, os.cpu_count() * 1000 / all_ms
    if loops <= cores:
        return loops, f"{n} event loop{'s' if n > 1 else ''} at {gateway_ms:.2f} ms a message"
    return cores, f"{os.cpu_count()} cores at {all_ms:.2f} ms a message, all of it"


def gateway_cpu_per_trip(figures: Figures) -> float:
    return per_trip(figures.cpu, figures.round_trips)


def per_trip(used: dict[str, float], round_trips: int) -> float:
    """The gateway processes' CPU per round trip, ms: the figure least moved by other work on the machine."""
    return 1000 * sum(used[name] for name in gateway_names(used)) / max(1, round_trips)


def gateway_names(used: dict[str, float]) -> list[str]:
    return sorted(name for name in used if name.startswith("gw") and not name.endswith("loop"))


def our_names(used: dict[str, float]) -> tuple[str, ...]:
    """Everything the bench runs or loads: the gateways, the load generator, Redis and our database."""
    return (*gateway_names(used), "agents", "storefront", "redis", "our db")


def print_notes(figures: Figures) -> None:
    for error, n in figures.errors.most_common(5):
        print(f"{figures.label} errors: {n} x {error}")
    print(f"{figures.label}: agents received {dict(figures.agents)}")
    for note in figures.notes:
        print(f"{figures.label}: {note}")


# --- main ---------------------------------------------------------------------------------------------------------

def dsn(args: argparse.Namespace, database: str, scheme: str = "postgresql") -> str:
    """The URL of ``database`` on the server of ``--postgres`` (same user and host)."""
    return f"{scheme}://{urlsplit(args.postgres).netloc}/{database}"


def machine_load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


async def main(args: argparse.Namespace) -> None:
    with scratch_dir("gateway-cluster-", args.keep_tmp) as tmp:
        began = time.monotonic()
        print(f"scale-out cluster bench: {args.customers} customers, {args.agents} agents, {args.duration:g} s per "
              f"phase; Redis {args.redis}, PostgreSQL {urlsplit(args.postgres).netloc}; temp dir {tmp}", flush=True)
        print(f"before: {machine_load()}", flush=True)
        results = [await throughput(n, tmp, args) for n in args.processes]
        cross, phases = await cross_process(tmp, args) if not args.skip_cross else (None, [])
        print(f"after: {machine_load()}; the whole run took {time.monotonic() - began:.0f} s")
        if results:
            report_throughput(results)
        if cross:
            report_cross(cross, phases)
        print()
        print_verdicts(results, cross, phases, args)
        for figures in [*results, *([cross] if cross else [])]:
            print_notes(figures)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3],
                        help="cluster sizes to measure throughput for (default: 1 2 3)")
    parser.add_argument("--customers", type=int, default=200, help="storefront customers (default 200)")
    parser.add_argument("--agents", type=int, default=20, help="agent WebSockets (default 20)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase (default 10)")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="open-loop msg/s for the cross-process latency (default 1000, the target's)")
    parser.add_argument("--below", type=float, default=0.7,
                        help="when --rate is above the layout's saturation, also measure at this share of it "
                             "(default 0.7; 0: don't)")
    parser.add_argument("--floor-rate", type=float, default=50.0,
                        help="also measure the legs at this low rate, to see the floor under them (default 50; 0: "
                             "don't)")
    parser.add_argument("--overload-duration", type=float, default=3.0,
                        help="seconds of the --rate phase when that rate is above saturation (default 3)")
    parser.add_argument("--skip-cross", action="store_true", help="leave out the cross-process latency part")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14",
                        help="Redis URL; keys go under a fresh prefix and are deleted afterwards (default db 14)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin DSN; each cluster gets a fresh database on that server, dropped afterwards")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (configs, gateway logs)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
