"""Watchdog stages with a controllable clock: order, once each, reset by a reply, business hours, restart."""

from gateway.app import create_app
from tests.conftest import FakeClock, make_config, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5},
          {"id": "a2", "name": "小张", "token": "tok-a2", "max_concurrent": 5},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]


async def _setup(gateway_factory, recorder_server, **overrides):
    clock = FakeClock()
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS,
                                    storefronts=[{"id": "shop-web", "token": "sf-token", "callback_url": url}],
                                    **overrides)
    a1 = await gateway.agent("a1")
    clock.advance(1)
    boss = await gateway.agent("boss")
    conversation_id = (await (await gateway.customer("在吗？我的快递怎么还没到")).json())["conversation_id"]
    await next_event(a1, "customer.message")
    return gateway, clock, recorder, a1, boss, conversation_id


async def test_first_response_stages_fire_in_order_once_each(gateway_factory, recorder_server):
    gateway, clock, recorder, a1, boss, conversation_id = await _setup(gateway_factory, recorder_server)
    a2 = await gateway.agent("a2")
    clock.advance(29)
    assert await gateway.fire_timers() == 0
    clock.advance(1)
    await gateway.fire_timers()
    nudge = await next_event(a1, "watchdog.alert")
    assert (nudge["action"], nudge["stage"], nudge["waited_s"]) == ("nudge_agent", "first_response.1", 30.0)
    await no_event(boss, "watchdog.alert", within=0.1)
    clock.advance(30)
    await gateway.fire_timers()
    alert = await next_event(boss, "watchdog.alert")
    assert alert["action"] == "alert_supervisor" and alert["agent_id"] == "a1"
    await no_event(a1, "watchdog.alert", within=0.1)
    clock.advance(120)
    await gateway.fire_timers()
    assert (await next_event(a1, "conversation.reassigned"))["conversation_id"] == conversation_id
    moved = await next_event(a2, "conversation.assigned")
    assert moved["reason"] == "reassign" and moved["from_agent"] == "a1"
    clock.advance(90)
    await gateway.fire_timers()
    [auto] = await recorder.wait_for(1)
    assert auto["kind"] == "auto" and auto["text"] == "亲，客服正在为您查询，请稍候～"
    clock.advance(600)
    await gateway.fire_timers()
    await no_event(a2, "watchdog.alert", within=0.1)
    assert len(recorder.received) == 1


async def test_an_agent_reply_ends_the_wait_and_a_new_message_starts_reply_stages(gateway_factory,
                                                                                 recorder_server):
    gateway, clock, recorder, a1, boss, conversation_id = await _setup(gateway_factory, recorder_server)
    clock.advance(30)
    await gateway.fire_timers()
    await next_event(a1, "watchdog.alert")
    await gateway.reply(a1, conversation_id, "亲，帮您查一下")
    clock.advance(200)
    await gateway.fire_timers()
    await no_event(boss, "watchdog.alert", within=0.1)
    await gateway.customer("查到了吗")
    await next_event(a1, "customer.message")
    clock.advance(60)
    await gateway.fire_timers()
    nudge = await next_event(a1, "watchdog.alert")
    assert (nudge["stage"], nudge["period"], nudge["waited_s"]) == ("reply.1", "reply", 60.0)


FRIDAY_17_59_50 = 1_767_347_990.0    # 2026-01-02 17:59:50 Asia/Shanghai
MONDAY_09_00 = 1_767_574_800.0       # 2026-01-05 09:00:00 Asia/Shanghai
SATURDAY_NOON = 1_767_412_800.0      # 2026-01-03 12:00:00 Asia/Shanghai


async def test_business_hours_pause_the_deadlines(gateway_factory, recorder_server):
    hours = {"timezone": "Asia/Shanghai", **{day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
             "off_hours_reply": "亲，客服上班后第一时间回复您～"}
    clock = FakeClock(FRIDAY_17_59_50)
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog={"business_hours": hours},
                                    storefronts=[{"id": "shop-web", "token": "sf-token", "callback_url": url}])
    a1 = await gateway.agent("a1")
    await gateway.customer("你好，在吗")
    await next_event(a1, "customer.message")
    clock.advance(30)
    assert await gateway.fire_timers() == 0        # 10 s counted before closing, the rest waits for Monday
    clock.now = MONDAY_09_00 + 19                  # nor does the idle close count the weekend
    assert await gateway.fire_timers() == 0
    clock.now = MONDAY_09_00 + 20
    await gateway.fire_timers()
    assert (await next_event(a1, "watchdog.alert"))["action"] == "nudge_agent"
    assert recorder.received == []   # the customer wrote during business hours: no off-hours reply
    clock.now = SATURDAY_NOON
    await gateway.customer("周末有人吗", customer_id="weekend")
    await gateway.customer("？", customer_id="weekend")
    [auto] = await recorder.wait_for(1)
    assert auto["kind"] == "auto" and auto["text"] == "亲，客服上班后第一时间回复您～"
    await no_event(a1, "watchdog.alert", within=0.1)
    assert len(recorder.received) == 1


async def test_deadlines_are_rearmed_after_a_restart_and_fire_once(aiohttp_client, tmp_path):
    clock = FakeClock()
    config = make_config(tmp_path, agents=AGENTS)
    first = await aiohttp_client(create_app(config, clock=clock))
    a1 = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    await first.post("/v1/storefront/messages", json={"message_id": "r1", "customer_id": "u-1", "text": "人呢"},
                     headers={"Authorization": "Bearer sf-token"})
    await next_event(a1, "customer.message")
    clock.advance(30)
    from gateway.services import SERVICES

    await first.server.app[SERVICES].timers.fire_due()
    assert (await next_event(a1, "watchdog.alert"))["stage"] == "first_response.1"
    await a1.close()
    await first.close()

    clock.advance(45)   # down while the 60 s stage fell due
    second = await aiohttp_client(create_app(config, clock=clock))
    boss = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-boss"})
    a1 = await second.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    await next_event(a1, "conversation.assigned")
    await second.server.app[SERVICES].timers.fire_due()
    alert = await next_event(boss, "watchdog.alert")
    assert alert["stage"] == "first_response.2" and alert["waited_s"] == 75.0
    await no_event(a1, "watchdog.alert", within=0.2)


async def test_idle_conversations_close(gateway_factory, recorder_server):
    gateway, clock, recorder, a1, boss, conversation_id = await _setup(
        gateway_factory, recorder_server, watchdog={"first_response": [], "reply": [], "idle_close": "10m"})
    await gateway.reply(a1, conversation_id)
    clock.advance(599)
    await gateway.fire_timers()
    await no_event(a1, "conversation.closed", within=0.1)
    clock.advance(1)
    await gateway.fire_timers()
    closed = await next_event(a1, "conversation.closed")
    assert closed["reason"] == "idle_close"
