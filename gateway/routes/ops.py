"""Protocol-v1 §4: health, readiness and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.errors import BACKEND_ERRORS
from gateway.services import SERVICES, Services

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    checks = {}
    for name, ping in (("database", services.db.ping), ("state", services.state.ping)):
        try:
            await ping()
            checks[name] = "ok"
        except BACKEND_ERRORS as exc:
            checks[name] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    services: Services = request.app[SERVICES]
    services.metrics.queue_length.set(len(await services.directory.queued()))
    body = generate_latest(services.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
