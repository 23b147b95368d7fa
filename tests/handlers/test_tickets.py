"""Tickets end to end: detection, one ticket per order and intent, signed webhooks, retries, dead letters,
replay, the team API's permissions, acknowledgement and the agent hearing back."""

import asyncio
import hashlib
import hmac

from tests.conftest import FakeClock, next_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 5},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
QUIET = {"first_response": [], "reply": []}


def _teams(url_logistics=None, url_warehouse=None):
    return [{"id": "logistics", "token": "tok-log", "webhook_url": url_logistics, "secret": "log-secret",
             "ack_sla": "2h"},
            {"id": "warehouse", "token": "tok-wh", "webhook_url": url_warehouse, "secret": "wh-secret",
             "ack_sla": "4h"}]


async def _gateway(gateway_factory, teams, clock=None, **tickets):
    return await gateway_factory(clock=clock, agents=AGENTS, teams=teams, watchdog=QUIET,
                                 tickets={"retry_base": 0.05, "retry_cap": 0.2, "timeout": 0.5,
                                          "breaker_cooldown": 0.2, **tickets})


async def test_a_delay_complaint_opens_one_signed_ticket_and_repeats_add_evidence(gateway_factory,
                                                                                    recorder_server):
    logistics, url = await recorder_server()
    gateway = await _gateway(gateway_factory, _teams(url_logistics=url))
    ws = await gateway.agent("a1")
    conversation_id = (await (await gateway.customer("我的快递三天了还没动，怎么回事",
                                                     order_id="PDD2026112300001")).json())["conversation_id"]
    message = await next_event(ws, "customer.message")
    assert message["analysis"]["intent"]["label"] == "logistics_delay"
    opened = await next_event(ws, "ticket.updated")
    [delivered] = await logistics.wait_for(1)
    ticket = delivered["ticket"]
    assert delivered["type"] == "ticket.created" and ticket["team"] == "logistics"
    assert (ticket["intent"], ticket["order_id"], ticket["conversation_id"], ticket["status"]) == (
        "logistics_delay", "PDD2026112300001", conversation_id, "open")
    assert ticket["evidence"][0]["text"] == "我的快递三天了还没动，怎么回事"
    assert opened["ticket"]["id"] == ticket["id"]
    expected = "sha256=" + hmac.new(b"log-secret", logistics.bodies[0], hashlib.sha256).hexdigest()
    assert logistics.headers[0]["X-Signature"] == expected
    await gateway.customer("物流一直不更新，到底什么时候能到")
    await next_event(ws, "customer.message")
    await asyncio.sleep(0.2)
    assert len(logistics.received) == 1
    view = await gateway.client.get(f"/v1/tickets/{ticket['id']}", headers={"Authorization": "Bearer tok-log"})
    assert len((await view.json())["ticket"]["evidence"]) == 2


async def test_look_alikes_open_no_ticket(gateway_factory, recorder_server):
    logistics, url = await recorder_server()
    gateway = await _gateway(gateway_factory, _teams(url_logistics=url, url_warehouse=url))
    ws = await gateway.agent("a1")
    for text in ("请问什么时候发货呀", "是不是正品", "快递员态度很好", "物流挺快的，谢谢"):
        await gateway.customer(text)
        await next_event(ws, "customer.message")
    await asyncio.sleep(0.2)
    listing = await gateway.client.get("/v1/tickets", headers={"Authorization": "Bearer tok-boss"})
    assert (await listing.json())["tickets"] == [] and logistics.received == []


async def test_a_flaky_webhook_gets_the_ticket_after_retries(gateway_factory, recorder_server):
    warehouse, url = await recorder_server(fail_first=3, status=503)
    gateway = await _gateway(gateway_factory, _teams(url_warehouse=url))
    await gateway.customer("收到的杯子是碎的，包装都压坏了", order_id="TB123456789012345678")
    [delivered] = await warehouse.wait_for(1, timeout=5)
    assert delivered["ticket"]["intent"] == "damaged_goods" and warehouse.calls == 4


async def test_a_dead_endpoint_dead_letters_alerts_and_replays(gateway_factory, recorder_server):
    warehouse, url = await recorder_server(fail_first=2, status=500)   # down for exactly the allowed attempts
    gateway = await _gateway(gateway_factory, _teams(url_warehouse=url), max_attempts=2, breaker_threshold=10)
    boss = await gateway.agent("boss")
    await gateway.customer("你们发错货了，我买的是黑色收到白色", order_id="TB123456789012345678")
    alert = await next_event(boss, "ticket.alert", timeout=5)
    assert alert["reason"] == "dead_letter" and alert["team"] == "warehouse"
    auth = {"Authorization": "Bearer tok-boss"}
    dead = (await (await gateway.client.get("/v1/ticket-deliveries?status=dead", headers=auth)).json())["deliveries"]
    assert [d["ticket_id"] for d in dead] == [alert["ticket_id"]]
    team_replay = await gateway.client.post(f"/v1/tickets/{alert['ticket_id']}/replay",
                                            headers={"Authorization": "Bearer tok-wh"})
    assert team_replay.status == 403
    replay = await gateway.client.post(f"/v1/tickets/{alert['ticket_id']}/replay", headers=auth)
    assert (await replay.json())["replayed"] == 1
    assert (await warehouse.wait_for(1, timeout=5))[0]["ticket"]["id"] == alert["ticket_id"]


async def test_the_circuit_opens_and_a_probe_closes_it(gateway_factory, recorder_server):
    logistics, url = await recorder_server(fail_first=3, status=500)
    gateway = await _gateway(gateway_factory, _teams(url_logistics=url), breaker_threshold=3, workers=1,
                             breaker_cooldown=1.0)
    await gateway.customer("快递一个星期了还没到", customer_id="c1", order_id="PDD1")
    await asyncio.sleep(0.4)                     # three failures ~0.05 s apart open the circuit
    assert gateway.services.team_outbox.breaker_open("logistics")
    assert logistics.calls == 3
    await asyncio.sleep(0.3)
    assert logistics.calls == 3                  # open: no hammering during the cooldown
    await logistics.wait_for(1, timeout=5)       # the probe after the cooldown delivers
    assert not gateway.services.team_outbox.breaker_open("logistics")


async def test_team_api_permissions_ack_resolve_and_the_agent_hears_back(gateway_factory):
    gateway = await _gateway(gateway_factory, _teams())
    ws = await gateway.agent("a1")
    await gateway.customer("少发了一件，只收到一个", order_id="TB123456789012345678")
    ticket = (await next_event(ws, "ticket.updated"))["ticket"]
    assert ticket["team"] == "warehouse"
    log, wh = {"Authorization": "Bearer tok-log"}, {"Authorization": "Bearer tok-wh"}
    assert (await gateway.client.get(f"/v1/tickets/{ticket['id']}", headers=log)).status == 404
    assert (await gateway.client.get("/v1/tickets?team=warehouse", headers=log)).status == 403
    assert (await gateway.client.get("/v1/tickets", headers={"Authorization": "Bearer tok-a1"})).status == 403
    mine = await (await gateway.client.get("/v1/tickets?status=open", headers=wh)).json()
    assert [t["id"] for t in mine["tickets"]] == [ticket["id"]]
    assert (await gateway.client.post(f"/v1/tickets/{ticket['id']}/ack", headers=log)).status == 404
    acked = await gateway.client.post(f"/v1/tickets/{ticket['id']}/ack", headers=wh)
    assert (await acked.json())["ticket"]["status"] == "acked"
    assert (await next_event(ws, "ticket.updated"))["ticket"]["status"] == "acked"
    resolved = await gateway.client.post(f"/v1/tickets/{ticket['id']}/resolve", headers=wh,
                                         json={"note": "已补发，单号SF1234567890"})
    body = (await resolved.json())["ticket"]
    assert body["status"] == "resolved" and body["note"] == "已补发，单号SF1234567890"
    assert (await next_event(ws, "ticket.updated"))["ticket"]["status"] == "resolved"


async def test_a_missed_acknowledgement_deadline_alerts_the_supervisors(gateway_factory):
    clock = FakeClock()
    gateway = await _gateway(gateway_factory, _teams(), clock=clock)
    boss = await gateway.agent("boss")
    await gateway.customer("快递停在中转站五天了", order_id="PDD2026112300009")
    clock.advance(2 * 3600)
    await gateway.fire_timers()
    alert = await next_event(boss, "ticket.alert")
    assert alert["reason"] == "ack_sla_missed" and alert["ticket"]["team"] == "logistics"
