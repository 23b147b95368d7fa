"""Redis goes away and comes back: the gateway says it is not ready, refuses (never acknowledges) what it cannot
store, reconnects by itself, and every message it acknowledged reaches the agent.

The shared Redis server cannot be restarted under other test runs, so the gateway reaches it through a TCP
proxy of the test's own: taking the proxy down drops every connection and refuses new ones, which is what a
Redis restart looks like from the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.conftest import REDIS_TEST_URL, eventually, next_event

pytestmark = pytest.mark.slow

REDIS_HOST, REDIS_PORT = "127.0.0.1", int(REDIS_TEST_URL.rsplit(":", 1)[1].split("/")[0])


class Proxy:
    """A TCP forwarder to Redis that can be taken down (every connection dropped) and brought back."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        self._server.close()
        for writer in list(self._links):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _link(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(REDIS_HOST, REDIS_PORT)
        except OSError:
            client_writer.transport.abort()
            return
        self._links |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._links.discard(writer)
            writer.transport.abort()


@pytest.fixture
async def proxy():
    proxy = Proxy()
    await proxy.up()
    yield proxy
    with contextlib.suppress(Exception):
        await proxy.down()


async def _ready(gateway) -> int:
    response = await gateway.client.get("/readyz")
    return response.status


async def _not_ready(gateway) -> int | None:
    """The /readyz status while it is not 200."""
    status = await _ready(gateway)
    return None if status == 200 else status


@pytest.mark.parametrize("deployment", ["scale-out"], indirect=True)
async def test_redis_outage_is_survived_and_nothing_acknowledged_is_lost(deployment, gateway_factory, proxy):
    state = {**deployment["state"], "redis_url": f"redis://127.0.0.1:{proxy.port}/15"}
    gateway = await gateway_factory(state=state)
    agent = await gateway.agent("a1")
    acked: list[str] = []

    async def customer(text: str) -> int:
        response = await gateway.customer(text, customer_id="u-1", message_id=f"m-{text}")
        if response.status == 202:
            acked.append(text)
        return response.status

    assert await customer("停之前") == 202
    await proxy.down()
    assert await _ready(gateway) == 503
    readiness = await (await gateway.client.get("/readyz")).json()
    assert readiness["checks"]["database"] == "ok" and readiness["checks"]["state"].startswith("unreachable")
    refused = await gateway.customer("停的时候", customer_id="u-1", message_id="m-down")
    assert refused.status == 503
    assert (await refused.json())["error"]["code"] == "unavailable"

    await proxy.up()
    await eventually(lambda: _not_ready(gateway), "the gateway ready again", 10)
    assert await customer("恢复之后") == 202
    assert await customer("停的时候") in (200, 202)          # the storefront's retry of the refused one

    texts: list[str] = []          # an agent may see a message twice (a re-sent history): never missing
    while not set(acked) <= set(texts):
        event = await next_event(agent, timeout=5)
        if event["type"] == "conversation.assigned":
            texts += [m["text"] for m in event["history"] if m["role"] == "customer"]
        elif event["type"] == "customer.message":
            texts.append(event["message"]["text"])
    assert set(texts) == set(acked)
    await agent.close()
