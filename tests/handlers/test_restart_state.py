"""What a restart must not forget: owners, a wait started by a later message, agents' grace periods."""

from gateway.app import create_app
from gateway.services import SERVICES
from tests.conftest import FakeClock, make_config, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5},
          {"id": "a2", "name": "小张", "token": "tok-a2", "max_concurrent": 5}]
AUTH = {"Authorization": "Bearer sf-token"}


async def _say(client, text, message_id, customer_id="u-1"):
    response = await client.post("/v1/storefront/messages", headers=AUTH,
                                 json={"message_id": message_id, "customer_id": customer_id, "text": text})
    return (await response.json())["conversation_id"]


async def test_a_later_wait_its_stages_and_the_owner_survive_a_restart(aiohttp_client, tmp_path):
    clock = FakeClock()
    config = make_config(tmp_path, agents=AGENTS)
    first = await aiohttp_client(create_app(config, clock=clock))
    a1 = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    conversation_id = await _say(first, "在吗", "m1")
    await next_event(a1, "customer.message")
    await a1.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": "r1",
                        "text": "在的亲"})
    await next_event(a1, "ack")
    clock.advance(10)
    await _say(first, "帮我看看物流", "m2")
    await next_event(a1, "customer.message")
    await a1.close()
    await first.close()

    second = await aiohttp_client(create_app(config, clock=clock))
    services = second.server.app[SERVICES]
    assert await services.state.owner_of("shop-web:u-1") == "a1"
    a1 = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    await next_event(a1, "conversation.assigned")
    clock.advance(60)
    await services.timers.fire_due()
    nudge = await next_event(a1, "watchdog.alert")
    assert nudge["stage"] == "reply.1" and nudge["waited_s"] == 60.0
    await a1.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": "r1",
                        "text": "在的亲"})
    assert (await next_event(a1, "ack"))["client_msg_id"] == "r1"   # a retry is still recognised


async def test_chats_of_an_agent_who_does_not_come_back_move_after_the_grace(aiohttp_client, tmp_path):
    clock = FakeClock()
    config = make_config(tmp_path, agents=AGENTS)
    first = await aiohttp_client(create_app(config, clock=clock))
    a1 = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    conversation_id = await _say(first, "在吗", "m1")
    await next_event(a1, "customer.message")
    await a1.close()
    await first.close()
    second = await aiohttp_client(create_app(config, clock=clock))
    a2 = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a2"})
    clock.advance(61)
    await second.server.app[SERVICES].timers.fire_due()
    moved = await next_event(a2, "conversation.assigned")
    assert moved["conversation_id"] == conversation_id and moved["reason"] == "reassign"


SENIORS = [*AGENTS, {"id": "s1", "name": "王组长", "token": "tok-s1", "role": "senior", "max_concurrent": 3},
           {"id": "s2", "name": "赵组长", "token": "tok-s2", "role": "senior", "max_concurrent": 3},
           {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
TEAMS = [{"id": "logistics", "token": "tok-log", "ack_sla": "2h"}, {"id": "warehouse", "token": "tok-wh"}]
QUIET = {"first_response": [], "reply": []}


async def test_an_unanswered_escalation_offer_still_times_out_after_a_restart(aiohttp_client, tmp_path):
    clock = FakeClock()
    config = make_config(tmp_path, agents=SENIORS, watchdog=QUIET)
    first = await aiohttp_client(create_app(config, clock=clock))
    a1 = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    s1 = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-s1"})
    conversation_id = await _say(first, "我的快递到哪了", "m1")
    await next_event(a1, "customer.message")
    await a1.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": "r1",
                        "text": "亲，帮您查询一下"})
    await next_event(a1, "ack")
    await _say(first, "你们到底怎么回事！！！再不处理我就去12315投诉你们", "m2")
    offer = await next_event(s1, "escalation.handoff")
    clock.advance(10)                                      # s1 says nothing; the gateway restarts
    await a1.close()
    await s1.close()
    await first.close()

    second = await aiohttp_client(create_app(config, clock=clock))
    boss = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-boss"})
    clock.advance(19)
    assert await second.server.app[SERVICES].timers.fire_due() == 0      # 29 s after the offer: not yet
    clock.advance(1)
    await second.server.app[SERVICES].timers.fire_due()
    handoff = await next_event(boss, "escalation.handoff")               # s2 is offline: the supervisors
    assert handoff["escalation_id"] == offer["escalation_id"]
    await boss.send_json({"type": "escalation.accept", "escalation_id": offer["escalation_id"]})
    assert (await next_event(boss, "conversation.watching"))["conversation_id"] == conversation_id


async def test_an_open_tickets_acknowledgement_deadline_survives_a_restart(aiohttp_client, tmp_path):
    clock = FakeClock()
    config = make_config(tmp_path, agents=SENIORS, watchdog=QUIET, teams=TEAMS)
    first = await aiohttp_client(create_app(config, clock=clock))
    await _say(first, "快递停在中转站五天了，订单PDD2026112300009", "m1")
    clock.advance(3600)
    await first.close()

    second = await aiohttp_client(create_app(config, clock=clock))
    boss = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-boss"})
    clock.advance(3600)
    await second.server.app[SERVICES].timers.fire_due()
    alert = await next_event(boss, "ticket.alert")
    assert alert["reason"] == "ack_sla_missed" and alert["ticket"]["team"] == "logistics"
    await boss.close()
    await second.close()

    third = await aiohttp_client(create_app(config, clock=clock))       # reported once: not again
    boss = await third.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-boss"})
    await third.server.app[SERVICES].timers.fire_due()
    await no_event(boss, "ticket.alert")
