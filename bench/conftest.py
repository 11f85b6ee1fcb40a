"""Benchmarks share the test fixtures (settings, definitions)."""

from tests.conftest import (
    anyio_backend,
    core_cache_dir,
    definitions,
    make_settings,
    mpox_definitions,
)

__all__ = ["anyio_backend", "core_cache_dir", "definitions", "make_settings", "mpox_definitions"]
