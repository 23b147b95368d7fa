"""The 话术库 over HTTP for agents: quick-reply search, personal scripts, and what customers ask most."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field, StrictStr
from sqlalchemy import func, select

from gateway.errors import ProtocolError
from gateway.models import HintLog
from gateway.routes.common import parse_json, validate
from gateway.schemas import Inbound
from gateway.services import SERVICES, Services
from scripts_lib.library import LibraryError, Script
from scripts_lib.search import search_scripts

routes = web.RouteTableDef()


class PersonalScriptIn(Inbound):
    category: StrictStr = Field(min_length=1, max_length=50)
    phrasings: list[StrictStr] = Field(min_length=1, max_length=50)
    text: StrictStr = Field(min_length=1, max_length=2000)


def _number(request: web.Request, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(request.query.get(name, default))
    except ValueError:
        raise ProtocolError(400, "invalid_request", f"{name} must be a number") from None
    return min(max(value, low), high)


def _view(script: Script) -> dict:
    return {"script_id": script.id, "category": script.category, "text": script.text,
            "phrasings": list(script.phrasings), "personal": script.owner is not None, "kind": script.kind}


@routes.get("/v1/scripts/search")
async def search(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent")
    query = request.query.get("q", "").strip()
    if not query:
        raise ProtocolError(400, "invalid_request", "q is required")
    found = search_scripts(services.engines["scripts"].library, query, principal.id,
                           limit=int(_number(request, "limit", 10, 1, 50)))
    return web.json_response({"scripts": [_view(s) for s in found]})


@routes.get("/v1/scripts/personal")
async def personal(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent")
    mine = [s for s in services.engines["scripts"].personal.values() if s.owner == principal.id]
    return web.json_response({"scripts": [_view(s) for s in mine]})


@routes.post("/v1/scripts/personal")
async def create(request: web.Request) -> web.Response:
    script = await _save(request, None)
    return web.json_response({"script": _view(script)}, status=201)


@routes.put("/v1/scripts/personal/{script_id}")
async def update(request: web.Request) -> web.Response:
    return web.json_response({"script": _view(await _save(request, request.match_info["script_id"]))})


@routes.delete("/v1/scripts/personal/{script_id}")
async def delete(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent")
    script_id = request.match_info["script_id"]
    _own(services, principal.id, script_id)
    await services.engines["scripts"].delete_personal(services.db, script_id)
    return web.json_response({"deleted": script_id})


async def _save(request: web.Request, script_id: str | None) -> Script:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent")
    if script_id is not None:
        _own(services, principal.id, script_id)
    body = validate(PersonalScriptIn, parse_json(await request.read()))
    try:
        return await services.engines["scripts"].save_personal(services.db, principal.id, body.model_dump(),
                                                               script_id, services.clock())
    except LibraryError as exc:
        raise ProtocolError(400, "invalid_script", str(exc)) from None


def _own(services: Services, agent_id: str, script_id: str) -> None:
    script = services.engines["scripts"].personal.get(script_id)
    if script is None or script.owner != agent_id:
        raise ProtocolError(404, "not_found", "no personal script of yours with this id")


@routes.get("/v1/scripts/hot")
async def hot(request: web.Request) -> web.Response:
    """Most asked categories and questions over the last ``days``, and frequent questions no script answers."""
    services: Services = request.app[SERVICES]
    services.auth.require(request, "agent")
    days = _number(request, "days", 7, 0.01, 90)
    since = services.clock() - days * 86400
    table = HintLog.__table__
    count = func.count().label("count")
    recent = table.c.at >= since
    async with services.db.connect() as conn:
        categories = (await conn.execute(select(table.c.category, count).where(recent, table.c.category.is_not(None))
                                         .group_by(table.c.category).order_by(count.desc()).limit(20))).all()
        questions = (await conn.execute(select(table.c.question, table.c.script_id, count)
                                        .where(recent, table.c.script_id.is_not(None))
                                        .group_by(table.c.question, table.c.script_id)
                                        .order_by(count.desc()).limit(20))).all()
        unanswered = (await conn.execute(select(table.c.question, count).where(recent, table.c.script_id.is_(None))
                                         .group_by(table.c.question).having(count >= 2)
                                         .order_by(count.desc()).limit(20))).all()
    return web.json_response({
        "days": days, "categories": [{"category": c, "count": n} for c, n in categories],
        "questions": [{"question": q, "script_id": s, "count": n} for q, s, n in questions],
        "unanswered": [{"question": q, "count": n} for q, n in unanswered]})
