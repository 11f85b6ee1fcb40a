"""Delivery inside `serve`: the outbox store and a worker running beside the HTTP API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import httpx
from prometheus_client import CollectorRegistry

from mpox_adapter.delivery.metrics import DeliveryMetrics
from mpox_adapter.delivery.runtime import build_destinations, check_destinations
from mpox_adapter.delivery.worker import DeliveryWorker
from mpox_adapter.outbox.store import Store, open_store
from mpox_adapter.settings import Settings

log = logging.getLogger(__name__)


class DeliveryService:
    def __init__(
        self,
        settings: Settings,
        registry: CollectorRegistry,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.transport = transport
        self.store: Store | None = None
        self.problems: dict[str, list[str]] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._worker: DeliveryWorker | None = None

    async def start(self) -> None:
        self.store = await asyncio.to_thread(open_store, self.settings.store.url)
        store = self.store
        metrics = DeliveryMetrics(self.registry, store.counts)
        destinations = build_destinations(self.settings, transport=self.transport)
        if not destinations or not self.settings.delivery.run_in_server:
            return
        self.problems = await check_destinations(destinations)
        self._worker = DeliveryWorker(store, destinations, self.settings.delivery, metrics)
        self._task = asyncio.create_task(self._worker.run(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with suppress(asyncio.CancelledError):
                await self._task
        if self._worker is not None:
            for destination in self._worker.destinations.values():
                await destination.aclose()
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
