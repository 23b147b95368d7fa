"""Aggregate KPI queries (SQLAlchemy Core) over a time range, grouped by (agent, group, shop).

Every query returns plain rows whose ``agent``, ``group`` and ``shop`` say where its counters belong; the
caller (:mod:`kpis.collect`) adds them up per agent, per group and per shop. Which agent a figure belongs to,
and which time puts it in the range, is part of each definition (see :mod:`kpis.metrics`):

* waits (reply periods) by when they began; conversation figures by when the conversation opened, so a chat
  that spans midnight counts on the day it opened, whole;
* every conversation also belongs to its group and shop (``conversations.group`` / ``shop_id``).

The indexes these queries rely on are in :mod:`kpis.models`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.models import Conversation, Decision, Escalation, Message, QAViolation, ReplyPeriod, Survey, Ticket
from gateway.reply_rates import THRESHOLDS
from kpis.models import Order, QAReview

C = Conversation.__table__
P = ReplyPeriod.__table__
D = Decision.__table__
E = Escalation.__table__
M = Message.__table__
S = Survey.__table__
T = Ticket.__table__
V = QAViolation.__table__
O = Order.__table__
Q = QAReview.__table__

ASSIGN = literal_column("'assign'")       # literals, so SQLite can use the partial indexes
AGENT_ROLE = literal_column("'agent'")


@dataclass(frozen=True, slots=True)
class Window:
    """Waits that began in ``[lo, hi)`` and ended by ``end_limit`` (None: always open) lay wholly inside one
    open interval of the business hours."""

    lo: float
    hi: float
    end_limit: float | None


def count_if(condition) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _rows(result) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings()]


def _opened(since: float, until: float):
    return and_(C.c.opened_at >= since, C.c.opened_at < until)


def _period_end(now: float):
    """When a wait ended: answered or closed ``waited_s`` after it began; still waiting: now. A wait the gateway
    left "waiting" in a conversation that closed (an idle close does not end it) ended at the close."""
    return case((P.c.outcome == "waiting", func.coalesce(C.c.closed_at, now)), else_=P.c.started_at + P.c.waited_s)


def _still_waiting():
    return and_(P.c.outcome == "waiting", C.c.closed_at.is_(None))


# --- waits -------------------------------------------------------------------------------------------------

async def handed_over(conn: AsyncConnection, since: float, until: float) -> list[str]:
    """Conversations with a wait begun in the range that were given to more than one agent: their waits are
    split by hand (:func:`kpis.metrics.split_wait`)."""
    waited = select(P.c.conversation_id).where(P.c.started_at >= since, P.c.started_at < until)
    query = (select(D.c.conversation_id).where(D.c.kind == ASSIGN, D.c.conversation_id.in_(waited))
             .group_by(D.c.conversation_id).having(func.count() > 1))
    return list((await conn.execute(query)).scalars())


def _bulk(window: Window, now: float, handed: list[str]):
    """Waits begun in the window, with one agent throughout and ended before the window closed."""
    where = [P.c.started_at >= window.lo, P.c.started_at < window.hi]
    if handed:
        where.append(P.c.conversation_id.not_in(handed))
    if window.end_limit is not None:
        where.append(_period_end(now) <= window.end_limit)
    return and_(*where)


async def wait_tallies(conn: AsyncConnection, window: Window, now: float, handed: list[str]) -> list[dict[str, Any]]:
    """Counters of the bulk of the waits, as :class:`gateway.reply_rates.Tally` counts them."""
    columns = [P.c.agent_id.label("agent"), C.c.group.label("group"), P.c.shop_id.label("shop"),
               func.count().label("waits"), count_if(_still_waiting()).label("waiting"),
               count_if(P.c.outcome == "answered").label("answered"),
               func.sum(case((P.c.outcome == "answered", P.c.waited_s), else_=0.0)).label("answered_s")]
    for name, (threshold, kinds) in THRESHOLDS.items():
        ours = P.c.kind.in_(kinds)
        answered = P.c.outcome == "answered"
        late = or_(and_(P.c.outcome == "closed", P.c.waited_s > threshold),
                   and_(P.c.outcome == "waiting", _period_end(now) - P.c.started_at > threshold))
        columns += [count_if(and_(ours, or_(answered, late))).label(f"decided:{name}"),
                    count_if(and_(ours, answered, P.c.waited_s <= threshold)).label(f"hits:{name}")]
    query = (select(*columns).select_from(P.join(C, C.c.id == P.c.conversation_id))
             .where(_bulk(window, now, handed)).group_by(P.c.agent_id, C.c.group, P.c.shop_id))
    return _rows(await conn.execute(query))


async def first_response_values(conn: AsyncConnection, window: Window, now: float,
                                handed: list[str]) -> list[tuple[str | None, str, str, float]]:
    """(agent, group, shop, seconds) of each answered first wait in the bulk: the percentiles need them all."""
    query = (select(P.c.agent_id, C.c.group, P.c.shop_id, P.c.waited_s)
             .select_from(P.join(C, C.c.id == P.c.conversation_id))
             .where(_bulk(window, now, handed), P.c.kind == "first_response", P.c.outcome == "answered"))
    return [tuple(r) for r in await conn.execute(query)]


async def special_waits(conn: AsyncConnection, windows: list[Window], gaps: list[tuple[float, float]],
                        now: float, handed: list[str], since: float, until: float) -> list[dict[str, Any]]:
    """The waits the bulk leaves out (handed over, or crossing closed hours), with their conversation's group."""
    base = select(*P.c, C.c.group.label("group"), C.c.closed_at.label("conversation_closed_at")).select_from(
        P.join(C, C.c.id == P.c.conversation_id))
    found: dict[str, dict[str, Any]] = {}
    selections = [base.where(P.c.started_at >= lo, P.c.started_at < hi) for lo, hi in gaps]
    selections += [base.where(P.c.started_at >= w.lo, P.c.started_at < w.hi, _period_end(now) > w.end_limit)
                   for w in windows if w.end_limit is not None]
    if handed:
        selections.append(base.where(P.c.started_at >= since, P.c.started_at < until,
                                     P.c.conversation_id.in_(handed)))
    for selection in selections:
        found.update((row["id"], row) for row in _rows(await conn.execute(selection)))
    return list(found.values())


async def assignments(conn: AsyncConnection, conversation_ids: Iterable[str]) -> dict[str, list[tuple[float, str]]]:
    """Each conversation's ``assign`` decisions, oldest first: who had it when."""
    found: dict[str, list[tuple[float, str]]] = {}
    ids = list(conversation_ids)
    for start in range(0, len(ids), 500):
        query = (select(D.c.conversation_id, D.c.at, D.c.agent_id)
                 .where(D.c.kind == ASSIGN, D.c.conversation_id.in_(ids[start:start + 500])).order_by(D.c.at))
        for conversation_id, at, agent_id in await conn.execute(query):
            found.setdefault(conversation_id, []).append((at, agent_id))
    return found


# --- conversations -----------------------------------------------------------------------------------------

def _duration():
    """Chat time: to the close, or for an automatic (idle) close to the last message before it."""
    last = case((func.coalesce(C.c.last_agent_at, 0.0) > func.coalesce(C.c.last_customer_at, 0.0),
                 C.c.last_agent_at), else_=func.coalesce(C.c.last_customer_at, C.c.opened_at))
    end = case((C.c.closed_by == "system", last), else_=C.c.closed_at)
    return end - C.c.opened_at


async def conversation_outcomes(conn: AsyncConnection, since: float, until: float, too_short: float,
                                too_long: float, repeat_window: float,
                                conversion_window: float) -> list[dict[str, Any]]:
    """Per agent of record: chats, durations and their flags, survey outcomes (answered and inferred apart),
    repeat inquiries, first-contact resolutions and conversions."""
    later = C.alias("later")
    repeat = (select(literal_column("1")).where(
        later.c.storefront_id == C.c.storefront_id, later.c.customer_id == C.c.customer_id,
        later.c.opened_at > C.c.closed_at, later.c.opened_at <= C.c.closed_at + repeat_window)).exists()
    bought = func.coalesce(O.c.paid_at, O.c.placed_at)
    converted = (select(literal_column("1")).where(
        O.c.storefront_id == C.c.storefront_id, O.c.customer_id == C.c.customer_id,
        O.c.placed_at <= C.c.opened_at + conversion_window, bought >= C.c.opened_at,
        bought <= C.c.opened_at + conversion_window, O.c.cancelled_at.is_(None))).exists()
    closed = C.c.closed_at.is_not(None)
    duration = _duration()
    answered, inferred = S.c.status == "answered", and_(S.c.status == "unanswered", S.c.inferred.is_(True))
    solved = S.c.resolved.is_(True)
    positive = or_(S.c.rating >= 4, and_(S.c.rating.is_(None), solved))
    verdict = or_(S.c.rating.is_not(None), S.c.resolved.is_not(None))
    query = select(
        C.c.agent_id.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
        func.count().label("conversations"), count_if(closed).label("closed"),
        func.sum(case((closed, duration), else_=0.0)).label("duration_s"),
        count_if(and_(closed, duration < too_short)).label("too_short"),
        count_if(and_(closed, duration > too_long)).label("too_long"),
        count_if(and_(closed, repeat)).label("repeats"),
        count_if(S.c.resolved.is_not(None)).label("known"), count_if(solved).label("solved"),
        count_if(and_(solved, ~repeat)).label("first_contact_solved"),
        count_if(answered).label("answered_surveys"), count_if(and_(answered, verdict)).label("answered_verdicts"),
        count_if(and_(answered, positive, verdict)).label("answered_positive"),
        count_if(and_(answered, S.c.resolved.is_not(None))).label("answered_known"),
        count_if(and_(answered, solved)).label("answered_solved"),
        count_if(and_(answered, S.c.rating.is_not(None))).label("rated"),
        func.sum(case((answered, S.c.rating), else_=0)).label("rating_sum"),
        count_if(inferred).label("inferred"),
        count_if(and_(inferred, S.c.resolved.is_not(None))).label("inferred_known"),
        count_if(and_(inferred, solved)).label("inferred_solved"),
        count_if(and_(inferred, S.c.inferred_score.is_not(None))).label("inferred_scored"),
        func.sum(case((inferred, S.c.inferred_score), else_=0.0)).label("inferred_score_sum"),
        count_if(converted).label("converted"),
    ).select_from(C.outerjoin(S, S.c.conversation_id == C.c.id)).where(_opened(since, until)).group_by(
        C.c.agent_id, C.c.group, C.c.shop_id)
    return _rows(await conn.execute(query))


def _assigns(since: float, until: float):
    return D.join(C, C.c.id == D.c.conversation_id), and_(D.c.kind == ASSIGN, D.c.at >= since,
                                                          _opened(since, until))


async def hand_overs(conn: AsyncConnection, since: float, until: float) -> dict[str, list[dict[str, Any]]]:
    """Chats given to each agent; passes away from each agent; transfers (assignments after the first)."""
    joined, where = _assigns(since, until)
    given = (select(D.c.agent_id.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                    func.count(D.c.conversation_id.distinct()).label("given"))
             .select_from(joined).where(where).group_by(D.c.agent_id, C.c.group, C.c.shop_id))
    from_agent = D.c.details["from_agent"].as_string()
    passes = (select(from_agent.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                     func.count().label("passes"))
              .select_from(joined).where(where, from_agent.is_not(None))
              .group_by(from_agent, C.c.group, C.c.shop_id))
    transfers = (select(C.c.group.label("group"), C.c.shop_id.label("shop"),
                        (func.count() - func.count(D.c.conversation_id.distinct())).label("transfers"))
                 .select_from(joined).where(where).group_by(C.c.group, C.c.shop_id))
    return {"given": _rows(await conn.execute(given)), "passes": _rows(await conn.execute(passes)),
            "transfers": _rows(await conn.execute(transfers))}


async def escalations(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    """Escalated chats, charged to the agent the escalation came from."""
    query = (select(E.c.from_agent.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                    func.count(E.c.conversation_id.distinct()).label("escalations"))
             .select_from(E.join(C, C.c.id == E.c.conversation_id)).where(_opened(since, until))
             .group_by(E.c.from_agent, C.c.group, C.c.shop_id))
    return _rows(await conn.execute(query))


async def complaints(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    """One row per chat with a complaint: a hard-trigger escalation (charged to the agent it came from) or a
    complaint the quality review found (charged to the agent of record)."""
    hard = (select(C.c.id.label("conversation_id"), E.c.from_agent.label("agent"), C.c.group.label("group"),
                   C.c.shop_id.label("shop"), E.c.started_at)
            .select_from(E.join(C, C.c.id == E.c.conversation_id))
            .where(_opened(since, until), E.c.reason == "hard_trigger"))
    reviewed = (select(C.c.id.label("conversation_id"), C.c.agent_id.label("agent"), C.c.group.label("group"),
                       C.c.shop_id.label("shop"))
                .select_from(Q.join(C, C.c.id == Q.c.id))
                .where(_opened(since, until), Q.c.complaint.is_(True)))
    found: dict[str, dict[str, Any]] = {}
    escalated = sorted(_rows(await conn.execute(hard)), key=lambda row: row.pop("started_at"))
    for row in [*escalated, *_rows(await conn.execute(reviewed))]:
        found.setdefault(row.pop("conversation_id"), row)
    return [{**row, "complaints": 1} for row in found.values()]


async def tickets(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    query = (select(T.c.agent_id.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                    func.count().label("tickets"))
             .select_from(T.join(C, C.c.id == T.c.conversation_id)).where(_opened(since, until))
             .group_by(T.c.agent_id, C.c.group, C.c.shop_id))
    return _rows(await conn.execute(query))


async def violations(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    query = (select(V.c.agent_id.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                    V.c.code, func.count().label("violations"))
             .select_from(V.join(C, C.c.id == V.c.conversation_id)).where(_opened(since, until))
             .group_by(V.c.agent_id, C.c.group, C.c.shop_id, V.c.code))
    return _rows(await conn.execute(query))


async def replies(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    """Agents' replies and how many used a script (auto, bot and survey messages are not replies)."""
    query = (select(M.c.author_id.label("agent"), C.c.group.label("group"), C.c.shop_id.label("shop"),
                    func.count().label("replies"), func.count(M.c.script_id).label("scripted"))
             .select_from(M.join(C, C.c.id == M.c.conversation_id))
             .where(M.c.role == AGENT_ROLE, _opened(since, until))
             .group_by(M.c.author_id, C.c.group, C.c.shop_id))
    return _rows(await conn.execute(query))


async def script_outcomes(conn: AsyncConnection, since: float, until: float) -> list[dict[str, Any]]:
    """Per script: uses, chats it was used in, and how those chats ended in the survey."""
    used = (select(M.c.script_id, M.c.conversation_id, func.count().label("uses"))
            .select_from(M.join(C, C.c.id == M.c.conversation_id))
            .where(M.c.script_id.is_not(None), M.c.role == AGENT_ROLE, _opened(since, until))
            .group_by(M.c.script_id, M.c.conversation_id).subquery())
    query = (select(used.c.script_id, func.sum(used.c.uses).label("uses"), func.count().label("chats"),
                    count_if(S.c.resolved.is_not(None)).label("known"),
                    count_if(S.c.resolved.is_(True)).label("solved"))
             .select_from(used.outerjoin(S, S.c.conversation_id == used.c.conversation_id))
             .group_by(used.c.script_id))
    return _rows(await conn.execute(query))


