"""Reply checks end to end: block, mask, flag; customer-given data allowed; a broken check holds the reply."""

import asyncio

from sqlalchemy import select

from gateway.models import QAViolation
from tests.conftest import SF_TOKEN, next_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1"}]


async def _open(gateway_factory, recorder_server, **qa):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(agents=AGENTS, qa=qa or {"on_violation": "block"},
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("快递到哪了")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    return gateway, recorder, ws, conversation_id


async def _send(ws, conversation_id, text, client_msg_id):
    await ws.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": client_msg_id,
                        "text": text})


async def test_a_reply_with_a_phone_number_is_blocked_and_never_reaches_the_storefront(gateway_factory,
                                                                                      recorder_server):
    gateway, recorder, ws, conversation_id = await _open(gateway_factory, recorder_server)
    await _send(ws, conversation_id, "有事加我微信，或者打我电话13812345678", "bad-1")
    rejected = await next_event(ws, "reply.rejected")
    assert rejected["client_msg_id"] == "bad-1"
    codes = {r["code"] for r in rejected["reasons"]}
    assert codes == {"banned_word", "pii_leak"}
    assert any(r["span"] == "13812345678" for r in rejected["reasons"])
    await _send(ws, conversation_id, "亲，已为您催促物流，预计明天送达", "ok-1")
    assert (await next_event(ws, "ack"))["client_msg_id"] == "ok-1"
    delivered = await recorder.wait_for(1)
    await asyncio.sleep(0.1)
    assert [d["text"] for d in recorder.received] == ["亲，已为您催促物流，预计明天送达"]
    async with gateway.services.db.connect() as conn:
        rows = (await conn.execute(select(QAViolation.__table__))).mappings().all()
    assert {(r["code"], r["action"]) for r in rows} == {("banned_word", "blocked"), ("pii_leak", "blocked")}
    assert delivered[0]["kind"] == "reply"


async def test_mask_policy_delivers_the_reply_with_the_span_masked(gateway_factory, recorder_server):
    gateway, recorder, ws, conversation_id = await _open(gateway_factory, recorder_server, on_violation="mask")
    await _send(ws, conversation_id, "师傅电话13812345678，您可以联系他", "m-1")
    masked = await next_event(ws, "reply.masked")
    assert "13812345678" not in masked["text"]
    await next_event(ws, "ack")
    [delivered] = await recorder.wait_for(1)
    assert delivered["text"] == masked["text"] and "5678" in delivered["text"]


async def test_flag_policy_delivers_and_records(gateway_factory, recorder_server):
    gateway, recorder, ws, conversation_id = await _open(gateway_factory, recorder_server, on_violation="flag")
    await _send(ws, conversation_id, "这个绝对不会坏的，百分之百放心", "f-1")
    await next_event(ws, "ack")
    [delivered] = await recorder.wait_for(1)
    assert delivered["text"] == "这个绝对不会坏的，百分之百放心"
    async with gateway.services.db.connect() as conn:
        actions = (await conn.execute(select(QAViolation.__table__.c.action))).scalars().all()
    assert actions and set(actions) == {"flagged"}


async def test_data_the_customer_gave_may_be_confirmed_back(gateway_factory, recorder_server):
    gateway, recorder, ws, conversation_id = await _open(gateway_factory, recorder_server)
    await gateway.customer("我的新电话是13998765432，帮我改一下")
    await next_event(ws, "customer.message")
    await _send(ws, conversation_id, "好的亲，已为您把联系电话改为13998765432", "c-1")
    assert (await next_event(ws, "ack"))["client_msg_id"] == "c-1"
    await recorder.wait_for(1)


async def test_a_broken_check_holds_the_reply_back(gateway_factory, recorder_server):
    gateway, recorder, ws, conversation_id = await _open(gateway_factory, recorder_server)

    class Broken:
        def check(self, *args, **kwargs):
            raise RuntimeError("rules failed to load")

    gateway.services.engines["reply_checker"] = Broken()
    await _send(ws, conversation_id, "亲，在的", "x-1")
    rejected = await next_event(ws, "reply.rejected")
    assert rejected["reasons"][0]["code"] == "check_failed"
    await asyncio.sleep(0.2)
    assert recorder.received == []
