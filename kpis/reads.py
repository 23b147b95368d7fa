"""Reads of one conversation's records (for the quality review and the timeline) and of the QA reviews."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, or_, select

from kpis.queries import ASSIGN, C, D, E, M, P, Q, S, T, V

ROW_LIMIT = 2000     # a timeline shows at most this many entries of each kind


def _rows(result) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings()]


async def conversation_records(conn, conversation_id: str) -> dict[str, list[dict[str, Any]]]:
    """Everything recorded about one conversation, by table, oldest first."""
    # reply period ids are "<conversation id>:<n>": a range of the primary key (';' follows ':')
    periods = select(P).where(P.c.id >= f"{conversation_id}:", P.c.id < f"{conversation_id};")
    queries = {"waits": periods.order_by(P.c.started_at),
               "decisions": select(D).where(D.c.conversation_id == conversation_id).order_by(D.c.at),
               "messages": select(M).where(M.c.conversation_id == conversation_id).order_by(M.c.seq),
               "escalations": select(E).where(E.c.conversation_id == conversation_id).order_by(E.c.started_at),
               "violations": select(V).where(V.c.conversation_id == conversation_id).order_by(V.c.at),
               "tickets": select(T).where(T.c.conversation_id == conversation_id).order_by(T.c.created_at),
               "surveys": select(S).where(S.c.conversation_id == conversation_id).order_by(S.c.sent_at),
               "reviews": select(Q).where(Q.c.id == conversation_id)}
    return {name: _rows(await conn.execute(query.limit(ROW_LIMIT))) for name, query in queries.items()}


async def review_inputs(conn, conversation_id: str) -> dict[str, Any]:
    """What the quality review reads at close besides the conversation's hot state."""
    periods = select(P).where(P.c.id >= f"{conversation_id}:", P.c.id < f"{conversation_id};")
    assigns = select(func.count()).where(D.c.conversation_id == conversation_id, D.c.kind == ASSIGN)
    by_role = select(M.c.role, func.count()).where(M.c.conversation_id == conversation_id).group_by(M.c.role)
    tickets = select(func.count()).where(T.c.conversation_id == conversation_id)
    return {"waits": _rows(await conn.execute(periods)),
            "assigns": (await conn.execute(assigns)).scalar() or 0,
            "escalations": _rows(await conn.execute(select(E.c.id, E.c.reason, E.c.from_agent).where(
                E.c.conversation_id == conversation_id))),
            "violations": _rows(await conn.execute(select(V.c.id, V.c.code, V.c.action).where(
                V.c.conversation_id == conversation_id))),
            "tickets": (await conn.execute(tickets)).scalar(),
            "messages": {role: n for role, n in await conn.execute(by_role)}}


async def closed_recently(conn, storefront_id: str, customer_id: str, conversation_id: str, before: float,
                          window: float) -> bool:
    """Whether the customer had another chat that closed within ``window`` before ``before``."""
    query = select(C.c.id).where(C.c.storefront_id == storefront_id, C.c.customer_id == customer_id,
                                 C.c.opened_at < before, C.c.closed_at >= before - window,
                                 C.c.id != conversation_id).limit(1)
    return (await conn.execute(query)).first() is not None


def _flag_filter(flag: str | None):
    """Stored flags, or what the answered survey adds (mirrors kpis.quality.survey_reasons)."""
    answered = S.c.status == "answered"
    if flag == "problem":
        return or_(Q.c.problem.is_(True), and_(answered, or_(S.c.resolved.is_(False), S.c.rating <= 2)))
    if flag == "excellent":
        good = and_(answered, S.c.resolved.is_(True), or_(S.c.rating.is_(None), S.c.rating >= 4),
                    Q.c.transfers == 0, Q.c.escalated.is_(False))
        return or_(Q.c.excellent.is_(True), good)
    return None


async def qa_reviews(conn, flag: str | None, since: float, until: float, limit: int) -> list[dict[str, Any]]:
    """Reviews of conversations closed in the range, newest first, each with its survey (or None)."""
    survey = [S.c.status.label("survey_status"), S.c.resolved.label("survey_resolved"),
              S.c.rating.label("survey_rating"), S.c.answer.label("survey_answer"),
              S.c.inferred_score.label("survey_inferred_score")]
    query = (select(Q, *survey).select_from(Q.outerjoin(S, S.c.conversation_id == Q.c.id))
             .where(Q.c.closed_at >= since, Q.c.closed_at < until).order_by(Q.c.closed_at.desc()).limit(limit))
    condition = _flag_filter(flag)
    if condition is not None:
        query = query.where(condition)
    return _rows(await conn.execute(query))


async def transcripts(conn, conversation_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    ids = list(conversation_ids)
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        query = select(M).where(M.c.conversation_id.in_(ids)).order_by(M.c.conversation_id, M.c.seq)
        for row in _rows(await conn.execute(query)):
            found[row["conversation_id"]].append(row)
    return found
