"""Read each kind of input resource into the patient's facts (see `facts`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from mpox_adapter.rules import codes as vocab
from mpox_adapter.rules.exposures import SUSPECTED, read_exposure
from mpox_adapter.rules.facts import Dose, Facts, MpoxRecord, Span, Symptom
from mpox_adapter.rules.fhirdata import (
    Resource,
    abatement_date,
    codes,
    contained_country,
    effective_span,
    first_code,
    lookup,
    onset_date,
    parse_date,
    parse_datetime,
    reference_of,
    reference_target,
    refers_to,
    status_code,
)
from mpox_adapter.rules.inputs import Entry

NOT_COUNTED = frozenset({"entered-in-error", "cancelled", "registered"})
NOT_CURRENT = frozenset({"inactive", "remission", "resolved"})
SYMPTOM_DAYS = 28  # PROJ-CURRENT-RECORDS: mpox usually lasts 2-4 weeks (SST 1.4.2)
PREGNANCY_DAYS = 294  # PROJ-CURRENT-RECORDS: 42 weeks, the longest pregnancy
_SUBJECT_FIELDS = ("subject", "patient")


class Collector:
    """Accumulates facts from input resources, one `add` per resource."""

    def __init__(self, today: date, patient: Entry) -> None:
        self.today = today
        self.patient_ref = reference_of(patient.resource, patient.full_url)
        self._patient_targets = frozenset(
            t for t in (self.patient_ref, patient.full_url) if t is not None
        )
        self._flags: dict[str, tuple[date, bool]] = {}
        self._conditions: dict[str, date | None] = {}
        self._diagnosed: dict[str, date] = {}
        self._spans: dict[str, list[Span]] = defaultdict(list)
        self._symptoms: list[Symptom] = []
        self._mpox: list[MpoxRecord] = []
        self._exposures: list[tuple[Resource, str | None]] = []
        self._doses: list[Dose] = []
        self._allergies: list[str] = []
        self._pregnancy: list[tuple[date, bool]] = []
        self._local_reaction: date | None = None
        self._fever = False
        self._others: dict[str, Resource] = {}  # other people's Conditions: index cases
        self.sources: dict[str, list[str]] = defaultdict(list)

    def add(self, entry: Entry) -> None:
        resource = entry.resource
        ref = reference_of(resource, entry.full_url)
        kind = resource.get("resourceType")
        if not self._about_patient(resource):
            if kind == "Condition" and ref is not None:
                self._others[ref] = resource
            return
        if kind == "Observation":
            self._observation(resource, ref)
        elif kind == "Condition":
            if ref is not None:
                self._others[ref] = resource
            self._condition(resource, ref)
        elif kind == "Immunization":
            self._immunization(resource, ref)
        elif kind == "AllergyIntolerance":
            self._allergy(resource, ref)
        elif kind == "MedicationStatement":
            self._medication(resource, ref)

    def _about_patient(self, resource: Resource) -> bool:
        for field in _SUBJECT_FIELDS:
            target = reference_target(resource.get(field))
            if target is not None and self._patient_targets:
                return refers_to(target, self._patient_targets)
        return True  # no subject: a record sent about this patient is taken to be theirs

    def _note(self, name: str, ref: str | None) -> None:
        if ref is not None:
            self.sources[name].append(ref)

    def _observation(self, obs: Resource, ref: str | None) -> None:
        if obs.get("status") in NOT_COUNTED:
            return
        first, last = effective_span(obs)
        pairs = set(codes(obs.get("code")))
        flag = lookup(pairs, vocab.FLAGS)
        if flag is not None:
            self._risk_flag(flag, obs, first, last, ref)
            return
        span = lookup(pairs, vocab.SPANS)
        if span is not None:
            self._span(span, obs, first, last, ref)
            return
        if first is not None and first > self.today:
            return
        if vocab.MPOX_EXPOSURE in pairs:
            self._exposures.append((obs, ref))
        elif pairs & vocab.MPOX_PCR:
            self._pcr(obs, last, ref)
        elif vocab.BODY_TEMPERATURE in pairs:
            self._temperature(obs, last, ref)
        elif vocab.PREGNANCY_STATUS in pairs:
            if last is not None:
                pregnant = vocab.PREGNANT in set(codes(obs.get("valueCodeableConcept")))
                self._pregnancy.append((last, pregnant))
                self._note("pregnant", ref)
        else:
            symptom = lookup(pairs, vocab.SYMPTOMS)
            recent = last is None or (self.today - last).days <= SYMPTOM_DAYS
            if symptom is not None and obs.get("valueBoolean") is not False and recent:
                self._symptoms.append(Symptom(symptom, first, ref))
                self._note("symptomatic", ref)

    def _risk_flag(
        self, name: str, obs: Resource, first: date | None, last: date | None, ref: str | None
    ) -> None:
        value = obs.get("valueBoolean")
        # Planned travel lies in the future; every other statement must already be made.
        if not isinstance(value, bool) or (
            name != "travel_clade_i_area" and first is not None and first > self.today
        ):
            return
        when = last or date.min
        if name == "persistent_local_reaction" and value:
            self._local_reaction = max(self._local_reaction or date.min, when)
        held = self._flags.get(name)
        if held is None or when >= held[0]:
            self._flags[name] = (when, value)
        self._note(name, ref)

    def _span(
        self, name: str, obs: Resource, first: date | None, last: date | None, ref: str | None
    ) -> None:
        if first is None or last is None or first > self.today:
            return
        count = obs.get("valueInteger")
        if name == "male_partners":
            if not isinstance(count, int) or isinstance(count, bool):
                return
        elif obs.get("valueBoolean") is not True:
            return
        else:
            count = 1
        self._spans[name].append(Span(first, min(last, self.today), count, ref))
        self._note(name, ref)

    def _pcr(self, obs: Resource, day: date | None, ref: str | None) -> None:
        result = first_code(obs.get("valueCodeableConcept"), vocab.PCR_RESULT)
        if result is None:
            for component in obs.get("component") or ():
                if isinstance(component, dict):
                    result = first_code(component.get("valueCodeableConcept"), vocab.PCR_RESULT)
                    if result is not None:
                        break
        if result is None:
            return
        at = parse_datetime(obs.get("effectiveDateTime")) or parse_datetime(obs.get("issued"))
        kind = "pcr-positive" if result else "pcr-negative"
        self._mpox.append(MpoxRecord(kind, day, at, True, ref))
        self._note("mpox", ref)

    def _temperature(self, obs: Resource, day: date | None, ref: str | None) -> None:
        quantity = obs.get("valueQuantity")
        if day != self.today or not isinstance(quantity, dict):
            return
        value, unit = quantity.get("value"), quantity.get("code") or quantity.get("unit")
        if not isinstance(value, int | float):
            return
        celsius = (value - 32) * 5 / 9 if unit in ("[degF]", "°F", "degF") else value
        if celsius > 38.0:  # PROJ-FEVER-TODAY: strictly above 38.0 °C, measured today
            self._fever = True
            self._note("fever_today", ref)

    def _condition(self, condition: Resource, ref: str | None) -> None:
        verification = status_code(condition.get("verificationStatus"), "condition-ver-status")
        if verification in ("refuted", "entered-in-error"):
            return
        began = onset_date(condition)
        if began is not None and began > self.today:
            return
        ended = abatement_date(condition)
        clinical = status_code(condition.get("clinicalStatus"), "condition-clinical")
        current = clinical not in NOT_CURRENT and (ended is None or ended > self.today)
        pairs = set(codes(condition.get("code")))
        if lookup(pairs, vocab.MPOX) is not None:
            kind = "suspected" if verification in SUSPECTED else "confirmed"
            at = parse_datetime(condition.get("recordedDate"))
            self._mpox.append(MpoxRecord(kind, began, at, current, ref))
            self._note("mpox", ref)
            return
        symptom = lookup(pairs, vocab.SYMPTOMS)
        if symptom is not None:
            if began is not None:
                self._diagnosed[symptom] = max(self._diagnosed.get(symptom, began), began)
            if current and (began is None or (self.today - began).days <= SYMPTOM_DAYS):
                self._symptoms.append(Symptom(symptom, began, ref))
                self._note("symptomatic", ref)
            return
        name = lookup(pairs, vocab.CONDITIONS)
        if name is None:
            return
        if began is not None:
            self._diagnosed[name] = max(self._diagnosed.get(name, began), began)
        if name == "pregnant":
            stated = ended if not current and ended is not None else began
            self._pregnancy.append((stated or date.min, current))
        elif current or name == "hiv":  # HIV infection is lifelong, whatever the status says
            self._conditions[name] = began
        self._note(name, ref)

    def _immunization(self, immunization: Resource, ref: str | None) -> None:
        if immunization.get("status") != "completed":
            return
        given = parse_date(immunization.get("occurrenceDateTime"))
        if given is None or given > self.today:
            return
        pairs = set(codes(immunization.get("vaccineCode")))
        if pairs & vocab.SMALLPOX_VACCINES:
            self._flags["smallpox_vaccinated"] = (date.max, True)  # a record beats hearsay
            self._note("smallpox_vaccinated", ref)
        if not pairs & vocab.MPOX_VACCINES:
            return
        pathway = None
        for reason in immunization.get("reasonCode") or ():
            pathway = pathway or first_code(reason, vocab.INDICATIONS)
        group = None
        for extension in immunization.get("extension") or ():
            if isinstance(extension, dict) and extension.get("url") == vocab.PRIORITY_GROUP_URL:
                group = extension.get("valueCode")
        group = group if isinstance(group, str) else None
        self._doses.append(Dose(given, ref, pathway, group, contained_country(immunization)))

    def _allergy(self, allergy: Resource, ref: str | None) -> None:
        verification = status_code(
            allergy.get("verificationStatus"), "allergyintolerance-verification"
        )
        clinical = status_code(allergy.get("clinicalStatus"), "allergyintolerance-clinical")
        if verification in ("refuted", "entered-in-error") or clinical in ("inactive", "resolved"):
            return
        if set(codes(allergy.get("code"))) & vocab.ALLERGENS:
            self._allergies.append(ref or "?")
            self._note("allergy_component", ref)

    def _medication(self, statement: Resource, ref: str | None) -> None:
        if statement.get("status") != "active":
            return
        period = statement.get("effectivePeriod")
        ended = parse_date(period.get("end"), latest=True) if isinstance(period, dict) else None
        if ended is not None and ended < self.today:
            return
        if vocab.HIV_PREP_MEDICATION in set(codes(statement.get("medicationCodeableConcept"))):
            self._flags["hiv_prep"] = (date.max, True)
            self._note("hiv_prep", ref)

    def facts(self, *, birth_date: date, age: int, gender: str | None) -> Facts:
        exposures = [
            e
            for obs, ref in self._exposures
            if (e := read_exposure(obs, ref, self._others, self.today))
        ]
        for exposure in exposures:
            self._note("exposure", exposure.reference)
        flags = {name: value for name, (_, value) in self._flags.items()}
        last_dose = max((d.date for d in self._doses), default=None)
        if self._local_reaction is not None and last_dose is not None:
            # A reaction reported before the last dose cannot be a reaction to it.
            still = self._local_reaction == date.min or self._local_reaction >= last_dose
            flags["persistent_local_reaction"] = flags["persistent_local_reaction"] and still
        conditions = dict(self._conditions)
        if self._pregnancy:
            when, pregnant = max(self._pregnancy, key=lambda p: p[0])
            if pregnant and (when == date.min or self.today - when <= timedelta(PREGNANCY_DAYS)):
                conditions["pregnant"] = None if when == date.min else when
        return Facts(
            assessment_date=self.today,
            patient_reference=self.patient_ref,
            birth_date=birth_date,
            age=age,
            gender=gender,
            flags=flags,
            conditions=conditions,
            last_diagnosed=dict(self._diagnosed),
            spans={name: tuple(spans) for name, spans in self._spans.items()},
            symptoms=tuple(self._symptoms),
            mpox=tuple(self._mpox),
            exposures=tuple(sorted(exposures, key=lambda e: e.last_day)),
            doses=tuple(sorted(self._doses, key=lambda d: d.date)),
            allergies=tuple(self._allergies),
            fever_today=self._fever,
            sources={name: tuple(dict.fromkeys(refs)) for name, refs in self.sources.items()},
        )
