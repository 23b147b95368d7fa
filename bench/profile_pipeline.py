"""CPU per message round trip of one embedded gateway, measured in-process, with a profile of where it goes.

    .venv/bin/python bench/profile_pipeline.py [--messages 3000] [--customers 100] [--agents 10]
                                               [--profile] [--sort tottime|cumulative] [--top 40]

Why: bench/load.py gives the end-to-end figure but runs the gateway as a separate process, out of reach of a
profiler. Here the gateway runs in this process (``create_app`` on a temporary SQLite file, memory state,
the full pipeline, the same config as load.py: one storefront without ``callback_url``, agents with
``max_concurrent`` 1000), served over loopback. A child process (``--drive URL``) plays the storefront and the
agents exactly as load.py does (same texts, same replies, load.py's ``Storefront`` and ``answer``), so the
gateway pays for every frame it parses and sends, and none of the client's work lands in the figures.

A round trip: customer message on the storefront WebSocket -> ``ack`` + ``customer.message`` and ``hint`` to
the agent -> ``agent.reply`` -> reply checks -> ``agent.message`` on the storefront WebSocket + ``ack`` to the
agent. Every customer first sends one unmeasured message (opening and assigning its conversation); then
``--messages`` round trips run closed loop (each customer sends again when its reply is back). ``--customers
200 --agents 20`` is load.py's saturation phase; fewer customers mean smaller group commits.

Prints the round trips per second and the gateway process's CPU per round trip in µs, split into the event loop
and the other threads (the SQLite writer). With ``--profile``, the measured phase also runs under cProfile on
the event loop's CPU time (wall time would charge the loop for the peer a send wakes up) and its top functions
are printed; cProfile about doubles the cost of Python calls, so compare µs per round trip between runs without
it. On a shared machine run the two sides of a comparison back to back, a few times each.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import pstats
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web
from load import STOREFRONT_TOKEN, Storefront, Tally, agent_token, answer, gateway_config
from processes import HOST, free_port

from gateway.app import create_app
from gateway.config import load_config
from gateway.logs import configure_logging

STALL = 30.0   # seconds without a reply: the run failed (a reply lost or refused), say so instead of hanging


def cpu_seconds() -> float:
    """User + system CPU of this process, every thread included (SQLite commits run in a writer thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the driver (child process): storefront and agents ---------------------------------------------------------

async def drive(url: str, customers: int, agents: int, messages: int) -> None:
    """Connect, warm up one message per customer, print ``warm``; on ``go`` run ``messages`` round trips
    closed loop and print ``done`` with the figures as JSON."""
    stats: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(f"{url}/v1/agent/ws", max_msg_size=0,
                                            headers={"Authorization": f"Bearer {agent_token(i)}"})
                   for i in range(agents)]
        tasks = [asyncio.create_task(answer(ws, i, stats)) for i, ws in enumerate(sockets)]
        ws = await session.ws_connect(f"{url}/v1/storefront/ws", max_msg_size=0,
                                      headers={"Authorization": f"Bearer {STOREFRONT_TOKEN}"})
        sf = Storefront(ws)
        names = [f"cust-{c:05d}" for c in range(customers)]
        await round_trips(sf, names, len(names))
        print("warm", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        started = time.perf_counter()
        tally = await round_trips(sf, names, messages)
        elapsed = time.perf_counter() - started
        print("done " + json.dumps({"round_trips": len(tally.times), "seconds": elapsed, "failed": tally.failed,
                                    "errors": dict(tally.errors), "agents": dict(stats)}), flush=True)
        for task in tasks:
            task.cancel()
        for socket in (*sockets, ws):
            await socket.close()


async def round_trips(sf: Storefront, names: list[str], total: int) -> Tally:
    """``total`` round trips, each customer keeping one message in flight."""
    tally = Tally()
    turn = itertools.cycle(names)

    async def again(customer: str, _now: float) -> None:
        if tally.sent < total:
            await sf.send(tally, customer)

    tally.on_reply = again
    for _ in range(min(total, len(names))):
        await sf.send(tally, next(turn))
    progress, stalled_since = -1, time.perf_counter()
    while tally.sent < total or tally.outstanding:
        await asyncio.sleep(0.01)
        if len(tally.times) != progress:
            progress, stalled_since = len(tally.times), time.perf_counter()
        elif time.perf_counter() - stalled_since > STALL:
            raise RuntimeError(f"no reply for {STALL:.0f} s: {tally.outstanding} outstanding, "
                               f"errors {dict(tally.errors)}")
    return tally


# --- the gateway (this process) --------------------------------------------------------------------------------

async def measure(args: argparse.Namespace) -> None:
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="gateway-profile-") as tmp:
        port = free_port()
        config = load_config(str(gateway_config(Path(tmp), port, args.agents)))
        runner = web.AppRunner(create_app(config), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, HOST, port).start()
        driver = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--drive", f"http://{HOST}:{port}", "--customers", str(args.customers),
            "--agents", str(args.agents), "--messages", str(args.messages),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        try:
            await expect(driver, "warm")
            # CPU time, not wall time: a send that wakes the peer may get the loop preempted inside the syscall
            profiler = cProfile.Profile(time.thread_time) if args.profile else None
            cpu, loop, wall = cpu_seconds(), time.thread_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            driver.stdin.write(b"go\n")
            figures = json.loads(await expect(driver, "done"))
            if profiler:
                profiler.disable()
            cpu, loop, wall = cpu_seconds() - cpu, time.thread_time() - loop, time.perf_counter() - wall
        finally:
            driver.stdin.close()
            await driver.wait()
            await runner.cleanup()
    report(figures, cpu, loop, wall, args)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.top)


async def expect(driver: asyncio.subprocess.Process, word: str) -> str:
    line = (await asyncio.wait_for(driver.stdout.readline(), 300)).decode()
    if not line.startswith(word):
        raise RuntimeError(f"driver: expected {word!r}, got {line!r}")
    return line[len(word):]


def report(figures: dict, cpu: float, loop: float, wall: float, args: argparse.Namespace) -> None:
    trips = figures["round_trips"]
    print(f"{trips:,} round trips ({args.customers} customers, {args.agents} agents"
          f"{', under cProfile' if args.profile else ''}) in {wall:.2f} s: {trips / wall:,.0f} round trips/s")
    print(f"gateway CPU: {cpu:.2f} s ({100 * cpu / wall:.0f}% of one core), "
          f"{1e6 * cpu / trips:,.0f} µs per round trip ({1e6 * loop / trips:,.0f} in the event loop, "
          f"{1e6 * (cpu - loop) / trips:,.0f} in other threads)")
    print(f"agents received {figures['agents']}; failed {figures['failed']} {figures['errors'] or ''}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="measured round trips")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="run the measured phase under cProfile")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--top", type=int, default=40, help="functions printed")
    parser.add_argument("--drive", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    options = parse_args()
    if options.drive:
        asyncio.run(drive(options.drive, options.customers, options.agents, options.messages))
    else:
        asyncio.run(measure(options))
