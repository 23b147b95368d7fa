"""Protocol-v1 §1: the storefront side. A message is answered 202 (or ``ack``) only once it is committed."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSMsgType, web

from gateway.auth import Principal
from gateway.errors import BACKEND_ERRORS, ProtocolError, ws_error
from gateway.events import CustomerMessage
from gateway.hub import dumps
from gateway.routes.common import WS_FRAME_SLACK, check_frame_size, parse_json, raise_rejection, validate
from gateway.schemas import CustomerMessageIn
from gateway.services import DISPATCHER, SERVICES, Services
from gateway.signing import verify

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_FRAMES_IN_FLIGHT = 64


async def ingest(request: web.Request, storefront_id: str, data: dict) -> dict:
    """Feed one customer message; return the protocol's acceptance body (raises ProtocolError)."""
    services: Services = request.app[SERVICES]
    message = validate(CustomerMessageIn, data)
    event = CustomerMessage(storefront_id=storefront_id, received_at=services.clock(),
                            **message.model_dump())
    try:
        outcome = await request.app[DISPATCHER].feed(event)
    except BACKEND_ERRORS as exc:
        raise ProtocolError(503, "unavailable", f"the message could not be stored: {exc}") from None
    raise_rejection(outcome)
    services.metrics.messages.labels(side="customer").inc()
    if outcome.duplicate:
        services.metrics.duplicates.inc()
    return {"accepted": True, "message_id": message.message_id, "conversation_id": outcome.conversation_id,
            "duplicate": outcome.duplicate}


async def signed_storefront_body(request: web.Request) -> tuple[Principal, bytes]:
    """The calling storefront and the raw body, its X-Signature checked where the storefront has a secret."""
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "storefront")
    body = await request.read()
    secret = next(s.secret for s in services.config.storefronts if s.id == principal.id)
    if secret and not verify(secret, body, request.headers.get("X-Signature")):
        raise ProtocolError(401, "bad_signature", "missing or wrong X-Signature")
    return principal, body


@routes.post("/v1/storefront/messages")
async def post_message(request: web.Request) -> web.Response:
    principal, body = await signed_storefront_body(request)
    accepted = await ingest(request, principal.id, parse_json(body))
    return web.json_response(accepted, status=200 if accepted["duplicate"] else 202)


@routes.get("/v1/storefront/ws")
async def storefront_ws(request: web.Request) -> web.WebSocketResponse:
    services: Services = request.app[SERVICES]
    principal = services.auth.require(request, "storefront", allow_query=True)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=services.config.server.max_body * WS_FRAME_SLACK)
    await ws.prepare(request)
    await services.hub.add_storefront(principal.id, ws)
    services.metrics.ws_connections.labels(side="storefront").inc()
    services.outbox.storefront_connected(principal.id)
    in_flight = asyncio.Semaphore(MAX_FRAMES_IN_FLIGHT)
    tasks: set[asyncio.Task] = set()
    try:
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                await in_flight.acquire()
                task = asyncio.create_task(_customer_frame(request, ws, principal.id, frame.data, in_flight))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif frame.type == WSMsgType.BINARY:
                await ws.send_str(dumps(ws_error("unsupported_frame", "binary frames are not supported")))
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await services.hub.remove_storefront(principal.id, ws)
        services.metrics.ws_connections.labels(side="storefront").dec()
    return ws


async def _customer_frame(request: web.Request, ws: web.WebSocketResponse, storefront_id: str, raw: str,
                          in_flight: asyncio.Semaphore) -> None:
    ref = None
    try:
        check_frame_size(raw, request.app[SERVICES].config.server.max_body)
        data = parse_json(raw)
        ref = data.get("message_id")
        if data.get("type") != "customer.message":
            raise ProtocolError(400, "unknown_type", f"unknown frame type {data.get('type')!r}")
        accepted = await ingest(request, storefront_id, data)
        reply = {"type": "ack", **{k: accepted[k] for k in ("message_id", "conversation_id", "duplicate")}}
    except ProtocolError as exc:
        request.app[SERVICES].metrics.rejected.labels(code=exc.code).inc()
        reply = ws_error(exc.code, exc.message, ref)
    except Exception:
        log.exception("storefront frame failed")
        reply = ws_error("internal_error", "the gateway failed on this frame; it was logged", ref)
    finally:
        in_flight.release()
    if not ws.closed:
        await ws.send_str(dumps(reply))
