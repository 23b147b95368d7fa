"""Protocol-v1 §1.1 over real HTTP: acceptance, duplicates, credentials, signatures and bad input."""

import hashlib
import hmac
import json

from tests.conftest import SF_TOKEN, next_event


async def test_message_is_accepted_with_202_and_a_conversation(gateway):
    response = await gateway.customer("我的快递三天没动了", message_id="sf-123")
    assert response.status == 202
    body = await response.json()
    assert body["accepted"] is True and body["message_id"] == "sf-123" and body["duplicate"] is False
    assert body["conversation_id"].startswith("cv_")


async def test_same_message_id_is_a_duplicate_processed_once(gateway):
    ws = await gateway.agent("a1")
    first = await (await gateway.customer("在吗", message_id="sf-dup")).json()
    again = await gateway.customer("在吗", message_id="sf-dup")
    assert again.status == 200
    body = await again.json()
    assert body["duplicate"] is True and body["conversation_id"] == first["conversation_id"]
    await next_event(ws, "customer.message")
    history = await gateway.client.get(f"/v1/conversations/{first['conversation_id']}",
                                       headers={"Authorization": "Bearer tok-a1"})
    assert [m["text"] for m in (await history.json())["messages"]] == ["在吗"]


async def test_a_returning_customer_with_an_open_conversation_keeps_it(gateway):
    one = await (await gateway.customer("你好", customer_id="u-7")).json()
    two = await (await gateway.customer("还在吗", customer_id="u-7")).json()
    other = await (await gateway.customer("你好", customer_id="u-8")).json()
    assert one["conversation_id"] == two["conversation_id"] != other["conversation_id"]


async def test_missing_or_wrong_token_is_401_and_agent_token_is_403(gateway):
    assert (await gateway.customer("hi", token="nope")).status == 401
    no_auth = await gateway.client.post("/v1/storefront/messages", json={"message_id": "x", "customer_id": "u",
                                                                          "text": "hi"})
    assert no_auth.status == 401
    assert (await no_auth.json())["error"]["code"] == "unauthorized"
    assert (await gateway.customer("hi", token="tok-a1")).status == 403


async def test_bad_json_and_schema_errors_have_the_protocol_shape(gateway):
    headers = {"Authorization": f"Bearer {SF_TOKEN}", "Content-Type": "application/json"}
    cases = [b"{not json", b"[1,2]", json.dumps({"customer_id": "u", "text": "hi"}).encode(),
             json.dumps({"message_id": "m", "customer_id": 42, "text": "hi"}).encode(),
             json.dumps({"message_id": "m", "customer_id": "u", "text": ""}).encode(),
             json.dumps({"message_id": "m", "customer_id": "u", "text": "长" * 4001}).encode()]
    for body in cases:
        response = await gateway.client.post("/v1/storefront/messages", data=body, headers=headers)
        assert response.status == 400, body[:40]
        error = (await response.json())["error"]
        assert error["code"] in {"bad_json", "invalid_request"} and error["message"]


async def test_text_of_exactly_4000_characters_is_accepted(gateway):
    assert (await gateway.customer("好" * 4000)).status == 202


async def test_oversized_body_is_413(gateway):
    headers = {"Authorization": f"Bearer {SF_TOKEN}"}
    response = await gateway.client.post("/v1/storefront/messages", data=b"x" * 70000, headers=headers)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"


async def test_unknown_path_is_404_in_protocol_shape(gateway):
    response = await gateway.client.get("/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_signature_is_required_when_the_storefront_has_a_secret(gateway_factory):
    gateway = await gateway_factory(storefronts=[{"id": "shop-web", "token": SF_TOKEN, "secret": "s3cret"}])
    body = json.dumps({"message_id": "sig-1", "customer_id": "u-1", "text": "你好"}).encode()
    auth = {"Authorization": f"Bearer {SF_TOKEN}", "Content-Type": "application/json"}
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    for signature in (None, "sha256=" + "0" * 64, good.upper()):
        headers = {**auth, **({"X-Signature": signature} if signature else {})}
        response = await gateway.client.post("/v1/storefront/messages", data=body, headers=headers)
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "bad_signature"
    response = await gateway.client.post("/v1/storefront/messages", data=body, headers={**auth, "X-Signature": good})
    assert response.status == 202
