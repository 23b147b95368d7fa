"""Durations as operators write them in config.yaml: ``30s``, ``5m``, ``2h``, ``7d`` or a bare number of seconds.

Every package's config model uses :data:`Duration` so a bad value is refused the same way everywhere,
with pydantic naming the key.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(value: object) -> float:
    """Return seconds; raise ``ValueError`` with the accepted forms when the value is not a duration."""
    if isinstance(value, bool):
        raise ValueError("a duration such as 30s, 5m, 2h or 7d is expected, not a boolean")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _PATTERN.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (write 30s, 5m, 2h, 7d or a number of seconds)")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A non-negative number of seconds, parsed from config.yaml's duration syntax."""
