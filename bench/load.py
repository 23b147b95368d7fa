"""Load generator: the gateway against a bare aiohttp WebSocket relay, the figures issue 2 asks for.

    .venv/bin/python bench/load.py [--customers 200] [--agents 20] [--duration 10] [--rate 1000]
                                   [--low-rate 200] [--skip-rss] [--keep-tmp]

Three processes on 127.0.0.1 besides the server under test: this one (the storefront: one WebSocket carrying
every customer), an agents process (``--serve-agents URL``: M agent WebSockets answering every
``customer.message`` with ``agent.reply``), and, in turn:

(a) the gateway, ``python -m gateway serve`` on a free port with a temporary config (durable SQLite file in a
    temporary directory, one storefront with no ``callback_url``, so replies come back as ``agent.message``
    on the storefront WebSocket; agents with ``max_concurrent`` 1000);
(b) the bare relay in this file (``--serve-relay PORT``): customer frame -> ack + agent socket, agent reply ->
    storefront socket + ack; no storage, no routing beyond round robin.

A round trip runs from sending ``customer.message`` until its ``agent.message`` is back on the storefront
socket (matched by a reference the agent puts in its reply). Phases per server: saturation (closed loop: each
customer sends again when its reply arrives), then open loop at ``--rate`` and at ``--low-rate`` (latency from
each message's scheduled send time, so a late sender cannot hide queueing); then, on the gateway only, 10,000
new customers with one message each and the gateway's VmRSS. Each phase also reports every process's CPU, and
the server's CPU per round trip, the figure least moved by other work on a shared machine. Targets: the
gateway adds <= 5 ms p99 over the relay at 1,000 msg/s; its saturation throughput is >= 10% of the relay's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web
from processes import HOST, free_port, scratch_dir, start_server, stop

STOREFRONT_TOKEN = "bench-storefront-token"
# Pre-sales questions, each customer going through all 48 in turn and agents through 5 replies per conversation:
# a customer repeating a question, or an agent a canned reply, reads as anger to the gateway's emotion step and
# would escalate every conversation of the run.
TEXTS = tuple(subject + question
              for question in ("是什么材质的？", "有几种颜色可以选？", "M码适合多高的人穿？", "可以机洗吗？",
                               "现在买有优惠吗？", "能开发票吗？")
              for subject in ("这件外套", "这条裤子", "这双鞋", "这个包", "这款T恤", "这件毛衣", "这顶帽子",
                              "这条围巾"))
REPLIES = ("好的亲，这边帮您查一下", "亲，稍等我确认一下", "收到，马上为您核实", "亲亲，这个问题我来帮您看看",
           "明白了，请您稍候片刻")
WARMUP = 1.0      # seconds at the start of a phase left out of its figures
DRAIN = 10.0      # longest wait for the replies still outstanding when a phase stops sending
clock = time.perf_counter


def dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def agent_token(i: int) -> str:
    return f"bench-agent-{i:02d}"


# --- (b) the bare relay --------------------------------------------------------------------------------------

def relay_app() -> web.Application:
    """customer frame -> ack + agent socket (sticky round robin); agent reply -> newest storefront socket + ack."""
    storefronts: list[web.WebSocketResponse] = []
    agents: list[web.WebSocketResponse] = []
    owner: dict[str, web.WebSocketResponse] = {}
    turn = itertools.count()

    async def storefront_ws(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        storefronts.append(ws)
        try:
            async for frame in ws:
                data = json.loads(frame.data)
                conversation = data["customer_id"]
                await ws.send_str(dumps({"type": "ack", "message_id": data["message_id"],
                                         "conversation_id": conversation, "duplicate": False}))
                agent = owner.get(conversation)
                if agent is None or agent.closed:
                    agent = owner[conversation] = agents[next(turn) % len(agents)]
                message = {k: data.get(k) for k in ("message_id", "customer_id", "text")}
                await agent.send_str(dumps({"type": "customer.message", "conversation_id": conversation,
                                            "message": message}))
        finally:
            storefronts.remove(ws)
        return ws

    async def agent_ws(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        agents.append(ws)
        try:
            async for frame in ws:
                data = json.loads(frame.data)
                conversation = data["conversation_id"]
                await storefronts[-1].send_str(dumps({
                    "type": "agent.message", "delivery_id": uuid.uuid4().hex, "conversation_id": conversation,
                    "customer_id": conversation, "text": data["text"], "kind": "reply"}))
                await ws.send_str(dumps({"type": "ack", "client_msg_id": data["client_msg_id"],
                                         "conversation_id": conversation}))
        finally:
            agents.remove(ws)
        return ws

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/v1/storefront/ws", storefront_ws)
    app.router.add_get("/v1/agent/ws", agent_ws)
    app.router.add_get("/readyz", healthz)
    return app


# --- the agents process ----------------------------------------------------------------------------------------

async def serve_agents(base_urls: list[str], count: int, stamp: bool = False) -> None:
    """Connect ``count`` agents, round robin over ``base_urls`` (several gateway processes share one cluster),
    print ``ready``, answer until stdin closes, then print counts as JSON. With ``stamp``, the JSON also holds
    ``stamps``: message_id -> [received, replied] on ``clock``, which is CLOCK_MONOTONIC on Linux and so
    comparable with the storefront process's clock (bench/cluster.py splits round trips into legs with it)."""
    stats: Counter[str] = Counter()
    stamps: dict[str, tuple[float, float]] | None = {} if stamp else None
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(f"{base_urls[i % len(base_urls)]}/v1/agent/ws", max_msg_size=0,
                                            headers={"Authorization": f"Bearer {agent_token(i)}"})
                   for i in range(count)]
        tasks = [asyncio.create_task(answer(ws, i, stats, stamps)) for i, ws in enumerate(sockets)]
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for task in tasks:
            task.cancel()
        for ws in sockets:
            await ws.close()
    print(json.dumps(stats if stamps is None else {**stats, "stamps": stamps}), flush=True)


async def answer(ws: aiohttp.ClientWebSocketResponse, agent: int, stats: Counter[str],
                 stamps: dict[str, tuple[float, float]] | None = None) -> None:
    sent = itertools.count()
    answered: Counter[str] = Counter()
    async for frame in ws:
        received = clock()
        event = json.loads(frame.data)
        kind = event.get("type")
        stats[kind] += 1
        if kind == "customer.message":
            conversation, ref = event["conversation_id"], event["message"]["message_id"]
            text = f"{REPLIES[answered[conversation] % len(REPLIES)]}〔{ref}〕"
            answered[conversation] += 1
            if stamps is not None:
                stamps[ref] = (received, clock())
            await ws.send_str(dumps({"type": "agent.reply", "conversation_id": conversation,
                                     "client_msg_id": f"a{agent}-{next(sent)}", "text": text}))
        elif kind in ("error", "reply.rejected"):
            stats[f"{kind}:{event.get('error', {}).get('code') or event.get('reasons')}"] += 1


# --- the storefront side (this process) ------------------------------------------------------------------------

@dataclass
class Tally:
    """One phase's messages: when each reply came back and how long its round trip took."""
    sent: int = 0
    acked: int = 0
    failed: int = 0
    times: list[tuple[float, float]] = field(default_factory=list)   # (reply arrival, round trip)
    errors: Counter[str] = field(default_factory=Counter)
    conversations: set[str] = field(default_factory=set)
    on_reply: Callable[[str, float], Awaitable[None]] | None = None

    @property
    def outstanding(self) -> int:
        return self.sent - len(self.times) - self.failed


class Storefront:
    """The storefront's one WebSocket: sends customer messages and matches each ``agent.message`` to its message."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.run = uuid.uuid4().hex[:6]
        self.ids = itertools.count()
        self.pending: dict[str, tuple[float, str, Tally]] = {}   # message_id -> (start, customer, tally)
        self.unacked: dict[str, Tally] = {}
        self.deliveries: set[str] = set()
        self.duplicate_deliveries = 0
        self.unmatched = 0
        self.asked: Counter[str] = Counter()
        self.reader = asyncio.create_task(self._read())
        self.reader.add_done_callback(_report_crash)

    async def send(self, tally: Tally, customer: str, started: float | None = None) -> None:
        message_id = f"{self.run}-{next(self.ids)}"
        text = TEXTS[self.asked[customer] % len(TEXTS)]
        self.asked[customer] += 1
        self.pending[message_id] = (clock() if started is None else started, customer, tally)
        self.unacked[message_id] = tally
        tally.sent += 1
        await self._transmit(message_id, {"type": "customer.message", "message_id": message_id,
                                          "customer_id": customer, "text": text})

    async def _transmit(self, message_id: str, frame: dict) -> None:
        """Hand one customer message to the server: here a frame on the storefront socket (bench/cluster.py
        overrides this to POST it instead, to several gateway processes)."""
        await self.ws.send_str(dumps(frame))

    def _acked(self, message_id: str, conversation_id: str) -> None:
        tally = self.unacked.pop(message_id, None)
        if tally:
            tally.acked += 1
            tally.conversations.add(conversation_id)

    def _refused(self, message_id: str | None, error: str) -> None:
        entry = self.pending.pop(message_id, None)
        self.unacked.pop(message_id, None)
        if entry:
            entry[2].failed += 1
            entry[2].errors[error] += 1

    async def drained(self, tally: Tally, timeout: float = DRAIN) -> None:
        end = clock() + timeout
        while tally.outstanding and clock() < end:
            await asyncio.sleep(0.02)

    async def _read(self) -> None:
        async for frame in self.ws:
            event = json.loads(frame.data)
            kind = event.get("type")
            if kind == "agent.message":
                await self._reply(event)
            elif kind == "ack":
                self._acked(event["message_id"], event["conversation_id"])
            elif kind == "error":
                self._refused(event.get("ref"), f"{event['error']['code']}: {event['error']['message'][:80]}")

    async def _reply(self, event: dict) -> None:
        now = clock()
        if event["delivery_id"] in self.deliveries:
            self.duplicate_deliveries += 1
            return
        self.deliveries.add(event["delivery_id"])
        ref = reference(event["text"])
        entry = self.pending.pop(ref, None)
        if entry is None:
            self.unmatched += 1
            return
        started, customer, tally = entry
        tally.times.append((now, now - started))
        if tally.on_reply:
            await tally.on_reply(customer, now)


def reference(reply_text: str) -> str:
    """The message_id an agent quoted at the end of its reply (see ``answer``)."""
    return reply_text.rpartition("〔")[2].rstrip("〕")


def _report_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception():
        print(f"storefront reader failed: {task.exception()!r}", file=sys.stderr, flush=True)


async def closed_loop(sf: Storefront, customers: int, duration: float) -> tuple[Tally, float, float]:
    """Every customer keeps one message in flight for ``duration``; returns (tally, window start, window end)."""
    tally = Tally()
    start = clock()
    end = start + duration

    async def again(customer: str, now: float) -> None:
        if now < end:
            await sf.send(tally, customer)

    tally.on_reply = again
    for c in range(customers):
        await sf.send(tally, f"cust-{c:05d}")
    await asyncio.sleep(end - clock())
    await sf.drained(tally)
    return tally, start + WARMUP, end


async def open_loop(sf: Storefront, customers: int, rate: float, duration: float) -> tuple[Tally, list[float]]:
    """``rate`` messages a second on a fixed schedule, customers in turn; returns (tally, send lags)."""
    tally, lags = Tally(), []
    start = clock() + 0.05
    for k in range(int(rate * duration)):
        due = start + k / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        elif k % 20 == 0:
            await asyncio.sleep(0)  # behind schedule: still let the reader run
        lags.append(clock() - due)
        await sf.send(tally, f"cust-{k % customers:05d}", started=due)
    await sf.drained(tally)
    return tally, lags


async def open_conversations(sf: Storefront, total: int, window: int, timeout: float) -> Tally:
    """``total`` new customers, one message each, ``window`` of them waiting for their reply at a time."""
    tally, names = Tally(), (f"new-{i:05d}" for i in range(total))

    async def next_customer(_customer: str, _now: float) -> None:
        customer = next(names, None)
        if customer:
            await sf.send(tally, customer)

    tally.on_reply = next_customer
    for customer in itertools.islice(names, window):
        await sf.send(tally, customer)
    end = clock() + timeout
    while (tally.sent < total or tally.outstanding) and clock() < end:
        await asyncio.sleep(0.1)
    return tally


# --- processes -------------------------------------------------------------------------------------------------

def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU of a process (all its threads, living or gone), or of one of its threads."""
    stat = Path(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat")
    fields = stat.read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def start_agents(urls: list[str], count: int, stamp: bool = False) -> asyncio.subprocess.Process:
    """The agents process, its agents connected round robin to ``urls``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-agents", ",".join(urls), "--agents", str(count),
        *(["--stamp"] if stamp else []), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    if line.strip() != b"ready":
        raise RuntimeError(f"agents did not connect: {line!r}")
    return proc


async def stop_agents(proc: asyncio.subprocess.Process) -> dict:
    proc.stdin.close()
    out = await asyncio.wait_for(proc.stdout.read(), 30)
    await proc.wait()
    return json.loads(out or b"{}")


def gateway_config(tmp: Path, port: int, agents: int, **overrides: dict) -> Path:
    """The bench gateway's config; ``overrides`` replace top-level sections (bench/cluster.py: database, state)."""
    config = {
        "server": {"host": HOST, "port": port},
        "database": {"url": f"sqlite:///{tmp}/gateway.db"},
        "storefronts": [{"id": "bench-shop", "token": STOREFRONT_TOKEN}],
        "agents": [{"id": f"bench-a{i:02d}", "name": f"坐席{i:02d}", "token": agent_token(i), "role": "agent",
                    "max_concurrent": 1000} for i in range(agents)],
        **overrides,
    }
    path = tmp / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


# --- one run ---------------------------------------------------------------------------------------------------

@dataclass
class Rate:
    """One open-loop phase: round-trip p50/p99 (ms), the rate actually sent, the sender's own lag p99 (ms)."""
    p50: float
    p99: float
    sent_rate: float
    lag_p99: float
    late: int
    round_trips: int
    cpu: dict[str, float]


@dataclass
class Figures:
    label: str
    saturation: float = 0.0
    saturation_ms: tuple[float, ...] = (0.0, 0.0)
    round_trips: int = 0
    rates: dict[float, Rate] = field(default_factory=dict)
    late: int = 0      # replies not back within DRAIN seconds after their phase stopped sending
    lost: int = 0      # replies that never came back
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)
    agents: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def quantiles(values: list[float], *qs: float) -> tuple[float, ...]:
    ordered = sorted(values) or [float("nan")]
    return tuple(ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in qs)


class CpuMeter:
    """Each process's CPU over a phase, in % of one core: what limits the figures on a shared 2-core machine.
    ``loop`` is the server's main thread (its event loop); the rest of ``server`` is its worker threads."""

    def __init__(self, pids: dict[str, int], loops: dict[str, str] | None = None) -> None:
        """``loops``: {key: process name} of the main threads to measure too (several servers in a cluster)."""
        self.pids = pids
        self.loops = {"loop": "server"} if loops is None else loops

    def sample(self) -> tuple[float, dict[str, float]]:
        used = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        loops = {key: cpu_seconds(self.pids[name], self.pids[name]) for key, name in self.loops.items()}
        return clock(), {**used, **loops, "storefront": time.process_time()}

    def since(self, before: tuple[float, dict[str, float]]) -> dict[str, float]:
        """CPU seconds of each process since ``before``, and the wall-clock seconds as ``wall``."""
        now, used = self.sample()
        return {"wall": now - before[0], **{name: used[name] - before[1][name] for name in used}}


def account(figures: Figures, tally: Tally) -> None:
    figures.late += tally.outstanding
    figures.errors.update(tally.errors)


async def settle(sf: Storefront, timeout: float = 60.0) -> None:
    """Wait for every reply still owed, so that one phase's backlog does not run into the next."""
    end = clock() + timeout
    while sf.pending and clock() < end:
        await asyncio.sleep(0.05)


async def measure(label: str, url: str, server_pid: int, args: argparse.Namespace,
                  extra: Callable[[Storefront, Figures], Awaitable[None]] | None = None) -> Figures:
    figures = Figures(label)
    agents = await start_agents([url], args.agents)
    meter = CpuMeter({"server": server_pid, "agents": agents.pid})
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/v1/storefront/ws", max_msg_size=0,
                                      headers={"Authorization": f"Bearer {STOREFRONT_TOKEN}"})
        sf = Storefront(ws)
        await saturation(sf, figures, meter, args)
        for rate in (args.rate, args.low_rate):
            if rate > 0:
                await settle(sf)
                await fixed_rate(sf, figures, meter, args, rate)
        await settle(sf)
        if extra:
            await extra(sf, figures)
            await settle(sf)
        await finish(sf, figures)
    figures.agents = await stop_agents(agents)
    return figures


async def finish(sf: Storefront, figures: Figures) -> None:
    """Count the replies never back and any duplicate or unmatched ones, then close the storefront socket."""
    figures.lost = len(sf.pending)
    if sf.duplicate_deliveries or sf.unmatched:
        figures.notes.append(f"{sf.duplicate_deliveries} duplicate deliveries, {sf.unmatched} unmatched replies")
    await sf.ws.close()
    sf.reader.cancel()


async def saturation(sf: Storefront, figures: Figures, meter: CpuMeter, args: argparse.Namespace) -> None:
    before = meter.sample()
    tally, start, end = await closed_loop(sf, args.customers, args.duration)
    figures.cpu = meter.since(before)
    window = [rtt for arrived, rtt in tally.times if start <= arrived <= end]
    figures.saturation = len(window) / (end - start)
    figures.saturation_ms = tuple(1000 * q for q in quantiles(window, 0.5, 0.99))
    figures.round_trips = len(tally.times)
    account(figures, tally)
    print(f"  {figures.label}: saturation {figures.saturation:,.0f} msg/s ({len(tally.times):,} round trips, "
          f"{tally.outstanding} not back {DRAIN:.0f} s after the phase)", flush=True)


async def fixed_rate(sf: Storefront, figures: Figures, meter: CpuMeter, args: argparse.Namespace,
                     rate: float) -> None:
    await asyncio.sleep(1.0)
    before = meter.sample()
    tally, lags = await open_loop(sf, args.customers, rate, args.duration)
    cpu_used = meter.since(before)
    first_due = min(arrived - rtt for arrived, rtt in tally.times) if tally.times else 0.0
    steady = [rtt for arrived, rtt in tally.times if arrived - rtt >= first_due + WARMUP]
    p50, p99 = (1000 * q for q in quantiles(steady, 0.5, 0.99))
    sent_rate = (len(lags) - 1) / ((len(lags) - 1) / rate + lags[-1])
    figures.rates[rate] = Rate(p50, p99, sent_rate, 1000 * quantiles(lags, 0.99)[0], tally.outstanding,
                               len(tally.times), cpu_used)
    account(figures, tally)
    print(f"  {figures.label}: {rate:,.0f} msg/s p50 {p50:,.2f} ms p99 {p99:,.2f} ms "
          f"({tally.outstanding} not back {DRAIN:.0f} s after the phase)", flush=True)


async def run_relay(tmp: Path, args: argparse.Namespace) -> Figures:
    port = free_port()
    url = f"http://{HOST}:{port}"
    proc = await start_server([sys.executable, __file__, "--serve-relay", str(port)], tmp / "relay.log", url)
    try:
        return await measure("bare relay", url, proc.pid, args)
    finally:
        await stop(proc)


async def run_gateway(tmp: Path, args: argparse.Namespace) -> tuple[Figures, dict[str, float]]:
    port = free_port()
    url = f"http://{HOST}:{port}"
    config = gateway_config(tmp, port, args.agents)
    log = tmp / "gateway.log"
    proc = await start_server([sys.executable, "-m", "gateway", "serve", "--config", str(config)], log, url)
    rss = {"after start-up": rss_mib(proc.pid)}

    async def many_conversations(sf: Storefront, figures: Figures) -> None:
        rss["after the load phases"] = rss_mib(proc.pid)
        if args.skip_rss:
            return
        tally = await open_conversations(sf, args.conversations, args.customers, timeout=300)
        await settle(sf)
        await asyncio.sleep(1.0)
        rss[f"with {len(tally.conversations):,} more conversations open"] = rss_mib(proc.pid)
        account(figures, tally)
        print(f"  gateway: {tally.acked:,} new customers acked, {len(tally.conversations):,} new conversations, "
              f"{len(tally.times):,} replies", flush=True)

    try:
        figures = await measure("gateway", url, proc.pid, args, many_conversations)
    finally:
        alive = proc.returncode is None
        await stop(proc)
    figures.notes += log_problems(log, alive) + database_counts(tmp / "gateway.db")
    return figures, rss


def log_problems(log: Path, alive: bool) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    bad = [line for line in lines if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")]
    warnings = sum(" WARNING " in line for line in lines)
    notes = [] if alive else ["the gateway process died during the run"]
    if bad or warnings:
        notes.append(f"gateway log: {len(bad)} error lines, {warnings} warnings; first: {(bad or [''])[0][:300]}")
    return notes


def database_counts(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        roles = dict(db.execute("SELECT role, count(*) FROM messages GROUP BY role").fetchall())
        status = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
        conversations = db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    return [f"SQLite after shutdown: {conversations:,} conversations, messages {roles}, deliveries {status}"]


# --- report ----------------------------------------------------------------------------------------------------

def cpu(used: dict[str, float]) -> str:
    """% of one core: server (its event loop) / agents / storefront."""
    if not used:
        return "-"
    share = {name: 100 * seconds / used["wall"] for name, seconds in used.items()}
    return "{server:.0f} ({loop:.0f}) / {agents:.0f} / {storefront:.0f}".format_map(share)


def cpu_per_trip(used: dict[str, float], round_trips: int) -> str:
    """Server CPU per round trip, ms: unlike throughput, hardly moved by other work on the machine."""
    return f"{1000 * used['server'] / round_trips:.3f}" if used and round_trips else "-"


def rate_rows(relay: Figures, gateway: Figures, rate: float) -> list[tuple[str, str, str]]:
    a, b = relay.rates.get(rate), gateway.rates.get(rate)
    if not (a and b):
        return []
    return [(f"{rate:,.0f} msg/s open loop: p50 / p99, ms", f"{a.p50:,.2f} / {a.p99:,.2f}",
             f"{b.p50:,.2f} / {b.p99:,.2f}"),
            ("  sent msg/s (sender's own lag p99, ms)", f"{a.sent_rate:,.0f} ({a.lag_p99:.1f})",
             f"{b.sent_rate:,.0f} ({b.lag_p99:.1f})"),
            ("  CPU %: server (its loop) / agents / sf", cpu(a.cpu), cpu(b.cpu)),
            ("  server CPU per round trip, ms", cpu_per_trip(a.cpu, a.round_trips),
             cpu_per_trip(b.cpu, b.round_trips))]


def report(relay: Figures, gateway: Figures, rss: dict[str, float], args: argparse.Namespace) -> None:
    rows = [("saturation, msg/s (closed loop)", f"{relay.saturation:,.0f}", f"{gateway.saturation:,.0f}"),
            ("  round trip p50 / p99, ms", "{:,.1f} / {:,.1f}".format(*relay.saturation_ms),
             "{:,.1f} / {:,.1f}".format(*gateway.saturation_ms)),
            ("  CPU %: server (its loop) / agents / sf", cpu(relay.cpu), cpu(gateway.cpu)),
            ("  server CPU per round trip, ms", cpu_per_trip(relay.cpu, relay.round_trips),
             cpu_per_trip(gateway.cpu, gateway.round_trips))]
    for rate in (args.rate, args.low_rate):
        rows += rate_rows(relay, gateway, rate)
    rows.append(("late / lost replies, error frames", f"{relay.late} / {relay.lost}, {sum(relay.errors.values())}",
                 f"{gateway.late} / {gateway.lost}, {sum(gateway.errors.values())}"))
    print(f"\n{args.customers} customers on one storefront WebSocket, {args.agents} agent WebSockets, "
          f"{args.duration:g} s per phase, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"{'':44} {'bare relay':>20} {'gateway':>20}")
    for name, a, b in rows:
        print(f"{name:44} {a:>20} {b:>20}")
    print_verdicts(relay, gateway, args)
    for name, mib in rss.items():
        print(f"gateway RSS {name}: {mib:,.1f} MiB")
    if len(rss) == 3 and not args.skip_rss:
        before, after = list(rss.values())[1:]
        print(f"  i.e. {(after - before) * 1024 / args.conversations:.1f} KiB per open conversation")
    for figures in (relay, gateway):
        for error, n in figures.errors.most_common(5):
            print(f"{figures.label} error frames: {n} x {error}")
        print(f"{figures.label}: agents received {dict(figures.agents)}")
        for note in figures.notes:
            print(f"{figures.label}: {note}")


def print_verdicts(relay: Figures, gateway: Figures, args: argparse.Namespace) -> None:
    ratio = gateway.saturation / relay.saturation if relay.saturation else float("nan")
    print(f"gateway/relay throughput ratio: {ratio:.3f}  (target >= 0.10: {'met' if ratio >= 0.10 else 'NOT met'})")
    for rate in (args.rate, args.low_rate):
        if rate in relay.rates and rate in gateway.rates:
            added = gateway.rates[rate].p99 - relay.rates[rate].p99
            verdict = "met" if added <= 5 else "NOT met"
            beyond = "; the rate is above the gateway's saturation" if rate > gateway.saturation else ""
            print(f"gateway's added p99 at {rate:,.0f} msg/s: {added:+,.2f} ms  (target <= 5 ms: {verdict}{beyond})")


async def main(args: argparse.Namespace) -> None:
    with scratch_dir("gateway-bench-", args.keep_tmp) as tmp:
        print(f"bare relay ... (temp dir {tmp})", flush=True)
        relay = await run_relay(tmp, args)
        print("gateway ...", flush=True)
        gateway, rss = await run_gateway(tmp, args)
        report(relay, gateway, rss, args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop messages per second")
    parser.add_argument("--low-rate", type=float, default=200.0,
                        help="a second open-loop rate, one the gateway can sustain (0: skip)")
    parser.add_argument("--conversations", type=int, default=10_000, help="new conversations for the RSS figure")
    parser.add_argument("--skip-rss", action="store_true", help="leave out the 10,000-conversation RSS phase")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (config, logs, SQLite file)")
    parser.add_argument("--serve-relay", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-agents", metavar="URL[,URL...]", help=argparse.SUPPRESS)
    parser.add_argument("--stamp", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    if options.serve_relay:
        web.run_app(relay_app(), host=HOST, port=options.serve_relay, print=None, access_log=None)
    elif options.serve_agents:
        asyncio.run(serve_agents(options.serve_agents.split(","), options.agents, options.stamp))
    else:
        asyncio.run(main(options))
