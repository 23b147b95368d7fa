"""The hand-made day the KPI, QA and timeline tests share (the story is told in test_kpi_day.py)."""

from tests.conftest import FakeClock, next_event

DAY = "from=2026-01-01T00:00:00%2B08:00&to=2026-01-02T00:00:00%2B08:00"
AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 10, "groups": ["presales"]},
          {"id": "a2", "name": "小张", "token": "tok-a2", "max_concurrent": 10, "groups": ["presales"]},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
WATCHDOG = {"first_response": [{"after": 120, "action": "reassign"},
                               {"after": 150, "action": "auto_reply", "text": "亲，请稍候～"}], "reply": []}
KPIS = {"duration": {"too_short": "60s", "too_long": "10m"}}


async def _say(gateway, text, customer):
    return (await (await gateway.customer(text, customer_id=customer)).json())["conversation_id"]


async def _reply(ws, conversation_id, text, script_id=None):
    await ws.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": text,
                        "text": text, **({"script_id": script_id} if script_id else {})})
    return await next_event(ws, "ack")


async def _close(ws, conversation_id, resolved):
    await ws.send_json({"type": "conversation.close", "conversation_id": conversation_id, "resolved": resolved})
    await next_event(ws, "conversation.closed")


async def _order(gateway, **body):
    response = await gateway.client.post("/v1/storefront/orders", json=body,
                                         headers={"Authorization": "Bearer sf-token"})
    assert response.status == 202, await response.text()


async def build_day(kpi_gateway):
    clock = FakeClock()
    gateway = await kpi_gateway(clock=clock, kpis=KPIS, agents=AGENTS, watchdog=WATCHDOG,
                                routing={"default_group": "presales"})
    t0, ids = clock.now, {}

    def at(offset):
        clock.now = t0 + offset

    a1 = await gateway.agent("a1")
    ids["A"] = await _say(gateway, "在吗，这个有货吗", "A")
    at(10)
    await _reply(a1, ids["A"], "亲，有货的哦", "sc-greet")
    at(20)
    await _say(gateway, "好的谢谢", "A")
    at(30)
    await _close(a1, ids["A"], True)
    at(40)
    await _say(gateway, "1", "A")
    at(100)
    ids["B"] = await _say(gateway, "我想问下这件衣服的尺码", "B")
    at(140)
    await a1.send_json({"type": "agent.reply", "conversation_id": ids["B"], "client_msg_id": "leak",
                        "text": "有问题打我电话13812345678"})
    assert (await next_event(a1, "reply.rejected"))["reasons"][0]["code"] == "pii_leak"
    await _reply(a1, ids["B"], "亲，按平时的尺码选就好")
    at(200)
    await _say(gateway, "你们这什么破服务，我要投诉", "B")
    at(230)
    await _reply(a1, ids["B"], "非常抱歉亲，马上为您处理")
    at(240)
    await _close(a1, ids["B"], None)
    at(300)
    ids["C"] = await _say(gateway, "订单什么时候发货", "C")
    at(400)
    a2 = await gateway.agent("a2")
    at(420)
    await gateway.fire_timers()
    await next_event(a2, "conversation.assigned")
    at(450)
    await gateway.fire_timers()
    at(470)
    await _reply(a2, ids["C"], "今天下午发出", "sc-ship")
    at(500)
    await _close(a2, ids["C"], True)
    at(520)
    await _say(gateway, "2", "C")
    at(900)
    await gateway.fire_timers()
    at(15 * 3600 + 55 * 60)                       # 23:55
    ids["D"] = await _say(gateway, "你好，在吗", "D")
    at(15 * 3600 + 55 * 60 + 20)
    await _reply(a1, ids["D"], "在的亲")
    at(16 * 3600 + 5 * 60)
    await _say(gateway, "太好了，非常感谢", "D")
    at(16 * 3600 + 6 * 60)
    await _reply(a1, ids["D"], "不客气亲")
    at(16 * 3600 + 10 * 60)
    await _close(a1, ids["D"], True)
    at(16 * 3600 + 25 * 60)
    await gateway.fire_timers()
    at(23 * 3600)
    await _say(gateway, "又来问一下", "A")
    at(25 * 3600)
    await _say(gateway, "我又来了", "B")
    await _order(gateway, order_id="o-A", customer_id="A", amount=59, at="2026-01-01T09:00:00+08:00")
    await _order(gateway, order_id="o-A", customer_id="A", status="cancelled", at="2026-01-01T09:30:00+08:00")
    await _order(gateway, order_id="o-B", customer_id="B", amount="99.9", status="paid",
                 at="2026-01-05T10:00:00+08:00")
    await _order(gateway, order_id="o-C", customer_id="C", amount=120, status="paid", at="2026-01-02T10:00:00+08:00")
    at(26 * 3600)
    gateway.ids = ids
    return gateway


