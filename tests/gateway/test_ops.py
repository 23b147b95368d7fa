"""Protocol-v1 §4: health, readiness, Prometheus metrics."""

from tests.conftest import next_event


async def test_healthz_and_readyz(gateway):
    assert (await (await gateway.client.get("/healthz")).json()) == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"] == {"database": "ok", "state": "ok"}


async def test_metrics_count_messages_and_connections(gateway):
    ws = await gateway.agent("a1")
    await gateway.customer("在吗")
    await next_event(ws, "customer.message")
    text = await (await gateway.client.get("/metrics")).text()
    assert 'csgw_messages_total{side="customer"} 1.0' in text
    assert 'csgw_websockets{side="agent"} 1.0' in text
