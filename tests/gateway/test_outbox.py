"""Delivery to the storefront callback: retries with backoff until a 2xx, survives restarts, keeps order."""

import asyncio

from gateway.app import create_app
from tests.conftest import SF_TOKEN, make_config, next_event


async def _reply(gateway, ws, text: str, client_msg_id: str, customer_id: str = "u-1") -> None:
    conversation_id = (await (await gateway.customer("在吗", customer_id=customer_id)).json())["conversation_id"]
    await next_event(ws, "customer.message")
    await ws.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": client_msg_id,
                        "text": text})
    await next_event(ws, "ack")


async def test_a_callback_that_fails_first_gets_the_reply_once_it_recovers(gateway_factory, recorder_server):
    recorder, url = await recorder_server(fail_first=3, status=500)
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    ws = await gateway.agent("a1")
    await _reply(gateway, ws, "第一条", "c-1")
    [delivered] = await recorder.wait_for(1)
    assert delivered["text"] == "第一条" and recorder.calls == 4


async def test_a_hanging_callback_times_out_and_is_retried(gateway_factory, recorder_server):
    recorder, url = await recorder_server(fail_first=1, hang=3.0)
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}],
                                    delivery={"retry_base": 0.05, "retry_cap": 0.1, "timeout": 0.3})
    ws = await gateway.agent("a1")
    await _reply(gateway, ws, "慢慢来", "c-1")
    assert (await recorder.wait_for(1, timeout=5))[0]["text"] == "慢慢来"


async def test_replies_of_one_conversation_arrive_in_order_despite_failures(gateway_factory, recorder_server):
    recorder, url = await recorder_server(fail_first=2, status=503)
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("在吗")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    for i in range(5):
        await ws.send_json({"type": "agent.reply", "conversation_id": conversation_id, "client_msg_id": f"o-{i}",
                            "text": f"第{i}句"})
    received = await recorder.wait_for(5)
    assert [r["text"] for r in received] == [f"第{i}句" for i in range(5)]


async def test_undelivered_replies_survive_a_restart(aiohttp_client, tmp_path, recorder_server):
    recorder, url = await recorder_server()
    dead = {"id": "shop-web", "token": SF_TOKEN, "callback_url": "http://127.0.0.1:9/unreachable"}
    first = await aiohttp_client(create_app(make_config(tmp_path, storefronts=[dead])))
    ws = await first.ws_connect("/v1/agent/ws", headers={"Authorization": "Bearer tok-a1"})
    body = {"message_id": "r-1", "customer_id": "u-1", "text": "在吗"}
    accepted = await (await first.post("/v1/storefront/messages", json=body,
                                       headers={"Authorization": f"Bearer {SF_TOKEN}"})).json()
    await next_event(ws, "customer.message")
    await ws.send_json({"type": "agent.reply", "conversation_id": accepted["conversation_id"],
                        "client_msg_id": "x-1", "text": "重启后也要送到"})
    await next_event(ws, "ack")
    await ws.close()
    await first.close()
    alive = {"id": "shop-web", "token": SF_TOKEN, "callback_url": url}
    await aiohttp_client(create_app(make_config(tmp_path, storefronts=[alive])))
    [delivered] = await recorder.wait_for(1)
    assert delivered["text"] == "重启后也要送到" and delivered["conversation_id"] == accepted["conversation_id"]
    await asyncio.sleep(0.1)
    assert len(recorder.received) == 1


async def test_a_delivery_left_pending_by_a_dead_process_is_taken_over(gateway_factory, recorder_server):
    from gateway.db import Write
    from scheduler.jobs import keep_outbox_claims

    recorder, url = await recorder_server()
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    db, now = gateway.services.db, gateway.services.clock()

    def delivery(delivery_id: str, claimed_until: float) -> dict:
        return {"id": delivery_id, "storefront_id": "shop-web", "conversation_id": f"cv_{delivery_id}",
                "payload": {"type": "agent.message", "delivery_id": delivery_id, "conversation_id": f"cv_{delivery_id}",
                            "customer_id": "u-9", "text": "另一个进程的回复", "kind": "reply", "sent_at": None},
                "status": "pending", "attempts": 0, "created_at": now - 60, "delivered_at": None,
                "channel": None, "last_error": None, "claimed_by": "gw_other", "claimed_until": claimed_until}

    await db.write(Write(db.statements.insert_delivery, delivery("dl_orphan", now - 1)),     # its process died
                   Write(db.statements.insert_delivery, delivery("dl_held", now + 30)))      # its process lives
    assert await keep_outbox_claims(gateway.services) == 1
    [delivered] = await recorder.wait_for(1)
    assert delivered["delivery_id"] == "dl_orphan"
    assert await keep_outbox_claims(gateway.services) == 0        # delivered: nothing left to take over
    await asyncio.sleep(0.2)
    assert len(recorder.received) == 1                           # the live process's delivery stays with it
