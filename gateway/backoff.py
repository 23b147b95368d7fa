"""Retry delays shared by the outboxes: exponential from ``base``, capped, with ±20 % jitter so that many
deliveries failing together do not retry together."""

import random


def backoff(attempt: int, base: float, cap: float) -> float:
    """Delay before retry number ``attempt`` (1 = the first retry)."""
    return min(cap, base * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)
