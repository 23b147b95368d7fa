"""Acknowledged means durable: SIGKILL the gateway process right after a 202, restart it, and the message is
still there and still reaches the agent."""

import os
import signal
from pathlib import Path

import aiohttp
import pytest
import yaml

from bench.processes import start_gateway, stop
from tests.conftest import SF_TOKEN, next_event

pytestmark = pytest.mark.slow


def _write_config(tmp_path: Path) -> Path:
    config = {"server": {"port": 0}, "database": {"url": f"sqlite:///{tmp_path}/gw.db"},
              "storefronts": [{"id": "shop-web", "token": SF_TOKEN}],
              "agents": [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5}]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


async def test_message_acknowledged_before_sigkill_reaches_the_agent_after_restart(tmp_path):
    config = _write_config(tmp_path)
    log = tmp_path / "gateway.log"
    process, base = await start_gateway(config, log)
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {SF_TOKEN}"}) as session:
            accepted = []
            for i in range(20):
                body = {"message_id": f"k-{i}", "customer_id": f"u-{i % 4}", "text": f"第{i}条消息"}
                async with session.post(f"{base}/v1/storefront/messages", json=body) as response:
                    assert response.status == 202
                    accepted.append(await response.json())
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()
        process, base = await start_gateway(config, log)
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{base}/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
            assigned = [await next_event(ws, "conversation.assigned") for _ in range(4)]
            texts = sorted(m["text"] for a in assigned for m in a["history"])
            assert texts == sorted(f"第{i}条消息" for i in range(20))
            async with session.post(f"{base}/v1/storefront/messages", json={
                    "message_id": "k-0", "customer_id": "u-0", "text": "第0条消息"},
                    headers={"Authorization": f"Bearer {SF_TOKEN}"}) as response:
                assert response.status == 200 and (await response.json())["duplicate"] is True
            await ws.close()
    finally:
        await stop(process)
