"""Trusting CDS clients: every way a JWT can fail is refused, with a bare 401 over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA384

from mpox_adapter.cds.trust import ReplayCache, TokenVerifier, Unauthorized, parse_jwks
from mpox_adapter.errors import ConfigurationError
from mpox_adapter.settings import CdsSettings, Settings
from tests.unit.test_cds_support import (
    BASE,
    ISSUER,
    KID,
    SigningKey,
    bearer,
    cds_client,
    cds_settings,
    conformance_dir,
    load_json,
    make_key,
    token,
    write_jwks,
)

pytestmark = pytest.mark.anyio

AUD = f"{BASE}/cds-services/mpox-vaccination"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"


@pytest.fixture
def key() -> SigningKey:
    return make_key("ES384")


@pytest.fixture
def jwks_file(tmp_path: Path, key: SigningKey) -> Path:
    return write_jwks(tmp_path / "jwks.json", key)


def verifier(jwks: str, skew: int = 60, **kwargs: Any) -> TokenVerifier:
    settings = CdsSettings(trusted_issuers={ISSUER: jwks}, clock_skew_seconds=skew)
    return TokenVerifier(settings, **kwargs)


async def verify(v: TokenVerifier, signed: str, aud: str = AUD) -> dict[str, Any]:
    return await v.verify(f"Bearer {signed}", [aud])


async def refused(v: TokenVerifier, signed: str, reason: str, aud: str = AUD) -> None:
    with pytest.raises(Unauthorized, match=reason):
        await verify(v, signed, aud)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# -- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alg", ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
)
async def test_every_asymmetric_algorithm_of_the_spec_is_accepted(tmp_path: Path, alg: str) -> None:
    key = make_key(alg)
    v = verifier(str(write_jwks(tmp_path / "jwks.json", key)))
    claims = await verify(v, token(key, AUD))
    assert claims["iss"] == ISSUER


async def test_aud_may_be_a_list_naming_the_endpoint(key: SigningKey, jwks_file: Path) -> None:
    v = verifier(str(jwks_file))
    await verify(v, token(key, ["https://other.example", AUD]))


async def test_a_small_clock_skew_is_tolerated(key: SigningKey, jwks_file: Path) -> None:
    v = verifier(str(jwks_file), skew=60)
    now = time.time()
    await verify(v, token(key, AUD, iat=int(now) - 400, exp=int(now) - 30))
    await verify(v, token(key, AUD, iat=int(now) + 30, nbf=int(now) + 30))


async def test_a_jwks_file_with_private_halves_is_read_for_its_public_keys() -> None:
    keys = parse_jwks(load_json("inferno-crd-test-kit/crd_jwks.TEST-KEYS-ONLY.json"))
    assert set(keys) == {"4b49a739d1eb115b3225f4cf9beb6d1b", "b41528b6f37a9500edb8a905a595bdd7"}
    for found in keys.values():
        assert all(not hasattr(k.key, "private_numbers") for k in found)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
async def test_inferno_test_keys_are_accepted_when_their_issuer_is_trusted(alg: str) -> None:
    path = conformance_dir() / "inferno-crd-test-kit" / "crd_jwks.TEST-KEYS-ONLY.json"
    private = next(k for k in json.loads(path.read_text())["keys"] if k["alg"] == alg and "d" in k)
    signing = SigningKey(jwt.PyJWK(private).key, alg, private["kid"])
    v = verifier(str(path))
    assert (await verify(v, token(signing, AUD)))["iss"] == ISSUER


# -- refused -------------------------------------------------------------------------------


async def test_the_specs_own_signed_jwt_is_refused_because_it_expired_in_2015() -> None:
    compact = (conformance_dir() / "spec-2.0.1" / "22b-jwt-compact-ES384.txt").read_text().strip()
    jwks = load_json("spec-2.0.1/24-jwks-public.json")
    payload = load_json("spec-2.0.1/23-jwt-payload.json")
    # The signature itself is good: only the expiry refuses it.
    public = jwt.PyJWK(jwks["keys"][0]).key
    jwt.decode(compact, public, algorithms=["ES384"], audience=payload["aud"],
               options={"verify_exp": False})  # fmt: skip
    jku = jwt.get_unverified_header(compact)["jku"]
    settings = CdsSettings(trusted_issuers={payload["iss"]: jku})
    with respx.mock(assert_all_called=True) as mock:
        mock.get(jku).respond(200, json=jwks)
        with pytest.raises(Unauthorized, match="JWT expired"):
            await TokenVerifier(settings).verify(f"Bearer {compact}", [payload["aud"]])


async def test_the_specs_jwt_gets_a_bare_401_over_http(
    make_settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compact = (conformance_dir() / "spec-2.0.1" / "22b-jwt-compact-ES384.txt").read_text().strip()
    jwks = tmp_path / "spec-jwks.json"
    jwks.write_text(json.dumps(load_json("spec-2.0.1/24-jwks-public.json")))
    settings = make_settings(
        cds={
            "trusted_issuers": {"https://fhir-ehr.example.com/": str(jwks)},
            "public_base_url": "https://cds.example.org",
        }
    )
    caplog.set_level(logging.WARNING, logger="mpox_adapter.api.cds")
    async with cds_client(settings) as (client, _):
        answer = await client.get("/cds-services", headers={"Authorization": f"Bearer {compact}"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert [i["diagnostics"] for i in answer.json()["issue"]] == ["unauthorized"]
    # The log says why, once, and never carries the token.
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert compact.split(".")[1] not in refusals[0]


async def test_alg_none_is_refused(key: SigningKey, jwks_file: Path) -> None:
    claims = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 60, "iat": int(time.time()),
              "jti": "x"}  # fmt: skip
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{_b64(claims)}."
    await refused(verifier(str(jwks_file)), unsigned, "algorithm 'none' not allowed")


async def test_hmac_with_the_public_key_as_secret_is_refused(
    key: SigningKey, jwks_file: Path
) -> None:
    # The classic confusion attack: HS256 keyed with the (public) JWKS material; PyJWT will
    # not sign that, so by hand.
    claims = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 60, "iat": int(time.time()),
              "jti": "x"}  # fmt: skip
    signing_input = f"{_b64({'alg': 'HS256', 'kid': KID})}.{_b64(claims)}"
    secret = json.dumps(key.jwk()).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    await refused(verifier(str(jwks_file)), forged, "algorithm 'HS256' not allowed")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example"}, "issuer not trusted"),
        ({"aud": "https://adapter.test/cds-services/mpox-case"}, "aud does not name"),
        ({"aud": ["https://a.example", 7]}, "aud does not name"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"iat": int(time.time()) + 600}, "future"),
        ({"exp": "tomorrow"}, "not a number"),
        ({"jti": None}, "JWT lacks jti"),
        ({"exp": None}, "JWT lacks exp"),
        ({"iat": None}, "JWT lacks iat"),
        ({"aud": None}, "JWT lacks aud"),
        ({"jti": ""}, "jti must be a non-empty string"),
    ],
)
async def test_bad_claims_are_refused(
    key: SigningKey, jwks_file: Path, claims: dict[str, Any], reason: str
) -> None:
    aud = claims.pop("aud", AUD)
    await refused(verifier(str(jwks_file)), token(key, aud, **claims), reason)


async def test_a_replayed_jti_is_refused(key: SigningKey, jwks_file: Path) -> None:
    v = verifier(str(jwks_file))
    signed = token(key, AUD)
    await verify(v, signed)
    await refused(v, signed, "jti replayed")


def test_remembered_jtis_are_forgotten_after_their_token_expired() -> None:
    now = [1000.0]
    cache = ReplayCache(lambda: now[0], limit=2)
    cache.check_and_remember(ISSUER, "a", until=1010)
    with pytest.raises(Unauthorized, match="replayed"):
        cache.check_and_remember(ISSUER, "a", until=1010)
    cache.check_and_remember("https://other", "a", until=1010)  # another issuer's jti
    with pytest.raises(Unauthorized, match="too many"):
        cache.check_and_remember(ISSUER, "b", until=1010)
    now[0] = 1011.0
    cache.check_and_remember(ISSUER, "a", until=1020)
    cache.check_and_remember(ISSUER, "b", until=1020)


async def test_a_changed_payload_breaks_the_signature(key: SigningKey, jwks_file: Path) -> None:
    head, _, signature = token(key, AUD).split(".")
    claims = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 60, "iat": int(time.time()),
              "jti": "forged"}  # fmt: skip
    await refused(verifier(str(jwks_file)), f"{head}.{_b64(claims)}.{signature}", "signature")


async def test_a_key_of_another_party_under_the_same_kid_is_refused(jwks_file: Path) -> None:
    impostor = make_key("ES384")  # same kid, different key
    await refused(verifier(str(jwks_file)), token(impostor, AUD), "invalid signature")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"kid": "unknown"}, "no key 'unknown'"),
        ({"kid": None}, "no kid"),
        ({"jku": "https://evil.example/jwks.json"}, "jku"),
    ],
)
async def test_bad_headers_are_refused(
    key: SigningKey, jwks_file: Path, header: dict[str, Any], reason: str
) -> None:
    if header.get("kid", "") is None:
        claims = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 60,
                  "iat": int(time.time()), "jti": "x"}  # fmt: skip
        signed = jwt.encode(claims, key.private, algorithm="ES384")
    else:
        signed = token(key, AUD, headers=header)
    await refused(verifier(str(jwks_file)), signed, reason)


async def test_a_key_is_used_only_for_its_own_algorithm(tmp_path: Path) -> None:
    rsa = make_key("RS384")
    v = verifier(str(write_jwks(tmp_path / "jwks.json", rsa)))
    as_rs256 = SigningKey(rsa.private, "RS256", rsa.kid)
    await refused(v, token(as_rs256, AUD), "no key of the issuer fits algorithm RS256")


async def test_an_ec_key_is_used_only_with_its_own_curve(tmp_path: Path) -> None:
    p256 = make_key("ES256")
    published = {k: v for k, v in p256.jwk().items() if k != "alg"}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [published]}))
    # An ES384 header over a P-256 signature (PyJWT will not even sign it, so by hand).
    claims = {"iss": ISSUER, "aud": AUD, "exp": int(time.time()) + 60, "iat": int(time.time()),
              "jti": "x"}  # fmt: skip
    signing_input = f"{_b64({'alg': 'ES384', 'kid': KID})}.{_b64(claims)}"
    r, s = decode_dss_signature(p256.private.sign(signing_input.encode(), ECDSA(SHA384())))
    signature = base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    forged = f"{signing_input}.{signature.rstrip(b'=').decode()}"
    await refused(verifier(str(path)), forged, "no key of the issuer fits algorithm ES384")


@pytest.mark.parametrize("authorization", [None, "", "Basic abc", "Bearer", "Bearer not.a.jwt"])
async def test_a_missing_or_malformed_token_is_refused(
    jwks_file: Path, authorization: str | None
) -> None:
    with pytest.raises(Unauthorized):
        await verifier(str(jwks_file)).verify(authorization, [AUD])


async def test_a_jwks_url_is_fetched_once_and_a_jku_must_name_it(key: SigningKey) -> None:
    v = verifier(JWKS_URL)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(JWKS_URL).respond(200, json={"keys": [key.jwk()]})
        await verify(v, token(key, AUD, headers={"jku": JWKS_URL}))
        await verify(v, token(key, AUD))
        await refused(v, token(key, AUD, headers={"jku": JWKS_URL + "?x"}), "jku")
        assert route.call_count == 1


async def test_an_unknown_kid_refetches_the_jwks_but_not_more_than_every_30_s(
    key: SigningKey,
) -> None:
    now = [1000.0]
    v = verifier(JWKS_URL, clock=lambda: now[0])
    rotated = make_key("ES384", kid="rotated")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(JWKS_URL).respond(200, json={"keys": [key.jwk()]})
        await verify(v, token(key, AUD, now=now[0]))
        route.respond(200, json={"keys": [key.jwk(), rotated.jwk()]})
        await refused(v, token(rotated, AUD, now=now[0]), "no key 'rotated'")  # too soon
        now[0] += 31
        await verify(v, token(rotated, AUD, now=now[0]))
        assert route.call_count == 2


async def test_an_unreachable_jwks_refuses_the_call(key: SigningKey) -> None:
    with respx.mock() as mock:
        mock.get(JWKS_URL).mock(side_effect=httpx.ConnectError("down"))
        await refused(verifier(JWKS_URL), token(key, AUD), "JWKS fetch failed")


def test_jwks_urls_must_be_https() -> None:
    with pytest.raises(ConfigurationError, match="https URL or a file path"):
        Settings.from_mapping({"cds": {"trusted_issuers": {ISSUER: "http://ehr/jwks"}}})


# -- over HTTP -----------------------------------------------------------------------------


async def test_every_endpoint_needs_a_token(make_settings: Any, jwks_file: Path) -> None:
    async with cds_client(cds_settings(make_settings, jwks_file)) as (client, _):
        for method, path in [
            ("GET", "/cds-services"),
            ("POST", "/cds-services/mpox-vaccination"),
            ("POST", "/cds-services/mpox-vaccination/feedback"),
            ("POST", "/cds-services/no-such-service"),
        ]:
            answer = await client.request(method, path, json={})
            assert answer.status_code == 401, path


async def test_discovery_with_a_good_token(
    make_settings: Any, key: SigningKey, jwks_file: Path
) -> None:
    async with cds_client(cds_settings(make_settings, jwks_file)) as (client, _):
        ok = await client.get("/cds-services", headers=bearer(key, "/cds-services"))
        assert ok.status_code == 200
        assert ok.headers["content-type"] == "application/json"
        # aud must be this endpoint: a token for another endpoint does not open discovery.
        other = await client.get("/cds-services", headers=bearer(key, "/cds-services/mpox-case"))
        assert other.status_code == 401


async def test_a_public_base_url_is_what_aud_must_name(
    make_settings: Any, key: SigningKey, jwks_file: Path
) -> None:
    settings = cds_settings(make_settings, jwks_file, public_base_url="https://cds.example.no/")
    async with cds_client(settings) as (client, _):
        behind_proxy = token(key, "https://cds.example.no/cds-services")
        ok = await client.get("/cds-services", headers={"Authorization": f"Bearer {behind_proxy}"})
        assert ok.status_code == 200
        assert (
            await client.get("/cds-services", headers=bearer(key, "/cds-services"))
        ).status_code == 401


async def test_checking_can_be_turned_off_with_a_loud_warning(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with cds_client(make_settings(cds={"verify_jwt": False})) as (client, _):
        assert (await client.get("/cds-services")).status_code == 200
    assert any("JWT VERIFICATION IS OFF" in r.getMessage() for r in caplog.records)
