"""The periodic jobs (APScheduler). Cluster-wide ones run under a lease (scheduler.lease), so with several
gateway processes each runs in one of them; the 话术库 reload runs in every process (each has its matcher)."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from kpis.rollup import refresh_job
from scheduler.at_risk import AtRiskMonitor
from scheduler.lease import LocalLease, RedisLease, leased

TAKEOVER_AGE = 30.0
"""A delivery pending this long and held by no live process here is taken over (its process may be gone)."""
TAKEOVER_EVERY = 15.0


class Jobs:
    def __init__(self, services) -> None:
        state = services.config.state
        self.lease = (RedisLease(state.redis_url, state.key_prefix, services.instance_id)
                      if state.backend == "redis" else LocalLease())
        self.scheduler = AsyncIOScheduler()
        monitor = AtRiskMonitor(services)
        self._every(services.config.watchdog.at_risk.check_every, "at_risk", monitor.check)
        self._every(services.config.kpis.rollup_every, "kpi_rollups", lambda: refresh_job(services))
        self._every(TAKEOVER_EVERY, "outbox_takeover", lambda: take_over_outboxes(services))
        self.scheduler.add_job(services.engines["scripts"].reload_if_changed, "interval",
                               seconds=services.config.scripts.reload_check, id="scripts_reload",
                               max_instances=1, coalesce=True)

    def _every(self, seconds: float, job: str, run) -> None:
        self.scheduler.add_job(leased(self.lease, job, seconds, run), "interval", seconds=seconds, id=job,
                               max_instances=1, coalesce=True)

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
