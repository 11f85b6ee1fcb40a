"""Which language a card speaks: the jurisdiction's (nb for Norway, da for Denmark) or English.

The request's Accept-Language decides when it names one of the two; otherwise the setting
`cds.language` (if it is one of them); otherwise English, the language every text has.
"""

from __future__ import annotations

from collections.abc import Iterator

JURISDICTION_LANGUAGE = {"NO": "nb", "DK": "da"}
# Norwegian is tagged no, nb or nn in the wild; the texts are Bokmål.
_ALIASES = {"nb": "nb", "no": "nb", "nn": "nb", "da": "da", "en": "en"}


def choose(accept_language: str | None, jurisdiction: str, configured: str | None) -> str:
    available = {JURISDICTION_LANGUAGE[jurisdiction], "en"}
    for tag in _preferences(accept_language or ""):
        language = _ALIASES.get(tag.split("-", 1)[0])
        if language in available:
            return language
    return configured if configured in available else "en"


def _preferences(header: str) -> Iterator[str]:
    """Language tags by descending q (RFC 9110 §12.5.4); q=0 means 'not this one'."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        yield tag
