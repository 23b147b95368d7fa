"""KPI query benchmark: a month of realistic history (1,000,000 messages, ~100 agents) on SQLite and PostgreSQL,
then the KPI figures per agent and per group for 30 days, timed; target <= 1 s each.

    .venv/bin/python -m bench.kpi_queries [--messages 1000000] [--sqlite /tmp/kpi_bench.db]
        [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/kpi_bench] [--skip-pg] [--keep]

The history: ~100 agents (pre-sales, after-sales, seniors, supervisors), customers who come back, day-shaped
traffic, chats of a few exchanges where customers send bursts of messages, lognormal waits with a slow tail
that trips the watchdog (nudges, alerts, reassignment, the auto-reply), transfers, escalations to seniors,
tickets, reply-check violations, scripts, idle closes, surveys (answered, inferred, skipped), orders and the QA
reviews at close — rows shaped as the gateway writes them, generated one day at a time (deterministic for a
seed) and written in bulk (SQLite ``executemany``, PostgreSQL ``COPY``), one transaction per simulated day,
into the gateway's schema plus kpis.models (tables and indexes). Timed:
* ``raw``: every day counted from the raw records (no rollups yet: the cost a rollup saves);
* ``rollup refresh``: computing the daily rollups of the month (the periodic job's first, backfilling run);
* ``30 days``: midnight to midnight, from the rollups; ``30 days, shifted``: the same length starting at 05:00
  (two partial days counted raw); ``one whole day, raw``: the busiest case of "today" (always counted live).
  Each is the median of 3 runs and computes agents (with scores), groups, shops and scripts at once: the
  per-agent, per-group and CSV endpoints each cost one such computation.
The PostgreSQL database is created for the run and dropped afterwards (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import JSON, Boolean
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers the gateway's tables)
import kpis.models  # noqa: F401  (the KPI tables and indexes)
from gateway.config import GatewayConfig
from gateway.db import Database
from kpis import rollup
from kpis.service import KpiService
from scheduler.business_hours import BusinessCalendar

# --- the history -------------------------------------------------------------------------------------------

DAY = 86400.0
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 9, 10, 11, 11, 10, 9, 9, 10, 12, 12, 9, 5]
ESCALATION_REASONS = ["anger_level"] * 6 + ["hard_trigger"] * 3 + ["rising_trend", "long_wait_negative"]
TEXTS = {"customer": ["在吗", "这个有货吗", "什么时候发货", "我的快递三天没动了", "能便宜点吗", "尺码怎么选",
                      "好的", "收到的东西坏了", "发错颜色了", "怎么还没到", "可以退吗", "谢谢"],
         "agent": ["亲，在的", "亲，有货的哦", "今天下午发出", "已为您催促物流", "亲，这边给您申请补发",
                   "尺码按平时穿的选就好", "亲，可以七天无理由退货", "好的亲，还有其他问题吗"]}


@dataclass(slots=True)
class Agent:
    id: str
    group: str
    role: str
    median_wait: float


@dataclass(slots=True)
class Day:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        t: [] for t in ("conversations", "messages", "reply_periods", "decisions", "surveys", "escalations",
                        "tickets", "qa_violations", "qa_reviews", "orders")})

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows[table].append(row)


def make_agents(rng: random.Random) -> list[Agent]:
    agents = [Agent(f"a{i:03d}", "presales", "agent", rng.uniform(6, 30)) for i in range(1, 47)]
    agents += [Agent(f"a{i:03d}", "aftersales", "agent", rng.uniform(8, 40)) for i in range(47, 87)]
    agents += [Agent(f"s{i:02d}", "aftersales", "senior", rng.uniform(6, 20)) for i in range(1, 11)]
    agents += [Agent(f"boss{i}", "default", "supervisor", 0) for i in range(1, 5)]
    return agents


class History:
    """The simulation's memory across days: owners, last surveys, the id counter."""

    def __init__(self, seed: int, start: float, customers: int = 45_000) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.agents = make_agents(self.rng)
        self.by_group = {g: [a for a in self.agents if a.group == g and a.role == "agent"]
                         for g in ("presales", "aftersales")}
        self.seniors = [a for a in self.agents if a.role == "senior"]
        self.customers = customers
        self.owner: dict[str, Agent] = {}
        self.surveyed: dict[str, float] = {}
        self.counter = 0

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:012x}"

    def arrival(self, day: int) -> float:
        hour = self.rng.choices(range(24), HOUR_WEIGHTS)[0]
        return self.start + day * DAY + hour * 3600 + self.rng.random() * 3600

    def customer(self, now: float) -> str:
        # a third of the chats come from a small set of regulars, who come back within days
        if self.rng.random() < 0.33:
            return f"u{self.rng.randrange(self.customers // 10):06d}"
        return f"u{self.rng.randrange(self.customers):06d}"


class Chat:
    """One conversation, simulated turn by turn into the day's rows."""

    def __init__(self, history: History, day: Day, opened_at: float) -> None:
        self.h, self.day, self.rng = history, day, history.rng
        self.id = history.new_id("cv")
        self.t = opened_at
        self.opened_at = opened_at
        self.customer = history.customer(opened_at)
        self.group = "presales" if self.rng.random() < 0.55 else "aftersales"
        self.shop = self.rng.choice(("shop-1", "shop-1", "shop-2", "shop-3"))
        self.seq = 0
        self.period = 0
        self.messages = 0
        self.first_response_at: float | None = None
        self.last_customer_at = self.last_agent_at = None
        self.transfers = 0
        self.escalation: dict[str, Any] | None = None
        self.agent = self._route()

    def decision(self, kind: str, reason: str, agent_id: str | None = None, **details: Any) -> None:
        self.day.add("decisions", {"id": self.h.new_id("dc"), "at": self.t, "conversation_id": self.id,
                                   "kind": kind, "agent_id": agent_id, "reason": reason, "details": details})

    def message(self, role: str, author: str | None = None, text: str | None = None,
                script_id: str | None = None) -> None:
        self.seq += 1
        self.messages += 1
        self.day.add("messages", {
            "id": self.h.new_id("m"), "conversation_id": self.id, "seq": self.seq, "role": role,
            "author_id": author, "storefront_id": "shop-web" if role == "customer" else None,
            "external_id": self.h.new_id("sf") if role in ("customer", "agent") else None,
            "text": text or self.rng.choice(TEXTS["agent" if role != "customer" else "customer"]),
            "sent_at": None, "received_at": self.t, "script_id": script_id})

    def _route(self) -> Agent:
        owner = self.h.owner.get(self.customer)
        if owner is not None and owner.group == self.group and self.rng.random() < 0.7:
            self.decision("assign", "first_contact_owner", owner.id)
            return owner
        agent = self.rng.choice(self.h.by_group[self.group])
        self.decision("assign", "load_balance", agent.id, **({"owner": owner.id} if owner else {}))
        return agent

    def hand_to(self, agent: Agent, reason: str) -> None:
        self.decision("assign", reason, agent.id, from_agent=self.agent.id)
        self.agent = agent
        self.transfers += 1

    def run(self) -> None:
        exchanges = min(15, 1 + int(self.rng.expovariate(1 / 4.2)))
        leaves = self.rng.random() < 0.03
        for n in range(exchanges):
            self.customer_burst()
            if leaves and n == exchanges - 1:
                self.t += self.rng.uniform(60, 400)
                self.close("system", None, unanswered=True)
                return
            self.answer()
            if n < exchanges - 1:
                self.maybe_hand_over()
                self.t += self.rng.uniform(5, 90)
        self.finish()

    def customer_burst(self) -> None:
        self.period += 1
        self.period_start = self.t
        self.kind = "first_response" if self.first_response_at is None else "reply"
        for i in range(self.rng.choices((1, 2, 3), (60, 28, 12))[0]):
            if i:
                self.t += self.rng.uniform(3, 20)
            self.message("customer")
            self.last_customer_at = self.t
            if self.escalation is None and self.rng.random() < 0.006:
                self.escalate()
        self.period_agent = self.agent.id

    def answer(self) -> None:
        wait = self.wait()
        stages = [(30, "nudge_agent"), (60, "alert_supervisor"), (180, "reassign"), (270, "auto_reply")] \
            if self.kind == "first_response" else [(60, "nudge_agent"), (180, "alert_supervisor")]
        auto = False
        for after, action in stages:
            if wait <= after:
                break
            self.t = self.period_start + after
            self.decision("watchdog", action, self.agent.id, stage=action, waited_s=after)
            if action == "reassign":
                others = [a for a in self.h.by_group[self.group] if a.id != self.agent.id]
                self.hand_to(self.rng.choice(others), "reassign")
            elif action == "auto_reply":
                self.message("auto", text="亲，客服正在为您查询，请稍候～")
                auto = True
        self.t = self.period_start + wait
        script = f"sc{self.rng.randrange(200):03d}" if self.rng.random() < 0.3 else None
        self.message("agent", self.agent.id, script_id=script)
        if self.rng.random() < 0.008:
            self.violation()
        self.first_response_at = self.first_response_at or self.t
        self.last_agent_at = self.t
        self.day.add("reply_periods", {
            "id": f"{self.id}:{self.period}", "conversation_id": self.id, "storefront_id": "shop-web",
            "shop_id": self.shop, "agent_id": self.agent.id, "kind": self.kind, "started_at": self.period_start,
            "answered_at": self.t, "waited_s": round(wait, 3), "outcome": "answered", "auto_replied": auto})
        if self.rng.random() < 0.3:
            self.t += self.rng.uniform(5, 30)
            self.message("agent", self.agent.id)
            self.last_agent_at = self.t

    def wait(self) -> float:
        if self.rng.random() < 0.04:
            return self.rng.uniform(90, 600)
        median = self.agent.median_wait * (0.6 if self.kind == "first_response" else 1.2)
        return min(900.0, math.exp(self.rng.gauss(math.log(median), 0.7)))

    def maybe_hand_over(self) -> None:
        if self.rng.random() < 0.012:
            others = [a for a in self.h.by_group[self.group] if a.id != self.agent.id]
            self.hand_to(self.rng.choice(others), "transfer")

    def escalate(self) -> None:
        reason = self.rng.choice(ESCALATION_REASONS)
        senior = self.rng.choice(self.h.seniors)
        self.escalation = {"id": self.h.new_id("esc"), "conversation_id": self.id, "reason": reason,
                           "evidence": [f"{reason}:x"], "status": "accepted", "from_agent": self.agent.id,
                           "offered_to": senior.id, "accepted_by": senior.id, "mode": "transfer",
                           "started_at": self.t, "accepted_at": self.t + 10, "summary": {}}
        self.decision("escalate", reason, self.agent.id, escalation_id=self.escalation["id"])
        self.decision("escalation_offered", senior.id, None, escalation_id=self.escalation["id"], offer=1)
        self.day.add("escalations", self.escalation)
        self.t += 10
        self.decision("escalation_accepted", "transfer", senior.id, escalation_id=self.escalation["id"])
        self.hand_to(senior, "escalation")

    def violation(self) -> None:
        code = self.rng.choice(("banned_word", "pii_leak", "repeat"))
        self.day.add("qa_violations", {"id": self.h.new_id("qv"), "at": self.t, "conversation_id": self.id,
                                       "agent_id": self.agent.id, "client_msg_id": self.h.new_id("c"),
                                       "code": code, "detail": code, "action": "flagged"})
        self.decision("reply_flagged", code, self.agent.id)

    def finish(self) -> None:
        if self.group == "aftersales" and self.rng.random() < 0.08:
            self.ticket()
        if self.rng.random() < 0.22:
            self.t += 600
            self.close("system", None)
        else:
            self.t += self.rng.uniform(5, 60)
            self.close(self.agent.id, self.rng.choices((True, False, None), (75, 10, 15))[0])
        if self.group == "presales" and self.rng.random() < 0.35:
            self.order()

    def ticket(self) -> None:
        intent = self.rng.choice(("logistics_delay", "damaged_goods", "wrong_item", "missing_item"))
        ticket_id = self.h.new_id("tk")
        self.day.add("tickets", {
            "id": ticket_id, "team": "logistics" if intent == "logistics_delay" else "warehouse",
            "intent": intent, "dedupe_key": f"{self.id}:{intent}", "conversation_id": self.id,
            "storefront_id": "shop-web", "customer_id": self.customer, "agent_id": self.agent.id,
            "order_id": None, "priority": "normal", "summary": intent, "reason": intent, "evidence": [],
            "status": "open", "created_at": self.t, "acked_at": None, "resolved_at": None, "note": None})
        self.decision("ticket_opened", intent, self.agent.id, ticket_id=ticket_id)

    def close(self, by: str, resolved: bool | None, unanswered: bool = False) -> None:
        if unanswered:
            self.day.add("reply_periods", {
                "id": f"{self.id}:{self.period}", "conversation_id": self.id, "storefront_id": "shop-web",
                "shop_id": self.shop, "agent_id": self.agent.id, "kind": self.kind,
                "started_at": self.period_start, "answered_at": None,
                "waited_s": round(self.t - self.period_start, 3), "outcome": "closed", "auto_replied": False})
        if by == "system":
            self.decision("close", "idle_close")
        self.closed_at, self.closed_by, self.resolved = self.t, by, resolved
        if self.first_response_at:
            self.h.owner.setdefault(self.customer, self.agent)
        self.day.add("conversations", self.row())
        self.survey()
        self.review()

    def survey(self) -> None:
        if self.first_response_at is None:
            self.decision("survey_skipped", "agent_never_answered", self.agent.id)
            return
        if self.t - self.h.surveyed.get(self.customer, -DAY) < DAY:
            self.decision("survey_skipped", "asked_recently", self.agent.id)
            return
        self.h.surveyed[self.customer] = self.t
        survey = {"id": self.h.new_id("sv"), "conversation_id": self.id, "storefront_id": "shop-web",
                  "customer_id": self.customer, "agent_id": self.agent.id, "sent_at": self.t, "status": "sent",
                  "answered_at": None, "resolved": None, "rating": None, "answer": None, "inferred": False,
                  "inferred_score": None}
        self.message("survey", text="本次服务是否解决了您的问题？回复 1 已解决，2 未解决")
        self.decision("survey_sent", "conversation_closed", self.agent.id)
        if self.rng.random() < 0.35:
            self.t += self.rng.uniform(10, 300)
            resolved = self.rng.random() < 0.8
            rating = self.rng.choice((None, None, 5, 4) if resolved else (None, 2, 1, 3))
            self.message("customer", text="1" if resolved else "2")
            self.message("survey", text="感谢您的评价～")
            survey.update(status="answered", answered_at=self.t, resolved=resolved, rating=rating, answer="1")
            self.decision("survey_answer", "parsed", self.agent.id, resolved=resolved, rating=rating)
        else:
            score = round(self.rng.uniform(-0.8, 0.9), 3)
            survey.update(status="unanswered", inferred=True, inferred_score=score,
                          resolved=None if abs(score) < 0.3 else score > 0)
            self.decision("survey_unanswered", "inferred", self.agent.id, inferred_score=score)
        self.day.add("surveys", survey)

    def order(self) -> None:
        placed = self.opened_at + self.rng.uniform(60, 4.5 * DAY)
        self.day.add("orders", {
            "id": f"shop-web:{self.h.new_id('PDD')}", "storefront_id": "shop-web", "shop_id": self.shop,
            "order_id": self.h.new_id("PDD"), "customer_id": self.customer, "status": "paid",
            "amount_cents": self.rng.randrange(1000, 50000), "currency": "CNY", "placed_at": placed,
            "paid_at": placed + 120, "cancelled_at": None, "updated_at": placed + 120})

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "storefront_id": "shop-web", "shop_id": self.shop, "customer_id": self.customer,
                "customer_name": None, "order_id": None, "group": self.group, "status": "closed",
                "agent_id": self.agent.id, "assign_reason": None, "opened_at": self.opened_at,
                "first_response_at": self.first_response_at, "closed_at": self.closed_at,
                "closed_by": self.closed_by, "resolved": self.resolved, "updated_at": self.closed_at,
                "waiting_since": None, "listening_until": None, "last_customer_at": self.last_customer_at,
                "last_agent_at": self.last_agent_at, "data": {}}

    def review(self) -> None:
        complaint = bool(self.escalation and self.escalation["reason"] == "hard_trigger") or self.rng.random() < 0.01
        self.day.add("qa_reviews", {
            "id": self.id, "conversation_id": self.id, "storefront_id": "shop-web", "shop_id": self.shop,
            "group": self.group, "customer_id": self.customer, "agent_id": self.agent.id,
            "opened_at": self.opened_at, "closed_at": self.closed_at, "closed_by": self.closed_by,
            "duration_s": self.closed_at - self.opened_at, "customer_messages": 0, "agent_messages": 0,
            "waits": self.period, "first_response_s": None, "longest_wait_s": None, "mean_wait_s": None,
            "transfers": self.transfers, "escalated": self.escalation is not None, "complaint": complaint,
            "tickets": 0, "violations": 0, "emotion_peak": None, "emotion_end": None, "survey": None,
            "problem": complaint, "excellent": False, "reasons": [], "emotion": {}, "reviewed_at": self.closed_at})


def generate(seed: int, start: float, days: int, messages: int) -> Iterator[Day]:
    """Days of history starting at ``start`` (epoch seconds) until about ``messages`` messages were written."""
    history = History(seed, start)
    written = 0
    for day_number in range(days):
        day = Day()
        budget = (messages - written) / (days - day_number)
        arrivals = sorted(history.arrival(day_number) for _ in range(int(budget / 15.5 * 1.05) + 1))
        count = 0
        for opened_at in arrivals:
            if count >= budget:
                break
            chat = Chat(history, day, opened_at)
            chat.run()
            count += chat.messages
        written += count
        yield day


# --- bulk writers ------------------------------------------------------------------------------------------

def _columns(table: str) -> list[tuple[str, Any]]:
    return [(c.name, c.type) for c in SQLModel.metadata.tables[table].columns]


def _sqlite_value(value: Any, type_: Any) -> Any:
    if isinstance(type_, JSON):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(type_, Boolean) and value is not None:
        return int(value)
    return value


def _pg_value(value: Any, type_: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(type_, JSON) else value


class SqliteWriter:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")

    def write(self, day: Day) -> None:
        self.conn.execute("BEGIN")
        for table, rows in day.rows.items():
            if rows:
                self.conn.executemany(*self._statement(table, rows))
        self.conn.execute("COMMIT")

    def _statement(self, table: str, rows: list[dict[str, Any]]) -> tuple[str, Iterable[tuple]]:
        columns = _columns(table)
        names = ", ".join(f'"{name}"' for name, _ in columns)
        marks = ", ".join("?" for _ in columns)
        values = (tuple(_sqlite_value(row[name], type_) for name, type_ in columns) for row in rows)
        return f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")

    def close(self) -> None:
        self.conn.close()


class PostgresWriter:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def write(self, day: Day) -> None:
        async with self.conn.transaction():
            for table, rows in day.rows.items():
                if rows:
                    columns = _columns(table)
                    records = [tuple(_pg_value(row[name], type_) for name, type_ in columns) for row in rows]
                    await self.conn.copy_records_to_table(table, records=records,
                                                          columns=[name for name, _ in columns])

    async def analyze(self) -> None:
        await self.conn.execute("VACUUM ANALYZE")


# --- the benchmark -----------------------------------------------------------------------------------------

START = 1_764_518_400.0            # 2025-12-01 00:00 Asia/Shanghai
DAYS = 30
NOW = START + DAYS * 86400 + 9 * 3600


def _config() -> GatewayConfig:
    agents = [{"id": f"a{i:03d}", "name": f"客服{i}", "token": f"t{i}",
               "groups": ["presales" if i <= 46 else "aftersales"]} for i in range(1, 87)]
    agents += [{"id": f"s{i:02d}", "name": f"组长{i}", "token": f"s{i}", "role": "senior",
                "groups": ["aftersales"]} for i in range(1, 11)]
    return GatewayConfig.model_validate({"agents": agents})


async def _create_schema(url: str) -> None:
    """The schema as the gateway makes it at start-up (created and stamped at the migrations' head)."""
    db = Database(url)
    await db.start()
    await db.close()


def _load_sqlite(path: str, messages: int) -> tuple[float, int]:
    started, written = time.perf_counter(), 0
    writer = SqliteWriter(path)
    for day in generate(7, START, DAYS, messages):
        writer.write(day)
        written += len(day.rows["messages"])
    writer.analyze()
    writer.close()
    return time.perf_counter() - started, written


async def _load_postgres(url: str, messages: int) -> float:
    started = time.perf_counter()
    conn = await asyncpg.connect(_plain(url))
    writer = PostgresWriter(conn)
    for day in generate(7, START, DAYS, messages):
        await writer.write(day)
    await writer.analyze()
    await conn.close()
    return time.perf_counter() - started


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _median(run: Callable[[], Awaitable[object]], times: int = 3) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


async def measure(url: str, label: str) -> None:
    config = _config()
    db = Database(url)
    await db.start()
    service = KpiService(db, config, BusinessCalendar(config.watchdog.business_hours))
    month, shifted = (START, START + DAYS * 86400), (START + 5 * 3600, START + DAYS * 86400 + 5 * 3600)
    try:
        raw = await _median(lambda: service.report(*month, NOW), times=1)
        last_day = await _median(lambda: service.report(month[1] - 86400, month[1], NOW))
        started = time.perf_counter()
        rolled = await rollup.refresh(db, service.settings, NOW, backfill_days=DAYS + 1, max_days=DAYS + 1)
        refresh = time.perf_counter() - started
        report = await service.report(*month, NOW)
        figures = {"30 days (rollups)": await _median(lambda: service.report(*month, NOW)),
                   "30 days, shifted 5 h": await _median(lambda: service.report(*shifted, NOW)),
                   "one whole day, raw (as today)": last_day}
    finally:
        await db.close()
    print(f"\n{label}: {len(report['agents'])} agents, {len(report['groups'])} groups, "
          f"{len(report['scripts'])} scripts")
    print("  per agent + per group + per shop (one computation):")
    print(f"  30 days, all raw (no rollups)   {raw * 1000:8.0f} ms")
    print(f"  rollup refresh ({len(rolled)} days)      {refresh * 1000:8.0f} ms")
    for name, seconds in figures.items():
        verdict = "ok" if seconds <= 1.0 else "OVER 1 s"
        print(f"  {name:32s}{seconds * 1000:8.0f} ms   {verdict}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--sqlite", default="/tmp/kpi_bench.db")
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/kpi_bench")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL database")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(args.sqlite + suffix):
            os.remove(args.sqlite + suffix)
    await _create_schema(f"sqlite:///{args.sqlite}")
    seconds, written = _load_sqlite(args.sqlite, args.messages)
    print(f"SQLite: generated and wrote {written:,} messages (and the rest of the history) in {seconds:.0f} s")
    await measure(f"sqlite:///{args.sqlite}", "SQLite")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.sqlite + suffix):
                os.remove(args.sqlite + suffix)
    if args.skip_pg:
        return
    name = make_url(args.pg).database
    admin = await asyncpg.connect(_plain(args.pg).rsplit("/", 1)[0] + "/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await _create_schema(args.pg)
        seconds = await _load_postgres(args.pg, args.messages)
        print(f"\nPostgreSQL: generated and wrote the same history in {seconds:.0f} s")
        await measure(args.pg, "PostgreSQL")
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
