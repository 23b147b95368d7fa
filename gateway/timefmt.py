"""Times on the wire are ISO 8601 with a UTC offset; inside, epoch seconds."""

from datetime import datetime, timezone


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
