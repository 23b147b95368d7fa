"""KPIs, quality review and the decision record for supervisors; order events from storefronts.

* ``GET /v1/metrics/agents?from=&to=`` (protocol-v1 §4) — per agent: the reply-rate fields of the first version
  (unchanged), every KPI and the weighted score; ``shops`` as before. ``/v1/metrics/groups``, and
  ``/v1/metrics/agents.csv`` (agents, then groups and shops). Default range: since local midnight.
* ``GET /v1/qa/conversations?flag=problem|excellent&from=&to=&limit=`` — QA reviews with transcript and reasons.
* ``GET /v1/conversations/{id}/timeline`` — the whole story of one conversation.
* ``POST /v1/storefront/orders`` — an order placed, paid, cancelled or refunded (idempotent by order id).
"""

from __future__ import annotations

from aiohttp import web

from gateway.db import Write, upsert
from gateway.errors import ProtocolError
from gateway.reply_rates import start_of_day
from gateway.routes.common import iso_param, parse_json, validate
from gateway.routes.storefront import signed_storefront_body
from gateway.services import SERVICES, Services
from gateway.timefmt import iso
from kpis import orders, reads
from kpis.models import Order
from kpis.quality import survey_reasons
from kpis.report import to_csv
from kpis.service import KpiService
from kpis.timeline import timeline

routes = web.RouteTableDef()
QA_LIMIT, QA_MAX = 50, 200


def _supervisor(request: web.Request) -> Services:
    services: Services = request.app[SERVICES]
    if services.auth.require(request, "agent").role != "supervisor":
        raise ProtocolError(403, "forbidden", "for supervisors")
    return services


def _range(request: web.Request, services: Services) -> tuple[float, float, float]:
    now = services.clock()
    since = iso_param(request, "from", start_of_day(now, services.config.kpis.timezone))
    until = iso_param(request, "to", now + 1)
    if until <= since:
        raise ProtocolError(400, "invalid_request", "to must be after from")
    return since, until, now


async def _report(request: web.Request) -> dict:
    services = _supervisor(request)
    since, until, now = _range(request, services)
    service = KpiService(services.db, services.config, services.calendar)
    return {"from": iso(since), "to": iso(until), **await service.report(since, until, now)}


@routes.get("/v1/metrics/agents")
async def agents_metrics(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.json_response({k: report[k] for k in ("from", "to", "agents", "shops", "scripts")})


@routes.get("/v1/metrics/groups")
async def groups_metrics(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.json_response({k: report[k] for k in ("from", "to", "groups", "shops")})


@routes.get("/v1/metrics/agents.csv")
async def agents_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    name = f"kpis_{report['from'][:10]}_{report['to'][:10]}.csv"
    return web.Response(text=to_csv(report), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/v1/qa/conversations")
async def qa_conversations(request: web.Request) -> web.Response:
    services = _supervisor(request)
    flag = request.query.get("flag")
    if flag not in (None, "problem", "excellent"):
        raise ProtocolError(400, "invalid_request", "flag must be problem or excellent")
    since, until, _ = _range(request, services)
    try:
        limit = min(QA_MAX, max(1, int(request.query.get("limit", QA_LIMIT))))
    except ValueError:
        raise ProtocolError(400, "invalid_request", "limit must be a number") from None
    async with services.db.connect() as conn:
        rows = await reads.qa_reviews(conn, flag, since, until, limit)
        transcripts = await reads.transcripts(conn, (r["id"] for r in rows))
    return web.json_response({"from": iso(since), "to": iso(until), "flag": flag,
                              "conversations": [_qa_view(row, transcripts[row["id"]]) for row in rows]})


def _qa_view(row: dict, transcript: list[dict]) -> dict:
    survey = {k[7:]: row.pop(k) for k in list(row) if k.startswith("survey_")}
    survey = survey if survey["status"] else None
    reasons = [*row["reasons"], *survey_reasons(row, survey)]
    return {**{k: (iso(v) if k.endswith("_at") else v) for k, v in row.items()},
            "problem": any(r["flag"] == "problem" for r in reasons),
            "excellent": any(r["flag"] == "excellent" for r in reasons), "reasons": reasons, "survey": survey,
            "transcript": [{"role": m["role"], "author_id": m["author_id"], "text": m["text"],
                            "at": iso(m["received_at"]), "script_id": m["script_id"]} for m in transcript]}


@routes.get("/v1/conversations/{conversation_id}/timeline")
async def conversation_timeline(request: web.Request) -> web.Response:
    services = _supervisor(request)
    conversation_id = request.match_info["conversation_id"]
    conversation = await services.records.conversation(conversation_id)
    if conversation is None:
        raise ProtocolError(404, "not_found", "unknown conversation")
    async with services.db.connect() as conn:
        records = await reads.conversation_records(conn, conversation_id)
    summary = {k: (iso(v) if k.endswith(("_at", "_since", "_until")) else v)
               for k, v in conversation.items() if k != "data"}
    return web.json_response({"conversation": summary, "timeline": timeline(conversation, records)})


@routes.post("/v1/storefront/orders")
async def post_order(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal, body = await signed_storefront_body(request)
    order = validate(orders.OrderIn, parse_json(body))
    now = services.clock()
    at = order.time(now)
    table = Order.__table__
    async with services.locks.lock(f"order:{principal.id}:{order.order_id}"):
        async with services.db.connect() as conn:
            found = (await conn.execute(table.select().where(
                table.c.id == f"{principal.id}:{order.order_id}"))).mappings().first()
        row = orders.merge(dict(found) if found else None, order, principal.id, at, now)
        if row is not None:
            await services.db.write(Write(upsert(services.db.dialect, table), row))
    answer = {"accepted": True, "order_id": order.order_id, "status": row["status"] if row else found["status"],
              "duplicate": row is None}
    return web.json_response(answer, status=200 if row is None else 202)
