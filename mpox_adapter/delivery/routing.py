"""Which destinations take which resources (by resource type and claimed profile)."""

from __future__ import annotations

from typing import Any

from mpox_adapter.settings import DestinationSettings


def accepts(settings: DestinationSettings, resource: dict[str, Any]) -> bool:
    if (
        settings.resource_types is not None
        and resource.get("resourceType") not in settings.resource_types
    ):
        return False
    if settings.profiles is None:
        return True
    meta = resource.get("meta")
    claimed = meta.get("profile", []) if isinstance(meta, dict) else []
    return any(profile in settings.profiles for profile in claimed)
