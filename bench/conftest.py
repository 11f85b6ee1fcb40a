"""Benchmarks share the test fixtures (settings, definitions, a PostgreSQL schema)."""

from tests.conftest import (
    anyio_backend,
    core_cache_dir,
    definitions,
    make_settings,
    mpox_definitions,
    postgres_url,
)

__all__ = [
    "anyio_backend",
    "core_cache_dir",
    "definitions",
    "make_settings",
    "mpox_definitions",
    "postgres_url",
]
