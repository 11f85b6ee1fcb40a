"""Destination authentication against httpx.MockTransport: no network, keys made here."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pydantic import TypeAdapter, ValidationError

from mpox_adapter.delivery.auth import (
    ASSERTION_TYPE,
    AuthSettings,
    BearerAuth,
    ClientCredentialsAuth,
    NoAuth,
    SmartBackendAuth,
    TlsSettings,
    TokenSource,
    tls_options,
    token_source,
)
from mpox_adapter.errors import ConfigurationError, PermanentError, TransientError

TOKEN_URL = "https://auth.example.test/oauth2/token"
CLIENT_ID = "mpox-adapter"
SECRET = "s3cr3t/+=value"
AUTH = TypeAdapter[AuthSettings](AuthSettings)


# ---------------------------------------------------------------- helpers


class TokenEndpoint:
    """A token endpoint: records each request and answers with the next response."""

    def __init__(self, *responses: httpx.Response, delay: float = 0.0) -> None:
        self.requests: list[httpx.Request] = []
        self.responses = list(responses)
        self.delay = delay

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(self.delay)
        if self.responses:
            return self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        n = len(self.requests)
        return httpx.Response(200, json={"access_token": f"tok-{n}", "expires_in": 3600})

    def form(self, i: int = -1) -> dict[str, str]:
        parsed = parse_qs(
            self.requests[i].content.decode(), keep_blank_values=True, strict_parsing=True
        )
        assert all(len(v) == 1 for v in parsed.values()), parsed
        return {k: v[0] for k, v in parsed.items()}


def headers_with(
    source: TokenSource,
    endpoint: TokenEndpoint,
    steps: Callable[[TokenSource, httpx.AsyncClient], Awaitable[Any]] | None = None,
    **client_options: Any,
) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(endpoint), **client_options
        ) as client:
            if steps is None:
                return await source.header(client)
            return await steps(source, client)

    return asyncio.run(go())


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None
) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture
def rsa_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "rsa.pem"
    path.write_bytes(pem(rsa_key))
    return path


@pytest.fixture
def ec_file(tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey) -> Path:
    path = tmp_path / "ec.pem"
    path.write_bytes(pem(ec_key))
    return path


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "client-secret"
    path.write_text(SECRET + "\n")
    return path


def smart(key_file: Path, **extra: Any) -> SmartBackendAuth:
    return SmartBackendAuth(
        type="smart-backend",
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        key_file=key_file,
        scope="system/Immunization.write system/Patient.read",
        **extra,
    )


def client_credentials(secret_file: Path, **extra: Any) -> ClientCredentialsAuth:
    fields: dict[str, Any] = {"token_url": TOKEN_URL, "client_id": CLIENT_ID, **extra}
    return ClientCredentialsAuth(
        type="client-credentials", client_secret_file=secret_file, **fields
    )


# ---------------------------------------------------------------- settings


def test_auth_settings_are_a_discriminated_union(tmp_path: Path) -> None:
    assert isinstance(AUTH.validate_python({"type": "none"}), NoAuth)
    assert isinstance(AUTH.validate_python({"type": "bearer", "token_env": "X"}), BearerAuth)
    parsed = AUTH.validate_python(
        {"type": "smart-backend", "token_url": TOKEN_URL, "client_id": "c",
         "key_file": str(tmp_path / "k.pem"), "scope": "system/*.write"}
    )  # fmt: skip
    assert isinstance(parsed, SmartBackendAuth)
    assert parsed.alg == "RS384"
    with pytest.raises(ValidationError):
        AUTH.validate_python({"type": "basic"})
    with pytest.raises(ValidationError):
        AUTH.validate_python({"type": "none", "token": "x"})  # extra="forbid"


@pytest.mark.parametrize(
    "fields",
    [{}, {"token_env": "A", "token_file": "/run/secrets/token"}],
    ids=["neither", "both"],
)
def test_bearer_needs_exactly_one_source(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        AUTH.validate_python({"type": "bearer", **fields})


def test_client_credentials_needs_exactly_one_secret_source(secret_file: Path) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        client_credentials(secret_file, client_secret_env="SECRET")
    with pytest.raises(ValidationError, match="exactly one"):
        ClientCredentialsAuth(type="client-credentials", token_url=TOKEN_URL, client_id="c")


@pytest.mark.parametrize("url", ["http://auth.example.test/token", "ftp://x/token", "token"])
def test_token_url_must_be_https(url: str, rsa_file: Path) -> None:
    with pytest.raises(ValidationError, match="https"):
        SmartBackendAuth(
            type="smart-backend", token_url=url, client_id="c", key_file=rsa_file, scope="s"
        )


def test_plain_http_token_url_is_allowed_on_localhost(secret_file: Path) -> None:
    settings = client_credentials(secret_file, token_url="http://localhost:8080/token")
    assert settings.token_url == "http://localhost:8080/token"


def test_settings_are_frozen(secret_file: Path) -> None:
    settings = client_credentials(secret_file)
    with pytest.raises(ValidationError):
        settings.client_id = "other"  # type: ignore[misc]


# ---------------------------------------------------------------- SMART Backend Services


def test_smart_rs384_posts_a_signed_client_assertion(
    rsa_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    endpoint = TokenEndpoint()
    settings = smart(rsa_file, kid="key-2024", jku="https://adapter.example.test/jwks.json")

    header = headers_with(token_source(settings), endpoint)

    assert header == {"Authorization": "Bearer tok-1"}
    request = endpoint.requests[0]
    assert request.method == "POST"
    assert str(request.url) == TOKEN_URL
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    form = endpoint.form()
    assert set(form) == {"grant_type", "scope", "client_assertion_type", "client_assertion"}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "system/Immunization.write system/Patient.read"
    assert (
        form["client_assertion_type"]
        == ASSERTION_TYPE
        == ("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    )

    assertion = form["client_assertion"]
    jose = jwt.get_unverified_header(assertion)
    assert jose == {
        "alg": "RS384",
        "typ": "JWT",
        "kid": "key-2024",
        "jku": "https://adapter.example.test/jwks.json",
    }
    claims = jwt.decode(
        assertion,
        rsa_key.public_key(),
        algorithms=["RS384"],
        audience=TOKEN_URL,
        issuer=CLIENT_ID,
        options={"require": ["iss", "sub", "aud", "jti", "iat", "exp"]},
    )
    assert claims["sub"] == CLIENT_ID
    assert claims["aud"] == TOKEN_URL
    assert uuid.UUID(claims["jti"]).version == 4
    assert 0 < claims["exp"] - claims["iat"] <= 300


def test_smart_es384_without_kid_or_jku(ec_file: Path, ec_key: ec.EllipticCurvePrivateKey) -> None:
    endpoint = TokenEndpoint()
    headers_with(token_source(smart(ec_file, alg="ES384")), endpoint)

    assertion = endpoint.form()["client_assertion"]
    assert jwt.get_unverified_header(assertion) == {"alg": "ES384", "typ": "JWT"}
    claims = jwt.decode(assertion, ec_key.public_key(), algorithms=["ES384"], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["exp"] - claims["iat"] <= 300


def test_every_assertion_has_its_own_jti(rsa_file: Path) -> None:
    endpoint = TokenEndpoint()

    async def twice(source: TokenSource, client: httpx.AsyncClient) -> None:
        await source.header(client)
        source.invalidate()
        await source.header(client)

    headers_with(token_source(smart(rsa_file)), endpoint, twice)

    jtis = [
        jwt.decode(endpoint.form(i)["client_assertion"], options={"verify_signature": False})["jti"]
        for i in (0, 1)
    ]
    assert len(endpoint.requests) == 2
    assert jtis[0] != jtis[1]


def test_assertion_times_follow_the_injected_clock(rsa_file: Path) -> None:
    endpoint = TokenEndpoint()
    headers_with(token_source(smart(rsa_file), clock=Clock(1_700_000_000.5)), endpoint)

    claims = jwt.decode(endpoint.form()["client_assertion"], options={"verify_signature": False})
    assert claims["iat"] == 1_700_000_000
    assert claims["exp"] <= 1_700_000_000 + 300


@pytest.mark.parametrize(
    ("alg", "key"), [("ES384", "rsa"), ("RS384", "ec")], ids=["ES384-rsa", "RS384-ec"]
)
def test_key_that_does_not_fit_the_algorithm_is_a_configuration_error(
    alg: str, key: str, rsa_file: Path, ec_file: Path
) -> None:
    endpoint = TokenEndpoint()
    settings = smart(rsa_file if key == "rsa" else ec_file, alg=alg)
    with pytest.raises(ConfigurationError, match=alg):
        headers_with(token_source(settings), endpoint)
    assert endpoint.requests == []


def test_unreadable_or_encrypted_key_is_a_configuration_error(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(ConfigurationError, match=r"missing\.pem"):
        headers_with(token_source(smart(tmp_path / "missing.pem")), TokenEndpoint())
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(pem(rsa_key, password=b"pw"))
    with pytest.raises(ConfigurationError, match="unencrypted PEM"):
        headers_with(token_source(smart(encrypted)), TokenEndpoint())


# ---------------------------------------------------------------- caching


def test_token_is_cached_until_shortly_before_expiry(rsa_file: Path) -> None:
    endpoint = TokenEndpoint()
    clock = Clock()
    source = token_source(smart(rsa_file), clock=clock)
    start = clock.now

    async def steps(source: TokenSource, client: httpx.AsyncClient) -> list[dict[str, str]]:
        seen = [await source.header(client)]
        clock.now = start + 3600 - 61  # expires_in 3600, dropped 60 s early
        seen.append(await source.header(client))
        clock.now = start + 3600 - 59
        seen.append(await source.header(client))
        return seen

    seen = headers_with(source, endpoint, steps)

    assert [h["Authorization"] for h in seen] == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert len(endpoint.requests) == 2


def test_short_lived_token_expires_at_ninety_percent(secret_file: Path) -> None:
    short = httpx.Response(200, json={"access_token": "short", "expires_in": 100})
    endpoint = TokenEndpoint(short)
    clock = Clock()
    start = clock.now

    async def steps(source: TokenSource, client: httpx.AsyncClient) -> int:
        await source.header(client)
        clock.now = start + 89
        await source.header(client)
        assert len(endpoint.requests) == 1
        clock.now = start + 91
        await source.header(client)
        return len(endpoint.requests)

    assert headers_with(token_source(client_credentials(secret_file), clock), endpoint, steps) == 2


def test_invalidate_forces_a_new_token(secret_file: Path) -> None:
    endpoint = TokenEndpoint()

    async def steps(source: TokenSource, client: httpx.AsyncClient) -> list[str]:
        first = await source.header(client)
        again = await source.header(client)
        source.invalidate()
        after = await source.header(client)
        return [first["Authorization"], again["Authorization"], after["Authorization"]]

    seen = headers_with(token_source(client_credentials(secret_file)), endpoint, steps)

    assert seen == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert len(endpoint.requests) == 2


@pytest.mark.anyio
async def test_concurrent_callers_share_one_token_request(rsa_file: Path) -> None:
    endpoint = TokenEndpoint(delay=0.05)
    source = token_source(smart(rsa_file))
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as client:
        headers = await asyncio.gather(*(source.header(client) for _ in range(20)))

    assert len(endpoint.requests) == 1
    assert all(h == {"Authorization": "Bearer tok-1"} for h in headers)


# ---------------------------------------------------------------- client credentials


def test_client_secret_basic(secret_file: Path) -> None:
    endpoint = TokenEndpoint()
    settings = client_credentials(secret_file, scope="system/*.write")

    assert headers_with(token_source(settings), endpoint) == {"Authorization": "Bearer tok-1"}

    request = endpoint.requests[0]
    # RFC 6749 2.3.1: id and secret are form-urlencoded, then joined and base64-encoded.
    expected = base64.b64encode(b"mpox-adapter:s3cr3t%2F%2B%3Dvalue").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert endpoint.form() == {"grant_type": "client_credentials", "scope": "system/*.write"}


def test_client_secret_post(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPOX_TEST_CLIENT_SECRET", f"  {SECRET}\n")
    endpoint = TokenEndpoint()
    settings = ClientCredentialsAuth(
        type="client-credentials",
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        client_secret_env="MPOX_TEST_CLIENT_SECRET",
        method="client_secret_post",
    )

    headers_with(token_source(settings), endpoint)

    assert "Authorization" not in endpoint.requests[0].headers
    assert endpoint.form() == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
    }


def test_missing_client_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPOX_TEST_NO_SECRET", raising=False)
    settings = ClientCredentialsAuth(
        type="client-credentials",
        token_url=TOKEN_URL,
        client_id=CLIENT_ID,
        client_secret_env="MPOX_TEST_NO_SECRET",
    )
    endpoint = TokenEndpoint()
    with pytest.raises(ConfigurationError, match="MPOX_TEST_NO_SECRET"):
        headers_with(token_source(settings), endpoint)
    assert endpoint.requests == []


def test_token_request_ignores_the_destination_clients_fhir_headers(secret_file: Path) -> None:
    endpoint = TokenEndpoint()
    headers_with(
        token_source(client_credentials(secret_file)),
        endpoint,
        headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
        auth=("destination-user", "destination-password"),
    )
    request = endpoint.requests[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    expected = base64.b64encode(b"mpox-adapter:s3cr3t%2F%2B%3Dvalue").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


# ---------------------------------------------------------------- token endpoint failures


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_server_errors_are_transient(status: int, secret_file: Path) -> None:
    endpoint = TokenEndpoint(httpx.Response(status, headers={"Retry-After": "7"}))
    with pytest.raises(TransientError, match=f"HTTP {status}") as info:
        headers_with(token_source(client_credentials(secret_file)), endpoint)
    assert TOKEN_URL in str(info.value)
    assert info.value.retry_after == 7.0


def test_a_retry_after_date_from_the_token_endpoint_is_honoured(secret_file: Path) -> None:
    """Parsed as the FHIR client parses it: a date as well as seconds."""
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    later = email.utils.format_datetime(soon, usegmt=True)
    endpoint = TokenEndpoint(httpx.Response(503, headers={"Retry-After": later}))
    with pytest.raises(TransientError) as info:
        headers_with(token_source(client_credentials(secret_file)), endpoint)
    assert info.value.retry_after is not None
    assert 100 < info.value.retry_after <= 120


def test_network_errors_are_transient(secret_file: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def go() -> None:
        transport = httpx.MockTransport(refuse)
        async with httpx.AsyncClient(transport=transport) as client:
            await token_source(client_credentials(secret_file)).header(client)

    with pytest.raises(TransientError, match="ConnectError"):
        asyncio.run(go())


def test_invalid_client_is_permanent_and_does_not_leak_the_secret(
    secret_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"error": "invalid_client", "error_description": "bad secret"}
    endpoint = TokenEndpoint(httpx.Response(401, json=body))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PermanentError) as info:
        headers_with(token_source(client_credentials(secret_file)), endpoint)

    message = str(info.value)
    assert "invalid_client" in message
    assert TOKEN_URL in message
    assert "HTTP 401" in message
    basic = base64.b64encode(b"mpox-adapter:s3cr3t%2F%2B%3Dvalue").decode()
    for secret in (SECRET, "s3cr3t", basic):
        assert secret not in message
        assert secret not in caplog.text


@pytest.mark.parametrize("status", [400, 403])
def test_rejected_assertion_is_permanent_without_the_assertion(
    status: int, rsa_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = TokenEndpoint(httpx.Response(status, json={"error": "invalid_grant"}))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PermanentError, match="invalid_grant") as info:
        headers_with(token_source(smart(rsa_file)), endpoint)

    assertion = endpoint.form()["client_assertion"]
    assert assertion not in str(info.value)
    assert assertion.split(".")[2] not in caplog.text


def test_error_without_oauth_body_is_still_permanent(secret_file: Path) -> None:
    endpoint = TokenEndpoint(httpx.Response(401, text="<html>nope</html>"))
    with pytest.raises(PermanentError, match="no OAuth error code"):
        headers_with(token_source(client_credentials(secret_file)), endpoint)


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "bearer", "expires_in": 60},
        {"access_token": "", "expires_in": 60},
        {"access_token": "has space", "expires_in": 60},
        {"access_token": "t", "token_type": "DPoP", "expires_in": 60},
        {"access_token": "t", "expires_in": "soon"},
        {"access_token": "t", "expires_in": -5},
        ["access_token"],
    ],
)
def test_unusable_token_response_is_permanent(body: object, secret_file: Path) -> None:
    endpoint = TokenEndpoint(httpx.Response(200, json=body))
    with pytest.raises(PermanentError, match=TOKEN_URL):
        headers_with(token_source(client_credentials(secret_file)), endpoint)


def test_token_type_is_case_insensitive_and_expires_in_optional(secret_file: Path) -> None:
    endpoint = TokenEndpoint(
        httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
    )
    assert headers_with(token_source(client_credentials(secret_file)), endpoint) == {
        "Authorization": "Bearer t"
    }


# ---------------------------------------------------------------- bearer and none


def test_no_auth_gives_no_header() -> None:
    source = token_source(NoAuth())
    assert headers_with(source, TokenEndpoint()) == {}
    source.invalidate()


def test_bearer_from_file_is_read_at_every_use(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    source = token_source(BearerAuth(type="bearer", token_file=token_file))
    endpoint = TokenEndpoint()

    async def steps(source: TokenSource, client: httpx.AsyncClient) -> list[dict[str, str]]:
        first = await source.header(client)
        token_file.write_text("rotated-token")
        source.invalidate()
        return [first, await source.header(client)]

    seen = headers_with(source, endpoint, steps)

    assert seen == [
        {"Authorization": "Bearer first-token"},
        {"Authorization": "Bearer rotated-token"},
    ]
    assert endpoint.requests == []


def test_bearer_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPOX_TEST_TOKEN", " env-token ")
    source = token_source(BearerAuth(type="bearer", token_env="MPOX_TEST_TOKEN"))
    assert headers_with(source, TokenEndpoint()) == {"Authorization": "Bearer env-token"}


def test_missing_bearer_token_names_the_file_or_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-token"
    with pytest.raises(ConfigurationError, match="no-such-token"):
        headers_with(token_source(BearerAuth(type="bearer", token_file=missing)), TokenEndpoint())

    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    with pytest.raises(ConfigurationError, match=r"empty-token.*empty"):
        headers_with(token_source(BearerAuth(type="bearer", token_file=empty)), TokenEndpoint())

    monkeypatch.setenv("MPOX_TEST_EMPTY_TOKEN", "   ")
    source = token_source(BearerAuth(type="bearer", token_env="MPOX_TEST_EMPTY_TOKEN"))
    with pytest.raises(ConfigurationError, match="MPOX_TEST_EMPTY_TOKEN"):
        headers_with(source, TokenEndpoint())


def test_malformed_bearer_token_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("secret-part other-part\n")
    with pytest.raises(ConfigurationError) as info:
        headers_with(
            token_source(BearerAuth(type="bearer", token_file=token_file)), TokenEndpoint()
        )
    assert str(token_file) in str(info.value)
    assert "secret-part" not in str(info.value)


# ---------------------------------------------------------------- TLS


def self_signed(tmp_path: Path, name: str) -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA384())
    )
    cert_file = tmp_path / f"{name}.crt"
    key_file = tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(pem(key))
    return cert_file, key_file, key


def test_tls_defaults_verify_with_the_public_trust_store() -> None:
    assert tls_options(None) == {"verify": True}
    assert tls_options(TlsSettings()) == {"verify": True}


def test_tls_cannot_be_told_not_to_verify() -> None:
    with pytest.raises(ValidationError):
        TlsSettings.model_validate({"verify": False})


def test_tls_with_a_ca_bundle_and_a_client_certificate(tmp_path: Path) -> None:
    ca_file, _, _ = self_signed(tmp_path, "Mpox Test CA")
    cert_file, key_file, _ = self_signed(tmp_path, "mpox-adapter-client")

    options = tls_options(
        TlsSettings(ca_bundle=ca_file, client_cert=cert_file, client_key=key_file)
    )

    assert set(options) == {"verify"}
    ctx = options["verify"]
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert "Mpox Test CA" in str(ctx.get_ca_certs())
    # httpx accepts the options without a deprecation warning (warnings are errors here).
    asyncio.run(httpx.AsyncClient(**options).aclose())


def test_tls_client_certificate_alone_keeps_the_default_trust_store(tmp_path: Path) -> None:
    cert_file, key_file, _ = self_signed(tmp_path, "client")
    combined = tmp_path / "combined.pem"
    combined.write_bytes(cert_file.read_bytes() + key_file.read_bytes())

    ctx = tls_options(TlsSettings(client_cert=combined))["verify"]

    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert len(ctx.get_ca_certs()) > 0


def test_tls_configuration_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match=r"garbage\.pem"):
        tls_options(TlsSettings(ca_bundle=garbage))
    with pytest.raises(ConfigurationError, match=r"missing\.pem"):
        tls_options(TlsSettings(ca_bundle=tmp_path / "missing.pem"))

    cert_file, _, key = self_signed(tmp_path, "client")
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(pem(key, password=b"pw"))
    with pytest.raises(ConfigurationError, match="encrypted"):
        tls_options(TlsSettings(client_cert=cert_file, client_key=encrypted))

    with pytest.raises(ValidationError, match="client_key"):
        TlsSettings(client_key=encrypted)
