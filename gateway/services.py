"""The shared objects of one gateway process, built once in :func:`gateway.app.create_app` and stored on the app
under a typed key. Handlers read them through ``ctx.services``; nothing is a module-level singleton."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from gateway.auth import Authenticator
from gateway.config import AgentConfig, GatewayConfig
from gateway.db import Database
from gateway.hub import Hub
from gateway.metrics import Metrics
from gateway.outbox import StorefrontOutbox
from gateway.team_outbox import TeamOutbox
from gateway.records import Records
from gateway.storage.base import AgentDirectory, LockManager, StateStore
from scheduler.business_hours import BusinessCalendar
from scheduler.timers import Timers


@dataclass(slots=True)
class Services:
    config: GatewayConfig
    clock: Callable[[], float]
    instance_id: str
    db: Database
    records: Records
    state: StateStore
    directory: AgentDirectory
    locks: LockManager
    hub: Hub
    outbox: StorefrontOutbox
    team_outbox: TeamOutbox
    metrics: Metrics
    auth: Authenticator
    timers: Timers
    close_state: Callable[[], Any] | None
    calendar: BusinessCalendar
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    engines: dict[str, Any] = field(default_factory=dict)   # analysis engines, loaded at start-up


SERVICES = web.AppKey("services", Services)
DISPATCHER = web.AppKey("dispatcher", object)
PRESENCE = web.AppKey("presence", object)
TICKETS = web.AppKey("tickets", object)
