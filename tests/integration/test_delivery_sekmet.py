"""`push` against a real FHIR server (SEKMET): every accepted record arrives, exactly once.

The Norwegian sample has 46 records: 5 rejected, 41 accepted, each yielding a Patient, an
Immunization and a Provenance. Several doses belong to the same person, and a Patient is a
conditional create on the national identity number, so the server ends with one Patient per
distinct identifier, one Immunization per accepted record (identifier
``urn:ietf:rfc:3986|urn:uuid:<id>``), and every Immunization points at the right Patient.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from bench.generate import generate
from mpox_adapter.cli.main import main
from mpox_adapter.outbox.model import State
from mpox_adapter.outbox.store import open_store
from tests.integration.conftest import start_sekmet, stop_process

pytestmark = pytest.mark.integration

MAPPING = "no-municipal-vaccinations"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / f"{MAPPING}.csv"
ACCEPTED, REJECTED = 41, 5
NO_FNR = "urn:oid:2.16.578.1.12.4.1.4.1"


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _only_the_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """`push` reads MPOX_ variables over the config file: none of the caller's may leak in."""
    for name in list(os.environ):
        if name.startswith("MPOX_") and not name.startswith("MPOX_TEST_"):
            monkeypatch.delenv(name)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def write_config(
    path: Path,
    store_url: str,
    destinations: dict[str, dict[str, Any]],
    cache_dir: Path,
    delivery: dict[str, Any] | None = None,
) -> Path:
    lines = [
        f"data_dir = {_toml_value(path.parent / 'var')}",
        "[store]",
        f"url = {_toml_value(store_url)}",
        "[definitions]",
        f"cache_dir = {_toml_value(cache_dir)}",
        "[log]",
        'level = "WARNING"',
    ]
    if delivery:
        lines.append("[delivery]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in delivery.items()]
    for name, settings in destinations.items():
        lines.append(f"[destinations.{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def push(config: Path, *inputs: Path) -> int:
    return main(["push", "--config", str(config), "--mapping", MAPPING, *map(str, inputs)])


def outbox_bodies(store_url: str, destination: str) -> list[tuple[str, dict[str, Any]]]:
    """(state, resource) of every item for `destination`."""
    store = open_store(store_url)
    try:
        found, after = [], 0
        while page := store.items(destination=destination, limit=500, after_id=after):
            found += [(str(i.state), orjson.loads(i.body)) for i in page]
            after = page[-1].id
        return found
    finally:
        store.close()


def outbox_counts(store_url: str, destination: str) -> dict[State, int]:
    store = open_store(store_url)
    try:
        return {s: n for (d, s), n in store.counts().items() if d == destination}
    finally:
        store.close()


def search_all(base_url: str, resource_type: str, **params: str) -> list[dict[str, Any]]:
    """Every resource a search finds, following the `next` links."""
    url: str | None = f"{base_url}/{resource_type}"
    query: dict[str, str] | None = {"_count": "1000", **params}
    found: list[dict[str, Any]] = []
    with httpx.Client(timeout=30) as http:
        while url:
            answer = http.get(url, params=query)
            answer.raise_for_status()
            bundle = answer.json()
            found += [e["resource"] for e in bundle.get("entry", [])]
            url = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
            query = None
    return found


def identifier_of(resource: dict[str, Any]) -> str:
    first = resource["identifier"][0]
    return f"{first['system']}|{first['value']}"


def count_by_identifier(base_url: str, resource_type: str, identifier: str) -> int:
    answer = httpx.get(
        f"{base_url}/{resource_type}",
        params={"identifier": identifier, "_summary": "count"},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["total"])


def check_server(base_url: str, sent: list[dict[str, Any]]) -> dict[str, int]:
    """Every Patient and Immunization of `sent` is on the server exactly once, and every
    Immunization there points at the Patient it was written for. Counts by type."""
    ours = {(r["resourceType"], r["id"]): r for r in sent}
    patients = {k[1]: identifier_of(r) for k, r in ours.items() if k[0] == "Patient"}
    immunizations = [r for k, r in ours.items() if k[0] == "Immunization"]
    wanted_patients = set(patients.values())
    wanted_imms = {identifier_of(r): r for r in immunizations}

    on_server_patients = Counter(
        identifier_of(p) for p in search_all(base_url, "Patient") if p.get("identifier")
    )
    server_imms = [
        i
        for i in search_all(base_url, "Immunization")
        if i.get("identifier") and identifier_of(i) in wanted_imms
    ]
    imm_counts = Counter(identifier_of(i) for i in server_imms)
    assert {k: n for k, n in on_server_patients.items() if k in wanted_patients} == dict.fromkeys(
        wanted_patients, 1
    )
    assert imm_counts == dict.fromkeys(wanted_imms, 1)

    with httpx.Client(base_url=base_url, timeout=30) as http:
        for imm in server_imms:
            ours_imm = wanted_imms[identifier_of(imm)]
            expected_patient = patients[ours_imm["patient"]["reference"].split("/", 1)[1]]
            answer = http.get(imm["patient"]["reference"])
            assert answer.status_code == 200, f"dangling {imm['patient']['reference']}"
            assert identifier_of(answer.json()) == expected_patient
    return {"Patient": len(wanted_patients), "Immunization": len(wanted_imms)}


@pytest.fixture(scope="module")
def second_sekmet(tmp_path_factory: pytest.TempPathFactory, sekmet_base_url: str) -> Iterator[str]:
    proc, base_url = start_sekmet(tmp_path_factory.mktemp("sekmet-ehr"))
    try:
        yield base_url
    finally:
        stop_process(proc)


# -- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["transaction", "batch", "single"])
def test_push_delivers_every_accepted_record_once(
    mode: str, sekmet_base_url: str, tmp_path: Path, core_cache_dir: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    destination = {"base_url": sekmet_base_url, "mode": mode, "batch_size": 40}
    config = write_config(
        tmp_path / "adapter.toml", store_url, {"registry": destination}, core_cache_dir
    )

    assert push(config, SAMPLE) == 1  # the 5 rejected records

    counts = outbox_counts(store_url, "registry")
    items = outbox_bodies(store_url, "registry")
    assert set(counts) == {State.DELIVERED}
    assert counts[State.DELIVERED] == len(items)
    sent = [resource for _, resource in items]
    by_type = Counter(r["resourceType"] for r in sent)
    # One item per record for Immunization and Provenance; a shared Patient is queued once.
    assert by_type["Immunization"] == by_type["Provenance"] == ACCEPTED
    distinct_people = {identifier_of(r) for r in sent if r["resourceType"] == "Patient"}
    assert by_type["Patient"] == len(distinct_people) < ACCEPTED

    assert check_server(sekmet_base_url, sent) == {
        "Patient": len(distinct_people),
        "Immunization": ACCEPTED,
    }
    for identifier in distinct_people:
        assert count_by_identifier(sekmet_base_url, "Patient", identifier) == 1
    with httpx.Client(base_url=sekmet_base_url, timeout=30) as http:
        for provenance in (r for r in sent if r["resourceType"] == "Provenance"):
            stored = http.get(f"Provenance/{provenance['id']}")
            assert stored.status_code == 200
            targets = {t["reference"].split("/", 1)[0] for t in stored.json()["target"]}
            assert targets == {"Patient", "Immunization"}
            for target in stored.json()["target"]:
                assert http.get(target["reference"]).status_code == 200, "dangling target"


def test_pushing_twice_leaves_one_copy(
    sekmet_base_url: str, tmp_path: Path, core_cache_dir: Path
) -> None:
    destination = {"base_url": sekmet_base_url, "mode": "transaction"}
    same = f"sqlite:///{tmp_path / 'same.db'}"
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    config_same = write_config(
        tmp_path / "same.toml", same, {"registry": destination}, core_cache_dir
    )
    config_fresh = write_config(
        tmp_path / "fresh.toml", fresh, {"registry": destination}, core_cache_dir
    )

    assert push(config_same, SAMPLE) == 1
    assert push(config_same, SAMPLE) == 1  # delivered items are queued and sent again
    assert push(config_fresh, SAMPLE) == 1  # an outbox that knows nothing of the first

    for url in (same, fresh):
        assert set(outbox_counts(url, "registry")) == {State.DELIVERED}
    sent = [r for _, r in outbox_bodies(fresh, "registry")]
    imms = [identifier_of(r) for r in sent if r["resourceType"] == "Immunization"]
    people = {identifier_of(r) for r in sent if r["resourceType"] == "Patient"}
    assert len(imms) == ACCEPTED
    for identifier in imms:
        assert count_by_identifier(sekmet_base_url, "Immunization", identifier) == 1
    for identifier in people:
        assert count_by_identifier(sekmet_base_url, "Patient", identifier) == 1
    check_server(sekmet_base_url, sent)
    # A Provenance is an update at its own id: resent, it gets a new version, not a twin.
    with httpx.Client(base_url=sekmet_base_url, timeout=30) as http:
        for provenance in (r for r in sent if r["resourceType"] == "Provenance"):
            assert http.get(f"Provenance/{provenance['id']}").status_code == 200


def test_each_destination_gets_its_resource_types(
    sekmet_base_url: str, second_sekmet: str, tmp_path: Path, core_cache_dir: Path
) -> None:
    # Data of its own (another file name gives other Provenance ids than the other tests').
    source = tmp_path / "routing.csv"
    generate(MAPPING, 40, source, seed=303)
    store_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    destinations = {
        "registry": {
            "base_url": sekmet_base_url,
            "resource_types": ["Patient", "Immunization"],
            "mode": "transaction",
        },
        "ehr": {"base_url": second_sekmet, "mode": "batch", "batch_size": 25},
    }
    config = write_config(tmp_path / "adapter.toml", store_url, destinations, core_cache_dir)

    assert push(config, source) == 0

    registry = [r for _, r in outbox_bodies(store_url, "registry")]
    ehr = [r for _, r in outbox_bodies(store_url, "ehr")]
    assert {r["resourceType"] for r in registry} == {"Patient", "Immunization"}
    assert {r["resourceType"] for r in ehr} == {"Patient", "Immunization", "Provenance"}
    for name in ("registry", "ehr"):
        assert set(outbox_counts(store_url, name)) == {State.DELIVERED}
    assert check_server(sekmet_base_url, registry)["Immunization"] == 40
    assert check_server(second_sekmet, ehr)["Immunization"] == 40

    provenances = [r for r in ehr if r["resourceType"] == "Provenance"]
    assert len(provenances) == 40
    with (
        httpx.Client(base_url=sekmet_base_url, timeout=30) as reg,
        httpx.Client(base_url=second_sekmet, timeout=30) as e,
    ):
        for provenance in provenances:
            assert reg.get(f"Provenance/{provenance['id']}").status_code == 404
            stored = e.get(f"Provenance/{provenance['id']}")
            assert stored.status_code == 200
            for target in stored.json()["target"]:
                assert e.get(target["reference"]).status_code == 200, "dangling target"
    # The EHR server holds nothing but what this test sent it.
    assert len(search_all(second_sekmet, "Provenance")) == 40
    assert len(search_all(second_sekmet, "Immunization")) == 40
