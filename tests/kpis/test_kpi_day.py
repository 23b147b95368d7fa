"""KPIs of a hand-made day, built through the real app over loopback, against figures computed by hand.

Thursday 2026-01-01 (Asia/Shanghai), t = seconds after 08:00; agents a1 and a2 (group presales), the watchdog
reassigns a first wait after 120 s and auto-replies after 150 s; kpis.duration: too_short 60 s, too_long 10 min.

  A  t=0 writes; a1 answers at 10 (script sc-greet); A "好的谢谢" at 20; a1 closes resolved at 30 (30 s: too
     short); A answers the survey "1" (resolved). A comes back on Jan 2 at 07:00 (< 24 h after): a repeat.
  B  t=100 writes; a1's first try at 140 leaks a phone number (blocked: 1 violation), then answers (40 s);
     B complains "我要投诉" at 200 (hard trigger: escalated from a1 to the supervisors); a1 answers at 230 (30 s);
     closes at 240 (survey skipped: the escalation is unresolved). B is back on Jan 2 at 09:00 (> 24 h).
  C  t=300 writes to a1; a2 comes online at 400; the watchdog reassigns C to a2 at 420 and auto-replies at 450
     (the wait goes on); a2 answers at 470 (script sc-ship): the customer waited 170 s, a2 had it 50 s; a2
     closes resolved at 500; C answers the survey "2" (not resolved). C pays an order on Jan 2 (converted).
  D  23:55 writes; a1 answers after 20 s; D thanks "太好了，非常感谢" at 00:05 (Jan 2) and a1 answers 60 s
     later; a1 closes at 00:10 (900 s: too long); no survey answer: inferred from "你好，在吗" and the thanks
     (mean score > 0.3: resolved).

Waits begun on Jan 1: A:1 10 s, A:2 closed after 10 s (undecided), B:1 40, B:2 30, C:1 170 (handed over),
D:1 20 (D's second wait began on Jan 2).
Shop / group (the customer's view):
  30 s rate (first waits): A, D hit; B, C miss                                   2/4 = 0.5
  3-min and 5-min rates: A:1, B:1, B:2, C:1, D:1 hit; A:2 undecided             5/5 = 1.0
  first response [10, 40, 170, 20]: mean 60, p50 30, p90 40 + 0.7 * 130 = 131
  response interval [10, 40, 30, 170, 20]: mean 54
  durations (open to close) [30, 140, 200, 900]: mean 317.5, 1 too short, 1 too long
  known outcomes A (yes), C (no), D (inferred yes): solved 2/3; first contact (no repeat) D only: 1/3
  repeat within 24 h: A                                                          1/4
  CSAT answered A, C: resolved 1/2, positive 1/2; inferred D: resolved 1/1
  conversion C 1/4; complaint B 1/4; escalation B 1/4; transfers 5 assignments - 4 chats = 1: 0.25 per chat
a1 (A, B, D on record; given A, B, C, D):
  30 s: A hit, B miss, D hit, and C's miss (a1 had C at 30 s): 2/4; 3-min: A:1, B:1, B:2, D:1 4/4
  first response [10, 40, 20]: mean 23.33, p50 20, p90 20 + 0.8 * 20 = 36; interval [10, 40, 30, 20] mean 25
  durations [30, 140, 900] mean 356.7; first contact D of (A, D) 1/2; repeat 1/3; passes C 1/4;
  complaint and escalation B 1/4; 1 violation in 5 replies = 20 per 100; 1 scripted reply of 5
  score (presales): response speed 25 s -> 86.4, conversion 0/3 -> 0, good reviews 1/1 -> 100:
  (86.4*30 + 0*40 + 100*30) / 100 = 55.9
a2 (C): 30 s: nothing decided; 3-min 1/1 (the hit is the answerer's); own first response 50 s;
  conversion 1/1 -> 100, good reviews 0/1 -> 0, speed 50 s -> 63.6: (63.6*30 + 100*40 + 0) / 100 = 59.1
"""

from sqlalchemy import select

from gateway.models import Survey
from tests.kpis.conftest import SUPERVISOR
from tests.kpis.day import DAY


async def _get(gateway, path):
    response = await gateway.client.get(path, headers=SUPERVISOR)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_shop_and_group_figures(day):
    body = await _get(day, f"/v1/metrics/groups?{DAY}")
    [group] = body["groups"]
    [shop] = body["shops"]
    assert group["group"] == "presales"
    for figures in (group, shop):
        assert (figures["waits"], figures["waiting_now"]) == (6, 0)
        assert (figures["response_rate_30s"], figures["reply_rate_3m"], figures["reply_rate_5m"]) == (0.5, 1.0, 1.0)
        assert figures["first_response_time"] == {"count": 4, "mean_s": 60.0, "p50_s": 30.0}
        assert figures["first_response_time_p90_s"] == 131.0
        assert figures["response_interval"] == {"count": 5, "mean_s": 54.0}
        assert figures["conversations"] == 4
        assert figures["duration"] == {"closed": 4, "mean_s": 317.5, "too_short": 1, "too_long": 1,
                                       "too_short_rate": 0.25, "too_long_rate": 0.25}
        assert figures["solved_rate"] == round(2 / 3, 4)
        assert figures["first_contact_resolution"] == {"rate": round(1 / 3, 4), "solved": 1, "known": 3}
        assert figures["repeat_inquiry"] == {"rate": 0.25, "repeats": 1}
        assert figures["csat"]["answered"] == {"count": 2, "resolved_rate": 0.5, "positive_rate": 0.5,
                                               "mean_rating": None, "rated": 0}
        assert figures["csat"]["inferred"]["count"] == 1 and figures["csat"]["inferred"]["resolved_rate"] == 1.0
        assert figures["conversion"] == {"rate": 0.25, "converted": 1}
        assert figures["complaints"] == {"count": 1, "rate": 0.25}
        assert figures["escalations"] == {"count": 1, "rate": 0.25}
        assert figures["transfers"] == {"count": 1, "per_conversation": 0.25}
        assert figures["violations"]["count"] == 1 and figures["violations"]["by_code"] == {"pii_leak": 1}
        assert figures["scripts"] == {"replies": 6, "scripted": 2, "usage_rate": round(2 / 6, 4)}
    async with day.services.db.connect() as conn:
        score = (await conn.execute(select(Survey.__table__.c.inferred_score).where(
            Survey.__table__.c.conversation_id == day.ids["D"]))).scalar()
    assert score > 0.3 and shop["csat"]["inferred"]["mean_score"] == round(score, 3)


async def test_agent_figures_split_the_handed_over_wait_and_score(day):
    body = await _get(day, f"/v1/metrics/agents?{DAY}")
    a1, a2 = body["agents"]
    assert (a1["agent_id"], a2["agent_id"]) == ("a1", "a2")
    assert (a1["waits"], a1["response_rate_30s"], a1["reply_rate_3m"]) == (5, 0.5, 1.0)
    assert a1["decided"] == {"response_rate_30s": 4, "reply_rate_3m": 4, "reply_rate_5m": 4}
    assert a1["first_response_time"] == {"count": 3, "mean_s": 23.33, "p50_s": 20.0}
    assert a1["first_response_time_p90_s"] == 36.0 and a1["response_interval"] == {"count": 4, "mean_s": 25.0}
    assert (a1["conversations"], a1["given"], a1["duration"]["mean_s"]) == (3, 4, 356.7)
    assert a1["first_contact_resolution"]["rate"] == 0.5 and a1["repeat_inquiry"]["rate"] == round(1 / 3, 4)
    assert a1["transfers"] == {"count": 1, "per_conversation": 0.25}
    assert a1["complaints"]["rate"] == 0.25 and a1["escalations"]["rate"] == 0.25
    assert a1["violations"]["per_100_replies"] == 20.0 and a1["scripts"]["usage_rate"] == 0.2
    assert a1["score"]["profile"] == "presales" and a1["score"]["value"] == 55.9
    assert (a2["waits"], a2["response_rate_30s"], a2["reply_rate_3m"]) == (1, None, 1.0)
    assert a2["first_response_time"] == {"count": 1, "mean_s": 50.0, "p50_s": 50.0}
    assert (a2["conversations"], a2["given"], a2["transfers"]["count"]) == (1, 1, 0)
    assert a2["conversion"] == {"rate": 1.0, "converted": 1}
    assert a2["score"]["value"] == 59.1
    scripts = {s["script_id"]: s for s in body["scripts"]}
    assert scripts["sc-greet"]["solved_rate"] == 1.0 and scripts["sc-ship"]["solved_rate"] == 0.0


async def test_a_chat_spanning_midnight_counts_on_the_day_it_opened(day):
    body = await _get(day, "/v1/metrics/groups?from=2026-01-02T00:00:00%2B08:00&to=2026-01-03T00:00:00%2B08:00")
    [shop] = body["shops"]
    assert shop["conversations"] == 2          # A's and B's returns; D belongs to Jan 1
    assert shop["response_interval"] == {"count": 1, "mean_s": 60.0}   # D's second wait began on Jan 2
    assert shop["waits"] == 3                  # D:2, A's and B's new first waits (still waiting)


async def test_csv_export(day):
    response = await day.client.get(f"/v1/metrics/agents.csv?{DAY}", headers=SUPERVISOR)
    assert response.status == 200 and response.content_type == "text/csv"
    lines = (await response.text()).splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert [(r["scope"], r["id"]) for r in rows] == [("agent", "a1"), ("agent", "a2"), ("group", "presales"),
                                                     ("shop", "default")]
    assert rows[0]["name"] == "小李" and rows[0]["score"] == "55.9" and rows[2]["response_rate_30s"] == "0.5"


async def test_only_supervisors_read_kpis(day):
    for path in ("/v1/metrics/agents", "/v1/metrics/groups", "/v1/metrics/agents.csv"):
        denied = await day.client.get(path, headers={"Authorization": "Bearer tok-a1"})
        assert denied.status == 403 and (await denied.json())["error"]["code"] == "forbidden"
    bad = await day.client.get("/v1/metrics/groups?from=2026-01-02", headers=SUPERVISOR)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_request"
