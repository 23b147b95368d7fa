"""create_app: the one place that knows every part. Builds the services, the pipeline order, the routes, and
opens/closes resources in ``cleanup_ctx``."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from functools import partial

from aiohttp import web

from escalation.policy import EscalationPolicy
from gateway.auth import Authenticator
from gateway.bot_client import WebhookBot
from gateway.claims import Claims
from gateway.config import GatewayConfig
from gateway.db import Database
from gateway.dispatcher import Dispatcher
from gateway.effects import Effects
from gateway.engines import load_engines
from gateway.errors import error_middleware
from gateway.fanout import RedisFanout
from gateway.hub import Hub
from gateway.ids import new_id
from gateway.metrics import METRICS, Metrics
from gateway.models import Delivery, TicketDelivery
from gateway.outbox import StorefrontOutbox
from gateway.pipeline import Pipeline
from gateway.presence import GRACE, PresenceEvents
from gateway.records import Records
from gateway.rehydrate import rehydrate
from gateway.routes import agent, ops, scripts, storefront, supervisor, tickets
from gateway.routes import kpis as kpi_routes
from gateway.services import DISPATCHER, PRESENCE, SERVICES, TICKETS, Services
from gateway.storage.memory import MemoryDirectory, MemoryLocks, MemoryStateStore
from gateway.storage.redis import open_redis_backend
from gateway.team_outbox import TeamOutbox
from gateway.ticket_service import TicketService
from handlers.access import Access
from handlers.analysis import Analysis
from handlers.bot import Bot
from handlers.closing import Closing, IdleClose
from handlers.escalation import Escalation
from handlers.forward import Forward
from handlers.hints import Hints
from handlers.intake import Intake
from handlers.ownership import Ownership
from handlers.qa import ReplyQA
from handlers.review import QualityReview
from handlers.routing import Routing
from handlers.supervision import Supervise
from handlers.survey import SurveyCapture, SurveyInvite
from handlers.tickets import SLA, Tickets
from handlers.transfer import Transfer
from handlers.watchdog import Watchdog
from scheduler.business_hours import BusinessCalendar
from scheduler.deadlines import MemoryDeadlineStore
from scheduler.jobs import Jobs
from scheduler.redis_deadlines import RedisDeadlineStore
from scheduler.timers import Timers


def build_pipeline(services: Services) -> Pipeline:
    """The order every event flows through. Steps skip the event types they do not handle."""
    return Pipeline([
        IdleClose(),     # an idle timer that finds the chat idle becomes a close for every step below
        Access(),        # agent frames: only on one's own conversations
        Supervise(),     # supervisors watch and whisper
        SurveyCapture(), # a closed conversation's survey answer: recorded, goes no further
        Intake(),        # customer messages: recorded first, whatever comes next
        Analysis(),      # emotion, intent, order id of every customer message
        Bot(),           # the chatbot tier answers first / on overflow, hands over cleanly
        Routing(),       # no agent yet: owner, wait for owner, least loaded, or queue
        Transfer(),      # agent-initiated handover
        Escalation(EscalationPolicy(services.config.escalation)),   # anger rising: a senior takes over
        Tickets(),       # logistics/warehouse problems: one ticket per order and intent
        ReplyQA(),       # agent replies: banned words, personal data, repeats (fails closed)
        Ownership(),     # first answer makes the owner; contacts keep ownership alive
        Watchdog(),      # waiting periods, staged deadlines, idle close timer
        Forward(),       # customer -> agent, agent -> customer
        Hints(),         # suggested replies from the 话术库, to the agent only
        Closing(),       # agent close or idle close
        SurveyInvite(),  # the one question after a close, unless excluded
        QualityReview(), # the QA record of a closed conversation: figures, problem/excellent flags, reasons
    ])


def open_state(config: GatewayConfig, clock: Callable[[], float], instance_id: str) -> tuple:
    """The state backend chosen by ``state.backend``, and the deadline store that goes with it: with Redis,
    several gateway processes share both (each deadline fires in one process)."""
    if config.state.backend == "redis":
        backend = open_redis_backend(config.state.redis_url, config.state.key_prefix,
                                     config.state.dedupe_window, clock, instance_id=instance_id)
        deadlines = RedisDeadlineStore.from_url(config.state.redis_url, prefix=config.state.key_prefix)
        return backend.state, backend.directory, backend.locks, Timers(deadlines, clock, poll_interval=0.2), \
            backend.close
    timers = Timers(MemoryDeadlineStore(), clock)
    return MemoryStateStore(config.state.dedupe_window, clock), MemoryDirectory(), MemoryLocks(), timers, None


def build_services(config: GatewayConfig, clock: Callable[[], float]) -> Services:
    metrics = Metrics()
    instance_id = new_id("gw")
    db = Database(config.database.url, batch_max=config.database.group_commit_max,
                  sqlite_synchronous=config.database.sqlite_synchronous)
    hub = Hub(RedisFanout(config.state.redis_url, config.state.key_prefix, instance_id)
              if config.state.backend == "redis" else None)
    storefronts = {s.id: s for s in config.storefronts}
    state, directory, locks, timers, close_state = open_state(config, clock, instance_id)

    def claims(model) -> Claims:
        return Claims(db, model.__table__, instance_id, clock, config.state.instance_timeout)

    return Services(
        config=config, clock=clock, instance_id=instance_id, db=db, records=Records(db),
        state=state, directory=directory, locks=locks, close_state=close_state, hub=hub,
        outbox=StorefrontOutbox(db, hub, storefronts, config.delivery, metrics, clock, claims(Delivery)),
        team_outbox=TeamOutbox(db, config.teams, config.tickets, metrics, clock, claims(TicketDelivery)),
        metrics=metrics, auth=Authenticator(config), agents={a.id: a for a in config.agents},
        timers=timers, calendar=BusinessCalendar(config.watchdog.business_hours),
        engines=load_engines(config, clock))


def create_app(config: GatewayConfig, *, clock: Callable[[], float] = time.time) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=config.server.max_body)
    services = build_services(config, clock)
    app[SERVICES] = services
    app[METRICS] = services.metrics
    dispatcher = Dispatcher(build_pipeline(services), services, Effects(services))
    presence = PresenceEvents(services, dispatcher)
    ticket_service = TicketService(services)
    services.team_outbox.on_dead = ticket_service.dead_letter
    services.timers.route(dispatcher.feed, {GRACE: presence.grace_expired, SLA: ticket_service.sla_expired})
    app[DISPATCHER] = dispatcher
    app[PRESENCE] = presence
    app[TICKETS] = ticket_service
    app.add_routes(storefront.routes)
    app.add_routes(agent.routes)
    app.add_routes(ops.routes)
    app.add_routes(kpi_routes.routes)
    app.add_routes(tickets.routes)
    app.add_routes(supervisor.routes)
    app.add_routes(scripts.routes)
    app.cleanup_ctx.append(_resources)
    return app


async def _resources(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    await services.db.start()
    await services.hub.start(resync=partial(agent.resume, app))
    await rehydrate(services)
    await services.engines["scripts"].load_personal(services.db)
    alone = services.config.state.backend == "memory"     # memory state: one process, every delivery is ours
    await services.outbox.start(alone=alone)
    await services.team_outbox.start(alone=alone)
    bot = services.engines["bot"]
    if isinstance(bot, WebhookBot):
        await bot.start()
    await services.timers.runner.start()
    await services.directory.heartbeat(services.config.state.instance_timeout)   # alive before any socket here
    jobs = Jobs(services, app[PRESENCE])
    jobs.start()
    gc.freeze()   # the engines' ~300k long-lived objects: full collections skip them (80 ms -> ~0)
    yield
    await jobs.stop()
    await services.timers.runner.stop()
    await services.hub.close()
    await services.outbox.close()
    await services.team_outbox.close()
    if isinstance(bot, WebhookBot):
        await bot.close()
    await services.db.close()
    await services.timers.store.close()
    if services.close_state is not None:
        await services.close_state()
