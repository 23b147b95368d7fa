"""Scale-out with real processes: three gateway processes share Redis and PostgreSQL; a customer writes to one,
the agent is connected to another, the storefront's socket to a third, and traffic flows both ways in order."""

import asyncio

import aiohttp
import pytest
import yaml

from bench.processes import start_gateway, stop
from tests.conftest import REDIS_TEST_URL, SF_TOKEN, delete_prefix, next_event, postgres_database, postgres_url

pytestmark = pytest.mark.slow


@pytest.fixture
async def cluster(tmp_path):
    async with postgres_database() as name:
        config = {"server": {"port": 0}, "database": {"url": postgres_url(name)},
                  "state": {"backend": "redis", "redis_url": REDIS_TEST_URL, "key_prefix": name},
                  "storefronts": [{"id": "shop-web", "token": SF_TOKEN}],
                  "agents": [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 50}],
                  "watchdog": {"first_response": [], "reply": []}}
        path = tmp_path / "gateway.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        processes, urls = [], []
        try:
            for index in range(3):          # one at a time: the first creates the schema
                process, url = await start_gateway(path, tmp_path / f"gw{index}.log")
                processes.append(process)
                urls.append(url)
            yield urls
        finally:
            for process in processes:
                await stop(process)
            await delete_prefix(name)


async def test_customer_on_one_process_agent_on_another_storefront_on_a_third(cluster):
    a_url, b_url, c_url = cluster
    async with aiohttp.ClientSession() as session:
        agent = await session.ws_connect(f"{b_url}/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
        store = await session.ws_connect(f"{c_url}/v1/storefront/ws?token={SF_TOKEN}")
        await asyncio.sleep(0.2)
        headers = {"Authorization": f"Bearer {SF_TOKEN}"}
        texts = [f"第{i}个问题：什么时候发货" for i in range(5)]
        for i, text in enumerate(texts):
            async with session.post(f"{a_url}/v1/storefront/messages", headers=headers,
                                    json={"message_id": f"x{i}", "customer_id": "u-1", "text": text}) as response:
                assert response.status == 202
                conversation_id = (await response.json())["conversation_id"]
        received = [(await next_event(agent, "customer.message", timeout=5))["message"]["text"] for _ in texts]
        assert received == texts
        for i in range(5):
            await agent.send_json({"type": "agent.reply", "conversation_id": conversation_id,
                                   "client_msg_id": f"r{i}", "text": f"第{i}个回答"})
        replies = [(await next_event(store, "agent.message", timeout=5))["text"] for _ in range(5)]
        assert replies == [f"第{i}个回答" for i in range(5)]
        async with session.post(f"{c_url}/v1/storefront/messages", headers=headers,
                                json={"message_id": "x0", "customer_id": "u-1", "text": texts[0]}) as response:
            assert response.status == 200 and (await response.json())["duplicate"] is True
        await agent.close()
        await store.close()
