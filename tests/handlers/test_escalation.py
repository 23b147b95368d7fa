"""Escalation end to end over real WebSockets: handoff, accept, the chain of seniors, supervisors,
watch and whisper, and the record of every step."""

import asyncio

from tests.conftest import SF_TOKEN, FakeClock, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5},
          {"id": "s1", "name": "王组长", "token": "tok-s1", "role": "senior", "max_concurrent": 3},
          {"id": "s2", "name": "赵组长", "token": "tok-s2", "role": "senior", "max_concurrent": 3},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
QUIET = {"first_response": [], "reply": []}
ANGRY = "你们到底怎么回事！！！再不处理我就去12315投诉你们"


async def _setup(gateway_factory, recorder_server, clock=None, **overrides):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog=QUIET, **overrides,
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    a1 = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("我的快递到哪了", order_id="PDD2026112300001")).json())[
        "conversation_id"]
    await next_event(a1, "customer.message")
    await gateway.reply(a1, conversation_id, "亲，帮您查询一下")
    return gateway, recorder, a1, conversation_id


async def test_an_angry_customer_is_handed_to_a_senior_who_takes_over(gateway_factory, recorder_server):
    gateway, recorder, a1, conversation_id = await _setup(gateway_factory, recorder_server)
    s1 = await gateway.agent("s1")
    await gateway.customer(ANGRY)
    started = await next_event(a1, "escalation.started")
    handoff = await next_event(s1, "escalation.handoff")
    assert handoff["escalation_id"] == started["escalation_id"] and handoff["reason"] == "hard_trigger"
    summary = handoff["summary"]
    assert summary["order_id"] == "PDD2026112300001" and summary["tried"] == ["亲，帮您查询一下"]
    assert summary["last_messages"][-1]["text"] == ANGRY and summary["mood"]["moved_by"]
    assert [m["text"] for m in handoff["history"]][-1] == ANGRY
    await s1.send_json({"type": "escalation.accept", "escalation_id": handoff["escalation_id"]})
    assigned = await next_event(s1, "conversation.assigned")
    assert assigned["reason"] == "escalation" and assigned["from_agent"] == "a1"
    resolved = await next_event(a1, "escalation.resolved")
    assert resolved["outcome"] == "accepted" and resolved["by"] == "s1"
    await gateway.reply(s1, conversation_id, "非常抱歉给您添麻烦了，我是组长，马上为您处理")
    delivered = await recorder.wait_for(2)
    assert delivered[-1]["text"].startswith("非常抱歉") and delivered[-1]["kind"] == "reply"
    await a1.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": "late",
                        "text": "还在吗"})
    assert (await next_event(a1, "error"))["error"]["code"] == "forbidden"
    listing = await (await gateway.client.get("/v1/escalations", headers={"Authorization": "Bearer tok-boss"})).json()
    [record] = listing["escalations"]
    assert (record["status"], record["accepted_by"], record["reason"]) == ("accepted", "s1", "hard_trigger")
    assert any("complaint" in e for e in record["evidence"])


async def test_declines_and_timeouts_pass_the_handoff_on_then_to_supervisors(gateway_factory, recorder_server):
    clock = FakeClock()
    gateway, recorder, a1, conversation_id = await _setup(gateway_factory, recorder_server, clock=clock)
    s1, s2, boss = await gateway.agent("s1"), await gateway.agent("s2"), await gateway.agent("boss")
    await gateway.customer(ANGRY)
    first = await next_event(s1, "escalation.handoff")
    await s1.send_json({"type": "escalation.decline", "escalation_id": first["escalation_id"]})
    second = await next_event(s2, "escalation.handoff")
    assert second["escalation_id"] == first["escalation_id"]
    clock.advance(30)
    await gateway.fire_timers()
    to_boss = await next_event(boss, "escalation.handoff")
    assert to_boss["escalation_id"] == first["escalation_id"]
    await s2.send_json({"type": "escalation.accept", "escalation_id": first["escalation_id"]})
    assert (await next_event(s2, "error"))["error"]["code"] == "forbidden"
    await boss.send_json({"type": "escalation.accept", "escalation_id": first["escalation_id"]})
    watching = await next_event(boss, "conversation.watching")
    assert watching["role"] == "adviser"
    await boss.send_json({"type": "whisper", "conversation_id": conversation_id, "text": "先道歉，再给补偿方案"})
    whisper = await next_event(a1, "whisper")
    assert whisper["text"] == "先道歉，再给补偿方案" and whisper["from"] == "boss"
    await gateway.customer("快点")
    assert (await next_event(boss, "customer.message"))["message"]["text"] == "快点"
    await asyncio.sleep(0.2)
    assert all(d["text"] != "先道歉，再给补偿方案" for d in recorder.received)


async def test_calm_customers_are_not_escalated_and_nobody_flip_flops(gateway_factory, recorder_server):
    gateway, recorder, a1, conversation_id = await _setup(gateway_factory, recorder_server)
    s1 = await gateway.agent("s1")
    for text in ("好的", "请问大概什么时候能到呀", "那我再等等，谢谢"):
        await gateway.customer(text)
        await next_event(a1, "customer.message")
    await no_event(s1, "escalation.handoff", within=0.2)
    await gateway.customer(ANGRY)
    handoff = await next_event(s1, "escalation.handoff")
    await gateway.customer("还是没人管？？？投诉！")
    await no_event(s1, "escalation.handoff", within=0.2)   # already escalated: no second offer
    assert handoff["reason"] == "hard_trigger"


async def test_supervisors_watch_any_conversation_and_others_cannot(gateway_factory, recorder_server):
    gateway, recorder, a1, conversation_id = await _setup(gateway_factory, recorder_server)
    boss, s1 = await gateway.agent("boss"), await gateway.agent("s1")
    await s1.send_json({"type": "watch", "conversation_id": conversation_id})
    assert (await next_event(s1, "error"))["error"]["code"] == "forbidden"
    await boss.send_json({"type": "watch", "conversation_id": conversation_id})
    watching = await next_event(boss, "conversation.watching")
    assert [m["text"] for m in watching["history"]] == ["我的快递到哪了", "亲，帮您查询一下"]
    await gateway.reply(a1, conversation_id, "已经到您所在城市了")
    assert (await next_event(boss, "conversation.reply"))["text"] == "已经到您所在城市了"


async def test_an_idle_close_ends_an_unanswered_offer_and_skips_the_survey(gateway_factory, recorder_server):
    clock = FakeClock()
    gateway, recorder, a1, conversation_id = await _setup(gateway_factory, recorder_server, clock=clock)
    await gateway.customer(ANGRY)
    await next_event(a1, "escalation.started")
    clock.advance(601)
    await gateway.fire_timers()
    assert (await next_event(a1, "conversation.closed"))["reason"] == "idle_close"
    listing = await (await gateway.client.get("/v1/escalations", headers={"Authorization": "Bearer tok-boss"})).json()
    assert listing["escalations"][0]["status"] == "unanswered"
    await asyncio.sleep(0.1)
    assert all(d["kind"] != "survey" for d in recorder.received)
