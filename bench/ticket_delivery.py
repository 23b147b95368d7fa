"""Delivery bench (issue 6): 1,000 tickets to a flaky team endpoint that also goes down for 10 s, across a
gateway SIGKILL.

    .venv/bin/python bench/ticket_delivery.py [--tickets 1000] [--rate 50] [--fail 0.3] [--outage 10]
                                              [--outage-at 400] [--kill-at 500] [--seed 6] [--keep-tmp]

Everything on 127.0.0.1. This process is the storefront and the team endpoint; the gateway is a separate
process (``python -m gateway serve`` on a free port, temporary config and SQLite file, one team ``logistics``
whose ``webhook_url`` is the endpoint, watchdog stages off, ``tickets:`` tuned for the bench).

- **Team endpoint** (aiohttp, in this process): checks ``X-Signature`` and that ``X-Delivery-Id`` matches the
  body, fails ``--fail`` (30%) of the requests at random with 500 before looking at them, and otherwise
  dedupes on the ticket id: a ticket it already has is answered 200 again and counted as a duplicate
  delivery. During the outage its listening socket is closed (connection refused) and a request arriving on a
  connection the gateway kept alive gets 503 and the connection is closed.
- **Customers**: ``--tickets`` customers, each with its own ``order_id``, post one logistics-delay message each
  (``POST /v1/storefront/messages``) at ``--rate`` messages/s, open loop. When ``--outage-at`` messages have
  been acknowledged the endpoint goes down for ``--outage`` s; when ``--kill-at`` have been acknowledged (by
  default 2 s into the outage) the gateway gets SIGKILL ``--kill-delay`` after its next post went out, is
  restarted on the same database, and the storefront posts again every message that got no answer (same
  ``message_id``) and then the rest. ``--kill-at`` below ``--outage-at`` kills it with the endpoint up instead.
- **Checks**: every order acknowledged by the gateway must reach the endpoint's dedupe exactly once as one
  ticket (none lost, no order with two tickets), nothing may dead-letter, and the SQLite file must agree.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web

from processes import HOST, free_port, scratch_dir, start_server, stop

STOREFRONT_TOKEN = "bench-storefront-token"
SUPERVISOR_TOKEN = "bench-supervisor-token"
TEAM_TOKEN = "bench-logistics-token"
TEAM_SECRET = "bench-logistics-secret"
# Each checked with `python -m gateway analyze`: logistics_delay, confidence >= 0.93, anger < 0.7 (no escalation).
TEXTS = ("我的快递五天了还没到，物流一直不更新", "物流信息三天没更新了，包裹是不是丢了",
         "单号查了好几天都停在中转站，一直不动", "快递停在中转站五天了", "说好的两天到，现在第六天了还没收到货")
STEADY_MARGIN = 5.0    # s: a ticket sent this close before the outage may still be retrying when it starts
clock = time.monotonic


# --- the team endpoint -------------------------------------------------------------------------------------------

@dataclass
class Endpoint:
    """A team webhook that fails at random, can be taken down, and dedupes on the ticket id."""

    port: int
    fail: float
    seed: int
    rng: random.Random = field(init=False)
    down: bool = False
    requests: Counter[str] = field(default_factory=Counter)   # outcome -> requests
    first_seen: dict[str, float] = field(default_factory=dict)  # ticket id -> first accepted at
    order_of: dict[str, str] = field(default_factory=dict)      # ticket id -> order id
    tickets_of_order: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    deliveries_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # ticket -> delivery ids
    accepted_times: list[float] = field(default_factory=list)
    log: list[tuple[float, str]] = field(default_factory=list)   # (arrival, outcome) of every request
    problems: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        self.site: web.TCPSite | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/webhook"

    async def start(self) -> None:
        await self.runner.setup()
        await self.listen()

    async def listen(self) -> None:
        self.site = web.TCPSite(self.runner, HOST, self.port, reuse_address=True)
        await self.site.start()

    async def go_down(self) -> None:
        self.down = True
        await self.site.stop()          # new connections: refused

    async def come_up(self) -> None:
        await self.listen()
        self.down = False

    async def close(self) -> None:
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        response = await self._answer(request)
        self.log.append((clock(), str(response.status)))
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.down:                   # a connection kept alive from before the outage
            self.requests["503 (down)"] += 1
            response = web.Response(status=503, text="down")
            response.force_close()
            return response
        if self.rng.random() < self.fail:
            self.requests["500 (random failure)"] += 1
            return web.Response(status=500, text="random failure")
        expected = "sha256=" + hmac.new(TEAM_SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
            self.requests["401 (bad signature)"] += 1
            return web.Response(status=401, text="bad signature")
        payload = json.loads(body)
        ticket = payload.get("ticket") or {}
        if payload.get("type") != "ticket.created" or "id" not in ticket:
            self.problems["not a ticket.created with a ticket id"] += 1
            self.requests["400 (bad body)"] += 1
            return web.Response(status=400, text="bad body")
        if request.headers.get("X-Delivery-Id") != payload.get("delivery_id"):
            self.problems["X-Delivery-Id differs from the body's delivery_id"] += 1
        ticket_id = ticket["id"]
        self.deliveries_of[ticket_id].add(payload.get("delivery_id"))
        if ticket_id in self.first_seen:
            self.requests["200 (duplicate)"] += 1
            return web.json_response({"duplicate": True})
        now = clock()
        self.first_seen[ticket_id] = now
        self.accepted_times.append(now)
        self.order_of[ticket_id] = ticket.get("order_id")
        self.tickets_of_order[ticket.get("order_id")].add(ticket_id)
        if (ticket.get("team"), ticket.get("intent")) != ("logistics", "logistics_delay"):
            self.problems[f"ticket {ticket.get('team')}/{ticket.get('intent')}"] += 1
        self.requests["200 (new ticket)"] += 1
        return web.json_response({"duplicate": False})

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def failed_requests(self) -> int:
        return sum(n for outcome, n in self.requests.items() if not outcome.startswith("200"))


# --- the gateway process ---------------------------------------------------------------------------------------

def gateway_config(tmp: Path, port: int, webhook_url: str, args: argparse.Namespace) -> Path:
    config = {
        "server": {"host": HOST, "port": port},
        "database": {"url": f"sqlite:///{tmp}/gateway.db"},
        "storefronts": [{"id": "bench-shop", "token": STOREFRONT_TOKEN}],
        "agents": [{"id": "boss", "name": "主管", "token": SUPERVISOR_TOKEN, "role": "supervisor"}],
        "watchdog": {"first_response": [], "reply": []},
        "teams": [{"id": "logistics", "token": TEAM_TOKEN, "webhook_url": webhook_url, "secret": TEAM_SECRET,
                   "ack_sla": "2h"}],
        "intents": {"logistics_delay": {"team": "logistics"}, "address_change": {"team": "logistics"}},
        "tickets": {"retry_base": args.retry_base, "retry_cap": args.retry_cap, "max_attempts": args.max_attempts,
                    "timeout": 2.0, "breaker_threshold": 5, "breaker_cooldown": args.breaker_cooldown,
                    "workers": 4},
    }
    path = tmp / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


async def start_gateway(config: Path, log: Path, url: str) -> tuple[asyncio.subprocess.Process, float]:
    """Start ``python -m gateway serve``; return it and the seconds until /readyz answered 200."""
    started = clock()
    with log.open("ab") as out:
        out.write(f"\n===== bench: gateway starting at {time.strftime('%H:%M:%S')} =====\n".encode())
    proc = await start_server([sys.executable, "-m", "gateway", "serve", "--config", str(config)], log, url, 30)
    return proc, clock() - started


# --- the storefront side ---------------------------------------------------------------------------------------

@dataclass
class Storefront:
    """Posts the customer messages; remembers, per order, when the acknowledged post was sent."""

    url: str
    session: aiohttp.ClientSession
    statuses: Counter[str] = field(default_factory=Counter)
    sent_at: dict[int, float] = field(default_factory=dict)      # order index -> send time of the acked post
    acked: set[int] = field(default_factory=set)
    resent: set[int] = field(default_factory=set)
    failed: list[int] = field(default_factory=list)              # posted, not acknowledged: to post again
    unsent: list[int] = field(default_factory=list)              # not posted before ``running`` was cleared
    on_ack: list = field(default_factory=list)                   # callbacks(count)
    posting: asyncio.Event = field(default_factory=asyncio.Event)  # set whenever a post goes out

    async def post(self, i: int) -> None:
        body = {"message_id": f"bench-m{i:05d}", "customer_id": f"bench-c{i:05d}", "text": TEXTS[i % len(TEXTS)],
                "order_id": order_id(i)}
        started = clock()
        self.posting.set()
        try:
            async with self.session.post(f"{self.url}/v1/storefront/messages", json=body,
                                         headers={"Authorization": f"Bearer {STOREFRONT_TOKEN}"}) as response:
                status = response.status
                await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self.statuses[f"no answer ({type(exc).__name__})"] += 1
            self.failed.append(i)
            return
        self.statuses[str(status)] += 1
        if status in (200, 202):
            if i not in self.acked:
                self.acked.add(i)
                self.sent_at[i] = started
                for callback in self.on_ack:
                    callback(len(self.acked))
        else:
            self.failed.append(i)

    async def send(self, indices: list[int], rate: float, running: asyncio.Event, limit: int = 64) -> None:
        """Open loop at ``rate``; stops scheduling when ``running`` is cleared; returns when all are answered."""
        gate = asyncio.Semaphore(limit)
        tasks: set[asyncio.Task] = set()
        start = clock()
        for n, i in enumerate(indices):
            if not running.is_set():
                self.unsent.extend(indices[n:])
                break
            delay = start + n / rate - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if not running.is_set():
                self.unsent.extend(indices[n:])
                break
            await gate.acquire()
            task = asyncio.create_task(self.post(i))
            task.add_done_callback(lambda _t: gate.release())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)


async def ticket_attempts(session: aiohttp.ClientSession, url: str) -> dict[str, float] | None:
    """The gateway's ``csgw_ticket_deliveries_total`` by outcome (its webhook attempts since it started)."""
    try:
        async with session.get(f"{url}/metrics") as response:
            if response.status != 200:
                return None
            text = await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return None
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("csgw_ticket_deliveries_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            counts[outcome] += float(value)
    return dict(counts)


def order_id(i: int) -> str:
    return f"PDD20261123{i:06d}"


def quantiles(values: list[float], *qs: float) -> tuple[float, ...]:
    ordered = sorted(values) or [float("nan")]
    return tuple(ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in qs)


# --- SQLite ------------------------------------------------------------------------------------------------------

def sqlite_figures(path: Path) -> dict:
    db = sqlite3.connect(path)
    try:
        deliveries = dict(db.execute("SELECT status, count(*) FROM ticket_deliveries GROUP BY status").fetchall())
        attempts = db.execute("SELECT coalesce(sum(attempts), 0), coalesce(max(attempts), 0) "
                              "FROM ticket_deliveries").fetchone()
        per_ticket = db.execute("SELECT count(*) FROM (SELECT ticket_id FROM ticket_deliveries GROUP BY ticket_id "
                                "HAVING count(*) > 1)").fetchone()[0]
        tickets = db.execute("SELECT id, order_id, dedupe_key FROM tickets").fetchall()
        doubled = db.execute("SELECT count(*) FROM (SELECT dedupe_key FROM tickets GROUP BY dedupe_key "
                             "HAVING count(*) > 1)").fetchone()[0]
        no_delivery = db.execute("SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                                 "(SELECT 1 FROM ticket_deliveries d WHERE d.ticket_id = t.id)").fetchone()[0]
        messages = db.execute("SELECT count(*) FROM messages WHERE role = 'customer'").fetchone()[0]
    finally:
        db.close()
    return {"deliveries": deliveries, "attempts": attempts[0], "max_attempts": attempts[1],
            "tickets": {t[0]: t[1] for t in tickets}, "doubled_keys": doubled, "no_delivery": no_delivery,
            "tickets_with_several_deliveries": per_ticket, "customer_messages": messages}


def log_problems(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    bad = [line for line in lines if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")]
    warnings = [line for line in lines if " WARNING " in line]
    notes = [f"gateway log: {len(bad)} error lines, {len(warnings)} warnings"]
    notes += [f"  {line[:300]}" for line in (bad[:3] + warnings[:3])]
    return notes


# --- the run -------------------------------------------------------------------------------------------------------

async def run(tmp: Path, args: argparse.Namespace) -> bool:
    endpoint = Endpoint(free_port(), args.fail, args.seed)
    await endpoint.start()
    gateways: list[asyncio.subprocess.Process] = []
    try:
        return await measure(tmp, args, endpoint, gateways)
    finally:
        for proc in gateways:       # on an error half-way: no gateway left running
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await endpoint.close()


async def measure(tmp: Path, args: argparse.Namespace, endpoint: Endpoint,
                  gateways: list[asyncio.subprocess.Process]) -> bool:
    port = free_port()
    url = f"http://{HOST}:{port}"
    config = gateway_config(tmp, port, endpoint.url, args)
    log = tmp / "gateway.log"
    proc, first_start = await start_gateway(config, log, url)
    gateways.append(proc)
    print(f"gateway ready in {first_start:.1f} s (pid {proc.pid}); endpoint {endpoint.url}; temp dir {tmp}",
          flush=True)

    timeline: dict[str, float] = {}
    metrics: dict[str, dict[str, float] | None] = {}
    generation = {"now": 1}      # which gateway process is running: 1, then 2 after the SIGKILL
    outage_started, kill_now = asyncio.Event(), asyncio.Event()
    running = asyncio.Event()
    running.set()

    def on_ack(count: int) -> None:
        if count >= args.outage_at and not outage_started.is_set():
            outage_started.set()
        if count >= args.kill_at and not kill_now.is_set():
            kill_now.set()

    async def outage() -> None:
        await outage_started.wait()
        await endpoint.go_down()
        timeline["down"] = clock()
        generation["down"] = generation["now"]
        metrics["at the outage"] = await ticket_attempts(session, url)
        print(f"  endpoint down ({len(sf.acked)} acknowledged)", flush=True)
        await asyncio.sleep(args.outage)
        await endpoint.come_up()
        timeline["up"] = clock()
        generation["up"] = generation["now"]
        metrics["at the end of the outage"] = await ticket_attempts(session, url)
        print(f"  endpoint up again ({len(sf.acked)} acknowledged)", flush=True)

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        sf = Storefront(url, session, on_ack=[on_ack])
        outage_task = asyncio.create_task(outage())
        timeline["start"] = clock()
        sender = asyncio.create_task(sf.send(list(range(args.tickets)), args.rate, running))
        await kill_now.wait()
        metrics["first, at the SIGKILL"] = await ticket_attempts(session, url)
        generation["now"] = 2
        # SIGKILL in the middle of the next post (``--kill-delay`` after it went out), with whatever else is in
        # flight; the sender stops scheduling and collects the posts that got no answer.
        sf.posting.clear()
        await sf.posting.wait()
        await asyncio.sleep(args.kill_delay)
        running.clear()
        endpoint_down_at_kill = endpoint.down
        proc.send_signal(signal.SIGKILL)
        timeline["kill"] = clock()
        await proc.wait()
        await sender
        in_flight = sorted(set(sf.failed))
        at_kill = {"acked": len(sf.acked), "endpoint": len(endpoint.first_seen), "down": endpoint_down_at_kill,
                   "sqlite": sqlite_figures(tmp / "gateway.db")}
        print(f"  SIGKILL after {at_kill['acked']} acknowledged (endpoint {'down' if endpoint_down_at_kill else 'UP'}"
              f"), {len(in_flight)} posts in flight without an answer; restarting ...", flush=True)
        remaining = in_flight + sorted(sf.unsent)
        sf.resent = set(in_flight)
        sf.failed, sf.unsent = [], []
        proc, restart = await start_gateway(config, log, url)
        gateways.append(proc)
        timeline["restarted"] = clock()
        print(f"  gateway ready again in {restart:.1f} s (pid {proc.pid}); posting the other {len(remaining)}",
              flush=True)
        running.set()
        await sf.send(remaining, args.rate, running)
        if sf.failed:   # a message the restarted gateway did not acknowledge: one more try, then count it
            retry, sf.failed = sorted(set(sf.failed)), []
            await sf.send(retry, args.rate, running)
        timeline["last_ack"] = clock()
        await outage_task
        # Wait until the endpoint has a ticket for every acknowledged order.
        deadline = clock() + args.wait
        acked_orders = {order_id(i) for i in sf.acked}
        while clock() < deadline and not acked_orders <= set(endpoint.tickets_of_order):
            await asyncio.sleep(0.05)
        timeline["complete"] = clock()
        await asyncio.sleep(args.settle)       # late retries would show up as duplicates here
        metrics["second, at the end"] = await ticket_attempts(session, url)
        auth = {"Authorization": f"Bearer {SUPERVISOR_TOKEN}"}
        api = {}
        for status in ("dead", "pending"):
            async with session.get(f"{url}/v1/ticket-deliveries?status={status}", headers=auth) as response:
                api[status] = len((await response.json())["deliveries"]) if response.status == 200 else \
                    f"HTTP {response.status}"
    await stop(proc)
    return report(args, endpoint, sf, timeline, at_kill, api, first_start, restart, sqlite_figures(tmp / "gateway.db"),
                  log_problems(log), acked_orders, metrics, generation)


def pauses(endpoint: Endpoint, sf: Storefront, timeline: dict[str, float],
           least: float = 0.5) -> list[tuple[float, float]]:
    """Gaps of ``least`` s or more between requests at the endpoint while it was up, the gateway was running and
    an acknowledged ticket was still missing (relative to the first post)."""
    outstanding = sorted((sf.sent_at[i], min((endpoint.first_seen[t] for t in endpoint.tickets_of_order.get(
        order_id(i), ())), default=float("inf"))) for i in sf.acked)
    arrivals = [t for t, _ in endpoint.log]
    blind = [(timeline["down"], timeline["up"]), (timeline["kill"], timeline["restarted"])]
    gaps = []
    for a, b in zip(arrivals, arrivals[1:]):
        if b - a < least or any(a < hi and b > lo for lo, hi in blind):
            continue
        if any(sent <= a and done >= b for sent, done in outstanding):
            gaps.append((a - timeline["start"], b - a))
    return gaps


def report(args, endpoint: Endpoint, sf: Storefront, timeline: dict[str, float], at_kill: dict, api: dict,
           first_start: float, restart: float, db: dict, log_notes: list[str], acked_orders: set[str],
           metrics: dict[str, dict[str, float] | None], generation: dict[str, int]) -> bool:
    t0 = timeline["start"]
    rel = {k: v - t0 for k, v in timeline.items()}
    received_orders = set(endpoint.tickets_of_order)
    lost = sorted(acked_orders - received_orders)
    unexpected = sorted(received_orders - acked_orders)
    doubled = {o: ids for o, ids in endpoint.tickets_of_order.items() if len(ids) > 1}
    several_ids = sum(len(ids) > 1 for ids in endpoint.deliveries_of.values())
    duplicates = endpoint.requests["200 (duplicate)"]
    not_delivered_in_db = sorted(set(db["tickets"]) - set(endpoint.first_seen))

    down, up = timeline["down"], timeline["up"]
    groups: dict[str, list[float]] = defaultdict(list)
    steady: list[tuple[int, float]] = []
    for i in sf.acked:
        ticket_ids = endpoint.tickets_of_order.get(order_id(i))
        if not ticket_ids or i in sf.resent:
            continue
        sent = sf.sent_at[i]
        delivered = min(endpoint.first_seen[t] for t in ticket_ids)
        group = "before the outage" if sent < down else ("during the outage" if sent < up else "after the outage")
        groups[group].append(1000 * (delivered - sent))
        if group != "during the outage":
            steady.append((i, 1000 * (delivered - sent)))
    backlog = [endpoint.first_seen[t] for i in sf.acked if sf.sent_at[i] < up
               for t in endpoint.tickets_of_order.get(order_id(i), ())]
    drained = max(backlog) - up if backlog and len(backlog) >= sum(sf.sent_at[i] < up for i in sf.acked) else None
    last = max(endpoint.accepted_times, default=float("nan"))

    print(f"\n{args.tickets:,} customers, one logistics-delay message each, {args.rate:g} msg/s; endpoint fails "
          f"{args.fail:.0%} at random, down {args.outage:g} s; SIGKILL mid-run; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(f"tickets config: retry_base {args.retry_base:g}s, retry_cap {args.retry_cap:g}s, max_attempts "
          f"{args.max_attempts}, breaker 5 failures / {args.breaker_cooldown:g}s cooldown, 4 workers, timeout 2s")
    print(f"timeline (s from the first post): endpoint down {rel['down']:.1f}, SIGKILL {rel['kill']:.1f}, "
          f"gateway ready again {rel['restarted']:.1f}, endpoint up {rel['up']:.1f}, last post acknowledged "
          f"{rel['last_ack']:.1f}, last new ticket at the endpoint {last - t0:.1f}")
    print(f"gateway start-up: {first_start:.1f} s, restart after SIGKILL: {restart:.1f} s")
    print(f"storefront posts: {dict(sorted(sf.statuses.items()))}")
    print(f"  at the SIGKILL: {at_kill['acked']} acknowledged, {len(sf.resent)} in flight (posted again after the "
          f"restart, same message_id), endpoint {'down' if at_kill['down'] else 'up'}, "
          f"endpoint had {at_kill['endpoint']} tickets; SQLite: {len(at_kill['sqlite']['tickets'])} tickets, "
          f"deliveries {at_kill['sqlite']['deliveries']}")
    print(f"tickets acknowledged (orders with a 202/200): {len(acked_orders):,}")
    print(f"distinct tickets received by the endpoint:    {len(endpoint.first_seen):,}  "
          f"(orders {len(received_orders):,})")
    print(f"  lost (acknowledged, never at the endpoint): {len(lost)}{'  ' + ', '.join(lost[:5]) if lost else ''}")
    print(f"  at the endpoint but never acknowledged:     {len(unexpected)}")
    print(f"  orders with more than one ticket:           {len(doubled)}")
    print(f"duplicate deliveries (2xx for a ticket already received): {duplicates}; "
          f"tickets seen under more than one delivery_id: {several_ids}")
    print(f"endpoint requests: {endpoint.total_requests:,}, failed {endpoint.failed_requests:,} "
          f"({dict(sorted(endpoint.requests.items()))})")
    def attempts(name: str) -> float | None:
        return sum(metrics[name].values()) if metrics.get(name) is not None else None

    first, second = attempts("first, at the SIGKILL"), attempts("second, at the end")
    if first is not None and second is not None:
        print(f"gateway attempts (its /metrics): {first + second:,.0f} (first process until just before the SIGKILL "
              f"{first:,.0f}, restarted one {second:,.0f}); SQLite sum of attempts {db['attempts']:,} (counts not "
              f"yet written at the SIGKILL are lost), the most for one delivery {db['max_attempts']}")
    down_at, up_at, kill_at = attempts("at the outage"), attempts("at the end of the outage"), first
    across = generation["down"] != generation["up"]       # the SIGKILL fell inside the outage
    if None not in (down_at, up_at, kill_at):
        made = (kill_at - down_at + up_at) if across else (up_at - down_at)
        seen = endpoint.requests["503 (down)"]
        print(f"during the {args.outage:g} s outage the gateway made {made:,.0f} attempts: {seen} reached the "
              f"endpoint on kept-alive connections (503), {made - seen:,.0f} were refused")
    up = timeline["up"]
    after = [(t - up, outcome) for t, outcome in endpoint.log if t >= up]
    first_ok = next((t for t, outcome in after if outcome == "200"), float("nan"))
    print(f"after the outage: first request at the endpoint +{after[0][0] if after else float('nan'):.2f} s, "
          f"first 2xx +{first_ok:.2f} s; first 10 requests: "
          + ", ".join(f"+{t:.2f} {outcome}" for t, outcome in after[:10]))
    gaps = pauses(endpoint, sf, timeline)
    print(f"pauses >= 0.5 s with the endpoint up and a ticket missing (breaker open or every delivery backing off): "
          f"{len(gaps)}, {sum(g for _, g in gaps):.1f} s in all: "
          + ", ".join(f"{g:.2f} s at {t:.1f}" for t, g in gaps[:12]))
    print(f"dead letters: API {api['dead']}, SQLite {db['deliveries'].get('dead', 0)}; still pending: API "
          f"{api['pending']}, SQLite {db['deliveries'].get('pending', 0)}")
    print(f"SQLite after shutdown: {len(db['tickets']):,} tickets, deliveries {db['deliveries']}, "
          f"{db['customer_messages']:,} customer messages, {db['doubled_keys']} dedupe keys with two tickets, "
          f"{db['no_delivery']} tickets without a delivery row, {db['tickets_with_several_deliveries']} with "
          f"several; tickets the endpoint never got: {len(not_delivered_in_db)}")
    if drained is not None:
        share = quantiles([t - up for t in backlog if t > up], 0.5, 0.95)
        print(f"time to drain after the outage ended (endpoint up -> it has every ticket acknowledged before): "
              f"{drained:.2f} s; {sum(t > up for t in backlog)} tickets were waiting, half of them in by "
              f"+{share[0]:.2f} s, 95% by +{share[1]:.2f} s")
    else:
        print("time to drain after the outage ended: NOT drained (tickets acknowledged before it are missing)")
    print(f"all tickets at the endpoint {timeline['complete'] - timeline['last_ack']:.2f} s after the last post was "
          f"acknowledged")
    print("end-to-end delivery latency (post sent -> first 2xx at the endpoint), ms:")
    for name in ("before the outage", "during the outage", "after the outage"):
        values = groups.get(name, [])
        p50, p99, top = quantiles(values, 0.5, 0.99, 1.0)
        print(f"  created {name:18} n={len(values):4}  p50 {p50:9,.1f}  p99 {p99:9,.1f}  max {top:9,.1f}")
    outside = groups.get("before the outage", []) + groups.get("after the outage", [])
    p50, p99, top = quantiles(outside, 0.5, 0.99, 1.0)
    print(f"  created outside the outage n={len(outside):4}  p50 {p50:9,.1f}  p99 {p99:9,.1f}  max {top:9,.1f}")
    if drained is not None:
        calm = [latency for i, latency in steady if sf.sent_at[i] < down - STEADY_MARGIN or
                sf.sent_at[i] > up + drained]
        p50, p99, top = quantiles(calm, 0.5, 0.99, 1.0)
        print(f"  of which clear of it      n={len(calm):4}  p50 {p50:9,.1f}  p99 {p99:9,.1f}  max {top:9,.1f}  "
              f"(sent > {STEADY_MARGIN:g} s before the outage, or after the backlog drained)")
    for problem, n in endpoint.problems.items():
        print(f"endpoint problem: {n} x {problem}")
    for note in log_notes:
        print(note)
    ok = not lost and not unexpected and not doubled and not db["deliveries"].get("dead") and \
        len(acked_orders) == args.tickets and not endpoint.problems
    print(f"verdict: {'every ticket delivered, none lost, none dead' if ok else 'FAILED (see above)'}")
    return ok


async def main(args: argparse.Namespace) -> int:
    with scratch_dir("ticket-delivery-bench-", args.keep_tmp) as tmp:
        return 0 if await run(tmp, args) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1000, help="customers, one order and one ticket each")
    parser.add_argument("--rate", type=float, default=50.0, help="customer messages per second (open loop)")
    parser.add_argument("--fail", type=float, default=0.3, help="share of requests the endpoint fails with 500")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the endpoint is down")
    parser.add_argument("--outage-at", type=int, default=400, help="acknowledged messages when the outage starts")
    parser.add_argument("--kill-at", type=int, default=500, help="acknowledged messages when the gateway is killed")
    parser.add_argument("--kill-delay", type=float, default=0.003,
                        help="SIGKILL this long after the first post sent once --kill-at are acknowledged")
    parser.add_argument("--retry-base", type=float, default=0.2)
    parser.add_argument("--retry-cap", type=float, default=2.0)
    parser.add_argument("--max-attempts", type=int, default=50)
    parser.add_argument("--breaker-cooldown", type=float, default=1.0)
    parser.add_argument("--wait", type=float, default=90.0, help="longest wait for the endpoint after the last post")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to watch for late duplicates at the end")
    parser.add_argument("--seed", type=int, default=6, help="seed of the endpoint's random failures")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (config, log, SQLite file)")
    args = parser.parse_args(argv)
    if not (0 < args.outage_at < args.tickets and 0 < args.kill_at < args.tickets):
        parser.error("--outage-at and --kill-at must be between 0 and --tickets")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
