"""Prometheus metrics of delivery: attempts and their results, latency, queue depth."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from mpox_adapter.outbox.model import State


class DeliveryMetrics:
    def __init__(
        self, registry: CollectorRegistry, counts: Callable[[], dict[tuple[str, State], int]]
    ) -> None:
        self.attempts = Counter(
            "mpox_delivery_attempts_total",
            "Items sent, by destination and result (delivered, transient, permanent).",
            ["destination", "result"],
            registry=registry,
        )
        self.latency = Histogram(
            "mpox_delivery_request_duration_seconds",
            "Time to send one batch to a destination and read its answer.",
            ["destination"],
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        registry.register(_QueueDepth(counts))


class _QueueDepth(Collector):
    """Read from the store when scraped, so that it is right across worker processes."""

    def __init__(self, counts: Callable[[], dict[tuple[str, State], int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "mpox_outbox_items",
            "Outbox items by destination and state.",
            labels=["destination", "state"],
        )
        for (destination, state), count in sorted(self.counts().items()):
            gauge.add_metric([destination, str(state)], count)
        yield gauge
