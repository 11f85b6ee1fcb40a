"""Everything one hook call is answered from, gathered before any card is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mpox_adapter.cds.prefetch import PatientData
from mpox_adapter.cds.requests import HookRequest


@dataclass(frozen=True, slots=True)
class Situation:
    request: HookRequest
    data: PatientData
    jurisdiction: str
    language: str
    today: date
