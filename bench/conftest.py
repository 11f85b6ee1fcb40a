"""Benchmarks share the test fixtures (settings, definitions)."""

from tests.conftest import anyio_backend, core_cache_dir, definitions, make_settings

__all__ = ["anyio_backend", "core_cache_dir", "definitions", "make_settings"]
