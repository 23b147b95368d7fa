"""The periodic jobs (APScheduler). Cluster-wide ones run under a lease (scheduler.lease), so with several
gateway processes each runs in one of them; the 话术库 reload (each process has its matcher) and the heartbeat
(each process says it is alive) run in every process."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from gateway.presence import HEARTBEAT_EVERY, INSTANCE_TTL
from kpis.rollup import refresh_job
from scheduler.at_risk import AtRiskMonitor
from scheduler.lease import LocalLease, RedisLease, leased

TAKEOVER_AGE = 30.0
"""A delivery pending this long and held by no live process here is taken over (its process may be gone)."""
TAKEOVER_EVERY = 15.0


class Jobs:
    def __init__(self, services, presence) -> None:
        state = services.config.state
        self.lease = (RedisLease(state.redis_url, state.key_prefix, services.instance_id)
                      if state.backend == "redis" else LocalLease())
        self.scheduler = AsyncIOScheduler()
        monitor = AtRiskMonitor(services)
        self._every(services.config.watchdog.at_risk.check_every, "at_risk", monitor.check)
        self._every(services.config.kpis.rollup_every, "kpi_rollups", lambda: refresh_job(services))
        self._every(TAKEOVER_EVERY, "outbox_takeover", lambda: take_over_outboxes(services))
        self._every(HEARTBEAT_EVERY, "dead_instances", presence.instances_died)
        self._in_every_process(services.config.scripts.reload_check, "scripts_reload",
                               services.engines["scripts"].reload_if_changed)
        self._in_every_process(HEARTBEAT_EVERY, "heartbeat", lambda: services.directory.heartbeat(INSTANCE_TTL))

    def _every(self, seconds: float, job: str, run) -> None:
        self.scheduler.add_job(leased(self.lease, job, seconds, run), "interval", seconds=seconds, id=job,
                               max_instances=1, coalesce=True)

    def _in_every_process(self, seconds: float, job: str, run) -> None:
        self.scheduler.add_job(run, "interval", seconds=seconds, id=job, max_instances=1, coalesce=True)

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.lease.close()


async def take_over_outboxes(services) -> int:
    """Queue the storefront and team deliveries that have waited too long and nobody here is delivering."""
    before = services.clock() - TAKEOVER_AGE
    held = services.outbox.held()   # before the query: one finishing meanwhile is not taken as an orphan
    stale = [d for d in await services.records.pending_deliveries() if d["created_at"] < before]
    taken = services.outbox.take_over(stale, held)
    held = services.team_outbox.held()
    tickets = [d for d in await services.records.ticket_deliveries("pending") if d["created_at"] < before]
    return taken + services.team_outbox.take_over(tickets, held)
