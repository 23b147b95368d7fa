"""Protocol-v1 §1–2 end to end: customer → agent over WebSocket, reply → storefront callback or WebSocket."""

import hashlib
import hmac

from tests.conftest import SF_TOKEN, next_event, no_event


async def test_customer_message_reaches_the_agent_and_the_reply_reaches_the_callback(gateway_factory,
                                                                                       recorder_server):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "secret": "cb-secret",
                                                  "callback_url": url}])
    ws = await gateway.agent("a1")
    accepted = await (await gateway.customer("我的快递三天没动了", order_id="PDD2026112300001",
                                             customer_name="小王")).json()
    assigned = await next_event(ws)
    assert assigned["type"] == "conversation.assigned" and assigned["reason"] == "load_balance"
    assert assigned["conversation_id"] == accepted["conversation_id"]
    assert [m["text"] for m in assigned["history"]] == ["我的快递三天没动了"]
    assert assigned["conversation"]["order_id"] == "PDD2026112300001"
    message = await next_event(ws)
    assert message["type"] == "customer.message" and message["message"]["text"] == "我的快递三天没动了"
    assert "analysis" in message

    await ws.send_json({"type": "agent.reply", "conversation_id": accepted["conversation_id"],
                        "client_msg_id": "c-1", "text": "亲，已为您催促物流"})
    ack = await next_event(ws, "ack")
    assert ack["client_msg_id"] == "c-1"
    [delivered] = await recorder.wait_for(1)
    assert delivered["type"] == "agent.message" and delivered["kind"] == "reply"
    assert delivered["text"] == "亲，已为您催促物流" and delivered["customer_id"] == "u-1"
    assert delivered["delivery_id"].startswith("dl_") and delivered["conversation_id"] == accepted["conversation_id"]
    expected = "sha256=" + hmac.new(b"cb-secret", recorder.bodies[0], hashlib.sha256).hexdigest()
    assert recorder.headers[0]["X-Signature"] == expected


async def test_replies_go_over_the_storefront_websocket_when_one_is_connected(gateway):
    store = await gateway.client.ws_connect(f"/v1/storefront/ws?token={SF_TOKEN}")
    agent = await gateway.agent("a1")
    await store.send_json({"type": "customer.message", "message_id": "w-1", "customer_id": "u-9", "text": "在吗"})
    ack = await next_event(store, "ack")
    assert ack["message_id"] == "w-1" and ack["duplicate"] is False
    await next_event(agent, "customer.message")
    await agent.send_json({"type": "agent.reply", "conversation_id": ack["conversation_id"],
                           "client_msg_id": "r-1", "text": "在的，亲"})
    event = await next_event(store, "agent.message")
    assert event["text"] == "在的，亲" and event["kind"] == "reply"


async def test_an_agent_cannot_act_on_another_agents_conversation(gateway_factory, recorder_server):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}],
                                    agents=[{"id": "a1", "name": "a", "token": "tok-a1", "max_concurrent": 1},
                                            {"id": "a2", "name": "b", "token": "tok-a2", "max_concurrent": 1}])
    a1 = await gateway.agent("a1")
    accepted = await (await gateway.customer("你好")).json()
    await next_event(a1, "customer.message")
    a2 = await gateway.agent("a2")
    await a2.send_json({"type": "agent.reply", "conversation_id": accepted["conversation_id"],
                        "client_msg_id": "x", "text": "我来回复"})
    error = await next_event(a2, "error")
    assert error["error"]["code"] == "forbidden" and error["ref"] == "x"
    await a2.send_json({"type": "conversation.close", "conversation_id": accepted["conversation_id"]})
    assert (await next_event(a2, "error"))["error"]["code"] == "forbidden"
    http = await gateway.client.post("/v1/agent/replies", headers={"Authorization": "Bearer tok-a2"},
                                     json={"conversation_id": accepted["conversation_id"], "client_msg_id": "y",
                                           "text": "我来回复"})
    assert http.status == 403
    view = await gateway.client.get(f"/v1/conversations/{accepted['conversation_id']}",
                                    headers={"Authorization": "Bearer tok-a2"})
    assert view.status == 403
    await no_event(a1, "conversation.closed")
    assert recorder.calls == 0


async def test_bad_frames_get_errors_and_the_connection_stays_open(gateway):
    ws = await gateway.agent("a1")
    await ws.send_str("{not json")
    assert (await next_event(ws, "error"))["error"]["code"] == "bad_json"
    await ws.send_json({"type": "dance"})
    assert (await next_event(ws, "error"))["error"]["code"] == "unknown_type"
    await ws.send_bytes(b"\x00\x01")
    assert (await next_event(ws, "error"))["error"]["code"] == "unsupported_frame"
    await ws.send_json({"type": "agent.reply", "conversation_id": "cv_nope", "client_msg_id": "z", "text": "hi"})
    assert (await next_event(ws, "error"))["error"]["code"] == "not_found"
    await ws.send_json({"type": "agent.reply", "conversation_id": "cv_nope", "client_msg_id": "z"})
    assert (await next_event(ws, "error"))["error"]["code"] == "invalid_request"
    await gateway.customer("还能用吗")
    assert (await next_event(ws, "customer.message"))["message"]["text"] == "还能用吗"


async def test_close_ends_the_conversation_and_the_next_message_opens_a_new_one(gateway):
    ws = await gateway.agent("a1")
    first = await (await gateway.customer("退货怎么弄")).json()
    await next_event(ws, "customer.message")
    await ws.send_json({"type": "conversation.close", "conversation_id": first["conversation_id"], "resolved": True})
    closed = await next_event(ws, "conversation.closed")
    assert closed["conversation_id"] == first["conversation_id"] and closed["resolved"] is True
    await ws.send_json({"type": "agent.reply", "conversation_id": first["conversation_id"], "client_msg_id": "late",
                        "text": "还有问题吗"})
    assert (await next_event(ws, "error"))["error"]["code"] == "conversation_closed"
    second = await (await gateway.customer("又有个问题")).json()
    assert second["conversation_id"] != first["conversation_id"]
    assert (await next_event(ws, "conversation.assigned"))["conversation_id"] == second["conversation_id"]


async def test_http_equivalents_reply_close_and_view(gateway_factory, recorder_server):
    recorder, url = await recorder_server()
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "callback_url": url}])
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("发票怎么开")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    auth = {"Authorization": "Bearer tok-a1"}
    reply = await gateway.client.post("/v1/agent/replies", headers=auth, json={
        "conversation_id": conversation_id, "client_msg_id": "h-1", "text": "亲，订单完成后可在订单页申请发票"})
    assert reply.status == 200
    await recorder.wait_for(1)
    again = await gateway.client.post("/v1/agent/replies", headers=auth, json={
        "conversation_id": conversation_id, "client_msg_id": "h-1", "text": "亲，订单完成后可在订单页申请发票"})
    assert again.status == 200
    view = await (await gateway.client.get(f"/v1/conversations/{conversation_id}", headers=auth)).json()
    assert [m["role"] for m in view["messages"]] == ["customer", "agent"]
    assert view["conversation"]["first_response_at"] is not None
    close = await gateway.client.post(f"/v1/conversations/{conversation_id}/close", headers=auth,
                                      json={"resolved": False})
    assert close.status == 200
    assert (await gateway.client.post(f"/v1/conversations/{conversation_id}/close", headers=auth)).status == 409
    delivered = await recorder.wait_for(2)
    assert [d["kind"] for d in delivered] == ["reply", "survey"]
    supervisor = await gateway.client.get(f"/v1/conversations/{conversation_id}",
                                          headers={"Authorization": "Bearer tok-boss"})
    assert (await supervisor.json())["conversation"]["status"] == "closed"


async def test_reconnecting_agent_gets_its_open_conversations_with_history(gateway):
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("尺码怎么选")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    await ws.close()
    await gateway.customer("我身高170")
    again = await gateway.agent("a1")
    resumed = await next_event(again, "conversation.assigned")
    assert resumed["conversation_id"] == conversation_id and resumed["resumed"] is True
    assert [m["text"] for m in resumed["history"]] == ["尺码怎么选", "我身高170"]
    await gateway.customer("M码还是L码")
    assert (await next_event(again, "customer.message"))["message"]["text"] == "M码还是L码"


async def test_oversized_frames_get_an_error_and_the_socket_stays_open(gateway):
    ws = await gateway.agent("a1")
    await ws.send_json({"type": "agent.reply", "conversation_id": "cv_x", "client_msg_id": "big",
                        "text": "长" * 30000})
    assert (await next_event(ws, "error"))["error"]["code"] == "too_large"
    await gateway.customer("还在吗")
    assert (await next_event(ws, "customer.message"))["message"]["text"] == "还在吗"


async def test_an_http_reply_held_back_by_the_checks_is_refused_with_its_reasons(gateway):
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("在吗")).json())["conversation_id"]
    await next_event(ws, "customer.message")
    response = await gateway.client.post("/v1/agent/replies", headers={"Authorization": "Bearer tok-a1"}, json={
        "conversation_id": conversation_id, "client_msg_id": "h-9", "text": "加我微信聊"})
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "reply_rejected" and error["reasons"][0]["code"] == "banned_word"
    view = await (await gateway.client.get(f"/v1/conversations/{conversation_id}",
                                           headers={"Authorization": "Bearer tok-a1"})).json()
    assert "data" not in view["conversation"] and view["conversation"]["waiting_since"].endswith("+00:00")
