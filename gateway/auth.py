"""Who is calling: a Bearer token (header, or ``?token=`` for WebSocket clients that cannot set headers) maps to
one storefront, agent or team from config.yaml. Tokens are compared in constant time."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web

from gateway.config import GatewayConfig
from gateway.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str        # storefront | agent | team
    id: str
    role: str | None = None


class Authenticator:
    def __init__(self, config: GatewayConfig) -> None:
        self._tokens: list[tuple[str, Principal]] = (
            [(s.token, Principal("storefront", s.id)) for s in config.storefronts]
            + [(a.token, Principal("agent", a.id, a.role)) for a in config.agents]
            + [(t.token, Principal("team", t.id)) for t in config.teams])

    def identify(self, token: str) -> Principal | None:
        found = None
        for candidate, principal in self._tokens:  # no early exit: the time taken does not depend on the match
            if hmac.compare_digest(candidate.encode(), token.encode()):
                found = principal
        return found

    def caller(self, request: web.Request, allow_query: bool = False) -> Principal:
        token = bearer_token(request, allow_query)
        principal = self.identify(token) if token else None
        if principal is None:
            raise ProtocolError(401, "unauthorized", "missing or unknown Bearer token")
        return principal

    def require(self, request: web.Request, kind: str, allow_query: bool = False) -> Principal:
        principal = self.caller(request, allow_query)
        if principal.kind != kind:
            raise ProtocolError(403, "forbidden", f"this endpoint is for {kind} credentials")
        return principal


def bearer_token(request: web.Request, allow_query: bool = False) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.query.get("token") if allow_query else None
