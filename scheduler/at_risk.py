"""The live reply-rate job: every ``watchdog.at_risk.check_every`` it recomputes today's rates per shop and per
agent, publishes them as Prometheus gauges, and warns the supervisors once when a 5-minute reply rate falls
below ``red_line + warn_margin`` (before the platform's red line is crossed), again only after it recovered.

Runs on APScheduler; with several gateway processes a lease makes one of them run it (scheduler.jobs).
"""

from __future__ import annotations

import logging

from gateway.db import Write
from gateway.effects import notify_supervisors
from gateway.ids import new_id
from gateway.reply_rates import THRESHOLDS, Tally, reply_rates, start_of_day

log = logging.getLogger(__name__)


class AtRiskMonitor:
    def __init__(self, services) -> None:
        self.services = services
        self.config = services.config.watchdog.at_risk
        self._warned: set[tuple[str, str]] = set()

    async def check(self) -> list[dict]:
        """Recompute, publish, and return the alerts sent this time."""
        now = self.services.clock()
        tallies = await reply_rates(self.services.db, start_of_day(now, self.config.timezone), now + 1, now)
        alerts = []
        for scope, by_id in (("shop", tallies["shops"]), ("agent", tallies["agents"])):
            for scope_id, tally in by_id.items():
                self._publish(scope, scope_id, tally)
                alert = self._evaluate(scope, scope_id, tally)
                if alert:
                    alerts.append(alert)
        for alert in alerts:
            await self._send(alert, now)
        return alerts

    def _publish(self, scope: str, scope_id: str, tally: Tally) -> None:
        gauges = self.services.metrics
        for name in THRESHOLDS:
            rate = tally.rate(name)
            if rate is not None:
                gauges.reply_rate.labels(scope=scope, id=scope_id, window=name).set(rate)
        mean = tally.report()["first_response_time"]["mean_s"]
        if mean is not None:
            gauges.first_response_seconds.labels(scope=scope, id=scope_id).set(mean)

    def _evaluate(self, scope: str, scope_id: str, tally: Tally) -> dict | None:
        rate, decided = tally.rate("reply_rate_5m"), tally.decided["reply_rate_5m"]
        key = (scope, scope_id)
        warn_below = self.config.red_line + self.config.warn_margin
        if rate is None or decided < self.config.min_periods or rate >= warn_below:
            if rate is not None and rate >= warn_below:
                self._warned.discard(key)
            return None
        if key in self._warned:
            return None
        self._warned.add(key)
        return {"type": "watchdog.alert", "stage": "at_risk", "action": "at_risk", "scope": scope, "id": scope_id,
                "reply_rate_5m": rate, "decided": decided, "red_line": self.config.red_line}

    async def _send(self, alert: dict, now: float) -> None:
        db = self.services.db
        await db.write(Write(db.statements.insert_decision, {
            "id": new_id("dc"), "at": now, "conversation_id": None, "kind": "alert", "reason": "at_risk",
            "agent_id": alert["id"] if alert["scope"] == "agent" else None,
            "details": {k: v for k, v in alert.items() if k != "type"}}))
        await notify_supervisors(self.services, alert)
        log.warning("5-minute reply rate of %s %s at %.0f%% (red line %.0f%%)", alert["scope"], alert["id"],
                    alert["reply_rate_5m"] * 100, alert["red_line"] * 100)
