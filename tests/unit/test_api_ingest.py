"""The ingest API: uploads become durable jobs that a background worker converts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from mpox_adapter.api.app import create_app
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.pipeline.jobs import INPUT, JobStore

pytestmark = pytest.mark.anyio

SAMPLES = Path(__file__).resolve().parents[2] / "examples"
COUNTS = json.loads((Path(__file__).resolve().parents[1] / "data/sample-counts.json").read_text())
SAMPLE_FILES = {
    "no-municipal-vaccinations": ("no-municipal-vaccinations.csv", "text/csv"),
    "dk-regional-vaccinations": ("dk-regional-vaccinations.json", "application/json"),
    "case-linelist": ("case-linelist.csv", "text/csv"),
    "contact-linelist": ("contact-linelist.csv", "application/octet-stream"),
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def app_client(make_settings: Any, mpox_definitions: Definitions, data_dir: Path) -> Any:
    @asynccontextmanager
    async def open_client(lifespan: bool = True, **server: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(data_dir=str(data_dir), server=server)
        app = create_app(settings, definitions=mpox_definitions)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter.test") as c:
            if not lifespan:
                yield c
                return
            async with app.router.lifespan_context(app):
                yield c

    return open_client


def _outcome(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"]
    return body


async def _wait(client: httpx.AsyncClient, href: str) -> dict[str, Any]:
    for _ in range(600):
        response = await client.get(href)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed"):
            return job
        await anyio.sleep(0.05)
    pytest.fail(f"job {href} did not finish: {job}")


async def _post_sample(client: httpx.AsyncClient, mapping: str) -> httpx.Response:
    name, content_type = SAMPLE_FILES[mapping]
    return await client.post(
        f"/ingest/{mapping}",
        params={"source": name},
        content=(SAMPLES / name).read_bytes(),
        headers={"content-type": content_type},
    )


@pytest.mark.parametrize("mapping", list(SAMPLE_FILES))
async def test_sample_is_converted_with_its_known_rejections(
    app_client: Any, data_dir: Path, mapping: str
) -> None:
    expected = COUNTS[mapping]
    async with app_client() as client:
        response = await _post_sample(client, mapping)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "queued"
        assert body["href"] == f"/ingest/jobs/{body['id']}"
        assert response.headers["location"] == body["href"]
        job = await _wait(client, body["href"])
        metrics = (await client.get("/metrics")).text

    assert job["status"] == "done", job
    assert job["mapping"] == mapping
    assert job["source"] == SAMPLE_FILES[mapping][0]
    assert job["started"]
    assert job["finished"]
    counts = job["counts"]
    assert counts["records"] == expected["records"]
    assert counts["rejected"] == expected["bad"]
    assert counts["accepted"] == expected["records"] - expected["bad"]
    assert "Patient" in counts["resources"]
    assert sorted(error["line"] for error in job["errors"]) == expected["bad_lines"]
    assert all(error["issues"] and error["source"] == job["source"] for error in job["errors"])

    output = data_dir / job["output"]
    lines = output.read_bytes().splitlines()
    assert len(lines) == sum(counts["resources"].values())
    types = {json.loads(line)["resourceType"] for line in lines}
    assert types == set(counts["resources"])
    errors_file = output.with_name("errors.ndjson").read_bytes().splitlines()
    assert [json.loads(line) for line in errors_file] == job["errors"]

    assert 'mpox_ingest_jobs_total{status="done"} 1.0' in metrics
    assert f'mpox_ingest_records_total{{outcome="rejected"}} {float(expected["bad"])}' in metrics


async def test_vaccinations_yield_patients_and_immunizations(app_client: Any) -> None:
    async with app_client() as client:
        response = await _post_sample(client, "no-municipal-vaccinations")
        job = await _wait(client, response.headers["location"])
    assert {"Patient", "Immunization"} <= set(job["counts"]["resources"])


async def test_default_source_name_comes_from_the_reader_format(app_client: Any) -> None:
    csv = (SAMPLES / "case-linelist.csv").read_bytes()
    async with app_client() as client:
        response = await client.post("/ingest/case-linelist", content=csv)
        job = (await client.get(response.headers["location"])).json()
    assert job["source"] == "upload.csv"


async def test_unreadable_file_fails_the_job_with_a_message(app_client: Any) -> None:
    async with app_client() as client:
        response = await client.post(
            "/ingest/dk-regional-vaccinations", content=b'{"vaccinationer": 42}'
        )
        job = await _wait(client, response.headers["location"])
    assert job["status"] == "failed"
    assert job["error"]
    assert job["output"] is None


async def test_unknown_mapping_is_404(app_client: Any, data_dir: Path) -> None:
    async with app_client() as client:
        response = await client.post("/ingest/no-such-mapping", content=b"a;b\n1;2\n")
    assert response.status_code == 404
    assert _outcome(response)["issue"][0]["code"] == "not-found"
    assert not (data_dir / "ingest").exists()


async def test_empty_body_is_400(app_client: Any, data_dir: Path) -> None:
    async with app_client() as client:
        response = await client.post("/ingest/case-linelist", content=b"")
    assert response.status_code == 400
    assert "empty" in _outcome(response)["issue"][0]["diagnostics"]
    assert [p.name for p in (data_dir / "ingest").iterdir()] == []


async def test_body_over_the_limit_is_413_and_leaves_nothing(
    app_client: Any, data_dir: Path
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 30

    async with app_client(ingest_max_bytes=100) as client:
        declared = await client.post("/ingest/case-linelist", content=b"x" * 101)
        streamed = await client.post("/ingest/case-linelist", content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413
        assert _outcome(response)["issue"][0]["code"] == "too-costly"
    leftovers = list((data_dir / "ingest").iterdir()) if (data_dir / "ingest").exists() else []
    assert leftovers == []
    assert JobStore(data_dir / "ingest").claim_next() is None


async def test_unknown_job_is_404(app_client: Any) -> None:
    async with app_client() as client:
        response = await client.get("/ingest/jobs/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert _outcome(response)["issue"][0]["code"] == "not-found"


async def test_job_cut_off_by_a_crash_is_redone_after_restart(
    app_client: Any, data_dir: Path
) -> None:
    async with app_client(lifespan=False) as client:
        response = await _post_sample(client, "no-municipal-vaccinations")
        assert response.status_code == 202
    job_id = response.json()["id"]
    store = JobStore(data_dir / "ingest")
    claimed = store.claim_next()
    assert claimed is not None
    assert claimed.id == job_id
    (store.folder(job_id) / "output.ndjson").write_bytes(b'{"half": "written"')
    store.close()

    async with app_client() as client:
        job = await _wait(client, f"/ingest/jobs/{job_id}")
    assert job["status"] == "done"
    assert job["counts"]["rejected"] == COUNTS["no-municipal-vaccinations"]["bad"]
    lines = (data_dir / job["output"]).read_bytes().splitlines()
    assert all(json.loads(line)["resourceType"] for line in lines)


async def test_queued_jobs_run_in_creation_order_after_restart(
    data_dir: Path, app_client: Any
) -> None:
    store = JobStore(data_dir / "ingest")
    ids = []
    for mapping in ("case-linelist", "contact-linelist"):
        job_id = store.new_id()
        store.folder(job_id).mkdir(parents=True)
        (store.folder(job_id) / INPUT).write_bytes(
            (SAMPLES / SAMPLE_FILES[mapping][0]).read_bytes()
        )
        ids.append(store.create(job_id, mapping, SAMPLE_FILES[mapping][0]).id)
    store.close()

    async with app_client() as client:
        jobs = [await _wait(client, f"/ingest/jobs/{job_id}") for job_id in ids]
    assert [job["status"] for job in jobs] == ["done", "done"]
    assert jobs[0]["finished"] <= jobs[1]["started"]


async def test_shutdown_mid_job_puts_it_back_in_the_queue(app_client: Any, data_dir: Path) -> None:
    header, *rows = (SAMPLES / "no-municipal-vaccinations.csv").read_bytes().splitlines(True)
    copies = 50
    big = header + b"".join(rows) * copies
    async with app_client() as client:
        response = await client.post("/ingest/no-municipal-vaccinations", content=big)
        href = response.headers["location"]
        for _ in range(600):
            job = (await client.get(href)).json()
            if job["counts"]["records"] >= 1000:
                break
            await anyio.sleep(0.01)
        assert job["status"] == "running", "the job should be under way when the app stops"
    store = JobStore(data_dir / "ingest")
    interrupted = store.get(response.json()["id"])
    store.close()
    assert interrupted is not None
    assert interrupted.status == "queued"

    async with app_client() as client:
        job = await _wait(client, href)
    assert job["status"] == "done"
    assert job["counts"]["records"] == len(rows) * copies
    assert job["counts"]["rejected"] == COUNTS["no-municipal-vaccinations"]["bad"] * copies
    assert len(job["errors"]) == 100


async def test_an_ingest_job_fills_the_outbox_for_the_destinations(
    make_settings: Any, mpox_definitions: Definitions, data_dir: Path
) -> None:
    # Inside `serve` the api face connects ingest jobs to the outbox; no worker sends here.
    settings = make_settings(
        data_dir=str(data_dir),
        destinations={"registry": {"base_url": "http://127.0.0.1:9/fhir"}},
        delivery={"run_in_server": False},
    )
    app = create_app(settings, definitions=mpox_definitions)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://adapter.test") as client,
    ):
        accepted = await _post_sample(client, "no-municipal-vaccinations")
        assert accepted.status_code == 202, accepted.text
        job = await _wait(client, accepted.headers["location"])
        assert job["status"] == "done"
        listing = (await client.get("/deliveries", params={"limit": 1})).json()
    counts = {row["state"]: row["count"] for row in listing["counts"]}
    # 41 accepted records: 41 Immunizations, 41 Provenances and one Patient per person (25).
    assert counts == {"pending": 107}
