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
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    ingest_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    """Largest export file `POST /ingest/{mapping}` accepts; it is streamed to disk."""


class StoreSettings(_Section):
    url: str = "sqlite:///var/adapter.db"


def _project_folder(name: str) -> Path:
    # Next to the package in a checkout; the container image sets its own path instead.
    return Path(__file__).resolve().parent.parent / name


class DefinitionsSettings(_Section):
    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir("mpox-adapter")) / "fhir"
    )
    """Where the FHIR core package is unpacked (``<cache_dir>/hl7.fhir.r4.core#4.0.1``)."""
    profiles_dir: Path = Field(default_factory=lambda: _project_folder("profiles"))
    """The project's compiled profiles, extensions, terminology and ConceptMaps."""
    igs: tuple[Path, ...] = ()
    """More conformance resources to load: JSON files, folders or FHIR package .tgz files."""


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = True


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
    type: Literal["none"] = "none"


class BearerAuth(_Section):
    type: Literal["bearer"]
    token_file: Path | None = None
    token_env: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> BearerAuth:
        _exactly_one("token", self.token_file, self.token_env)
        return self


class ClientCredentialsAuth(_Section):
    type: Literal["client-credentials"]
    token_url: HttpsUrl
    client_id: str = Field(min_length=1)
    client_secret_file: Path | None = None
    client_secret_env: str | None = None
    scope: str | None = None
    method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"

    @model_validator(mode="after")
    def _one_source(self) -> ClientCredentialsAuth:
        _exactly_one("client_secret", self.client_secret_file, self.client_secret_env)
        return self


class SmartBackendAuth(_Section):
    type: Literal["smart-backend"]
    token_url: HttpsUrl
    client_id: str = Field(min_length=1)
    key_file: Path
    alg: Literal["RS384", "ES384"] = "RS384"
    kid: str | None = None
    scope: str = Field(min_length=1)
    jku: str | None = None


AuthSettings = Annotated[
    NoAuth | BearerAuth | ClientCredentialsAuth | SmartBackendAuth, Field(discriminator="type")
]


class TlsSettings(_Section):
    """Mutual TLS and a private CA. There is deliberately no way to turn verification off."""

    client_cert: Path | None = None
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
    resource_types: tuple[str, ...] | None = None
    """Only these resource types go there (None: every type)."""
    profiles: tuple[str, ...] | None = None
    """Only resources claiming one of these profiles go there (None: any)."""
    mode: Literal["transaction", "batch", "single"] = "transaction"
    batch_size: int = Field(default=100, ge=1, le=1000)
    concurrency: int = Field(default=1, ge=1, le=16)
    timeout: float = Field(default=30.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second at most (None: no limit)."""
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthSettings = Field(default_factory=NoAuth)
    tls: TlsSettings | None = None
    idempotency: Literal["conditional-create", "put"] = "conditional-create"
    max_attempts: int = Field(default=12, ge=1)
    backoff_base: float = Field(default=2.0, gt=0)
    backoff_cap: float = Field(default=600.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _https(cls, url: str) -> str:
        parsed = urlparse(url)
        if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in _LOOPBACK):
            return url.rstrip("/")
        raise ValueError("destinations must use https (plain http only on loopback, for tests)")


class DeliverySettings(_Section):
    lease_seconds: float = Field(default=120.0, gt=0)
    """How long a worker may hold items before another worker takes them over."""
    poll_seconds: float = Field(default=1.0, gt=0)
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
    cors_origins: tuple[str, ...] = ()
    fhir_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    max_fhir_pages: int = Field(default=5, ge=1, le=100)
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
    model_config = SettingsConfigDict(
        env_prefix="MPOX_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    jurisdiction: Jurisdiction = "NO"
    server: ServerSettings = Field(default_factory=ServerSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    definitions: DefinitionsSettings = Field(default_factory=DefinitionsSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    destinations: dict[str, DestinationSettings] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    cds: CdsSettings = Field(default_factory=CdsSettings)
    mappings_dir: Path = Field(default_factory=lambda: _project_folder("mappings"))
    """The mapping files (``<name>.yaml``) that `convert`, `push` and the ingest API use."""
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
