"""The words of the `mpox-case` cards, in English, Norwegian Bokmål and Danish."""

from __future__ import annotations

from mpox_adapter.cds.texts import Texts

CASE_TEXT: Texts = {
    "suspected": {
        "en": "Suspected mpox case: take an mpox PCR sample",
        "nb": "Mistenkt mpox: ta prøve til mpox-PCR",
        "da": "Mistænkt mpox: tag en prøve til mpox-PCR",
    },
    "confirmed": {
        "en": "Confirmed mpox case",
        "nb": "Bekreftet tilfelle av mpox",
        "da": "Påvist tilfælde af mpox",
    },
    "since": {"en": "Since", "nb": "Siden", "da": "Siden"},
    "criteria": {
        "en": "Case definition criteria met",
        "nb": "Kriterier i kasusdefinisjonen",
        "da": "Opfyldte kriterier i casedefinitionen",
    },
    "duty": {
        "en": "Mpox case: 1 duty, {when}",
        "nb": "Mpox-tilfelle: 1 plikt, {when}",
        "da": "Mpox-tilfælde: 1 pligt, {when}",
    },
    "duties": {
        "en": "Mpox case: {count} duties, the first {when}",
        "nb": "Mpox-tilfelle: {count} plikter, den første {when}",
        "da": "Mpox-tilfælde: {count} pligter, den første {when}",
    },
    "immediately": {"en": "immediately", "nb": "umiddelbart", "da": "straks"},
    "same-day": {"en": "the same day", "nb": "samme dag", "da": "samme dag"},
    "within-24-hours": {
        "en": "within 24 hours",
        "nb": "innen 24 timer",
        "da": "inden for 24 timer",
    },
    "as-soon-as-possible": {
        "en": "as soon as possible",
        "nb": "så snart som mulig",
        "da": "snarest muligt",
    },
    "by": {"en": "by {when}", "nb": "innen {when}", "da": "senest {when}"},
    "task": {
        "en": "Task: notify {recipient}",
        "nb": "Oppgave: meld til {recipient}",
        "da": "Opgave: anmeld til {recipient}",
    },
    "task-action": {
        "en": "Create a task for this duty, due {when}",
        "nb": "Opprett en oppgave for denne plikten, frist {when}",
        "da": "Opret en opgave for denne pligt, frist {when}",
    },
    "pcr": {"en": "Order an mpox PCR", "nb": "Rekvirer mpox-PCR", "da": "Bestil mpox-PCR"},
    "pcr-action": {
        "en": "Create a draft order: mpox virus DNA by PCR (LOINC 100383-9)",
        "nb": "Opprett et utkast til rekvisisjon: mpox-virus-DNA ved PCR (LOINC 100383-9)",
        "da": "Opret et udkast til ordination: mpox-virus-DNA ved PCR (LOINC 100383-9)",
    },
    "contact-pep": {
        "en": "Mpox exposure {day}: PEP window {days} d left (until {latest})",
        "nb": "Mpox-eksponering {day}: PEP-vindu {days} d igjen (til {latest})",
        "da": "Mpox-eksposition {day}: PEP-vindue {days} d tilbage (til {latest})",
    },
    "and-monitor": {
        "en": "monitor until {until}",
        "nb": "følg opp til {until}",
        "da": "overvåg til {until}",
    },
    "contact-monitor": {
        "en": "Mpox exposure {day}: monitor for symptoms until {until}",
        "nb": "Mpox-eksponering {day}: følg med på symptomer til {until}",
        "da": "Mpox-eksposition {day}: overvåg for symptomer til {until}",
    },
    "close-contact": {"en": "Close contact", "nb": "Nærkontakt", "da": "Nær kontakt"},
    "yes": {"en": "yes", "nb": "ja", "da": "ja"},
    "no": {"en": "no", "nb": "nei", "da": "nej"},
    "exposure-day": {"en": "Last exposure", "nb": "Siste eksponering", "da": "Seneste eksposition"},
    "pep-until": {
        "en": "Post-exposure vaccination possible until",
        "nb": "Vaksinasjon etter eksponering mulig til",
        "da": "Vaccination efter eksposition mulig til",
    },
    "pep-not-possible": {
        "en": "Post-exposure vaccination is no longer indicated",
        "nb": "Vaksinasjon etter eksponering er ikke lenger indisert",
        "da": "Vaccination efter eksposition er ikke længere indiceret",
    },
    "monitor-until": {
        "en": "Monitoring (21 days) ends",
        "nb": "Oppfølging (21 dager) slutter",
        "da": "Overvågning (21 dage) slutter",
    },
}


def case_text(key: str, language: str, **values: object) -> str:
    entry = CASE_TEXT[key]
    return (entry.get(language) or entry["en"]).format(**values)
