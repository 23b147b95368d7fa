"""Shared fixtures: a real gateway app on an ephemeral loopback port with a real SQLite file, agents as real
WebSocket clients, and storefront peers as real aiohttp servers."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.config import GatewayConfig
from gateway.signing import sign
from gateway.storage.redis import delete_keys

SF_TOKEN = "sf-token"
AGENT_TOKENS = {"a1": "tok-a1", "a2": "tok-a2", "a3": "tok-a3", "s1": "tok-s1", "s2": "tok-s2", "boss": "tok-boss"}


class FakeClock:
    """A clock the test moves by hand; timers are then fired with ``services.timers.fire_due()``."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:   # 2026-01-01 08:00 Asia/Shanghai, a Thursday
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_config(tmp_path, **overrides: Any) -> GatewayConfig:
    raw: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path}/gateway.db"},
        "storefronts": [{"id": "shop-web", "token": SF_TOKEN}],
        "agents": [
            {"id": "a1", "name": "小李", "token": AGENT_TOKENS["a1"], "role": "agent", "max_concurrent": 2},
            {"id": "a2", "name": "小张", "token": AGENT_TOKENS["a2"], "role": "agent", "max_concurrent": 2},
            {"id": "s1", "name": "王组长", "token": AGENT_TOKENS["s1"], "role": "senior", "max_concurrent": 2},
            {"id": "boss", "name": "主管", "token": AGENT_TOKENS["boss"], "role": "supervisor"},
        ],
        "delivery": {"retry_base": 0.05, "retry_cap": 0.2, "timeout": 1},
    }
    for key, value in overrides.items():
        raw[key] = value
    return GatewayConfig.model_validate(raw)


class Recorder:
    """A storefront callback or team webhook: a real aiohttp server that records what it receives."""

    def __init__(self, fail_first: int = 0, status: int = 500, hang: float = 0.0) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self.fail_first, self.status, self.hang = fail_first, status, hang
        self.calls = 0
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.read()
        if self.calls <= self.fail_first:
            if self.hang:
                await asyncio.sleep(self.hang)
            return web.Response(status=self.status)
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        self.received.append(json.loads(body))
        self.arrived.set()
        return web.json_response({"ok": True})

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        async def enough() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.received


@pytest.fixture
async def recorder_server(aiohttp_server) -> Callable[..., Any]:
    async def start(**kwargs: Any) -> tuple[Recorder, str]:
        recorder = Recorder(**kwargs)
        app = web.Application()
        app.router.add_post("/{tail:.*}", recorder.handle)
        server = await aiohttp_server(app)
        return recorder, str(server.make_url("/callback"))

    return start


_ids = itertools.count(1)


class GatewayClient:
    """A thin protocol-v1 client over aiohttp's TestClient (real HTTP and WebSockets on loopback)."""

    def __init__(self, client, secret: str | None = None) -> None:
        self.client = client
        self.app = client.server.app
        self.secret = secret

    async def customer(self, text: str, customer_id: str = "u-1", message_id: str | None = None,
                       token: str = SF_TOKEN, **extra: Any):
        body = {"message_id": message_id or f"sf-{next(_ids)}", "customer_id": customer_id, "text": text, **extra}
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if self.secret:
            headers["X-Signature"] = sign(self.secret, raw)
        return await self.client.post("/v1/storefront/messages", data=raw, headers=headers)

    @property
    def services(self):
        from gateway.services import SERVICES

        return self.app[SERVICES]

    async def fire_timers(self) -> int:
        return await self.services.timers.fire_due()

    async def reply(self, ws, conversation_id: str, text: str = "好的亲", client_msg_id: str | None = None):
        await ws.send_json({"type": "agent.reply", "conversation_id": conversation_id,
                            "client_msg_id": client_msg_id or f"c-{next(_ids)}", "text": text})
        return await next_event(ws, "ack")

    async def agent(self, agent_id: str):
        return await self.client.ws_connect("/v1/agent/ws",
                                            headers={"Authorization": f"Bearer {AGENT_TOKENS[agent_id]}"})


async def next_event(ws, type_: str | None = None, timeout: float = 3.0) -> dict[str, Any]:
    """The next JSON event on a WebSocket (of ``type_`` when given; others are skipped)."""
    async def read() -> dict[str, Any]:
        while True:
            event = json.loads((await ws.receive()).data)
            if type_ is None or event.get("type") == type_:
                return event

    return await asyncio.wait_for(read(), timeout)


async def no_event(ws, type_: str | None = None, within: float = 0.3) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await next_event(ws, type_, timeout=within)


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


async def delete_prefix(prefix: str) -> None:
    """Remove a test's Redis keys."""
    await delete_keys(REDIS_TEST_URL, prefix)


async def eventually(missing: Callable[[], Any], what: str, timeout: float = 5.0) -> None:
    """Poll ``missing()`` (plain or async) every 0.1 s until it returns nothing (an empty set, None, False);
    fail naming what is still missing."""
    for _ in range(int(timeout / 0.1)):
        left = missing()
        if inspect.isawaitable(left):
            left = await left
        if not left:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; still missing: {left!r}")


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A PostgreSQL database of the caller's own: yields its name, drops it afterwards (even after a failure)."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            yield name
        finally:
            await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


def postgres_url(name: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_database_url(request, tmp_path) -> AsyncIterator[str]:
    """An empty database of the test's own: a SQLite file, or a PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/gateway.db"
        return
    async with postgres_database() as name:
        yield postgres_url(name)


@pytest.fixture(params=["embedded", "scale-out"])
async def deployment(request):
    """Every end-to-end test runs on both deployments: embedded (memory state, a SQLite file) and scale-out
    (Redis state in database 15 under a prefix of the test's own, and a PostgreSQL database of its own),
    both cleaned up afterwards (never FLUSHDB: others share the server)."""
    if request.param == "embedded":
        yield {}
        return
    async with postgres_database() as name:
        try:
            yield {"state": {"backend": "redis", "redis_url": REDIS_TEST_URL, "key_prefix": name},
                   "database": {"url": postgres_url(name)}}
        finally:
            await delete_prefix(name)


@pytest.fixture
def gateway_factory(deployment, aiohttp_client, tmp_path):
    """Starts gateways on the test's deployment. ``deployment`` comes first so that it is torn down last: the
    gateways close (and flush their writes) while their database and Redis keys still exist."""
    async def start(clock: Callable[[], float] | None = None, **overrides: Any) -> GatewayClient:
        overrides = {**deployment, **overrides}
        config = make_config(tmp_path, **overrides)
        client = await aiohttp_client(create_app(config, **({"clock": clock} if clock else {})))
        return GatewayClient(client, config.storefronts[0].secret if config.storefronts else None)

    return start


@pytest.fixture
async def gateway(gateway_factory) -> GatewayClient:
    return await gateway_factory()
