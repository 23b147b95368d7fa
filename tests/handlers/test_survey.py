"""Post-chat surveys over the storefront callback: question, answer capture, exclusions, expiry."""

from sqlalchemy import select

from gateway.models import Decision, Message, Survey
from tests.conftest import SF_TOKEN, FakeClock, next_event, no_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5}]
QUIET = {"first_response": [], "reply": []}


async def _start(gateway_factory, recorder_server, clock=None, **overrides):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog=QUIET,
                                    storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}],
                                    **overrides)
    return gateway, recorder, await gateway.agent("a1")


async def _chat_and_close(gateway, ws, customer_id="u-1", answer=True) -> str:
    conversation_id = (await (await gateway.customer("发票怎么开", customer_id=customer_id)).json())["conversation_id"]
    await next_event(ws, "customer.message")
    if answer:
        await gateway.reply(ws, conversation_id, "亲，订单完成后在订单页申请即可")
    await ws.send_json({"type": "conversation.close", "conversation_id": conversation_id, "resolved": True})
    await next_event(ws, "conversation.closed")
    return conversation_id


async def _surveys(gateway) -> list[dict]:
    async with gateway.services.db.connect() as conn:
        return [dict(r) for r in (await conn.execute(select(Survey.__table__))).mappings()]


async def test_close_asks_once_and_the_answer_is_recorded_not_forwarded(gateway_factory, recorder_server):
    gateway, recorder, ws = await _start(gateway_factory, recorder_server)
    conversation_id = await _chat_and_close(gateway, ws)
    question = (await recorder.wait_for(2))[1]
    assert question["kind"] == "survey" and question["text"].startswith("本次服务是否解决了您的问题")
    answer = await (await gateway.customer("1")).json()
    assert answer["conversation_id"] == conversation_id
    thanks = (await recorder.wait_for(3))[2]
    assert thanks["kind"] == "survey" and "感谢" in thanks["text"]
    await no_event(ws, within=0.2)
    [survey] = await _surveys(gateway)
    assert (survey["status"], survey["resolved"], survey["agent_id"], survey["inferred"]) == (
        "answered", True, "a1", False)
    async with gateway.services.db.connect() as conn:
        texts = (await conn.execute(select(Message.__table__.c.text).where(
            Message.__table__.c.conversation_id == conversation_id).order_by(Message.__table__.c.seq))).scalars().all()
    assert texts[-3:] == [question["text"], "1", thanks["text"]]
    again = await (await gateway.customer("2")).json()
    assert again["conversation_id"] != conversation_id   # the survey is answered: "2" is a new chat
    assert (await next_event(ws, "customer.message"))["message"]["text"] == "2"


async def test_a_new_question_instead_of_an_answer_is_routed_normally(gateway_factory, recorder_server):
    gateway, recorder, ws = await _start(gateway_factory, recorder_server)
    conversation_id = await _chat_and_close(gateway, ws)
    await recorder.wait_for(2)
    new = await (await gateway.customer("还有个问题，什么时候发货？")).json()
    assert new["conversation_id"] != conversation_id
    assigned = await next_event(ws, "conversation.assigned")
    assert [m["text"] for m in assigned["history"]] == ["还有个问题，什么时候发货？"]
    [survey] = await _surveys(gateway)
    assert survey["status"] == "unanswered" and survey["inferred"] is True


async def test_exclusions_no_answer_and_asked_recently(gateway_factory, recorder_server):
    gateway, recorder, ws = await _start(gateway_factory, recorder_server)
    await _chat_and_close(gateway, ws, customer_id="ignored", answer=False)
    await _chat_and_close(gateway, ws, customer_id="repeat")
    await recorder.wait_for(2)
    await gateway.customer("1", customer_id="repeat")
    await _chat_and_close(gateway, ws, customer_id="repeat")
    await recorder.wait_for(4)
    kinds = [(d["customer_id"], d["kind"]) for d in recorder.received]
    assert ("ignored", "survey") not in kinds
    assert [k for c, k in kinds if c == "repeat"] == ["reply", "survey", "survey", "reply"]
    async with gateway.services.db.connect() as conn:
        reasons = (await conn.execute(select(Decision.__table__.c.reason).where(
            Decision.__table__.c.kind == "survey_skipped"))).scalars().all()
    assert sorted(reasons) == ["agent_never_answered", "asked_recently"]


async def test_an_unanswered_survey_closes_with_an_inferred_evaluation(gateway_factory, recorder_server):
    clock = FakeClock()
    gateway, recorder, ws = await _start(gateway_factory, recorder_server, clock=clock)
    conversation_id = (await (await gateway.customer("不太满意，颜色和图片差挺多的")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    await gateway.reply(ws, conversation_id, "非常抱歉亲")
    await ws.send_json({"type": "conversation.close", "conversation_id": conversation_id})
    await recorder.wait_for(2)
    clock.advance(601)
    await gateway.fire_timers()
    [survey] = await _surveys(gateway)
    assert survey["status"] == "unanswered" and survey["inferred"] is True
    assert survey["inferred_score"] < 0 and survey["resolved"] is False
    late = await (await gateway.customer("1")).json()
    assert late["conversation_id"] != conversation_id
