"""Fixtures shared by every test: settings, FHIR definitions and an in-process app client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.errors import DefinitionsUnavailableError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.settings import Settings, load_settings

IN_CI = os.environ.get("CI", "").lower() == "true"
# The machine's PostgreSQL (trust auth on loopback); override for another server.
POSTGRES_URL = os.environ.get("MPOX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def skip_or_fail(reason: str) -> None:
    """Missing infrastructure skips a test locally, but fails it in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: infrastructure must be present)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def core_cache_dir() -> Path:
    """The FHIR core package cache that `make definitions` fills (environment decides where)."""
    return load_settings().definitions.cache_dir


@pytest.fixture(scope="session")
def definitions(core_cache_dir: Path) -> Definitions:
    try:
        return Definitions.from_core_package(core_cache_dir)
    except DefinitionsUnavailableError as exc:
        skip_or_fail(str(exc))
        raise


_MPOX_DEFINITIONS: list[Definitions] = []


def load_mpox_definitions() -> Definitions:
    """The core package plus the project's compiled profiles, loaded once per test run
    (hypothesis tests cannot take function-scoped fixtures)."""
    from mpox_adapter.validation.service import load_definitions

    if not _MPOX_DEFINITIONS:
        cache_dir = load_settings().definitions.cache_dir
        settings = Settings.from_mapping({"definitions": {"cache_dir": str(cache_dir)}})
        _MPOX_DEFINITIONS.append(load_definitions(settings.definitions)[0])
    return _MPOX_DEFINITIONS[0]


@pytest.fixture(scope="session")
def mpox_definitions(core_cache_dir: Path) -> Definitions:
    """The core package plus the profiles the package ships (mpox_adapter/profiles/)."""
    try:
        return load_mpox_definitions()
    except DefinitionsUnavailableError as exc:
        skip_or_fail(str(exc))
        raise


@pytest.fixture
def make_settings(tmp_path: Path, core_cache_dir: Path) -> Any:
    def build(**sections: Any) -> Settings:
        data: dict[str, Any] = {
            "data_dir": str(tmp_path / "var"),
            "store": {"url": f"sqlite:///{tmp_path / 'adapter.db'}"},
            "definitions": {"cache_dir": str(core_cache_dir)},
        }
        data.update(sections)
        return Settings.from_mapping(data)

    return build


@pytest.fixture
async def client(
    make_settings: Any, mpox_definitions: Definitions
) -> AsyncIterator[httpx.AsyncClient]:
    from mpox_adapter.api.app import create_app

    app = create_app(make_settings(), definitions=mpox_definitions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://adapter.test"
        ) as c,
    ):
        yield c


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of the test PostgreSQL, dropped
    afterwards; skips where there is no PostgreSQL (fails under CI=true)."""
    import uuid

    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
        raise
    schema = f"mpox_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
