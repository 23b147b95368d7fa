"""The chatbot tier end to end: built-in FAQ bot, external bot by webhook (healthy, slow, dead, handing off),
handoff to a person with the transcript, overflow mode."""

import asyncio
import hashlib
import hmac
import json
import time

import pytest
from aiohttp import web

from tests.conftest import SF_TOKEN, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 1},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
QUIET = {"first_response": [], "reply": []}


async def _gateway(gateway_factory, recorder_server, bot, agents=AGENTS):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(agents=agents, watchdog=QUIET, bot=bot,
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    return gateway, recorder


async def _bot_server(aiohttp_server, answer, delay=0.0):
    calls = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        calls.append((json.loads(body), request.headers.get("X-Signature"), body))
        await asyncio.sleep(delay)
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/bot", handle)
    server = await aiohttp_server(app)
    return calls, str(server.make_url("/bot"))


async def test_the_builtin_bot_answers_a_faq_and_hands_over_on_request(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server, {"mode": "first", "min_confidence": 0.6})
    a1 = await gateway.agent("a1")
    await gateway.customer("发票怎么开")
    [answer] = await recorder.wait_for(1)
    assert answer["kind"] == "bot" and "发票" in answer["text"]
    await no_event(a1, "conversation.assigned", within=0.2)
    await gateway.customer("转人工")
    assigned = await next_event(a1, "conversation.assigned")
    assert assigned["reason"] == "bot_handoff" and assigned["handoff_reason"] == "customer_request"
    assert [(m["role"], m["text"]) for m in assigned["history"]][:2] == [("customer", "发票怎么开"),
                                                                          ("bot", answer["text"])]
    handoff = (await recorder.wait_for(2))[1]
    assert handoff["kind"] == "bot" and "人工" in handoff["text"]


async def test_a_healthy_webhook_bot_answers_signed_turns(gateway_factory, recorder_server, aiohttp_server):
    calls, url = await _bot_server(aiohttp_server, {"reply": "亲，48小时内发货哦", "confidence": 0.93,
                                                    "handoff": False})
    gateway, recorder = await _gateway(gateway_factory, recorder_server,
                                       {"mode": "first", "engine": "webhook", "webhook_url": url, "secret": "b0t"})
    await gateway.customer("什么时候发货")
    [answer] = await recorder.wait_for(1)
    assert answer["kind"] == "bot" and answer["text"] == "亲，48小时内发货哦"
    turn, signature, body = calls[0]
    assert turn["type"] == "bot.turn" and turn["text"] == "什么时候发货" and turn["customer_id"] == "u-1"
    assert signature == "sha256=" + hmac.new(b"b0t", body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("slow", [False, True], ids=["dead", "slow"])
async def test_a_dead_or_slow_bot_hands_over_at_once(gateway_factory, recorder_server, aiohttp_server, slow):
    calls, slow_url = await _bot_server(aiohttp_server, {"reply": "太慢了"}, delay=3.0)
    url, reason = (slow_url, "bot_timeout") if slow else ("http://127.0.0.1:9/bot", "bot_unreachable")
    gateway, recorder = await _gateway(gateway_factory, recorder_server, {
        "mode": "first", "engine": "webhook", "webhook_url": url, "timeout": "0.5s"})
    a1 = await gateway.agent("a1")
    started = time.monotonic()
    await gateway.customer("在吗")
    assigned = await next_event(a1, "conversation.assigned")
    assert assigned["handoff_reason"] == reason and time.monotonic() - started < 1.5
    [said] = await recorder.wait_for(1)
    assert said["kind"] == "bot" and "人工" in said["text"]


async def test_the_bot_may_hand_over_itself(gateway_factory, recorder_server, aiohttp_server):
    calls, url = await _bot_server(aiohttp_server, {"reply": None, "confidence": 0.2, "handoff": True,
                                                    "reason": "order_specific"})
    gateway, recorder = await _gateway(gateway_factory, recorder_server,
                                       {"mode": "first", "engine": "webhook", "webhook_url": url})
    a1 = await gateway.agent("a1")
    await gateway.customer("我这个订单能改成顺丰吗")
    assert (await next_event(a1, "conversation.assigned"))["handoff_reason"] == "order_specific"


async def test_two_misses_in_a_row_hand_over(gateway_factory, recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server, {"mode": "first", "min_confidence": 0.9})
    a1 = await gateway.agent("a1")
    await gateway.customer("嗯嗯那个东西呢")
    await no_event(a1, "conversation.assigned", within=0.2)
    await gateway.customer("就是上次说的那个")
    assert (await next_event(a1, "conversation.assigned"))["handoff_reason"] == "low_confidence"


async def test_overflow_mode_answers_while_agents_are_busy_and_hands_over_when_one_frees(gateway_factory,
                                                                                          recorder_server):
    gateway, recorder = await _gateway(gateway_factory, recorder_server, {"mode": "overflow", "min_confidence": 0.6})
    a1 = await gateway.agent("a1")
    busy = (await (await gateway.customer("你好", customer_id="first")).json())["conversation_id"]
    await next_event(a1, "conversation.assigned")          # an agent could: no bot
    await gateway.customer("发票怎么开", customer_id="second")
    [answer] = await recorder.wait_for(1)
    assert answer["kind"] == "bot" and answer["customer_id"] == "second"
    await a1.send_json({"type": "conversation.close", "conversation_id": busy})
    assigned = await next_event(a1, "conversation.assigned")
    assert assigned["conversation"]["customer_id"] == "second"
    assert (assigned["reason"], assigned["handoff_reason"]) == ("bot_handoff", "agent_available")


async def test_a_bot_only_conversation_closes_when_idle_and_gets_its_survey(gateway_factory, recorder_server):
    from tests.conftest import FakeClock

    clock = FakeClock()
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog=QUIET,
                                    bot={"mode": "first", "min_confidence": 0.6},
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    await gateway.customer("发票怎么开")
    await recorder.wait_for(1)
    clock.advance(601)
    await gateway.fire_timers()
    survey = (await recorder.wait_for(2))[1]
    assert survey["kind"] == "survey"


async def test_bot_kpis_count_containment_handoffs_and_confidence(gateway_factory, recorder_server):
    from tests.conftest import FakeClock

    clock = FakeClock()
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog=QUIET,
                                    bot={"mode": "first", "min_confidence": 0.6},
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    a1 = await gateway.agent("a1")
    await gateway.customer("发票怎么开", customer_id="solved")        # answered, then idle-closed, never back
    await gateway.customer("转人工", customer_id="human")             # handed over on request
    await next_event(a1, "conversation.assigned")
    clock.advance(601)
    await gateway.fire_timers()
    clock.advance(86400)
    response = await gateway.client.get("/v1/metrics/bot", headers={"Authorization": "Bearer tok-boss"})
    figures = await response.json()
    assert (figures["conversations"], figures["handoffs"], figures["contained"]) == (2, 1, 1)
    assert figures["handoff_reasons"] == {"customer_request": 1}
    assert figures["containment_rate"] == 0.5 and figures["answers"] == 1
    assert sum(figures["confidence"].values()) == 1
