"""Helpers the CDS Hooks tests share: signing keys and tokens, an app with CDS settings, the
conformance folder (tests/data/conformance/cds-hooks), and prefetch built from the clinical
vignettes.

The tests at the end check the helpers themselves, so that a helper bug cannot pass for a
service bug.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mpox_adapter.cds.conformance import Invariant
from mpox_adapter.settings import Settings

REPO = Path(__file__).resolve().parents[2]
# Third-party CDS Hooks test material, copied into the repository (see its README.md); an
# override may point elsewhere.
CONFORMANCE = Path(
    os.environ.get("MPOX_CDS_CONFORMANCE", REPO / "tests" / "data" / "conformance" / "cds-hooks")
)
VIGNETTES = REPO / "tests" / "vignettes"
BASE = "http://adapter.test"
ISSUER = "https://ehr.example.org"
EHR_AUTHORIZATION = {"access_token": "ehr-token", "token_type": "Bearer", "expires_in": 300,
                     "scope": "user/*.read", "subject": "cds"}  # fmt: skip
"""A request's `fhirAuthorization`: the token the EHR lends for its FHIR server."""
KID = "test-key-1"

# Prefetch key of the services -> input parameter name of $immds-forecast.
PREFETCH_KEYS = {
    "condition": "conditions",
    "observation": "observations",
    "immunization": "immunizations",
    "allergyIntolerance": "allergies",
    "medicationStatement": "medications",
}


def conformance_dir() -> Path:
    assert CONFORMANCE.is_dir(), f"{CONFORMANCE} not found"
    return CONFORMANCE


def load_json(relative: str) -> Any:
    return json.loads((conformance_dir() / relative).read_text(encoding="utf-8"))


def invariants(prefix: str = "") -> list[Invariant]:
    data = load_json("hl7-cds-hooks-logical-models/invariants-from-fsh.json")
    return [
        Invariant(i["id"], i["severity"], i["context"], i["expression"])
        for i in data["invariants"]
        if i["id"].startswith(prefix)
    ]


# -- keys and tokens -----------------------------------------------------------------------


@dataclass
class SigningKey:
    private: Any
    alg: str
    kid: str

    def jwk(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.get_default_algorithms()[self.alg].to_jwk(
            self.private.public_key()
        ))  # fmt: skip
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}


def make_key(alg: str = "ES384", kid: str = KID) -> SigningKey:
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        return SigningKey(ec.generate_private_key(curve), alg, kid)
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), alg, kid)


def write_jwks(path: Path, *keys: SigningKey) -> Path:
    path.write_text(json.dumps({"keys": [key.jwk() for key in keys]}))
    return path


def token(
    key: SigningKey,
    aud: str | list[str],
    iss: str = ISSUER,
    headers: Mapping[str, Any] | None = None,
    now: float | None = None,
    **claims: Any,
) -> str:
    moment = time.time() if now is None else now
    payload: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "iat": int(moment),
        "exp": int(moment) + 300,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(
        payload, key.private, algorithm=key.alg, headers={"kid": key.kid, **(headers or {})}
    )


def bearer(key: SigningKey, path: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(key, BASE + path, **claims)}"}


# -- the app -------------------------------------------------------------------------------


@asynccontextmanager
async def cds_client(
    settings: Settings, today: date | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    from mpox_adapter.api.app import create_app
    from tests.conftest import load_mpox_definitions

    app = create_app(settings, definitions=load_mpox_definitions())
    if today is not None:
        app.state.cds.today = lambda _jurisdiction: today
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client,
    ):
        yield client, app


def cds_settings(
    make_settings: Callable[..., Settings], jwks: Path, jurisdiction: str = "NO", **cds: Any
) -> Settings:
    """Settings trusting `ISSUER` with the JWKS file `jwks`; `cds` adds to the [cds] section."""
    return make_settings(
        jurisdiction=jurisdiction, cds={"trusted_issuers": {ISSUER: str(jwks)}, **cds}
    )


# -- requests from vignettes ---------------------------------------------------------------


def _vignette_build() -> ModuleType:
    name = "mpox_vignette_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, VIGNETTES / "build.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def vignette(name: str) -> dict[str, Any]:
    with (VIGNETTES / "cases" / f"{name}.yaml").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def vignette_resources(name: str) -> tuple[dict[str, Any], list[dict[str, Any]], date, str]:
    """(Patient, other resources, assessment date, jurisdiction) of a vignette."""
    case = vignette(name)
    parameters = _vignette_build().build_parameters(case)
    patient = next(p["resource"] for p in parameters["parameter"] if p["name"] == "patient")
    others = [p["resource"] for p in parameters["parameter"] if p["name"] in PREFETCH_KEYS]
    day = case["assessment_date"]
    return (
        patient,
        others,
        day if isinstance(day, date) else date.fromisoformat(day),
        case["jurisdiction"],
    )


def prefetch_of(patient: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    by_type = {
        "Condition": "conditions",
        "Observation": "observations",
        "Immunization": "immunizations",
        "AllergyIntolerance": "allergies",
        "MedicationStatement": "medications",
    }
    prefetch: dict[str, Any] = {
        key: {"resourceType": "Bundle", "type": "searchset", "entry": []}
        for key in by_type.values()
    }
    prefetch["patient"] = patient
    for resource in resources:
        prefetch[by_type[resource["resourceType"]]]["entry"].append({"resource": resource})
    return prefetch


def hook_request(
    hook: str, patient_id: str, prefetch: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/1", "patientId": patient_id}
    context.update(extra.pop("context", {}))
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = dict(prefetch)
    body.update(extra)
    return body


# -- the helpers' own tests ----------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512", "RS256", "RS384", "PS384"])
def test_tokens_verify_with_the_published_key(alg: str) -> None:
    key = make_key(alg)
    signed = token(key, "https://x")
    public = jwt.PyJWK(key.jwk()).key
    claims = jwt.decode(signed, public, algorithms=[alg], audience="https://x")
    assert claims["iss"] == ISSUER
    assert jwt.get_unverified_header(signed)["kid"] == KID


def test_vignette_prefetch_holds_every_resource_once() -> None:
    patient, others, day, jurisdiction = vignette_resources("no-dose2-not-yet-due")
    prefetch = prefetch_of(patient, others)
    entries = sum(len(v["entry"]) for k, v in prefetch.items() if k != "patient")
    assert entries == len(others) > 0
    assert prefetch["patient"]["resourceType"] == "Patient"
    assert (day, jurisdiction) == (date(2024, 5, 1), "NO")
