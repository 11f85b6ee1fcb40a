"""Answer one hook call: read the request, gather the patient's data, ask the rules, write the
cards. The HTTP layer (`mpox_adapter/api/cds.py`) only maps the outcome to a status code."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mpox_adapter.cds import case_service, orders, vaccination
from mpox_adapter.cds.cards import Card, response
from mpox_adapter.cds.forecast import Assessment, assess
from mpox_adapter.cds.language import choose
from mpox_adapter.cds.prefetch import PrefetchUnavailable, gather
from mpox_adapter.cds.requests import parse_request
from mpox_adapter.cds.runtime import CdsRuntime
from mpox_adapter.cds.services import Service
from mpox_adapter.cds.situation import Situation
from mpox_adapter.errors import InputError

Writer = Callable[[Situation, Assessment], list[Card]]

WRITERS: Mapping[str, Writer] = {
    "mpox-vaccination": vaccination.cards,
    "mpox-order-select": orders.cards,
    "mpox-order-sign": orders.cards,
    "mpox-case": case_service.cards,
}


async def answer(
    runtime: CdsRuntime, service: Service, body: Any, accept_language: str | None
) -> dict[str, Any]:
    """The CDS Hooks response; `InputError` (400) or `PrefetchUnavailable` (412) otherwise."""
    request = parse_request(body, service)
    settings = runtime.settings
    jurisdiction = request.jurisdiction or settings.jurisdiction
    if service.hook != "patient-view" and not orders.has_draft_vaccine(request):
        # Most orders are not mpox vaccines: answer them without touching the patient's data.
        return response([])
    data = await gather(request, service, settings.cds, runtime.transport, runtime.batch_refused)
    language = choose(accept_language, jurisdiction, settings.cds.language)
    today = runtime.today(jurisdiction)
    situation = Situation(request, data, jurisdiction, language, today)
    try:
        assessment = assess(data, today, jurisdiction, language)
    except InputError as exc:
        # The data arrived but the rules cannot use it (say, no birth date): for CDS Hooks
        # that is data the service needs and did not get.
        raise PrefetchUnavailable(f"the patient's data cannot be used: {exc.message}") from exc
    return response(WRITERS[service.id](situation, assessment))
