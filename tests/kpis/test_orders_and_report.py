"""Order events from the storefront (``POST /v1/storefront/orders``), the KPI report on the command line, the
reply-rate figures of the first /v1/metrics/agents, and the review of an idle close.

Orders, by hand: o1 placed (202), placed again (200, duplicate), paid (202, status paid), paid again (200);
o1 for another customer (409); bad bodies (400); an agent token (403); a wrong signature (401).
"""

import csv
import io
import json

import pytest
from sqlalchemy import select

from gateway.models import Decision
from gateway.signing import sign
from kpis.models import Order, QAReview
from kpis.report import run_report
from tests.conftest import FakeClock, next_event
from tests.kpis.conftest import SUPERVISOR

SF = {"Authorization": "Bearer sf-token"}


async def _post(gateway, body, headers=SF):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await gateway.client.post("/v1/storefront/orders", data=raw,
                                         headers={**headers, "Content-Type": "application/json"})
    return response.status, await response.json()


async def test_orders_are_idempotent_by_order_id(kpi_gateway):
    gateway = await kpi_gateway()
    order = {"order_id": "o1", "customer_id": "u1", "amount": 25.5, "at": "2026-01-01T09:00:00+08:00"}
    assert await _post(gateway, order) == (202, {"accepted": True, "order_id": "o1", "status": "placed",
                                                 "duplicate": False})
    assert (await _post(gateway, order))[1]["duplicate"] is True
    assert await _post(gateway, {**order, "status": "paid"}) == (202, {"accepted": True, "order_id": "o1",
                                                                       "status": "paid", "duplicate": False})
    status, body = await _post(gateway, {**order, "status": "paid"})
    assert (status, body["duplicate"], body["status"]) == (200, True, "paid")
    status, body = await _post(gateway, {**order, "customer_id": "u2", "status": "cancelled"})
    assert (status, body["error"]["code"]) == (409, "conflict")
    async with gateway.services.db.connect() as conn:
        [row] = (await conn.execute(select(Order.__table__))).mappings().all()
    assert (row["status"], row["amount_cents"], row["placed_at"]) == ("paid", 2550, 1_767_229_200.0)


@pytest.mark.parametrize("body", [b"{nope", {"customer_id": "u1"}, {"order_id": "o", "customer_id": "u",
                                                                    "amount": "1.001"},
                                  {"order_id": "o", "customer_id": "u", "status": "shipped"},
                                  {"order_id": "o", "customer_id": "u", "at": "yesterday"}])
async def test_bad_orders_are_refused(kpi_gateway, body):
    gateway = await kpi_gateway()
    status, answer = await _post(gateway, body)
    assert status == 400 and answer["error"]["code"] in ("bad_json", "invalid_request")


async def test_orders_need_storefront_credentials_and_signature(kpi_gateway):
    gateway = await kpi_gateway(storefronts=[{"id": "shop-web", "token": "sf-token", "secret": "s3"}])
    body = json.dumps({"order_id": "o1", "customer_id": "u1"}).encode()
    assert (await _post(gateway, body, {"Authorization": "Bearer tok-a1"}))[0] == 403
    assert (await _post(gateway, body))[0] == 401
    assert (await _post(gateway, body, {**SF, "X-Signature": sign("s3", body)}))[0] == 202


async def test_the_first_reply_rate_figures_are_kept(kpi_gateway):
    """tests/handlers/test_reply_rates.py's day on the new endpoint: A-E write at t0, F at t0+390; a1 answers
    A after 20 s, B 45, C 200, E 5 and E's second wait (t0+50) after 100; D never. At t0+400: 30 s 2/5,
    3 min 4/6, 5 min 5/6, first response mean 67.5, median 32.5; 7 waits, 2 waiting."""
    clock = FakeClock()
    agents = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 10},
              {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
    gateway = await kpi_gateway(clock=clock, agents=agents, watchdog={"first_response": [], "reply": []})
    a1 = await gateway.agent("a1")
    t0, ids = clock.now, {}
    for name in "ABCDE":
        ids[name] = (await (await gateway.customer(f"我是{name}", customer_id=name)).json())["conversation_id"]
        await next_event(a1, "customer.message")
    for offset, action in ((5, ("reply", "E")), (20, ("reply", "A")), (45, ("reply", "B")), (50, ("say", "E")),
                           (150, ("reply", "E")), (200, ("reply", "C")), (390, ("say", "F"))):
        clock.now = t0 + offset
        if action[0] == "reply":
            await gateway.reply(a1, ids[action[1]])
        else:
            await gateway.customer("还有个问题", customer_id=action[1])
    clock.now = t0 + 400
    body = await (await gateway.client.get("/v1/metrics/agents", headers=SUPERVISOR)).json()
    [agent], [shop] = body["agents"], body["shops"]
    for figures in (agent, shop):
        assert (figures["response_rate_30s"], figures["reply_rate_3m"], figures["reply_rate_5m"]) == (
            0.4, round(4 / 6, 4), round(5 / 6, 4))
        assert figures["first_response_time"] == {"count": 4, "mean_s": 67.5, "p50_s": 32.5}
        assert figures["waits"] == 7 and figures["waiting_now"] == 2
    assert agent["agent_id"] == "a1" and agent["name"] == "小李"


async def test_an_idle_close_is_reviewed_once(kpi_gateway):
    """Idle close after 10 minutes with the customer's question unanswered for 600 s: left unanswered (and a
    first response never came); a second idle firing reviews nothing more."""
    clock = FakeClock()
    agents = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 10}]
    gateway = await kpi_gateway(clock=clock, agents=agents, watchdog={"first_response": [], "reply": []})
    await gateway.agent("a1")
    await gateway.customer("有人吗", customer_id="u1")
    clock.advance(601)
    await gateway.fire_timers()
    await gateway.fire_timers()
    async with gateway.services.db.connect() as conn:
        [review] = (await conn.execute(select(QAReview.__table__))).mappings().all()
        kinds = (await conn.execute(select(Decision.__table__.c.kind))).scalars().all()
    assert review["closed_by"] == "system" and review["problem"] and review["first_response_s"] is None
    assert [r["code"] for r in review["reasons"]] == ["left_unanswered"]
    assert kinds.count("qa_review") == 1


def test_the_report_command(tmp_path, capsys):
    """An empty database still prints the three tables; csv and json carry the same figures."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {{url: 'sqlite:///{tmp_path}/gw.db'}}\n"
                      "agents:\n  - {id: a1, name: 小李, token: t1, groups: [presales]}\n", encoding="utf-8")

    def run(fmt):
        args = type("Args", (), {"config": str(config), "since": "24h", "format": fmt})()
        assert run_report(args) == 0
        return capsys.readouterr().out

    table = run("table")
    assert "Agents" in table and "a1 小李" in table and "Groups" in table
    rows = list(csv.DictReader(io.StringIO(run("csv"))))
    assert rows[0]["scope"] == "agent" and rows[0]["profile"] == "presales"
    assert json.loads(run("json"))["agents"][0]["agent_id"] == "a1"
    bad = type("Args", (), {"config": str(config), "since": "soon", "format": "table"})()
    assert run_report(bad) == 2
