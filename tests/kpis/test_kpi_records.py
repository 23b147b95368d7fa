"""KPI edge cases on histories written row by row into a real SQLite file, with answers computed by hand.

Times are seconds after Thursday 2026-01-01 00:00 Asia/Shanghai (``T``); "a1 at 0" means an ``assign``
decision giving the conversation to a1.
"""

import random

import pytest

from gateway.models import Conversation, Decision, Escalation, QAViolation, ReplyPeriod, Survey, Ticket
from gateway.reply_rates import reply_rates
from kpis import rollup
from kpis.models import Order, QAReview
from kpis.service import KpiService
from scheduler.business_hours import BusinessCalendar
from tests.kpis.conftest import insert, kpi_config

T = 1_767_196_800.0
HOUR, DAY = 3600.0, 86400.0
AGENTS = [{"id": "a1", "name": "小李", "token": "t1", "groups": ["presales"]},
          {"id": "a2", "name": "小张", "token": "t2", "groups": ["presales"]},
          {"id": "s1", "name": "王组长", "token": "t3", "role": "senior", "groups": ["presales"]}]
HOURS = {"timezone": "Asia/Shanghai", **{d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}


def chat(cid, customer, agent, opened, closed=None, **extra):
    return {"id": cid, "storefront_id": "shop-web", "customer_id": customer, "agent_id": agent, "group": "presales",
            "status": "closed" if closed is not None else "open", "opened_at": opened, "closed_at": closed,
            "closed_by": agent if closed is not None else None, "updated_at": closed or opened, **extra}


def wait(cid, n, agent, start, waited=None, outcome="answered", kind="first_response"):
    return {"id": f"{cid}:{n}", "conversation_id": cid, "storefront_id": "shop-web", "shop_id": "default",
            "agent_id": agent, "kind": kind, "started_at": start, "outcome": outcome, "waited_s": waited,
            "answered_at": start + waited if outcome == "answered" else None}


def assign(cid, agent, at, reason="load_balance", **details):
    return {"id": f"dc-{cid}-{at}-{agent}", "at": at, "conversation_id": cid, "kind": "assign", "agent_id": agent,
            "reason": reason, "details": details}


def service(tmp_path, db, **watchdog):
    config = kpi_config(tmp_path, agents=AGENTS, watchdog=watchdog)
    return KpiService(db, config, BusinessCalendar(config.watchdog.business_hours))


async def figures(svc, since, until, now):
    report = await svc.report(since, until, now)
    return {a["agent_id"]: a for a in report["agents"]}, report["shops"][0]


async def test_waits_count_business_time(records_db, tmp_path):
    """Open 09:00-18:00 on weekdays. W1 writes Thu 17:59:50, answered Fri 09:00:20: 10 + 20 = 30 s (a hit,
    though 15 hours passed); W2 writes Fri 08:00 before opening, answered 09:00:45: 45 s (30-s miss, 3-min
    hit); W3 Fri 10:00, answered after 5 s; W4 writes Fri 17:58 and is still waiting on Saturday noon: 120 s
    of open time (a 30-s miss; not yet decided for 3 minutes).
    30 s rate 2/4; 3-min 3/3; first response [30, 45, 5]: mean 26.67, p50 30; one still waiting."""
    thu, fri = T, T + DAY
    starts = {"W1": thu + 17 * HOUR + 3590, "W2": fri + 8 * HOUR, "W3": fri + 10 * HOUR, "W4": fri + 17 * HOUR + 3480}
    answered = {"W1": fri + 9 * HOUR + 20, "W2": fri + 9 * HOUR + 45, "W3": fri + 10 * HOUR + 5}
    await insert(records_db, Conversation, [chat(c, c, "a1", s) for c, s in starts.items()])
    await insert(records_db, Decision, [assign(c, "a1", s) for c, s in starts.items()])
    await insert(records_db, ReplyPeriod, [wait(c, 1, "a1", s, answered[c] - s) for c, s in starts.items()
                                           if c in answered] + [wait("W4", 1, "a1", starts["W4"], None, "waiting")])
    agents, shop = await figures(service(tmp_path, records_db, business_hours=HOURS), thu, thu + 2 * DAY,
                                 now=thu + 2 * DAY + 12 * HOUR)
    for scope in (agents["a1"], shop):
        assert (scope["response_rate_30s"], scope["reply_rate_3m"], scope["waiting_now"]) == (0.5, 1.0, 1)
        assert scope["first_response_time"] == {"count": 3, "mean_s": 26.67, "p50_s": 30.0}
    wall = await reply_rates(records_db, thu, thu + 2 * DAY, thu + 2 * DAY + 12 * HOUR)
    assert wall["shops"]["default"].rate("response_rate_30s") == 0.25   # the live figure counts the night


async def test_a_wait_handed_over_is_charged_where_each_verdict_fell(records_db, tmp_path):
    """X: a1 at 0, transferred to a2 at 100, a2 answers at 400. The 30-s verdict fell with a1 (a miss), the
    3- and 5-minute verdicts with a2 (misses); a2's own response time is 300 s, the customer's 400 s.
    Y: a1 at 1000, reassigned to a2 exactly at 1180 (the 3-minute mark: still a1's miss), a2 answers at 1200:
    a1 misses 30 s and 3 min, a2 hits 5 min with 20 s of its own.
    a1: 30 s 0/2, 3 min 0/1; a2: 3 min 0/1, 5 min 1/2, first response [300, 20].
    Shop: 30 s 0/2, 3 min 0/2, 5 min 1/2, first response [400, 200] mean 300. Passes away from a1: 2 of 2."""
    await insert(records_db, Conversation, [chat("X", "x", "a2", T), chat("Y", "y", "a2", T + 1000)])
    await insert(records_db, Decision, [
        assign("X", "a1", T), assign("X", "a2", T + 100, "transfer", from_agent="a1"),
        assign("Y", "a1", T + 1000), assign("Y", "a2", T + 1180, "reassign", from_agent="a1")])
    await insert(records_db, ReplyPeriod, [wait("X", 1, "a2", T, 400.0), wait("Y", 1, "a2", T + 1000, 200.0)])
    agents, shop = await figures(service(tmp_path, records_db), T, T + DAY, now=T + DAY)
    a1, a2 = agents["a1"], agents["a2"]
    assert a1["decided"] == {"response_rate_30s": 2, "reply_rate_3m": 1, "reply_rate_5m": 0}
    assert (a1["response_rate_30s"], a1["reply_rate_3m"], a1["waits"]) == (0.0, 0.0, 0)
    assert a2["decided"] == {"response_rate_30s": 0, "reply_rate_3m": 1, "reply_rate_5m": 2}
    assert (a2["reply_rate_5m"], a2["first_response_time"]["mean_s"], a2["waits"]) == (0.5, 160.0, 2)
    assert (shop["response_rate_30s"], shop["reply_rate_3m"], shop["reply_rate_5m"]) == (0.0, 0.0, 0.5)
    assert shop["first_response_time"]["mean_s"] == 300.0
    assert a1["transfers"] == {"count": 2, "per_conversation": 1.0} and shop["transfers"]["count"] == 2


async def test_repeat_inquiry_within_24_hours_and_first_contact_resolution(records_db, tmp_path):
    """R closes at 1000 (solved in the survey) and is back at 1000 + 24 h exactly: a repeat, so not a first-
    contact resolution. S closes at 2000 (solved, inferred) and is back at 2000 + 24 h + 1 s: no repeat.
    U closes unsolved (answered "no"). Known 3, solved 2, first contact 1 (S): 1/3; repeats 1/3."""
    await insert(records_db, Conversation, [
        chat("R", "r", "a1", T, T + 1000), chat("S", "s", "a1", T + 500, T + 2000), chat("U", "u", "a1", T, T + 9),
        chat("R2", "r", "a1", T + 1000 + DAY), chat("S2", "s", "a1", T + 2001 + DAY)])
    await insert(records_db, Survey, [
        {"id": "sv-r", "conversation_id": "R", "storefront_id": "shop-web", "customer_id": "r", "agent_id": "a1",
         "sent_at": T + 1000, "status": "answered", "resolved": True, "rating": 5},
        {"id": "sv-s", "conversation_id": "S", "storefront_id": "shop-web", "customer_id": "s", "agent_id": "a1",
         "sent_at": T + 2000, "status": "unanswered", "inferred": True, "inferred_score": 0.6, "resolved": True},
        {"id": "sv-u", "conversation_id": "U", "storefront_id": "shop-web", "customer_id": "u", "agent_id": "a1",
         "sent_at": T + 9, "status": "answered", "resolved": False, "rating": 2}])
    agents, shop = await figures(service(tmp_path, records_db), T, T + DAY, now=T + 3 * DAY)
    for scope in (agents["a1"], shop):
        assert scope["first_contact_resolution"] == {"rate": round(1 / 3, 4), "solved": 1, "known": 3}
        assert scope["repeat_inquiry"] == {"rate": round(1 / 3, 4), "repeats": 1}
        assert scope["csat"]["answered"] == {"count": 2, "resolved_rate": 0.5, "positive_rate": 0.5,
                                             "mean_rating": 3.5, "rated": 2}
        assert scope["csat"]["inferred"] == {"count": 1, "resolved_rate": 1.0, "mean_score": 0.6}


async def test_complaints_escalations_tickets_violations_and_conversion(records_db, tmp_path):
    """P: a1 then, escalated on a hard trigger, the senior s1 (agent of record); the review also found the
    complaint: one complaint, charged to a1. Q: a2's chat the review found a complaint in: charged to a2.
    Orders: P's customer pays 3 days - 1 s after P opened (converted); Q's customer 3 days + 1 s after (not);
    a cancelled order does not count. Tickets: 2 by a1. Violations: a1 banned_word twice, pii once.
    a1 given 1 (P): complaint 1/1, escalation 1/1, passes 1/1, 3 violations; s1: complaint 0/1.
    Shop: 2 chats, complaint 2/2, escalation 1/2, conversion 1/2, tickets 2."""
    await insert(records_db, Conversation, [chat("P", "p", "s1", T, T + 600), chat("Q", "q", "a2", T, T + 60)])
    await insert(records_db, Decision, [assign("P", "a1", T), assign("P", "s1", T + 50, "escalation", from_agent="a1"),
                                        assign("Q", "a2", T)])
    await insert(records_db, Escalation, [{"id": "e1", "conversation_id": "P", "reason": "hard_trigger",
                                           "status": "accepted", "from_agent": "a1", "started_at": T + 40}])
    review = {"storefront_id": "shop-web", "customer_id": "c", "opened_at": T, "closed_at": T + 60,
              "duration_s": 60, "reviewed_at": T + 60, "complaint": True, "problem": True}
    await insert(records_db, QAReview, [{**review, "id": "P", "conversation_id": "P", "agent_id": "s1"},
                                        {**review, "id": "Q", "conversation_id": "Q", "agent_id": "a2"}])
    await insert(records_db, Order, [
        {"id": "sf:1", "storefront_id": "shop-web", "order_id": "1", "customer_id": "p", "status": "paid",
         "placed_at": T + 3 * DAY - 100, "paid_at": T + 3 * DAY - 1, "updated_at": T},
        {"id": "sf:2", "storefront_id": "shop-web", "order_id": "2", "customer_id": "q", "status": "paid",
         "placed_at": T + 3 * DAY + 1, "paid_at": T + 3 * DAY + 1, "updated_at": T},
        {"id": "sf:3", "storefront_id": "shop-web", "order_id": "3", "customer_id": "q", "status": "cancelled",
         "placed_at": T + 10, "cancelled_at": T + 20, "updated_at": T}])
    ticket = {"team": "logistics", "intent": "logistics_delay", "dedupe_key": "k", "storefront_id": "shop-web",
              "customer_id": "p", "agent_id": "a1", "summary": "s", "reason": "r", "created_at": T + 5}
    await insert(records_db, Ticket, [{**ticket, "id": "t1", "conversation_id": "P"},
                                      {**ticket, "id": "t2", "conversation_id": "P"}])
    violation = {"at": T + 5, "conversation_id": "P", "agent_id": "a1", "client_msg_id": "c", "detail": "d",
                 "action": "blocked"}
    await insert(records_db, QAViolation, [{**violation, "id": "v1", "code": "banned_word"},
                                           {**violation, "id": "v2", "code": "banned_word"},
                                           {**violation, "id": "v3", "code": "pii_leak"}])
    agents, shop = await figures(service(tmp_path, records_db), T, T + DAY, now=T + 5 * DAY)
    a1 = agents["a1"]
    assert (a1["given"], a1["complaints"], a1["escalations"]) == (1, {"count": 1, "rate": 1.0},
                                                                   {"count": 1, "rate": 1.0})
    assert a1["transfers"]["per_conversation"] == 1.0 and a1["tickets_opened"] == 2
    assert a1["violations"]["by_code"] == {"banned_word": 2, "pii_leak": 1}
    assert agents["s1"]["complaints"] == {"count": 0, "rate": 0.0} and agents["a2"]["complaints"]["count"] == 1
    assert (shop["complaints"]["rate"], shop["escalations"]["rate"], shop["conversion"]["rate"]) == (1.0, 0.5, 0.5)
    assert shop["tickets_opened"] == 2 and agents["s1"]["conversion"]["converted"] == 1


async def test_rollups_give_the_figures_of_the_raw_records(records_db, tmp_path):
    """A day rolled up reads back exactly as counted from the raw records, with today always counted live."""
    rng = random.Random(3)
    chats, periods, assigns = [], [], []
    for n in range(60):
        opened = T + rng.uniform(0, 2 * DAY)
        agent = rng.choice(["a1", "a2"])
        chats.append(chat(f"c{n}", f"u{n % 17}", agent, opened, opened + rng.uniform(10, 900)))
        assigns.append(assign(f"c{n}", agent, opened))
        periods.append(wait(f"c{n}", 1, agent, opened, rng.choice([5.0, 25.0, 200.0, 400.0])))
    await insert(records_db, Conversation, chats)
    await insert(records_db, Decision, assigns)
    await insert(records_db, ReplyPeriod, periods)
    svc = service(tmp_path, records_db)
    now = T + 2 * DAY + 5 * HOUR
    raw = await svc.report(T, now, now)
    assert await rollup.refresh(records_db, svc.settings, now, backfill_days=3) == ["2026-01-02", "2026-01-01",
                                                                                      "2025-12-31"]
    assert await svc.report(T, now, now) == raw


async def test_the_bulk_counts_waits_as_the_live_reply_rates_do(records_db, tmp_path):
    """Without hand-overs or business hours, the reply-rate fields equal gateway.reply_rates' on a random
    history (answered, closed and still-waiting waits of both kinds)."""
    rng = random.Random(11)
    chats, periods, assigns = [], [], []
    for n in range(120):
        start = T + rng.uniform(0, DAY)
        agent = rng.choice(["a1", "a2", None])
        chats.append(chat(f"k{n}", f"u{n}", agent, start))
        assigns += [assign(f"k{n}", agent, start)] if agent else []
        for p in range(rng.randint(1, 3)):
            outcome = rng.choice(["answered", "answered", "closed", "waiting"])
            waited = None if outcome == "waiting" else rng.choice([3.0, 30.0, 31.0, 179.0, 181.0, 300.0, 301.0])
            periods.append(wait(f"k{n}", p + 1, agent, start + 1000 * p, waited, outcome,
                                "first_response" if p == 0 else "reply"))
    await insert(records_db, Conversation, chats)
    await insert(records_db, Decision, assigns)
    await insert(records_db, ReplyPeriod, periods)
    now = T + DAY + 250
    agents, shop = await figures(service(tmp_path, records_db), T, T + 2 * DAY, now)
    live = await reply_rates(records_db, T, T + 2 * DAY, now)
    legacy = ("waits", "waiting_now", "response_rate_30s", "reply_rate_3m", "reply_rate_5m", "decided",
              "first_response_time")
    for agent_id, tally in live["agents"].items():
        assert {k: agents[agent_id][k] for k in legacy} == tally.report()
    assert {k: shop[k] for k in legacy} == live["shops"]["default"].report()


@pytest.mark.parametrize("hours", [None, HOURS])
async def test_no_history_no_figures(records_db, tmp_path, hours):
    agents, = [(await service(tmp_path, records_db, business_hours=hours).report(T, T + DAY, T + DAY))["agents"]]
    assert {a["agent_id"] for a in agents} == {"a1", "a2", "s1"}
    assert agents[0]["score"]["value"] is None and agents[0]["response_rate_30s"] is None


async def test_a_wait_left_open_by_an_idle_close_ended_with_the_conversation(records_db, tmp_path):
    """The gateway's idle close leaves the reply period "waiting"; the chat closed at 600: the wait ended
    there (a miss for 30 s, 3 and 5 minutes), and nobody is still waiting."""
    await insert(records_db, Conversation, [chat("I", "i", "a1", T, T + 600)])
    await insert(records_db, Decision, [assign("I", "a1", T)])
    await insert(records_db, ReplyPeriod, [wait("I", 1, "a1", T, None, "waiting")])
    agents, shop = await figures(service(tmp_path, records_db), T, T + DAY, now=T + 2 * DAY)
    assert (shop["waiting_now"], shop["response_rate_30s"], shop["reply_rate_3m"], shop["reply_rate_5m"]) == (
        0, 0.0, 0.0, 0.0)
    assert shop["decided"] == {"response_rate_30s": 1, "reply_rate_3m": 1, "reply_rate_5m": 1}
