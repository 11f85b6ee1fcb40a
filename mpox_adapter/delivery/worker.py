"""The delivery worker: lease from the outbox, send, record what happened.

Nothing is marked delivered before the destination confirmed it; a worker that dies holding
a lease simply lets it expire, and another worker (or itself, restarted) sends those items
again. Sending twice is harmless: requests are conditional creates or updates at fixed ids.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mpox_adapter.delivery.backoff import Backoff
from mpox_adapter.delivery.destination import Delivered, Destination, Failed, Outcome, Retry
from mpox_adapter.delivery.metrics import DeliveryMetrics
from mpox_adapter.outbox.model import Item, State
from mpox_adapter.outbox.store import Store
from mpox_adapter.settings import DeliverySettings

log = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    lost_leases: int = 0
    rounds: dict[str, int] = field(default_factory=dict)


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        destinations: dict[str, Destination],
        settings: DeliverySettings,
        metrics: DeliveryMetrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[], float] = random.random,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.destinations = destinations
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self.rand = rand
        self.owner = owner or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()

    async def run_once(self) -> int:
        """One round over every destination; how many items were handled."""
        handled = 0
        for name, destination in self.destinations.items():
            if not destination.breaker.allow():
                continue
            items = await asyncio.to_thread(
                self.store.lease, name, self.owner, destination.settings.batch_size,
                self.settings.lease_seconds, self.clock(),
            )  # fmt: skip
            if not items:
                continue
            handled += len(items)
            await self._deliver(destination, items)
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; sleeps a little whenever there is nothing due."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # a store or code failure must not kill the worker for good
                log.exception("delivery round failed; retrying shortly")
                handled = 0
            if not handled:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)

    async def drain(self, deadline: float | None = None) -> bool:
        """Deliver until nothing is pending, leased or waiting to retry (or `deadline`, a
        `time.monotonic()` value, passes); True when everything ended delivered or dead."""
        while deadline is None or time.monotonic() < deadline:
            if not await self.run_once():
                live = (State.PENDING, State.LEASED, State.RETRY_WAIT)
                counts = self.store.counts().items()
                if not any(n for (d, s), n in counts if d in self.destinations and s in live):
                    return True
                await asyncio.sleep(self.settings.poll_seconds)
        return False

    async def _deliver(self, destination: Destination, items: Sequence[Item]) -> None:
        started = time.perf_counter()
        try:
            outcomes = await destination.send(items, self._server_ids(destination.name))
        except Exception as exc:  # a bug or an unexpected answer: retry later, never lose
            log.exception("sending to %s failed unexpectedly", destination.name)
            outcomes = [Retry(f"unexpected error: {type(exc).__name__}")] * len(items)
        if self.metrics:
            self.metrics.latency.labels(destination.name).observe(time.perf_counter() - started)
        transient = sum(isinstance(o, Retry) for o in outcomes)
        if transient == len(items):
            destination.breaker.failure()
        else:
            destination.breaker.success()
        now = self.clock()
        # One wait per group: were its items due at different times, a later lease could take
        # a resource without the one it refers to, which then has no id on the server yet.
        waits: dict[str, float] = {}
        for item, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Retry) and item.group_key not in waits:
                backoff = Backoff(
                    destination.settings.backoff_base, destination.settings.backoff_cap
                )
                waits[item.group_key] = backoff.delay(item.attempts, self.rand, outcome.retry_after)
            wait = waits.get(item.group_key, 0.0)
            await asyncio.to_thread(self._record, destination, item, outcome, now, wait)

    def _record(
        self, destination: Destination, item: Item, outcome: Outcome, now: datetime, wait: float
    ) -> None:
        if isinstance(outcome, Delivered):
            kept = self.store.delivered(item.id, self.owner, outcome.receipt, now)
            self.stats.delivered += kept
            self._count(destination.name, "delivered")
            log.info(
                "delivered",
                extra={
                    "item": item.id,
                    "destination": destination.name,
                    "resource": f"{item.resource_type}/{item.resource_id}",
                    "server_id": outcome.receipt.get("id"),
                    "status": outcome.receipt.get("status"),
                },
            )
        elif isinstance(outcome, Retry) and item.attempts + 1 < destination.settings.max_attempts:
            kept = self.store.retry(
                item.id,
                self.owner,
                now + timedelta(seconds=wait),
                outcome.error,
                outcome.outcome,
                now,
            )
            self.stats.retried += kept
            self._count(destination.name, "transient")
        else:
            error = outcome.error if isinstance(outcome, Retry | Failed) else "unknown"
            if isinstance(outcome, Retry):
                error = f"gave up after {item.attempts + 1} attempts: {error}"
            kept = self.store.dead(
                item.id,
                self.owner,
                error,
                outcome.outcome if isinstance(outcome, Retry | Failed) else None,
                now,
            )
            self.stats.dead += kept
            self._count(destination.name, "permanent")
            log.warning(
                "dead-lettered",
                extra={"item": item.id, "destination": destination.name, "error": error},
            )
        if not kept:
            # Our lease ran out and someone else owns the item now; their outcome will count.
            self.stats.lost_leases += 1

    def _count(self, destination: str, result: str) -> None:
        if self.metrics:
            self.metrics.attempts.labels(destination, result).inc()

    def _server_ids(self, destination: str) -> Callable[[str, str], str | None]:
        def lookup(resource_type: str, resource_id: str) -> str | None:
            return self.store.server_id(destination, resource_type, resource_id)

        return lookup
