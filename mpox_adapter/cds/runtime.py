"""What the CDS routes share for the life of the app: settings, the token verifier (with its
JWKS cache and jti memory), one pooled HTTP transport for outbound calls, the feedback store
and the clock that dates the assessments."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from mpox_adapter.cds.feedback import FeedbackStore
from mpox_adapter.cds.trust import TokenVerifier
from mpox_adapter.settings import Settings

log = logging.getLogger(__name__)

_ZONES = {"NO": "Europe/Oslo", "DK": "Europe/Copenhagen"}


class SharedTransport(httpx.AsyncBaseTransport):
    """Lends one connection pool to many short-lived clients: closing a client must not close
    the pool (and TLS set-up per hook call would cost milliseconds)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """The runtime closes the pool at shutdown; clients borrowing it do not."""


def local_today(jurisdiction: str) -> date:
    """Today where the guideline applies: a CDS call at 00:30 in Oslo is on Oslo's date."""
    try:
        return datetime.now(ZoneInfo(_ZONES[jurisdiction])).date()
    except ZoneInfoNotFoundError:
        return datetime.now(UTC).date()


class CdsRuntime:
    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        # A bound on connections is a bound on the load one adapter puts on an EHR's FHIR
        # server; a query waiting for a connection still counts against its time-out.
        self._pool = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32)
        )
        self.transport = SharedTransport(self._pool)
        self.verifier = TokenVerifier(settings.cds, self.transport)
        self.feedback = FeedbackStore(settings.data_dir / "cds-feedback.db")
        self.today: Callable[[str], date] = local_today
        self.batch_refused: set[str] = set()
        """FHIR servers that answered a batch Bundle with an error: sent separate queries."""
        for issuer, source in settings.cds.trusted_issuers.items():
            if not source.startswith("https://") and not Path(source).is_file():
                # Said now, not at the first refused call of that issuer.
                log.error("the JWKS file of trusted issuer %s is missing: %s", issuer, source)
        if not settings.cds.verify_jwt:
            log.warning(
                "CDS HOOKS JWT VERIFICATION IS OFF (cds.verify_jwt = false): ANY CALLER CAN "
                "USE THE CDS SERVICES. THIS IS FOR LOCAL DEVELOPMENT ONLY; NEVER RUN IT LIKE "
                "THIS WITH REAL PATIENT DATA."
            )

    async def aclose(self) -> None:
        await self._pool.aclose()
