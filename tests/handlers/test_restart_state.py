"""What a restart must not forget: owners, a wait started by a later message, agents' grace periods."""

from gateway.app import create_app
from gateway.services import SERVICES
from tests.conftest import FakeClock, make_config, next_event

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
