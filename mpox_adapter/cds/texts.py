"""The words of the cards that are not the rules' own: summaries, labels, override reasons and
the guideline each jurisdiction's cards point to. English, Norwegian Bokmål and Danish.

The rules explain themselves (their sentences come from the rule packs); these texts only
frame that explanation. A template's placeholders are filled with `str.format`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from mpox_adapter.cds.cards import Link, OverrideReason, Source

Texts = Mapping[str, Mapping[str, str]]

GUIDELINES: Mapping[str, Mapping[str, Link]] = {
    "NO": {
        "vaccination": Link(
            "FHI: Vaksinasjonsveilederen, mpoxvaksine",
            "https://www.fhi.no/va/vaksinasjonshandboka/vaksiner-mot-de-enkelte-sykdommene/apekoppvaksine/",
        ),
        "case": Link(
            "FHI: Smittevernhåndboka, mpox",
            "https://www.fhi.no/sm/smittevernhandboka/sykdommer-a-a/mpox/",
        ),
    },
    "DK": {
        "vaccination": Link(
            "Sundhedsstyrelsen: Retningslinjer for håndtering af mpox", "https://www.sst.dk/"
        ),
        "case": Link(
            "SSI: Individanmeldelsespligtige sygdomme",
            "https://www.ssi.dk/sygdomme-beredskab-og-forskning/anmeldelse-af-sygdomme/"
            "lovpligtige-meldesystemer/individ_anmeldelses_sygdomme",
        ),
    },
}
TOPICS = {
    "vaccination": "Mpox vaccination",
    "order": "Mpox vaccine order check",
    "case": "Mpox case management",
}

TEXT: Texts = {
    "due-now": {
        "en": "Mpox vaccine: dose {dose} of {series} due now",
        "nb": "Mpoxvaksine: dose {dose} av {series} kan gis nå",
        "da": "Mpox-vaccine: dosis {dose} af {series} kan gives nu",
    },
    "due-from": {
        "en": "Mpox vaccine: dose {dose} of {series} from {earliest}",
        "nb": "Mpoxvaksine: dose {dose} av {series} fra {earliest}",
        "da": "Mpox-vaccine: dosis {dose} af {series} fra {earliest}",
    },
    "overdue": {
        "en": "Mpox vaccine: dose {dose} of {series} overdue since {due}",
        "nb": "Mpoxvaksine: dose {dose} av {series} forfalt siden {due}",
        "da": "Mpox-vaccine: dosis {dose} af {series} forfalden siden {due}",
    },
    "route-volume": {
        "en": "{volume} mL {route}",
        "nb": "{volume} ml {route}",
        "da": "{volume} ml {route}",
    },
    "intradermal": {"en": "intradermal", "nb": "intradermalt", "da": "intradermalt"},
    "subcutaneous": {"en": "subcutaneous", "nb": "subkutant", "da": "subkutant"},
    "pep-window": {
        "en": "PEP window ends {latest} ({days} d left)",
        "nb": "PEP-vinduet slutter {latest} ({days} d igjen)",
        "da": "PEP-vinduet slutter {latest} ({days} d tilbage)",
    },
    "pep-closed": {
        "en": "PEP window closed on {latest}",
        "nb": "PEP-vinduet lukket {latest}",
        "da": "PEP-vinduet lukkede {latest}",
    },
    "status-immune": {
        "en": "Mpox vaccination not needed",
        "nb": "Vaksinasjon mot mpox er ikke nødvendig",
        "da": "Vaccination mod mpox er ikke nødvendig",
    },
    "status-complete": {
        "en": "Mpox vaccination series complete; no further dose",
        "nb": "Vaksinasjonsserien mot mpox er fullført; ingen flere doser",
        "da": "Vaccinationsserien mod mpox er fuldført; ingen yderligere dosis",
    },
    "status-contraindicated": {
        "en": "Mpox vaccine contraindicated for this patient",
        "nb": "Mpoxvaksine er kontraindisert for denne pasienten",
        "da": "Mpox-vaccine er kontraindiceret for denne patient",
    },
    "status-not-recommended": {
        "en": "Mpox vaccine not recommended for this patient",
        "nb": "Mpoxvaksine anbefales ikke for denne pasienten",
        "da": "Mpox-vaccine anbefales ikke til denne patient",
    },
    "status-deferred": {
        "en": "Postpone the mpox vaccine dose",
        "nb": "Utsett dosen med mpoxvaksine",
        "da": "Udskyd dosis af mpox-vaccine",
    },
    "status-assessment-required": {
        "en": "Mpox vaccine: a physician's individual assessment comes first",
        "nb": "Mpoxvaksine: legens individuelle vurdering må komme først",
        "da": "Mpox-vaccine: lægens individuelle vurdering skal komme først",
    },
    "precaution": {
        "en": "Mpox vaccine: points to heed for this patient",
        "nb": "Mpoxvaksine: viktig å merke seg for denne pasienten",
        "da": "Mpox-vaccine: vigtigt at bemærke for denne patient",
    },
    "pathway": {"en": "Pathway", "nb": "Indikasjon", "da": "Indikation"},
    "pre-exposure": {
        "en": "pre-exposure (PPV/PrEP)",
        "nb": "før eksponering (PPV)",
        "da": "før eksponering (PrEP)",
    },
    "post-exposure": {
        "en": "post-exposure (PEP)",
        "nb": "etter eksponering (PEPV)",
        "da": "efter eksponering (PEP)",
    },
    "priority-group": {
        "en": "Priority group",
        "nb": "Prioriteringsgruppe",
        "da": "Prioritetsgruppe",
    },
    "care-setting": {"en": "Given by", "nb": "Gis av", "da": "Gives af"},
    "specialist": {
        "en": "the specialist health service",
        "nb": "spesialisthelsetjenesten",
        "da": "specialistsundhedsvæsenet",
    },
    "municipal": {
        "en": "the municipal health service",
        "nb": "kommunehelsetjenesten",
        "da": "den kommunale sundhedstjeneste",
    },
    "infectious-disease-department": {
        "en": "an infectious disease department",
        "nb": "en infeksjonsmedisinsk avdeling",
        "da": "en infektionsmedicinsk afdeling",
    },
    "dose": {"en": "Dose", "nb": "Dose", "da": "Dosis"},
    "dose-of": {"en": "{dose} of {series}", "nb": "{dose} av {series}", "da": "{dose} af {series}"},
    "route": {"en": "Route and volume", "nb": "Administrasjon", "da": "Administration"},
    "earliest": {"en": "Earliest date", "nb": "Tidligste dato", "da": "Tidligste dato"},
    "due": {"en": "Due date", "nb": "Anbefalt dato", "da": "Anbefalet dato"},
    "latest": {"en": "Latest date", "nb": "Seneste dato", "da": "Seneste dato"},
    "why": {"en": "Why", "nb": "Begrunnelse", "da": "Begrundelse"},
    "doses-given": {"en": "Doses given", "nb": "Gitte doser", "da": "Givne doser"},
    "valid": {"en": "counts", "nb": "gyldig", "da": "gyldig"},
    "not-valid": {"en": "does not count", "nb": "ikke gyldig", "da": "ikke gyldig"},
    "guidance": {"en": "Guidance applied", "nb": "Anvendt veiledning", "da": "Anvendt vejledning"},
    "order-dose": {
        "en": "Order dose {dose} of mpox vaccine ({how})",
        "nb": "Bestill dose {dose} med mpoxvaksine ({how})",
        "da": "Bestil dosis {dose} af mpox-vaccine ({how})",
    },
    "order-dose-action": {
        "en": "Create a draft order for dose {dose} of mpox vaccine, {how}",
        "nb": "Opprett et utkast til rekvisisjon for dose {dose} med mpoxvaksine, {how}",
        "da": "Opret et udkast til ordination af dosis {dose} af mpox-vaccine, {how}",
    },
}

OVERRIDE_REASONS: Texts = {
    "patient-declined": {
        "en": "Patient declined",
        "nb": "Pasienten takket nei",
        "da": "Patienten takkede nej",
    },
    "clinical-judgement": {
        "en": "Clinical judgement after individual assessment",
        "nb": "Klinisk skjønn etter individuell vurdering",
        "da": "Klinisk skøn efter individuel vurdering",
    },
    "record-incomplete": {
        "en": "The record is incomplete or out of date",
        "nb": "Journalen er ufullstendig eller utdatert",
        "da": "Journalen er ufuldstændig eller forældet",
    },
    "given-elsewhere": {
        "en": "Dose given elsewhere, not yet recorded",
        "nb": "Dose gitt et annet sted, ikke registrert ennå",
        "da": "Dosis givet andetsteds, endnu ikke registreret",
    },
    "not-applicable": {
        "en": "Not applicable to this patient",
        "nb": "Gjelder ikke denne pasienten",
        "da": "Gælder ikke denne patient",
    },
}


def text(key: str, language: str, **values: object) -> str:
    entry = TEXT[key]
    return (entry.get(language) or entry["en"]).format(**values)


def term(key: str | None, language: str) -> str:
    """A code's word (`intradermal`, `municipal`) in the language; unknown codes as they are."""
    if key is None:
        return ""
    return text(key, language) if key in TEXT else key


def day(value: date) -> str:
    return value.isoformat()


def volume(value: float, language: str) -> str:
    written = f"{value:g}"
    return written if language == "en" else written.replace(".", ",")


def override_reasons(language: str, *codes: str) -> tuple[OverrideReason, ...]:
    chosen = codes or tuple(OVERRIDE_REASONS)
    return tuple(
        OverrideReason(code, OVERRIDE_REASONS[code].get(language) or OVERRIDE_REASONS[code]["en"])
        for code in chosen
    )


def source(jurisdiction: str, topic: str) -> Source:
    guideline = GUIDELINES[jurisdiction]["case" if topic == "case" else "vaccination"]
    return Source(guideline.label, guideline.url, topic, TOPICS[topic])


def links(jurisdiction: str) -> tuple[Link, ...]:
    return tuple(GUIDELINES[jurisdiction].values())
