"""Supervisor views of automatic decisions: escalations with their reasons and evidence."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from gateway.bot_metrics import bot_metrics
from gateway.errors import ProtocolError
from gateway.routes.common import iso_param
from gateway.models import Escalation
from gateway.services import SERVICES, Services
from gateway.timefmt import iso

routes = web.RouteTableDef()


def require_supervisor(request: web.Request) -> None:
    principal = request.app[SERVICES].auth.require(request, "agent")
    if principal.role != "supervisor":
        raise ProtocolError(403, "forbidden", "for supervisors")


@routes.get("/v1/metrics/bot")
async def bot(request: web.Request) -> web.Response:
    """The chatbot tier's KPIs: containment, handoffs and their reasons, answer confidence (default: 7 days)."""
    require_supervisor(request)
    services: Services = request.app[SERVICES]
    now = services.clock()
    since = iso_param(request, "from", now - 7 * 86400)
    until = iso_param(request, "to", now + 1)
    return web.json_response({"from": iso(since), "to": iso(until),
                              **await bot_metrics(services.db, since, until, now)})


@routes.get("/v1/escalations")
async def escalations(request: web.Request) -> web.Response:
    require_supervisor(request)
    services: Services = request.app[SERVICES]
    table = Escalation.__table__
    query = select(table).order_by(table.c.started_at.desc()).limit(500)
    if "conversation_id" in request.query:
        query = query.where(table.c.conversation_id == request.query["conversation_id"])
    if "status" in request.query:
        query = query.where(table.c.status == request.query["status"])
    async with services.db.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return web.json_response({"escalations": [
        {**row, "started_at": iso(row["started_at"]), "accepted_at": iso(row["accepted_at"])} for row in rows]})
