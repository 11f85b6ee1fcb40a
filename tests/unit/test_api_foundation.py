"""The HTTP app's foundation: health, readiness, metadata, metrics and error answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from mpox_adapter.api.app import create_app

pytestmark = pytest.mark.anyio


def _is_outcome(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"], "an OperationOutcome needs at least one issue"
    return body


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_store_and_definitions_are_there(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text


async def test_readyz_without_definitions_says_how_to_fetch(
    make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(definitions={"cache_dir": str(tmp_path / "empty")})
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        response = await c.get("/readyz")
        healthz = await c.get("/healthz")
    assert response.status_code == 503
    diagnostics = _is_outcome(response)["issue"][0]["diagnostics"]
    assert "make definitions" in diagnostics
    assert healthz.status_code == 200


async def test_readyz_when_store_unreachable(
    make_settings: Any, definitions: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    app = create_app(
        make_settings(store={"url": f"sqlite:///{blocker}/sub/x.db"}), definitions=definitions
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert _is_outcome(response)["issue"][0]["code"] == "transient"


async def test_metadata_is_an_r4_capability_statement(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/metadata")
    assert response.status_code == 200
    body = response.json()
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    assert body["kind"] == "instance"
    assert body["rest"][0]["mode"] == "server"
    assert response.headers["content-type"].startswith("application/fhir+json")


async def test_unknown_path_is_404_outcome(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    assert _is_outcome(response)["issue"][0]["code"] == "not-found"


async def test_wrong_method_is_405_outcome(client: httpx.AsyncClient) -> None:
    response = await client.delete("/fhir/metadata")
    assert response.status_code == 405
    _is_outcome(response)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"resourceType": "Patient",}',
        b"\xff\xfe\x00garbage",
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["broken", "trailing-comma", "not-utf8", "absurd-nesting"],
)
async def test_malformed_json_body_is_400_outcome(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/fhir/metadata", content=body, headers={"content-type": "application/fhir+json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in _is_outcome(response)["issue"][0]["diagnostics"]


async def test_body_over_limit_is_413_outcome(make_settings: Any, definitions: Any) -> None:
    app = create_app(make_settings(server={"max_body_bytes": 1000}), definitions=definitions)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        declared = await c.post("/fhir/metadata", content=b"x" * 2000)

        async def chunks() -> Any:
            for _ in range(5):
                yield b"y" * 300

        streamed = await c.post("/fhir/metadata", content=chunks())
    assert declared.status_code == 413
    assert streamed.status_code == 413
    _is_outcome(declared)
    _is_outcome(streamed)


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/nope/12345678901")
    text = (await client.get("/metrics")).text
    assert 'mpox_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "12345678901" not in text
