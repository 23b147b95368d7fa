"""A circuit breaker: stop calling a peer that keeps failing, try one probe after a cooldown, resume on success.
Used for team webhooks and the external chatbot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Breaker:
    threshold: int
    cooldown: float
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False

    def wait_for(self, now: float) -> float:
        """Seconds to wait before the next attempt may go out (0: go; a probe counts as going)."""
        if self.failures < self.threshold:
            return 0.0
        if now < self.open_until or self.probing:
            return max(self.open_until - now, 0.05)
        self.probing = True
        return 0.0

    def record(self, ok: bool, now: float) -> None:
        self.probing = False
        if ok:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = now + self.cooldown

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold
