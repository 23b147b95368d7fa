"""Logging set-up: every line passes through :func:`gateway.pii.mask_pii`, so phone numbers, ID numbers, card
numbers, e-mail addresses and street addresses that customers type never reach a log file in clear."""

from __future__ import annotations

import logging

from gateway.pii import mask_pii


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted line, tracebacks included (an exception may quote customer text)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for chatty in ("aiohttp.access", "apscheduler"):     # a line per request / per job run drowns the real news
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
