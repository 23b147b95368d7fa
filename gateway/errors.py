"""Protocol-v1 errors: ``{"error": {"code", "message"}}`` for HTTP, ``{"type": "error", ...}`` for WebSockets.

The middleware turns every refusal, aiohttp's own included (404 route, 405, 413 body too large), into that
shape, and an unexpected exception into a 500 that hides the details from the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway.metrics import METRICS

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}


BACKEND_ERRORS = (OSError, SQLAlchemyError, RedisError)
"""A database or state backend that cannot be reached: the caller gets 503 and retries."""


class ProtocolError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **(details or {})}}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> web.Response:
    return web.json_response(error_body(code, message, details), status=status)


def ws_error(code: str, message: str, ref: Any = None) -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}, "ref": ref}


def describe_validation(exc: ValidationError) -> str:
    """The first problems of a request body, by field: 'text: String should have at most 4000 characters'."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    metrics = request.app.get(METRICS)
    try:
        return await handler(request)
    except ProtocolError as exc:
        return _refuse(metrics, exc.status, exc.code, exc.message, exc.details)
    except BACKEND_ERRORS as exc:
        log.error("backend unavailable on %s %s: %s", request.method, request.path, exc)
        return _refuse(metrics, 503, "unavailable", "the database or state backend is unavailable; retry")
    except web.HTTPRequestEntityTooLarge:
        return _refuse(metrics, 413, "too_large", "the request body is too large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _refuse(metrics, exc.status, _CODES.get(exc.status, "http_error"), exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the gateway failed on this request; it was logged")


def _refuse(metrics, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> web.Response:
    if metrics is not None:
        metrics.rejected.labels(code=code).inc()
    return error_response(status, code, message, details)
