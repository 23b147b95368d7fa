"""Helpers shared by the route modules: JSON parsing with protocol errors, and outcome → response mapping."""

from __future__ import annotations

from datetime import datetime

import orjson
from aiohttp import web
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.errors import ProtocolError, describe_validation

Model = TypeVar("Model", bound=BaseModel)


WS_FRAME_SLACK = 4
"""WebSockets accept frames up to this many times ``server.max_body`` so that an oversized frame gets a
``too_large`` error frame and the connection stays open (beyond it aiohttp closes the socket, code 1009)."""


def check_frame_size(raw: str, limit: int) -> None:
    if len(raw.encode()) > limit:
        raise ProtocolError(413, "too_large", f"frames are limited to {limit} bytes")


def iso_param(request: web.Request, name: str, default: float) -> float:
    """An ISO 8601 time with offset from the query string, as epoch seconds."""
    value = request.query.get(name)
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(400, "invalid_request", f"{name} must be an ISO 8601 time with an offset") from None
    if parsed.tzinfo is None:
        raise ProtocolError(400, "invalid_request", f"{name} needs a UTC offset")
    return parsed.timestamp()


def parse_json(raw: bytes | str) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(400, "bad_json", "the body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError(400, "bad_json", "the body must be a JSON object")
    return data


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(400, "invalid_request", describe_validation(exc)) from None


def raise_rejection(outcome) -> None:
    if outcome.rejection is not None:
        r = outcome.rejection
        raise ProtocolError(r.status, r.code, r.message, r.details)
