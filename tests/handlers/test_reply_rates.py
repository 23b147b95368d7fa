"""Reply-rate accounting on a hand-made day whose answers were computed by hand.

Customers A–E write at t0, F at t0+390; queried at t0+400 (agent a1 answers everything):
  A answered after 20 s, B after 45 s, C after 200 s, D never (waiting 400 s), F waiting 10 s (undecided);
  E answered after 5 s, wrote again at t0+50 and was answered after 100 s (a `reply` wait).
  30 s response rate (first waits): A, E hit; B, C, D miss            -> 2/5
  3-minute reply rate (all waits):  A, B, E, E' hit; C, D miss          -> 4/6
  5-minute reply rate:              A, B, C, E, E' hit; D miss          -> 5/6
  first response time over A, B, C, E: mean (20+45+200+5)/4 = 67.5 s, median (20+45)/2 = 32.5 s
"""

import pytest

from scheduler.at_risk import AtRiskMonitor
from tests.conftest import FakeClock, next_event

AGENTS = [{"id": "a1", "name": "小李", "token": "tok-a1", "max_concurrent": 10},
          {"id": "boss", "name": "主管", "token": "tok-boss", "role": "supervisor"}]
QUIET = {"first_response": [], "reply": [],
         "at_risk": {"red_line": 0.9, "warn_margin": 0.05, "min_periods": 5}}


@pytest.fixture
async def day(gateway_factory):
    clock = FakeClock()
    gateway = await gateway_factory(clock=clock, agents=AGENTS, watchdog=QUIET)
    a1 = await gateway.agent("a1")
    t0 = clock.now
    ids = {}
    for name in "ABCDE":
        ids[name] = (await (await gateway.customer(f"我是{name}", customer_id=name)).json())["conversation_id"]
        await next_event(a1, "customer.message")

    async def at(offset: float, action) -> None:
        clock.now = t0 + offset
        await action

    await at(5, gateway.reply(a1, ids["E"]))
    await at(20, gateway.reply(a1, ids["A"]))
    await at(45, gateway.reply(a1, ids["B"]))
    await at(50, gateway.customer("还有个问题", customer_id="E"))
    await at(150, gateway.reply(a1, ids["E"]))
    await at(200, gateway.reply(a1, ids["C"]))
    await at(390, gateway.customer("我是F", customer_id="F"))
    clock.now = t0 + 400
    return gateway


async def test_rates_and_first_response_time_per_agent_and_shop(day):
    response = await day.client.get("/v1/metrics/agents", headers={"Authorization": "Bearer tok-boss"})
    assert response.status == 200
    body = await response.json()
    [agent] = body["agents"]
    [shop] = body["shops"]
    for figures in (agent, shop):
        assert figures["response_rate_30s"] == 0.4
        assert figures["reply_rate_3m"] == round(4 / 6, 4)
        assert figures["reply_rate_5m"] == round(5 / 6, 4)
        assert figures["first_response_time"] == {"count": 4, "mean_s": 67.5, "p50_s": 32.5}
        assert figures["waits"] == 7 and figures["waiting_now"] == 2
    assert agent["agent_id"] == "a1" and agent["name"] == "小李"


async def test_only_supervisors_read_the_figures(day):
    response = await day.client.get("/v1/metrics/agents", headers={"Authorization": "Bearer tok-a1"})
    assert response.status == 403
    bad = await day.client.get("/v1/metrics/agents?from=yesterday", headers={"Authorization": "Bearer tok-boss"})
    assert bad.status == 400


async def test_at_risk_warns_supervisors_once_and_publishes_gauges(day):
    boss = await day.agent("boss")
    monitor = AtRiskMonitor(day.services)
    alerts = await monitor.check()
    assert {(a["scope"], a["id"]) for a in alerts} == {("shop", "default"), ("agent", "a1")}
    received = await next_event(boss, "watchdog.alert")
    assert received["stage"] == "at_risk" and received["reply_rate_5m"] == round(5 / 6, 4)
    assert await monitor.check() == []
    metrics = await (await day.client.get("/metrics")).text()
    assert 'csgw_reply_rate{id="a1",scope="agent",window="reply_rate_5m"} 0.8333' in metrics
