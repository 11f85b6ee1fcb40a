from __future__ import annotations

from pathlib import Path

import pytest

from mpox_adapter.errors import ConfigurationError, TransientError
from mpox_adapter.outbox.location import StoreLocation


@pytest.mark.parametrize(
    ("url", "kind", "target"),
    [
        ("sqlite:///var/adapter.db", "sqlite", "var/adapter.db"),
        ("sqlite:////srv/adapter.db", "sqlite", "/srv/adapter.db"),
        ("sqlite://:memory:", "sqlite", ":memory:"),
        ("postgresql://u@h/db", "postgresql", "postgresql://u@h/db"),
        ("postgres://u@h/db", "postgresql", "postgres://u@h/db"),
    ],
)
def test_parse(url: str, kind: str, target: str) -> None:
    location = StoreLocation.parse(url)
    assert (location.kind, location.target) == (kind, target)


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "var/adapter.db"])
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        StoreLocation.parse(url)


def test_passwords_never_appear_in_redacted_form() -> None:
    location = StoreLocation.parse("postgresql://adapter:s3cret@db.example.org/mpox")
    assert location.redacted() == "postgresql://adapter@db.example.org/mpox"


def test_sqlite_ping_creates_the_folder(tmp_path: Path) -> None:
    StoreLocation.parse(f"sqlite:///{tmp_path}/a/b/adapter.db").ping()
    assert (tmp_path / "a" / "b" / "adapter.db").exists()


def test_unreachable_postgresql_is_transient() -> None:
    with pytest.raises(TransientError) as caught:
        StoreLocation.parse("postgresql://nobody:pw@127.0.0.1:1/none").ping(timeout=1)
    assert "pw" not in str(caught.value)


@pytest.mark.integration
def test_local_postgresql_answers() -> None:
    from tests.conftest import POSTGRES_URL, skip_or_fail

    location = StoreLocation.parse(POSTGRES_URL)
    try:
        location.ping()
    except TransientError as exc:
        skip_or_fail(f"PostgreSQL not reachable at {location.redacted()}: {exc}")
