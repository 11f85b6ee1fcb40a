"""Destinations and a worker built from settings, as `serve`, `worker` and `push` use them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx

from mpox_adapter.delivery.destination import Destination
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import Settings

log = logging.getLogger(__name__)


def build_destinations(
    settings: Settings,
    names: Iterable[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Destination]:
    wanted = list(names) if names is not None else list(settings.destinations)
    unknown = [n for n in wanted if n not in settings.destinations]
    if unknown:
        known = ", ".join(settings.destinations) or "none configured"
        raise ConfigurationError(f"unknown destination {', '.join(unknown)} (known: {known})")
    return {name: Destination(name, settings.destinations[name], transport) for name in wanted}


async def check_destinations(destinations: dict[str, Destination]) -> dict[str, list[str]]:
    """Read each destination's CapabilityStatement and say clearly what does not fit."""
    problems: dict[str, list[str]] = {}
    for name, destination in destinations.items():
        found = await destination.check_metadata()
        if found:
            problems[name] = found
            for problem in found:
                log.error("destination %s: %s", name, problem)
    return problems
