"""Hints and the 话术库 API end to end: hint to the agent only, empathy first for anger, personal scripts,
quick-reply search, the hot list, and reload without a restart."""

import asyncio
import shutil
from pathlib import Path

import yaml

from tests.conftest import SF_TOKEN, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1"}, {"id": "a2", "name": "小张", "token": "tok-a2"}]
QUIET = {"first_response": [], "reply": []}
SHIPPED = Path(__file__).resolve().parents[2] / "scripts_lib"


async def _gateway(gateway_factory, recorder_server, **overrides):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(agents=AGENTS, watchdog=QUIET, **overrides,
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    return gateway, recorder


async def test_a_customer_question_yields_a_hint_to_the_agent_only(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server)
    a1 = await gateway.agent("a1")
    await gateway.customer("亲 发票怎么开呀", customer_name="小王", order_id="PDD2026112300001")
    message = await next_event(a1, "customer.message")
    hint = await next_event(a1, "hint")
    assert hint["for_message_id"] == message["message"]["id"]
    assert hint["suggestions"] and all(s["score"] > 0 for s in hint["suggestions"])
    assert any(s["category"] == "发票" for s in hint["suggestions"] + hint["knowledge"])
    assert all("{" not in s["text"] for s in hint["suggestions"])       # placeholders filled
    await asyncio.sleep(0.2)
    assert recorder.received == []                                       # nothing reached the customer


async def test_chit_chat_gets_no_hint(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server)
    a1 = await gateway.agent("a1")
    await gateway.customer("你好呀")
    await next_event(a1, "customer.message")
    await no_event(a1, "hint", within=0.3)


async def test_personal_scripts_are_their_owners_and_search_finds_them(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server)
    a1, a2 = {"Authorization": "Bearer tok-a1"}, {"Authorization": "Bearer tok-a2"}
    created = await gateway.client.post("/v1/scripts/personal", headers=a1, json={
        "category": "我的快捷回复", "phrasings": ["周末发货吗"], "text": "亲，周末也正常发货哦，{customer_name}放心～"})
    assert created.status == 201
    script_id = (await created.json())["script"]["script_id"]
    found = await (await gateway.client.get("/v1/scripts/search?q=周末发货", headers=a1)).json()
    assert script_id in [s["script_id"] for s in found["scripts"]]
    other = await (await gateway.client.get("/v1/scripts/search?q=周末发货", headers=a2)).json()
    assert script_id not in [s["script_id"] for s in other["scripts"]]
    assert (await gateway.client.delete(f"/v1/scripts/personal/{script_id}", headers=a2)).status == 404
    bad = await gateway.client.post("/v1/scripts/personal", headers=a1, json={
        "category": "x", "phrasings": ["y"], "text": "亲，{unknown_placeholder}"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_script"
    initials = await (await gateway.client.get("/v1/scripts/search?q=fp", headers=a1)).json()
    assert any(s["category"] == "发票" for s in initials["scripts"])
    assert (await gateway.client.delete(f"/v1/scripts/personal/{script_id}", headers=a1)).status == 200


async def test_the_hot_list_counts_questions_and_unanswered_ones(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server)
    for i, text in enumerate(["发票怎么开", "怎么开发票", "你们老板是谁", "你们老板是谁"]):
        await gateway.customer(text, customer_id=f"c{i}")
    hot = await (await gateway.client.get("/v1/scripts/hot", headers={"Authorization": "Bearer tok-a1"})).json()
    assert hot["categories"][0]["category"] == "发票" and hot["categories"][0]["count"] == 2
    assert hot["unanswered"] == [{"question": hot["unanswered"][0]["question"], "count": 2}]


async def test_the_library_reloads_when_its_file_changes(gateway_factory, recorder_server, tmp_path):
    library = tmp_path / "library.yaml"
    shutil.copy(SHIPPED / "library.yaml", library)
    gateway, recorder = await _gateway(gateway_factory, recorder_server, scripts={"library": str(library)})
    service = gateway.services.engines["scripts"]
    assert await service.reload_if_changed() is False
    data = yaml.safe_load(library.read_text(encoding="utf-8"))
    data["scripts"].append({"id": "custom.moon.01", "category": "优惠券与活动", "phrasings": ["月饼礼盒什么时候开售"],
                            "text": "亲，月饼礼盒9月1日开售哦～"})
    library.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert await service.reload_if_changed() is True
    assert service.library.get("custom.moon.01") is not None
    library.write_text("scripts: [{id: broken}]", encoding="utf-8")
    assert await service.reload_if_changed() is False
    assert service.library.get("custom.moon.01") is not None                # the old library stays in use
