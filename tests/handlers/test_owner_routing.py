"""First-contact-owner routing, transfers, disconnect grace and fairness, over real WebSockets."""

import asyncio

from sqlalchemy import select

from gateway.models import Decision
from tests.conftest import FakeClock, next_event, no_event


def _agents(capacity=2, n=3):
    return [{"id": f"a{i}", "name": f"客服{i}", "token": f"tok-a{i}", "max_concurrent": capacity}
            for i in range(1, n + 1)] + [{"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]


async def _serve_once(gateway, ws, customer_id: str) -> str:
    """The customer writes, the agent on ``ws`` answers and closes: that agent becomes the owner."""
    conversation_id = (await (await gateway.customer("你好", customer_id=customer_id)).json())["conversation_id"]
    await next_event(ws, "customer.message")
    await gateway.reply(ws, conversation_id)
    await ws.send_json({"type": "conversation.close", "conversation_id": conversation_id, "resolved": True})
    await next_event(ws, "conversation.closed")
    return conversation_id


async def _offline(gateway, agent_id: str, armed_before: int) -> None:
    """Wait until the server has seen the socket go and armed the agent's grace period (one more deadline)."""
    for _ in range(300):
        presence = await gateway.services.directory.get(agent_id)
        if presence.status == "offline" and await gateway.services.timers.store.pending() > armed_before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{agent_id} never went offline")


async def _assign_decisions(gateway, conversation_id: str) -> list[tuple[str, str]]:
    table = Decision.__table__
    query = select(table.c.agent_id, table.c.reason).where(table.c.conversation_id == conversation_id,
                                                           table.c.kind == "assign").order_by(table.c.at)
    async with gateway.services.db.connect() as conn:
        return [tuple(r) for r in (await conn.execute(query)).all()]


async def test_a_returning_customer_goes_back_to_the_owner(gateway_factory):
    gateway = await gateway_factory(agents=_agents())
    a1 = await gateway.agent("a1")
    await _serve_once(gateway, a1, "vip")
    a2 = await gateway.agent("a2")           # a2 is idle longer in no way and less loaded than a1: owner wins
    await gateway.customer("上次那个问题", customer_id="vip")
    assigned = await next_event(a1, "conversation.assigned")
    assert assigned["reason"] == "first_contact_owner"
    await no_event(a2, "conversation.assigned", within=0.1)


async def test_owner_full_waits_then_falls_back_and_the_owner_stays_owner(gateway_factory):
    clock = FakeClock()
    gateway = await gateway_factory(clock=clock, agents=_agents(capacity=1), routing={"owner_wait": "60s"})
    a1 = await gateway.agent("a1")
    await _serve_once(gateway, a1, "vip")
    await gateway.customer("占个位", customer_id="other")     # a1 is now full
    await next_event(a1, "conversation.assigned")
    a2 = await gateway.agent("a2")
    waiting = (await (await gateway.customer("又是我", customer_id="vip")).json())["conversation_id"]
    await no_event(a2, "conversation.assigned", within=0.1)   # waits for a1
    clock.advance(60)
    await gateway.fire_timers()
    fallback = await next_event(a2, "conversation.assigned")
    assert fallback["conversation_id"] == waiting and fallback["reason"] == "load_balance"
    assert fallback["owner"] == "a1"
    assert await gateway.services.state.owner_of("shop-web:vip") == "a1"


async def test_owner_frees_a_slot_during_the_wait_and_gets_the_customer(gateway_factory):
    clock = FakeClock()
    gateway = await gateway_factory(clock=clock, agents=_agents(capacity=1))
    a1 = await gateway.agent("a1")
    await _serve_once(gateway, a1, "vip")
    other = (await (await gateway.customer("占个位", customer_id="other")).json())["conversation_id"]
    await next_event(a1, "conversation.assigned")
    waiting = (await (await gateway.customer("又是我", customer_id="vip")).json())["conversation_id"]
    await a1.send_json({"type": "conversation.close", "conversation_id": other})
    assigned = await next_event(a1, "conversation.assigned")
    assert assigned["conversation_id"] == waiting and assigned["reason"] == "first_contact_owner"


async def test_owner_offline_falls_back_at_once_and_unanswered_chats_return_to_the_owner(gateway_factory):
    gateway = await gateway_factory(agents=_agents())
    a1 = await gateway.agent("a1")
    await _serve_once(gateway, a1, "vip")
    await a1.close()
    a2 = await gateway.agent("a2")
    conversation_id = (await (await gateway.customer("在吗", customer_id="vip")).json())["conversation_id"]
    assert (await next_event(a2, "conversation.assigned"))["reason"] == "load_balance"
    a1 = await gateway.agent("a1")
    back = await next_event(a1, "conversation.assigned")
    assert back["conversation_id"] == conversation_id and back["reason"] == "first_contact_owner"
    assert (await next_event(a2, "conversation.reassigned"))["reason"] == "owner_returned"
    assert await _assign_decisions(gateway, conversation_id) == [("a2", "load_balance"),
                                                                 ("a1", "first_contact_owner")]


async def test_an_answered_chat_stays_with_the_fallback_agent(gateway_factory):
    gateway = await gateway_factory(agents=_agents())
    a1 = await gateway.agent("a1")
    await _serve_once(gateway, a1, "vip")
    await a1.close()
    a2 = await gateway.agent("a2")
    conversation_id = (await (await gateway.customer("在吗", customer_id="vip")).json())["conversation_id"]
    await next_event(a2, "customer.message")
    await gateway.reply(a2, conversation_id, "在的")
    a1 = await gateway.agent("a1")
    await no_event(a1, "conversation.assigned", within=0.2)


async def test_transfer_chain_is_recorded(gateway_factory):
    gateway = await gateway_factory(agents=[*_agents(), {"id": "s1", "name": "王组长", "token": "tok-s1",
                                                          "role": "senior", "groups": ["vip"], "max_concurrent": 2}])
    a1, a2 = await gateway.agent("a1"), await gateway.agent("a2")
    s1 = await gateway.agent("s1")
    conversation_id = (await (await gateway.customer("要开专票")).json())["conversation_id"]
    assigned_to = (await gateway.services.state.load(conversation_id)).agent_id
    first = {"a1": a1, "a2": a2}[assigned_to]
    second_id = "a2" if assigned_to == "a1" else "a1"
    await first.send_json({"type": "conversation.transfer", "conversation_id": conversation_id,
                           "to_agent": second_id, "note": "客户要开专票，请跟进"})
    await next_event(first, "conversation.reassigned")
    second = {"a1": a1, "a2": a2}[second_id]
    moved = await next_event(second, "conversation.assigned")
    while moved["conversation_id"] != conversation_id or moved["reason"] != "transfer":
        moved = await next_event(second, "conversation.assigned")
    assert moved["note"] == "客户要开专票，请跟进" and moved["from_agent"] == assigned_to
    await second.send_json({"type": "conversation.transfer", "conversation_id": conversation_id, "to_group": "vip"})
    assert (await next_event(s1, "conversation.assigned"))["reason"] == "transfer"
    await first.send_json({"type": "conversation.transfer", "conversation_id": conversation_id, "to_agent": "a3"})
    assert (await next_event(first, "error"))["error"]["code"] == "forbidden"
    await s1.send_json({"type": "conversation.transfer", "conversation_id": conversation_id, "to_agent": "a3"})
    assert (await next_event(s1, "error"))["error"]["code"] == "target_unavailable"
    reasons = await _assign_decisions(gateway, conversation_id)
    assert [r for _, r in reasons] == ["load_balance", "transfer", "transfer"]


async def test_a_disconnected_agent_gets_a_grace_period_then_its_chats_move(gateway_factory):
    clock = FakeClock()
    gateway = await gateway_factory(clock=clock, agents=_agents(n=2), watchdog={"disconnect_grace": "60s"})
    a1 = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("在吗")).json())["conversation_id"]
    await next_event(a1, "customer.message")
    a2 = await gateway.agent("a2")
    armed = await gateway.services.timers.store.pending()
    await a1.close()
    await _offline(gateway, "a1", armed)
    clock.advance(59)
    await gateway.fire_timers()
    await no_event(a2, "conversation.assigned", within=0.1)
    clock.advance(1)
    await gateway.fire_timers()
    moved = await next_event(a2, "conversation.assigned")
    assert moved["conversation_id"] == conversation_id and moved["reason"] == "reassign"


async def test_reconnecting_within_the_grace_keeps_the_chats(gateway_factory):
    clock = FakeClock()
    gateway = await gateway_factory(clock=clock, agents=_agents(n=2))
    a1 = await gateway.agent("a1")
    await gateway.customer("在吗")
    await next_event(a1, "customer.message")
    a2 = await gateway.agent("a2")
    armed = await gateway.services.timers.store.pending()
    await a1.close()
    await _offline(gateway, "a1", armed)
    clock.advance(30)
    a1 = await gateway.agent("a1")
    await next_event(a1, "conversation.assigned")
    clock.advance(60)
    await gateway.fire_timers()
    await no_event(a2, "conversation.assigned", within=0.1)


async def test_one_hundred_new_chats_at_once_spread_evenly_over_ten_agents(gateway_factory):
    agents = [{"id": f"a{i}", "name": f"客服{i}", "token": f"tok-a{i}", "max_concurrent": 12} for i in range(10)]
    gateway = await gateway_factory(agents=agents)
    sockets = []
    for i in range(10):
        sockets.append(await gateway.client.ws_connect("/v1/agent/ws",
                                                       headers={"Authorization": f"Bearer tok-a{i}"}))
    responses = await asyncio.gather(*(gateway.customer(f"第{n}位客户", customer_id=f"c{n}") for n in range(100)))
    assert all(r.status == 202 for r in responses)
    loads = [len((await gateway.services.directory.get(f"a{i}")).assigned) for i in range(10)]
    assert loads == [10] * 10
    assigned = [await next_event(ws, "conversation.assigned") for ws in sockets for _ in range(10)]
    assert len({a["conversation_id"] for a in assigned}) == 100
