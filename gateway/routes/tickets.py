"""Protocol-v1 §3: the team API (a team sees and acts on its own tickets only), and dead-letter replay for
supervisors."""

from __future__ import annotations

from aiohttp import web

from gateway.auth import Principal
from gateway.errors import ProtocolError
from gateway.routes.common import parse_json
from gateway.services import SERVICES, TICKETS, Services
from gateway.timefmt import iso
from handlers.tickets import public_ticket

routes = web.RouteTableDef()


def _team_or_supervisor(request: web.Request) -> Principal:
    principal = request.app[SERVICES].auth.caller(request)
    if principal.kind == "team" or (principal.kind == "agent" and principal.role == "supervisor"):
        return principal
    raise ProtocolError(403, "forbidden", "tickets are for teams and supervisors")


def _scope(principal: Principal) -> str | None:
    """The team whose tickets the caller may see (None: all, for supervisors)."""
    return principal.id if principal.kind == "team" else None


def _team(request: web.Request) -> Principal:
    return request.app[SERVICES].auth.require(request, "team")


@routes.get("/v1/tickets")
async def list_tickets(request: web.Request) -> web.Response:
    principal = _team_or_supervisor(request)
    team = request.query.get("team")
    if principal.kind == "team" and team not in (None, principal.id):
        raise ProtocolError(403, "forbidden", "a team sees only its own tickets")
    rows = await request.app[SERVICES].records.tickets(team or _scope(principal), request.query.get("status"))
    return web.json_response({"tickets": [public_ticket(t) for t in rows]})


@routes.get("/v1/tickets/{ticket_id}")
async def get_ticket(request: web.Request) -> web.Response:
    principal = _team_or_supervisor(request)
    ticket = await request.app[TICKETS].get(request.match_info["ticket_id"], _scope(principal))
    return web.json_response({"ticket": public_ticket(ticket)})


@routes.post("/v1/tickets/{ticket_id}/ack")
async def ack_ticket(request: web.Request) -> web.Response:
    team = _team(request)
    ticket = await request.app[TICKETS].acknowledge(request.match_info["ticket_id"], team.id)
    return web.json_response({"ticket": public_ticket(ticket)})


@routes.post("/v1/tickets/{ticket_id}/resolve")
async def resolve_ticket(request: web.Request) -> web.Response:
    team = _team(request)
    raw = await request.read()
    note = parse_json(raw).get("note") if raw.strip() else None
    if note is not None and not isinstance(note, str):
        raise ProtocolError(400, "invalid_request", "note must be a string")
    ticket = await request.app[TICKETS].resolve(request.match_info["ticket_id"], team.id, note)
    return web.json_response({"ticket": public_ticket(ticket)})


@routes.get("/v1/ticket-deliveries")
async def dead_letters(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal = _team_or_supervisor(request)
    if principal.kind != "agent":
        raise ProtocolError(403, "forbidden", "dead letters are for supervisors")
    rows = await services.records.ticket_deliveries(request.query.get("status", "dead"))
    return web.json_response({"deliveries": [
        {"id": d["id"], "ticket_id": d["ticket_id"], "team": d["team"], "status": d["status"],
         "attempts": d["attempts"], "last_error": d["last_error"], "created_at": iso(d["created_at"])}
        for d in rows]})


@routes.post("/v1/tickets/{ticket_id}/replay")
async def replay(request: web.Request) -> web.Response:
    principal = _team_or_supervisor(request)
    if principal.kind != "agent":
        raise ProtocolError(403, "forbidden", "replay is for supervisors")
    replayed = await request.app[TICKETS].replay(request.match_info["ticket_id"])
    return web.json_response({"replayed": replayed})
