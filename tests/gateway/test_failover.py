"""Failover with real processes: three gateway processes share Redis and PostgreSQL, and one of them is
SIGKILLed in the middle of steady traffic while the storefront callback and the team webhook are down.

Afterwards: every acknowledged customer message has reached an agent, every acknowledged reply reaches the
storefront and every ticket its team (duplicates only with the same id), the supervisor got each watchdog stage
exactly once, and the dead process's agent goes on from another process with its conversations.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import yaml

from bench.processes import start_gateway, stop
from tests.conftest import REDIS_TEST_URL, SF_TOKEN, delete_prefix, eventually, postgres_database, postgres_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

TEAM_TOKEN = "tok-logistics"
LATE = "我的快递一直没到，物流三天都没更新了"          # a logistics_delay: opens a ticket for the logistics team
STAGE_AFTER = 6.0


@dataclass
class Agent:
    """An agent workspace: answers every customer message except the silent ones (ids ``silent-…``), and on
    reconnecting sends again the replies that were never acknowledged (same ``client_msg_id``: idempotent)."""

    agent_id: str
    token: str
    seen: dict[str, str] = field(default_factory=dict)        # customer message id -> conversation id
    acked: dict[str, str] = field(default_factory=dict)       # reply client_msg_id -> conversation id
    unacked: dict[str, dict[str, Any]] = field(default_factory=dict)
    conversations: set[str] = field(default_factory=set)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def work(self, session: aiohttp.ClientSession, url: str) -> None:
        """Hold one WebSocket until it closes (its process dies, or the test ends)."""
        ws = await session.ws_connect(f"{url}/v1/agent/ws", headers={"Authorization": f"Bearer {self.token}"})
        self.connected.set()
        for reply in list(self.unacked.values()):
            await ws.send_json(reply)
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            event = frame.json()
            match event["type"]:
                case "conversation.assigned":
                    self.conversations.add(event["conversation"]["id"])
                    for message in event["history"]:
                        if message["role"] == "customer":
                            await self._answer(ws, message)
                case "customer.message":
                    message = event["message"]
                    self.conversations.add(message["conversation_id"])
                    await self._answer(ws, message)
                case "ack":
                    self.acked[event["client_msg_id"]] = self.unacked.pop(event["client_msg_id"])["conversation_id"]
                case "watchdog.alert":
                    self.alerts.append(event)
                case "error" | "reply.rejected":
                    self.errors.append(event)
        self.connected.clear()

    async def _answer(self, ws, message: dict[str, Any]) -> None:
        first_time = message["message_id"] not in self.seen
        self.seen[message["message_id"]] = message["conversation_id"]
        if first_time and not message["message_id"].startswith("silent-"):
            reply_id = f"re-{message['message_id']}"
            self.unacked[reply_id] = {"type": "agent.reply", "conversation_id": message["conversation_id"],
                                      "client_msg_id": reply_id, "text": f"收到{message['message_id']}"}
            await ws.send_json(self.unacked[reply_id])


class Storefront:
    """Posts customer messages round-robin over the processes; a process that is down gets the same message
    at the next one, as a storefront retries. Remembers what was acknowledged (202)."""

    def __init__(self, session: aiohttp.ClientSession, urls: list[str]) -> None:
        self.session, self.urls = session, urls
        self.acked: dict[str, str] = {}            # message id -> conversation id
        self._turn = itertools.count()

    async def post(self, customer: str, message_id: str, text: str) -> None:
        start = next(self._turn)
        for attempt in range(len(self.urls) * 3):
            url = self.urls[(start + attempt) % len(self.urls)]
            try:
                async with self.session.post(f"{url}/v1/storefront/messages",
                                             headers={"Authorization": f"Bearer {SF_TOKEN}"},
                                             json={"message_id": message_id, "customer_id": customer,
                                                   "text": text}) as response:
                    if response.status in (200, 202):
                        self.acked[message_id] = (await response.json())["conversation_id"]
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                await asyncio.sleep(0.05)
        raise AssertionError(f"no process accepted {message_id}")


class Endpoint:
    """The storefront callback or the team webhook: down (503) until ``recover``, then records every POST."""

    def __init__(self) -> None:
        self.up = False
        self.received: list[tuple[str, dict[str, Any]]] = []       # (X-Delivery-Id, body)

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        if not self.up:
            return aiohttp.web.Response(status=503)
        self.received.append((request.headers["X-Delivery-Id"], await request.json()))
        return aiohttp.web.json_response({"ok": True})


@pytest.fixture
async def endpoints(aiohttp_server):
    callback, webhook = Endpoint(), Endpoint()
    app = aiohttp.web.Application()
    app.router.add_post("/callback", callback.handle)
    app.router.add_post("/tickets", webhook.handle)
    server = await aiohttp_server(app)
    return callback, webhook, str(server.make_url(""))


async def test_sigkill_of_one_process_in_steady_traffic_loses_nothing(tmp_path, endpoints):
    callback, webhook, base = endpoints
    async with postgres_database() as name:
        config = {
            "server": {"port": 0}, "database": {"url": postgres_url(name)},
            "state": {"backend": "redis", "redis_url": REDIS_TEST_URL, "key_prefix": name, "instance_timeout": 3},
            "storefronts": [{"id": "shop-web", "token": SF_TOKEN, "callback_url": f"{base}/callback"}],
            "agents": [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 50},
                       {"id": "a2", "name": "小王", "token": "tok-a2", "max_concurrent": 50},
                       {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}],
            "teams": [{"id": "logistics", "token": TEAM_TOKEN, "webhook_url": f"{base}/tickets"},
                      {"id": "warehouse", "token": "tok-warehouse", "webhook_url": f"{base}/tickets"}],
            "watchdog": {"first_response": [{"after": STAGE_AFTER, "action": "alert_supervisor"}], "reply": [],
                         "disconnect_grace": 2, "idle_close": 3600},
            "delivery": {"retry_base": 0.2, "retry_cap": 1},
            "tickets": {"retry_base": 0.2, "retry_cap": 1, "max_attempts": 100, "breaker_cooldown": 1}}
        path = tmp_path / "gateway.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        processes, urls = [], []
        try:
            for index in range(3):
                process, url = await start_gateway(path, tmp_path / f"gw{index}.log")
                processes.append(process)
                urls.append(url)
            await _scenario(urls, processes[1], callback, webhook)
        finally:
            for process in processes:
                await stop(process)
            await delete_prefix(name)


async def _scenario(urls, victim, callback: Endpoint, webhook: Endpoint) -> None:
    a_url, b_url, c_url = urls
    a1, a2, boss = Agent("a1", "tok-a1"), Agent("a2", "tok-a2"), Agent("boss", "tok-boss")
    customers = [f"u-{n}" for n in range(8)]
    async with aiohttp.ClientSession() as session:
        sockets = [asyncio.create_task(a1.work(session, b_url)),       # a1 on the process that will die
                   asyncio.create_task(a2.work(session, c_url)),
                   asyncio.create_task(boss.work(session, a_url))]
        for agent in (a1, a2, boss):
            await asyncio.wait_for(agent.connected.wait(), 5)
        storefront = Storefront(session, urls)
        for n in range(2):                                             # nobody answers them: the stage fires
            await storefront.post(f"u-silent-{n}", f"silent-{n}", "你好，请问这款什么时候发货")

        async def traffic(rounds: range) -> None:
            for r in rounds:
                await asyncio.gather(*(storefront.post(c, f"{c}-m{r}", LATE if r == 1 else f"第{r}个问题")
                                       for c in customers))
                await asyncio.sleep(0.25)

        await traffic(range(0, 4))
        os.kill(victim.pid, signal.SIGKILL)                          # mid-traffic, endpoints still down
        await victim.wait()
        await traffic(range(4, 6))
        await asyncio.wait_for(sockets[0], 5)                          # a1's socket died with its process
        sockets[0] = asyncio.create_task(a1.work(session, c_url))      # a1 goes on from another process
        await asyncio.wait_for(a1.connected.wait(), 5)
        await traffic(range(6, 9))
        callback.up = webhook.up = True

        agents = (a1, a2)
        await eventually(lambda: set(storefront.acked) - {m for a in agents for m in a.seen},
                         "every acknowledged customer message at an agent", 30)
        answered = {m: cid for m, cid in storefront.acked.items() if not m.startswith("silent-")}
        await eventually(lambda: {f"re-{m}" for m in answered} - {r for a in agents for r in a.acked},
                         f"every customer message answered (errors: {a1.errors + a2.errors})", 30)
        acked_replies = {r: cid for a in agents for r, cid in a.acked.items()}
        await eventually(lambda: {f"收到{r[3:]}" for r in acked_replies} - {b["text"] for _, b in callback.received},
                         "every acknowledged reply at the storefront", 30)
        late = {cid for m, cid in storefront.acked.items() if m.endswith("-m1")}
        await eventually(lambda: late - {b["ticket"]["conversation_id"] for _, b in webhook.received},
                         "a ticket for every late parcel", 30)
        await asyncio.sleep(STAGE_AFTER)                               # a second firing would show by now

        by_delivery: dict[str, set[str]] = defaultdict(set)
        for delivery_id, body in callback.received:
            by_delivery[body["text"]].add(delivery_id)
        assert all(len(ids) == 1 for ids in by_delivery.values()), "a reply delivered under two ids"
        tickets = defaultdict(set)
        for _, body in webhook.received:
            tickets[body["ticket"]["conversation_id"]].add(body["ticket"]["id"])
        assert all(len(ids) == 1 for ids in tickets.values()), "a conversation ticketed twice"
        stages = Counter(alert["conversation_id"] for alert in boss.alerts)
        silent_conversations = {cid for m, cid in storefront.acked.items() if m.startswith("silent-")}
        assert stages == Counter(silent_conversations), "each watchdog stage exactly once"
        assert a1.acked and any(r.endswith(("-m6", "-m7", "-m8")) for r in a1.acked), "a1 went on elsewhere"
        for task in sockets:
            task.cancel()
        await asyncio.gather(*sockets, return_exceptions=True)
