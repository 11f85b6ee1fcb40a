"""One destination FHIR server: how to send it a batch of outbox items, and what came of each.

Every item gets exactly one outcome: `Delivered` (with the server's receipt), `Retry`
(a transient failure: time-out, 408, 429, 5xx, a dropped connection) or `Failed` (the server
rejected it for good; its OperationOutcome is kept). A batch is answered entry by entry. A
rejected transaction is split in halves and resent, so that one bad resource is isolated
and the others still go through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from mpox_adapter.delivery import bundles
from mpox_adapter.delivery.auth import tls_options, token_source
from mpox_adapter.delivery.breaker import CircuitBreaker
from mpox_adapter.delivery.ratelimit import RateLimiter
from mpox_adapter.errors import PermanentError, TransientError
from mpox_adapter.fhir.client import FhirClient, FhirResponse
from mpox_adapter.outbox.model import Item
from mpox_adapter.settings import DestinationSettings


@dataclass(frozen=True, slots=True)
class Delivered:
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Retry:
    error: str
    retry_after: float | None = None
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    error: str
    outcome: dict[str, Any] | None = None


Outcome = Delivered | Retry | Failed
ServerIds = Callable[[str, str], str | None]


class Destination:
    def __init__(
        self,
        name: str,
        settings: DestinationSettings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_reset_seconds)
        self.limiter = RateLimiter(settings.rate_limit, burst=max(1, settings.concurrency))
        self.tokens = token_source(settings.auth)
        self.client = FhirClient(
            settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            headers=settings.headers,
            **tls_options(settings.tls),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, items: Sequence[Item], server_ids: ServerIds) -> list[Outcome]:
        """Deliver `items` (whole source records, in order) in this destination's mode."""
        resources = [orjson.loads(item.body) for item in items]
        if self.settings.mode == "transaction":
            return await self._transaction(resources, server_ids, {})
        return await self._in_waves(resources, server_ids)

    async def check_metadata(self) -> list[str]:
        """Problems with the server's CapabilityStatement for what we need (empty: fine)."""
        try:
            statement = (await self._call("GET", "metadata")).body
        except (TransientError, PermanentError) as exc:
            return [f"cannot read {self.settings.base_url}/metadata: {exc}"]
        problems = []
        if statement.get("fhirVersion") != "4.0.1":
            problems.append(f"fhirVersion is {statement.get('fhirVersion')!r}, expected '4.0.1'")
        rest: dict[str, Any] = next(
            (r for r in statement.get("rest", []) if r.get("mode") == "server"), {}
        )
        system = {i.get("code") for i in rest.get("interaction", [])}
        if self.settings.mode in ("transaction", "batch") and self.settings.mode not in system:
            problems.append(f"the server does not declare the {self.settings.mode} interaction")
        declared = {
            r.get("type"): {i.get("code") for i in r.get("interaction", [])}
            for r in rest.get("resource", [])
        }
        needed = "update" if self.settings.idempotency == "put" else "create"
        for resource_type in self.settings.resource_types or []:
            if needed not in declared.get(resource_type, set()):
                problems.append(f"the server does not declare {needed} for {resource_type}")
        return problems

    # -- modes -------------------------------------------------------------------------

    async def _in_waves(
        self, resources: list[dict[str, Any]], server_ids: ServerIds
    ) -> list[Outcome]:
        """Batch and single mode. Their entries cannot point at each other's urn:uuid, and a
        conditional create gets an id from the server: so the resources that others in this
        call refer to go first, and the others refer to them by the id the server gave them
        (sent together, they would keep our ids, which the server does not know)."""
        keys = [(r["resourceType"], r["id"]) for r in resources]
        position = {key: n for n, key in enumerate(keys)}
        needs = [
            {position[k] for k in bundles.references(r) if k in position} - {n}
            for n, r in enumerate(resources)
        ]
        learned: dict[tuple[str, str], str] = {}

        def known(resource_type: str, resource_id: str) -> str | None:
            return learned.get((resource_type, resource_id)) or server_ids(
                resource_type, resource_id
            )

        outcomes: list[Outcome | None] = [None] * len(resources)
        left = list(range(len(resources)))
        while left:
            waiting = set(left)
            # A reference cycle cannot be ordered: send what is left as it is.
            ready = [n for n in left if not needs[n] & waiting] or left
            wave = []
            for n in ready:
                blocker = next(
                    (outcomes[d] for d in needs[n] if d not in waiting
                     and not isinstance(outcomes[d], Delivered)),
                    None,
                )  # fmt: skip
                if isinstance(blocker, Failed):
                    outcomes[n] = Failed(f"refers to a rejected resource: {blocker.error}")
                elif blocker is not None:
                    outcomes[n] = Retry("refers to a resource not delivered yet")
                else:
                    wave.append(n)
            if self.settings.mode == "batch":
                results = await self._batch([resources[n] for n in wave], known) if wave else []
            else:
                results = [await self._single(resources[n], known) for n in wave]
            for n, outcome in zip(wave, results, strict=True):
                outcomes[n] = outcome
                if isinstance(outcome, Delivered) and outcome.receipt.get("id"):
                    learned[keys[n]] = outcome.receipt["id"]
            left = [n for n in left if outcomes[n] is None]
        return [outcome for outcome in outcomes if outcome is not None]

    async def _single(self, resource: dict[str, Any], server_ids: ServerIds) -> Outcome:
        body = bundles.rewrite_references(resource, None, server_ids)
        request = bundles.request_for(resource, self.settings.idempotency)
        headers = {"If-None-Exist": request["ifNoneExist"]} if "ifNoneExist" in request else {}
        try:
            answer = await self._call(request["method"], request["url"], body, headers)
        except TransientError as exc:
            return Retry(str(exc), exc.retry_after)
        except PermanentError as exc:
            return Failed(str(exc), exc.outcome)
        return Delivered(
            bundles.receipt(answer.status, answer.headers.get("Location"), answer.body)
        )

    async def _batch(self, resources: list[dict[str, Any]], server_ids: ServerIds) -> list[Outcome]:
        request = bundles.bundle("batch", resources, self.settings.idempotency, server_ids)
        try:
            answer = await self._call("POST", "", request)
        except TransientError as exc:
            return [Retry(str(exc), exc.retry_after) for _ in resources]
        except PermanentError as exc:
            return [Failed(str(exc), exc.outcome) for _ in resources]
        return [_entry_outcome(entry) for entry in _entries(answer.body, len(resources))]

    async def _transaction(
        self,
        resources: list[dict[str, Any]],
        server_ids: ServerIds,
        learned: dict[tuple[str, str], str],
    ) -> list[Outcome]:
        def known(resource_type: str, resource_id: str) -> str | None:
            return learned.get((resource_type, resource_id)) or server_ids(
                resource_type, resource_id
            )

        request = bundles.bundle("transaction", resources, self.settings.idempotency, known)
        try:
            answer = await self._call("POST", "", request)
        except TransientError as exc:
            return [Retry(str(exc), exc.retry_after) for _ in resources]
        except PermanentError as exc:
            if len(resources) == 1:
                return [Failed(str(exc), exc.outcome)]
            # Find the bad entries: each half is resent on its own, the good half goes through.
            half = len(resources) // 2
            first = await self._transaction(resources[:half], server_ids, learned)
            for resource, outcome in zip(resources[:half], first, strict=True):
                if isinstance(outcome, Delivered) and outcome.receipt.get("id"):
                    learned[(resource["resourceType"], resource["id"])] = outcome.receipt["id"]
            return first + await self._transaction(resources[half:], server_ids, learned)
        outcomes: list[Outcome] = []
        for entry in _entries(answer.body, len(resources)):
            outcome = _entry_outcome(entry)
            # A transaction is all or nothing: an entry the server did not confirm was not kept.
            outcomes.append(
                outcome
                if isinstance(outcome, Delivered)
                else Retry("transaction entry without a success status")
            )
        return outcomes

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> FhirResponse:
        await self.limiter.acquire()
        auth = await self.tokens.header(self.client.http)
        try:
            return await self.client.send(method, path, body, {**(headers or {}), **auth})
        except PermanentError as exc:
            if "HTTP 401" not in str(exc) or not auth:
                raise
            # An expired or revoked token: fetch a new one and try once more.
            self.tokens.invalidate()
            auth = await self.tokens.header(self.client.http)
            return await self.client.send(method, path, body, {**(headers or {}), **auth})


def _entries(response: dict[str, Any], expected: int) -> list[dict[str, Any]]:
    raw = response.get("entry")
    entries = [e if isinstance(e, dict) else {} for e in raw] if isinstance(raw, list) else []
    # A response with fewer entries than the request leaves the rest unconfirmed: retry them.
    return entries[:expected] + [{}] * (expected - len(entries))


def _entry_outcome(entry: dict[str, Any]) -> Outcome:
    status = bundles.entry_status(entry)
    response = entry.get("response", {}) if isinstance(entry.get("response"), dict) else {}
    outcome = response.get("outcome") if isinstance(response.get("outcome"), dict) else None
    if 200 <= status < 300:
        resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
        return Delivered(bundles.receipt(status, response.get("location"), resource))
    if status in (408, 429) or status >= 500 or status == 0:
        return Retry(f"entry answered HTTP {status or 'nothing'}", outcome=outcome)
    return Failed(f"entry rejected with HTTP {status}", outcome)
