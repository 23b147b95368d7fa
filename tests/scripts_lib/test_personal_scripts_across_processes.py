"""Scale-out: a personal script created, changed or deleted through one gateway process reaches the agent's
quick-reply search on another (two apps on one PostgreSQL database and one Redis prefix)."""

from __future__ import annotations

import pytest

from tests.conftest import AGENT_TOKENS, eventually

A1 = {"Authorization": f"Bearer {AGENT_TOKENS['a1']}"}


async def _search(gateway, query: str) -> list[str]:
    response = await gateway.client.get("/v1/scripts/search", params={"q": query}, headers=A1)
    return [script["text"] for script in (await response.json())["scripts"]]


async def _until(gateway, query: str, check) -> None:
    """Until the other process's search for ``query`` passes ``check``."""
    async def missing() -> list[str] | None:
        found = await _search(gateway, query)
        return None if check(found) else found or ["(nothing found)"]

    await eventually(missing, f"search {query!r} on the other process")


@pytest.mark.parametrize("deployment", ["scale-out"], indirect=True)
async def test_personal_scripts_follow_the_agent_to_another_process(gateway_factory):
    one = await gateway_factory(scripts={"reload_check": 0.2})
    other = await gateway_factory(scripts={"reload_check": 0.2})
    body = {"category": "常用", "phrasings": ["驿站取件码在哪里看"], "text": "亲，取件码在菜鸟App里能看到哦"}
    created = await one.client.post("/v1/scripts/personal", json=body, headers=A1)
    assert created.status == 201
    script_id = (await created.json())["script"]["script_id"]
    await _until(other, "取件码", lambda found: body["text"] in found)

    edited = {**body, "text": "亲，取件码在“我的包裹”里哦"}
    assert (await one.client.put(f"/v1/scripts/personal/{script_id}", json=edited, headers=A1)).status == 200
    await _until(other, "取件码", lambda found: edited["text"] in found and body["text"] not in found)

    assert (await one.client.delete(f"/v1/scripts/personal/{script_id}", headers=A1)).status in (200, 204)
    await _until(other, "取件码", lambda found: edited["text"] not in found)
