"""The periodic jobs (APScheduler). Cluster-wide ones run under a lease (scheduler.lease), so with several
gateway processes each runs in one of them; the 话术库 reload (each process has its matcher) and the heartbeat
(each process says it is alive) run in every process."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from kpis.rollup import refresh_job
from scheduler.at_risk import AtRiskMonitor
from scheduler.lease import LocalLease, RedisLease, leased


class Jobs:
    def __init__(self, services, presence) -> None:
        state = services.config.state
        self.lease = (RedisLease(state.redis_url, state.key_prefix, services.instance_id)
                      if state.backend == "redis" else LocalLease())
        self.scheduler = AsyncIOScheduler()
        monitor = AtRiskMonitor(services)
        self._every(services.config.watchdog.at_risk.check_every, "at_risk", monitor.check)
        self._every(services.config.kpis.rollup_every, "kpi_rollups", lambda: refresh_job(services))
        scripts = services.engines["scripts"]
        self._in_every_process(services.config.scripts.reload_check, "scripts_reload", scripts.reload_if_changed)
        if state.backend == "redis":       # other processes may change personal scripts
            self._in_every_process(services.config.scripts.reload_check, "personal_scripts",
                                   lambda: scripts.refresh_personal(services.db))
        # Liveness: renewed three times per state.instance_timeout, so one late run is not taken for death.
        timeout = state.instance_timeout
        self._in_every_process(timeout / 3, "heartbeat", lambda: services.directory.heartbeat(timeout))
        self._in_every_process(timeout / 3, "outbox_claims", lambda: keep_outbox_claims(services))
        self._every(timeout / 3, "dead_instances", presence.instances_died)

    def _every(self, seconds: float, job: str, run) -> None:
        self.scheduler.add_job(leased(self.lease, job, seconds, run), "interval", seconds=seconds, id=job,
                               max_instances=1, coalesce=True)

    def _in_every_process(self, seconds: float, job: str, run) -> None:
        async def job_once() -> None:      # APScheduler awaits coroutine functions only, not a lambda's coroutine
            await run()

        self.scheduler.add_job(job_once, "interval", seconds=seconds, id=job, max_instances=1, coalesce=True)

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.lease.close()


async def keep_outbox_claims(services) -> int:
    """Renew this process's claims on its pending deliveries and take over those whose claim ran out (their
    process died). Every process does it: claims, not a lease, keep a row with one process at a time."""
    taken = 0
    for outbox in (services.outbox, services.team_outbox):
        await outbox.claims.renew(outbox.held())
        taken += await outbox.claims.take_into(outbox.enqueue)
    return taken
