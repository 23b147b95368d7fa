"""Protocol-v1 §2: the agent workspace, over one WebSocket per tab or by HTTP."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import WSMsgType, web

from gateway.auth import Principal
from gateway.db import Write
from gateway.effects import conversation_view
from gateway.errors import ProtocolError, ws_error
from gateway.events import AgentReply, CloseRequest, EscalationResponse, Supervision, TransferRequest
from gateway.hub import dumps
from gateway.ids import new_id
from gateway.timefmt import iso
from handlers.escalation import MARKER as ESCALATION_MARKER
from handlers.qa import REJECTED
from gateway.routes.common import WS_FRAME_SLACK, check_frame_size, parse_json, raise_rejection, validate
from gateway.schemas import AgentReplyIn, CloseBodyIn, CloseIn, EscalationIn, PresenceIn, SupervisionIn, TransferIn
from gateway.services import DISPATCHER, PRESENCE, SERVICES, Services

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


async def reply(app: web.Application, agent_id: str, data: dict[str, Any]) -> str:
    frame = validate(AgentReplyIn, data)
    services: Services = app[SERVICES]
    event = AgentReply(agent_id, frame.conversation_id, frame.client_msg_id, frame.text, services.clock(),
                       frame.script_id)
    outcome = await app[DISPATCHER].feed(event)
    raise_rejection(outcome)
    services.metrics.messages.labels(side="agent").inc()
    return outcome.conversation_id


async def close(app: web.Application, agent_id: str, conversation_id: str, resolved: bool | None) -> None:
    services: Services = app[SERVICES]
    outcome = await app[DISPATCHER].feed(CloseRequest(conversation_id, agent_id, services.clock(), resolved))
    raise_rejection(outcome)


async def set_presence(app: web.Application, agent_id: str, data: dict[str, Any]) -> None:
    frame = validate(PresenceIn, data)
    await app[SERVICES].directory.set_status(agent_id, frame.status)
    if frame.status == "online":
        await app[PRESENCE].came_online(agent_id)


async def escalation_response(app: web.Application, agent_id: str, data: dict[str, Any], accept: bool) -> None:
    frame = validate(EscalationIn, data)
    services: Services = app[SERVICES]
    conversation_id = await services.state.get_marker(ESCALATION_MARKER, frame.escalation_id)
    if conversation_id is None:
        raise ProtocolError(404, "not_found", "unknown escalation")
    event = EscalationResponse(agent_id, conversation_id, frame.escalation_id, accept, services.clock())
    raise_rejection(await app[DISPATCHER].feed(event))


async def transfer(app: web.Application, agent_id: str, data: dict[str, Any]) -> None:
    frame = validate(TransferIn, data)
    event = TransferRequest(agent_id, frame.conversation_id, app[SERVICES].clock(), frame.to_agent, frame.to_group,
                            frame.note)
    raise_rejection(await app[DISPATCHER].feed(event))


async def _frame(app: web.Application, principal: Principal, data: dict[str, Any]) -> None:
    kind = data.get("type")
    if kind == "agent.reply":
        await reply(app, principal.id, data)
    elif kind == "conversation.close":
        frame = validate(CloseIn, data)
        await close(app, principal.id, frame.conversation_id, frame.resolved)
    elif kind == "presence":
        await set_presence(app, principal.id, data)
    elif kind == "conversation.transfer":
        await transfer(app, principal.id, data)
    elif kind in ("escalation.accept", "escalation.decline"):
        await escalation_response(app, principal.id, data, accept=kind == "escalation.accept")
    elif kind in ("watch", "unwatch", "whisper"):
        frame = validate(SupervisionIn, data)
        event = Supervision(principal.id, frame.conversation_id, kind, app[SERVICES].clock(), frame.text)
        raise_rejection(await app[DISPATCHER].feed(event))
    else:
        raise ProtocolError(400, "unknown_type", f"unknown frame type {kind!r}")


@routes.get("/v1/agent/ws")
async def agent_ws(request: web.Request) -> web.WebSocketResponse:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent", allow_query=True)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=services.config.server.max_body * WS_FRAME_SLACK)
    # Online before the handshake completes, so a chat sent right after it is routed here; anything assigned
    # before the socket joins the hub is sent by resume.
    await services.directory.connect(principal.id, services.clock())
    try:
        await ws.prepare(request)
    except Exception:
        await services.directory.disconnect(principal.id)
        raise
    session_id = await _connected(request.app, principal.id, ws)
    try:
        await resume(request.app, principal.id, ws)
        await request.app[PRESENCE].came_online(principal.id)
        async for frame in ws:
            await _handle_ws_frame(request.app, principal, ws, frame)
    finally:
        await _disconnected(request.app, principal.id, ws, session_id)
    return ws


async def _handle_ws_frame(app: web.Application, principal: Principal, ws: web.WebSocketResponse, frame) -> None:
    if frame.type == WSMsgType.BINARY:
        await ws.send_str(dumps(ws_error("unsupported_frame", "binary frames are not supported")))
        return
    if frame.type != WSMsgType.TEXT:
        return
    data: dict[str, Any] = {}
    try:
        check_frame_size(frame.data, app[SERVICES].config.server.max_body)
        data = parse_json(frame.data)
        await _frame(app, principal, data)
        return
    except ProtocolError as exc:
        app[SERVICES].metrics.rejected.labels(code=exc.code).inc()
        if exc.code == REJECTED:
            return
        error = ws_error(exc.code, exc.message, data.get("client_msg_id") or data.get("escalation_id"))
    except Exception:
        log.exception("agent frame failed")
        error = ws_error("internal_error", "the gateway failed on this frame; it was logged", data.get("client_msg_id"))
    if isinstance(data.get("conversation_id"), str):
        error["conversation_id"] = data["conversation_id"]
    await ws.send_str(dumps(error))


async def _connected(app: web.Application, agent_id: str, ws: web.WebSocketResponse) -> str:
    services: Services = app[SERVICES]
    await services.hub.add_agent(agent_id, ws)
    services.metrics.ws_connections.labels(side="agent").inc()
    session_id = new_id("as")
    services.db.write_soon(Write(services.db.statements.insert_session, {
        "id": session_id, "agent_id": agent_id, "instance_id": services.instance_id,
        "connected_at": services.clock(), "disconnected_at": None}))
    return session_id


async def _disconnected(app: web.Application, agent_id: str, ws: web.WebSocketResponse, session_id: str) -> None:
    services: Services = app[SERVICES]
    await services.hub.remove_agent(agent_id, ws)
    services.metrics.ws_connections.labels(side="agent").dec()
    await services.directory.disconnect(agent_id)
    await app[PRESENCE].went_offline(agent_id)
    services.db.write_soon(Write(services.db.statements.end_session, {
        "session_id": session_id, "disconnected_at": services.clock()}))


async def resume(app: web.Application, agent_id: str, ws: web.WebSocketResponse) -> None:
    """A (re)connecting agent gets every open conversation assigned to it, with the full history."""
    services: Services = app[SERVICES]
    presence = await services.directory.get(agent_id)
    for conversation_id in sorted(presence.assigned if presence else ()):
        state = await services.state.load(conversation_id)
        if state is None or state.agent_id != agent_id:
            continue
        history = await services.records.history(conversation_id)
        await ws.send_str(dumps({"type": "conversation.assigned", "conversation_id": conversation_id,
                                 "conversation": conversation_view(state), "reason": state.assign_reason,
                                 "resumed": True, "history": history}))


@routes.post("/v1/agent/replies")
async def post_reply(request: web.Request) -> web.Response:
    principal = request.app[SERVICES].auth.require(request, "agent")
    data = parse_json(await request.read())
    conversation_id = await reply(request.app, principal.id, data)
    return web.json_response({"accepted": True, "client_msg_id": data.get("client_msg_id"),
                              "conversation_id": conversation_id})


@routes.post("/v1/conversations/{conversation_id}/close")
async def post_close(request: web.Request) -> web.Response:
    principal = request.app[SERVICES].auth.require(request, "agent")
    raw = await request.read()
    body = validate(CloseBodyIn, parse_json(raw)) if raw.strip() else CloseBodyIn()
    conversation_id = request.match_info["conversation_id"]
    await close(request.app, principal.id, conversation_id, body.resolved)
    return web.json_response({"closed": True, "conversation_id": conversation_id})


@routes.get("/v1/conversations/{conversation_id}")
async def get_conversation(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "agent")
    conversation_id = request.match_info["conversation_id"]
    row = await services.records.conversation(conversation_id)
    if row is None:
        raise ProtocolError(404, "not_found", "unknown conversation")
    state = await services.state.load(conversation_id)
    participants = state.data.get("participants", ()) if state else ()
    if not (principal.role == "supervisor" or row["agent_id"] == principal.id or principal.id in participants):
        raise ProtocolError(403, "forbidden", "this conversation is not assigned to you")
    return web.json_response({"conversation": _conversation_body(row),
                              "messages": await services.records.history(conversation_id)})


_INTERNAL = {"data", "listening_until"}


def _conversation_body(row: dict[str, Any]) -> dict[str, Any]:
    """The stored conversation without internal state; every time in ISO 8601."""
    return {k: (iso(v) if k.endswith(("_at", "_since")) else v) for k, v in row.items() if k not in _INTERNAL}
