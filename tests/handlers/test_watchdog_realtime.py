"""End to end with real short deadlines: nudge, supervisor alert, reassignment, in order, once each."""

import asyncio
import time

import pytest

from tests.conftest import next_event, no_event

pytestmark = pytest.mark.slow
STAGES = [{"after": "1s", "action": "nudge_agent"}, {"after": "2s", "action": "alert_supervisor"},
          {"after": "3s", "action": "reassign"}]
AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1"}, {"id": "a2", "name": "小张", "token": "tok-a2"},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]


async def test_a_waiting_customer_gets_nudge_alert_reassign_in_order(gateway_factory):
    gateway = await gateway_factory(agents=AGENTS, watchdog={"first_response": STAGES})
    a1 = await gateway.agent("a1")
    await asyncio.sleep(0.02)
    boss = await gateway.agent("boss")
    start = time.monotonic()
    conversation_id = (await (await gateway.customer("人呢？？")).json())["conversation_id"]
    await next_event(a1, "customer.message")
    a2 = await gateway.agent("a2")
    nudge = await next_event(a1, "watchdog.alert", timeout=3)
    nudge_at = time.monotonic() - start
    alert = await next_event(boss, "watchdog.alert", timeout=3)
    alert_at = time.monotonic() - start
    moved = await next_event(a2, "conversation.assigned", timeout=3)
    moved_at = time.monotonic() - start
    assert nudge["action"] == "nudge_agent" and alert["action"] == "alert_supervisor"
    assert moved["conversation_id"] == conversation_id and moved["reason"] == "reassign"
    assert 0.9 <= nudge_at < alert_at < moved_at < 4.5
    await no_event(a1, "watchdog.alert", within=1.2)
    await no_event(boss, "watchdog.alert", within=0.1)


async def test_a_reply_in_between_stops_the_remaining_stages(gateway_factory):
    gateway = await gateway_factory(agents=AGENTS, watchdog={"first_response": STAGES})
    a1 = await gateway.agent("a1")
    await asyncio.sleep(0.02)
    boss = await gateway.agent("boss")
    conversation_id = (await (await gateway.customer("人呢？？")).json())["conversation_id"]
    await next_event(a1, "customer.message")
    await next_event(a1, "watchdog.alert", timeout=3)
    await gateway.reply(a1, conversation_id, "亲，在的")
    await no_event(boss, "watchdog.alert", within=2.5)
    await no_event(a1, "conversation.reassigned", within=0.1)
