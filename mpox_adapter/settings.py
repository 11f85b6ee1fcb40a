"""The one settings object, built once at start-up and passed down.

Sources, strongest first: explicit overrides (command-line flags), environment variables
``MPOX_<SECTION>__<KEY>`` (mappings and lists as JSON), then the TOML file given by
``--config`` or ``MPOX_CONFIG``. Tests skip the environment and build settings from a
plain mapping with `Settings.from_mapping`.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse, urlsplit

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mpox_adapter.errors import ConfigurationError

Jurisdiction = Literal["NO", "DK"]

CONFIG_ENV_VAR = "MPOX_CONFIG"


class _Section(BaseModel):
    # Attribute docstrings become field descriptions: `mpox_adapter.settings_reference`
    # renders them into docs/configuration.md.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ServerSettings(_Section):
    """The HTTP server that `serve` runs."""

    host: str = "127.0.0.1"
    """Address to listen on; `0.0.0.0` accepts connections from other hosts."""
    port: int = Field(default=8000, ge=1, le=65535)
    """TCP port to listen on."""
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    """Largest request body the API reads (ingest uploads aside); a larger one gets 413."""
    ingest_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    """Largest export file `POST /ingest/{mapping}` accepts; it is streamed to disk."""


class StoreSettings(_Section):
    """The outbox: where accepted resources wait for delivery."""

    url: str = "sqlite:///var/adapter.db"
    """`sqlite:///FILE` (relative path; `sqlite:////FILE` absolute) for one host, or
    `postgresql://user@host/db` when several workers or hosts share the work."""


class DefinitionsSettings(_Section):
    """The FHIR definitions the validator loads: the R4 core package, the project's
    profiles and any further implementation guides."""

    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("mpox-adapter")) / "fhir"
    )
    """Where the FHIR core package is unpacked (``<cache_dir>/hl7.fhir.r4.core#4.0.1``)."""
    profiles_dir: Path | None = None
    """A folder of the project's conformance resources to load instead of the ones the
    package ships (unset): for trying out a profile build before it is released."""
    igs: tuple[Path, ...] = ()
    """More conformance resources to load: JSON files, folders or FHIR package .tgz files."""


class LogSettings(_Section):
    """Logs go to stderr; identity numbers and dates are masked before they are written."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """The least severe level written."""
    json_format: bool = True
    """One JSON object per line; false: plain text lines."""


def _https_url(url: str) -> str:
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not (parts.scheme == "https" or local) or not parts.hostname:
        raise ValueError("token_url must be an https URL (plain http only for localhost)")
    return url


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


def _exactly_one(what: str, file: Path | None, env: str | None) -> None:
    if (file is None) == (env is None):
        raise ValueError(f"set exactly one of {what}_file and {what}_env")


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class NoAuth(_Section):
    """No authentication (the default)."""

    type: Literal["none"] = "none"


class BearerAuth(_Section):
    """A fixed bearer token, read afresh at every use (so it can be rotated in place)."""

    type: Literal["bearer"]
    token_file: Path | None = None
    """File holding the token (set this or `token_env`)."""
    token_env: str | None = None
    """Environment variable holding the token (set this or `token_file`)."""

    @model_validator(mode="after")
    def _one_source(self) -> BearerAuth:
        _exactly_one("token", self.token_file, self.token_env)
        return self


class ClientCredentialsAuth(_Section):
    """OAuth 2.0 client credentials grant with a shared secret; the token is cached until
    shortly before it expires."""

    type: Literal["client-credentials"]
    token_url: HttpsUrl
    """The token endpoint (https; plain http only on localhost)."""
    client_id: str = Field(min_length=1)
    """The client id registered with the token endpoint."""
    client_secret_file: Path | None = None
    """File holding the client secret (set this or `client_secret_env`)."""
    client_secret_env: str | None = None
    """Environment variable holding the client secret (set this or `client_secret_file`)."""
    scope: str | None = None
    """Scopes to ask for, space-separated (unset: none asked for)."""
    method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    """How the secret is sent: HTTP Basic authentication or form fields."""

    @model_validator(mode="after")
    def _one_source(self) -> ClientCredentialsAuth:
        _exactly_one("client_secret", self.client_secret_file, self.client_secret_env)
        return self


class SmartBackendAuth(_Section):
    """SMART Backend Services (also HelseID): the client credentials grant with a signed JWT
    client assertion instead of a secret."""

    type: Literal["smart-backend"]
    token_url: HttpsUrl
    """The token endpoint (https; plain http only on localhost); also the assertion's `aud`."""
    client_id: str = Field(min_length=1)
    """The registered client id: the assertion's `iss` and `sub`."""
    key_file: Path
    """Unencrypted PEM private key that signs the assertion (RSA of 2048 bits or more for
    RS384, P-384 for ES384); read at every use."""
    alg: Literal["RS384", "ES384"] = "RS384"
    """Signing algorithm of the assertion."""
    kid: str | None = None
    """`kid` header of the assertion: the key's id in the JWKS registered with the server."""
    scope: str = Field(min_length=1)
    """Scopes to ask for, space-separated, e.g. `system/Immunization.write`."""
    jku: str | None = None
    """`jku` header of the assertion: the URL of the client's JWKS, if the server wants it."""


AuthSettings = Annotated[
    NoAuth | BearerAuth | ClientCredentialsAuth | SmartBackendAuth, Field(discriminator="type")
]


class TlsSettings(_Section):
    """Mutual TLS and a private CA. There is deliberately no way to turn verification off."""

    client_cert: Path | None = None
    """PEM client certificate (and its key, unless `client_key` is set) for mutual TLS."""
    client_key: Path | None = None
    """Needed only when the key is not in the `client_cert` PEM file; unencrypted PEM."""
    ca_bundle: Path | None = None
    """A PEM file (or a folder of hashed certificates) trusted instead of the public CAs."""

    @model_validator(mode="after")
    def _key_needs_cert(self) -> TlsSettings:
        if self.client_key is not None and self.client_cert is None:
            raise ValueError("client_key is set without client_cert")
        return self


class DestinationSettings(_Section):
    """A FHIR server the adapter delivers to (a registry, an EHR)."""

    base_url: str
    """The server's FHIR base URL: https (plain http only on loopback, for tests)."""
    resource_types: tuple[str, ...] | None = None
    """Only these resource types go there (None: every type)."""
    profiles: tuple[str, ...] | None = None
    """Only resources claiming one of these profiles go there (None: any)."""
    mode: Literal["transaction", "batch", "single"] = "transaction"
    """One transaction Bundle (all or nothing), one batch Bundle (entry by entry), or one
    request per resource."""
    batch_size: int = Field(default=100, ge=1, le=1000)
    """Resources per Bundle in the transaction and batch modes."""
    concurrency: int = Field(default=1, ge=1, le=16)
    """Requests that may start together before `rate_limit` paces them (its burst)."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds a request may take."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to establish a connection."""
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second at most (None: no limit)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers sent with every request to this server."""
    auth: AuthSettings = Field(default_factory=NoAuth)
    """How the adapter proves who it is to the server."""
    tls: TlsSettings | None = None
    """None: the public CAs are trusted and no client certificate is sent."""
    idempotency: Literal["conditional-create", "put"] = "conditional-create"
    """`conditional-create`: POST with `If-None-Exist` on the resource's identifier;
    `put`: PUT at the resource's deterministic id."""
    max_attempts: int = Field(default=12, ge=1)
    """Attempts before an item that keeps failing transiently goes to the dead-letter queue."""
    backoff_base: float = Field(default=2.0, gt=0)
    """Seconds: retry n waits a random time up to `backoff_base` * 2^n (full jitter)."""
    backoff_cap: float = Field(default=600.0, gt=0)
    """Seconds: the longest backoff (a server's `Retry-After` may ask for more, up to an
    hour)."""
    breaker_threshold: int = Field(default=5, ge=1)
    """Consecutive failed sends that open the circuit breaker (sending pauses)."""
    breaker_reset_seconds: float = Field(default=30.0, gt=0)
    """Seconds the breaker stays open before one trial send is let through."""

    @field_validator("base_url")
    @classmethod
    def _https(cls, url: str) -> str:
        parsed = urlparse(url)
        if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in _LOOPBACK):
            return url.rstrip("/")
        raise ValueError("destinations must use https (plain http only on loopback, for tests)")


class DeliverySettings(_Section):
    """The delivery worker (in `serve`, `worker` and `push`)."""

    lease_seconds: float = Field(default=120.0, gt=0)
    """How long a worker may hold items before another worker takes them over."""
    poll_seconds: float = Field(default=1.0, gt=0)
    """How often an idle worker looks for due items."""
    run_in_server: bool = True
    """`serve` runs a delivery worker too."""


def _normalised_base(url: str) -> str:
    return url.rstrip("/")


def is_loopback_host(host: str | None) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1)."""
    if host is None:
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class CdsSettings(_Section):
    """The CDS Hooks service: whom it trusts and which FHIR servers it may call."""

    trusted_issuers: dict[str, str] = Field(default_factory=dict)
    """JWT `iss` -> its JWKS: an https URL or a path to a JWKS file."""
    allowed_fhir_servers: tuple[str, ...] = ()
    """`fhirServer` values the service may query; compared exactly (trailing slash aside)."""
    allow_loopback_fhir: bool = False
    """Permit loopback FHIR servers (tests, a local sandbox); never in production."""
    verify_jwt: bool = True
    """Off only for local development: the service then trusts any caller."""
    clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    """Leeway for the JWT's `exp`, `iat` and `nbf` against this host's clock."""
    cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the API (CORS); empty: no CORS headers."""
    fhir_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    """Time allowed for all FHIR queries of one hook call together; then 412."""
    max_fhir_pages: int = Field(default=5, ge=1, le=100)
    """Search result pages followed per prefetch key; more: 412."""
    fhir_batch: bool = False
    """Fetch what the prefetch lacks in one batch Bundle (one round trip instead of one per
    query) from servers that support batch; a server that refuses it gets separate queries."""
    language: Literal["en", "nb", "da"] | None = None
    """Language of card texts when the request's Accept-Language names none we have."""
    public_base_url: str | None = None
    """The service's URL as callers see it (behind a proxy); the JWT `aud` is checked
    against it. None: taken from the request."""

    @field_validator("trusted_issuers")
    @classmethod
    def _jwks_sources(cls, issuers: dict[str, str]) -> dict[str, str]:
        for iss, source in issuers.items():
            if source.startswith("http://"):
                raise ValueError(f"the JWKS of {iss} must be an https URL or a file path")
        return issuers

    @field_validator("allowed_fhir_servers")
    @classmethod
    def _fhir_servers(cls, servers: tuple[str, ...]) -> tuple[str, ...]:
        for url in servers:
            parsed = urlparse(url)
            if parsed.scheme not in ("https", "http") or not parsed.hostname:
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
            if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
                raise ValueError(f"{url!r}: FHIR servers must use https (http only on loopback)")
        return tuple(_normalised_base(url) for url in servers)

    @field_validator("public_base_url")
    @classmethod
    def _public_base(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parsed = urlparse(url)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise ValueError(f"{url!r} is not an absolute http(s) URL")
        return _normalised_base(url)

    @model_validator(mode="after")
    def _loopback_needs_consent(self) -> CdsSettings:
        for url in self.allowed_fhir_servers:
            if is_loopback_host(urlparse(url).hostname) and not self.allow_loopback_fhir:
                raise ValueError(f"{url!r} is a loopback server: set allow_loopback_fhir")
        return self


class Settings(BaseSettings):
    """Every setting of the adapter, read once at start-up (`load_settings`) and passed down;
    docs/configuration.md lists them all."""

    model_config = SettingsConfigDict(
        env_prefix="MPOX_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    jurisdiction: Jurisdiction = "NO"
    """Whose rules apply when a request or file does not say: `NO` (FHI) or `DK` (SST)."""
    server: ServerSettings = Field(default_factory=ServerSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    definitions: DefinitionsSettings = Field(default_factory=DefinitionsSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    destinations: dict[str, DestinationSettings] = Field(default_factory=dict)
    """One section per server, under a name you choose (`[destinations.registry]`); the name
    shows in the outbox, the logs and the metrics."""
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    cds: CdsSettings = Field(default_factory=CdsSettings)
    mappings_dir: Path | None = None
    """Your own mapping files (``<name>.yaml``) for `convert`, `push` and the ingest API. They
    are looked up before the mappings the package ships, so one of the same name replaces
    the shipped one. Unset: the shipped mappings only."""
    data_dir: Path = Path("var")
    """Where the adapter keeps its working files (ingest jobs under ``<data_dir>/ingest``)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what the caller passes: the environment is read by `load_settings` alone,
        # so that a test building settings from a mapping is never changed by the shell.
        return (init_settings,)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        try:
            return cls(**dict(data))
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc, "settings")) from exc


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from overrides, the environment and the TOML file."""
    environ = os.environ if environ is None else environ
    path = config_file or (Path(environ[CONFIG_ENV_VAR]) if environ.get(CONFIG_ENV_VAR) else None)
    file_data = _read_toml(path) if path else {}
    env_data = _EnvironmentSource(Settings, environ)()
    merged = _deep_merge(_deep_merge(file_data, env_data), dict(overrides or {}))
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, str(path) if path else "settings")) from exc


class _EnvironmentSource(EnvSettingsSource):
    """The ``MPOX_`` variables of a given environment, parsed as pydantic-settings does."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, where: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
    return f"{where}: invalid configuration: {problems}"
