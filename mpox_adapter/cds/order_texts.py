"""The words of the order-check cards, in English, Norwegian Bokmål and Danish."""

from __future__ import annotations

from mpox_adapter.cds.texts import Texts

ORDER_TEXT: Texts = {
    "contraindicated": {
        "en": "Mpox vaccine order: contraindicated for this patient",
        "nb": "Rekvisisjon av mpoxvaksine: kontraindisert for denne pasienten",
        "da": "Ordination af mpox-vaccine: kontraindiceret for denne patient",
    },
    "previous-mpox": {
        "en": "Mpox vaccine order: not needed, the patient has had mpox",
        "nb": "Rekvisisjon av mpoxvaksine: ikke nødvendig, pasienten har hatt mpox",
        "da": "Ordination af mpox-vaccine: ikke nødvendig, patienten har haft mpox",
    },
    "third-dose": {
        "en": "Mpox vaccine order: the series is complete; a further dose is not recommended",
        "nb": "Rekvisisjon av mpoxvaksine: serien er fullført; flere doser anbefales ikke",
        "da": "Ordination af mpox-vaccine: serien er fuldført; flere doser anbefales ikke",
    },
    "not-recommended": {
        "en": "Mpox vaccine order: not recommended for this patient now",
        "nb": "Rekvisisjon av mpoxvaksine: anbefales ikke for denne pasienten nå",
        "da": "Ordination af mpox-vaccine: anbefales ikke til denne patient nu",
    },
    "deferred": {
        "en": "Mpox vaccine order: postpone the dose",
        "nb": "Rekvisisjon av mpoxvaksine: utsett dosen",
        "da": "Ordination af mpox-vaccine: udskyd dosis",
    },
    "too-early": {
        "en": "Mpox vaccine dose {dose} ordered too early: not before {earliest}",
        "nb": "Dose {dose} med mpoxvaksine rekvirert for tidlig: ikke før {earliest}",
        "da": "Dosis {dose} af mpox-vaccine ordineret for tidligt: ikke før {earliest}",
    },
    "assessment": {
        "en": "Mpox vaccine order: a physician's individual assessment is required",
        "nb": "Rekvisisjon av mpoxvaksine: krever legens individuelle vurdering",
        "da": "Ordination af mpox-vaccine: kræver lægens individuelle vurdering",
    },
    "wrong-route": {
        "en": "Mpox vaccine order: {ordered} is wrong for this patient; give {how}",
        "nb": "Rekvisisjon av mpoxvaksine: {ordered} er feil for denne pasienten; gi {how}",
        "da": "Ordination af mpox-vaccine: {ordered} er forkert for denne patient; giv {how}",
    },
    "remove": {
        "en": "Remove the mpox vaccine order",
        "nb": "Fjern rekvisisjonen av mpoxvaksine",
        "da": "Fjern ordinationen af mpox-vaccine",
    },
    "remove-action": {
        "en": "Delete the draft mpox vaccine order",
        "nb": "Slett utkastet til rekvisisjon av mpoxvaksine",
        "da": "Slet udkastet til ordination af mpox-vaccine",
    },
    "fix": {
        "en": "Change the order to {how}",
        "nb": "Endre rekvisisjonen til {how}",
        "da": "Ret ordinationen til {how}",
    },
    "fix-action": {
        "en": "Update the draft order: {how}",
        "nb": "Oppdater utkastet til rekvisisjon: {how}",
        "da": "Opdater udkastet til ordination: {how}",
    },
}


def order_text(key: str, language: str, **values: object) -> str:
    entry = ORDER_TEXT[key]
    return (entry.get(language) or entry["en"]).format(**values)
