"""Routing baseline: least loaded online agent with room, ties to the longest idle, FIFO queue otherwise."""

import asyncio

from tests.conftest import next_event, no_event

TWO_AGENTS = [{"id": "a1", "name": "a", "token": "tok-a1", "max_concurrent": 2},
              {"id": "a2", "name": "b", "token": "tok-a2", "max_concurrent": 2}]


async def test_new_conversations_go_to_the_least_loaded_agent(gateway_factory):
    gateway = await gateway_factory(agents=TWO_AGENTS)
    a1 = await gateway.agent("a1")
    await asyncio.sleep(0.01)
    a2 = await gateway.agent("a2")
    await gateway.customer("一", customer_id="c1")
    first = await next_event(a1, "conversation.assigned", timeout=1)   # a1 idle longest
    await gateway.customer("二", customer_id="c2")
    second = await next_event(a2, "conversation.assigned", timeout=1)  # a2 now less loaded
    await gateway.customer("三", customer_id="c3")
    third = await next_event(a1, "conversation.assigned", timeout=1)   # tie at 1: a1 took its chat earlier
    assert len({first["conversation_id"], second["conversation_id"], third["conversation_id"]}) == 3


async def test_without_agents_conversations_queue_and_are_assigned_on_connect_in_order(gateway_factory):
    gateway = await gateway_factory(agents=TWO_AGENTS[:1])
    ids = [(await (await gateway.customer(f"第{i}个", customer_id=f"q{i}")).json())["conversation_id"]
           for i in range(3)]
    await gateway.customer("补充一句", customer_id="q0")
    ws = await gateway.agent("a1")
    assigned = [await next_event(ws, "conversation.assigned") for _ in range(2)]
    assert [a["conversation_id"] for a in assigned] == ids[:2]
    assert [m["text"] for m in assigned[0]["history"]] == ["第0个", "补充一句"]
    await no_event(ws, "conversation.assigned")
    await ws.send_json({"type": "conversation.close", "conversation_id": ids[0]})
    third = await next_event(ws, "conversation.assigned")
    assert third["conversation_id"] == ids[2] and third["reason"] == "load_balance"


async def test_queued_messages_reach_the_agent_after_assignment(gateway_factory):
    gateway = await gateway_factory(agents=TWO_AGENTS[:1])
    await gateway.customer("有人吗", customer_id="q9")
    await gateway.customer("人呢", customer_id="q9")
    ws = await gateway.agent("a1")
    await next_event(ws, "conversation.assigned")
    texts = [(await next_event(ws, "customer.message"))["message"]["text"] for _ in range(2)]
    assert texts == ["有人吗", "人呢"]


async def test_away_agents_get_no_new_chats_and_supervisors_never_do(gateway_factory):
    gateway = await gateway_factory(agents=[*TWO_AGENTS[:1],
                                            {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}])
    boss = await gateway.agent("boss")
    ws = await gateway.agent("a1")
    await ws.send_json({"type": "presence", "status": "away"})
    await asyncio.sleep(0.05)
    await gateway.customer("你好", customer_id="p1")
    await no_event(ws, "conversation.assigned")
    await ws.send_json({"type": "presence", "status": "online"})
    assert (await next_event(ws, "conversation.assigned"))["conversation"]["customer_id"] == "p1"
    await no_event(boss, "conversation.assigned")
