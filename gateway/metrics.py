"""Prometheus instruments, on a registry of the app's own (no process-wide singletons)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter("csgw_messages_total", "Messages received", ["side"], registry=r)
        self.duplicates = Counter("csgw_duplicate_messages_total", "Storefront messages answered as duplicates",
                                  registry=r)
        self.rejected = Counter("csgw_rejected_total", "Requests or frames refused", ["code"], registry=r)
        self.deliveries = Counter("csgw_deliveries_total", "Storefront delivery attempts", ["channel", "outcome"],
                                  registry=r)
        self.team_deliveries = Counter("csgw_ticket_deliveries_total", "Ticket webhook attempts",
                                       ["team", "outcome"], registry=r)
        self.outbox_pending = Gauge("csgw_outbox_pending", "Deliveries waiting for the storefront", registry=r)
        self.ws_connections = Gauge("csgw_websockets", "Open WebSockets", ["side"], registry=r)
        self.queue_length = Gauge("csgw_queue_length", "Conversations waiting for an agent", registry=r)
        self.decisions = Counter("csgw_decisions_total", "Automatic decisions", ["kind"], registry=r)
        self.reply_rate = Gauge("csgw_reply_rate", "Today's reply rates (response_rate_30s, reply_rate_3m, "
                                "reply_rate_5m)", ["scope", "id", "window"], registry=r)
        self.first_response_seconds = Gauge("csgw_first_response_seconds", "Today's mean first response time",
                                            ["scope", "id"], registry=r)
        self.feed_seconds = Histogram("csgw_feed_seconds", "Time to process one event, durable write included",
                                      ["event"], registry=r,
                                      buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))


METRICS = web.AppKey("metrics", Metrics)
