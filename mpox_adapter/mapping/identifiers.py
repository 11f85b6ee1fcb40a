"""National identity numbers: Norwegian fødselsnummer and D-number, Danish CPR number.

Each number carries a date of birth; the Norwegian ones also two mod-11 check digits.
Synthetic Norwegian test numbers add 80 to the month and are treated as valid, as the
national test data does. Messages never repeat the number: they end up in error files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mpox_adapter.checkdigits import ORGNR, identity_number_digits_match, mod11

FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
HPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.4"
ORGNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"

SYSTEMS = {"fnr": FNR_SYSTEM, "dnr": DNR_SYSTEM, "cpr": CPR_SYSTEM}


class IdentifierError(ValueError):
    """The number is not a valid identifier of the kind asked for."""


@dataclass(frozen=True, slots=True)
class PersonIdentifier:
    kind: str
    system: str
    value: str
    birth_date: str
    """ISO date of birth encoded in the number."""
    sex: str | None = None
    """'male' / 'female' where the number encodes it (CPR, fødselsnummer)."""

    def as_dict(self) -> dict[str, str | None]:
        return {
            "type": self.kind,
            "system": self.system,
            "value": self.value,
            "birth_date": self.birth_date,
            "sex": self.sex,
        }


def parse(value: str, kinds: tuple[str, ...] = ("fnr", "dnr", "cpr")) -> PersonIdentifier:
    """The identifier `value` is, among `kinds`; `IdentifierError` when it is none of them."""
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit():
        raise IdentifierError("identity number must contain digits only")
    if len(digits) == 11 and ("fnr" in kinds or "dnr" in kinds):
        kind = "dnr" if digits[0] in "4567" else "fnr"
        if kind not in kinds:
            raise IdentifierError(f"a {kind} is not accepted here (expected {', '.join(kinds)})")
        return _norwegian(digits, kind)
    if len(digits) == 10 and "cpr" in kinds:
        return _cpr(digits)
    lengths = sorted({11 if k in ("fnr", "dnr") else 10 for k in kinds})
    raise IdentifierError(
        f"identity number has {len(digits)} digits, expected {' or '.join(map(str, lengths))}"
    )


def _norwegian(digits: str, kind: str) -> PersonIdentifier:
    numbers = [int(c) for c in digits]
    if not identity_number_digits_match(numbers):
        raise IdentifierError(f"{kind} check digits do not match")
    day = int(digits[0:2]) - (40 if kind == "dnr" else 0)
    month = int(digits[2:4])
    if month > 80:
        month -= 80  # synthetic test numbers
    year2 = int(digits[4:6])
    individual = int(digits[6:9])
    born = _date(_norwegian_century(individual, year2) + year2, month, day, kind)
    sex = "female" if numbers[8] % 2 == 0 else "male"
    return PersonIdentifier(kind, SYSTEMS[kind], digits, born, sex)


def _norwegian_century(individual: int, year2: int) -> int:
    if individual <= 499:
        return 1900
    if individual <= 749 and year2 >= 54:
        return 1800
    if year2 <= 39:
        return 2000
    if individual >= 900:
        return 1900
    raise IdentifierError("fødselsnummer individual number does not fit the birth year")


def _cpr(digits: str) -> PersonIdentifier:
    day, month, year2, seventh = (
        int(digits[0:2]),
        int(digits[2:4]),
        int(digits[4:6]),
        int(digits[6]),
    )
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if year2 <= 36 else 1900
    else:
        century = 2000 if year2 <= 57 else 1800
    born = _date(century + year2, month, day, "cpr")
    sex = "male" if int(digits[9]) % 2 else "female"
    return PersonIdentifier("cpr", CPR_SYSTEM, digits, born, sex)


def _date(year: int, month: int, day: int, kind: str) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise IdentifierError(f"{kind} does not contain a valid date of birth") from exc


def valid_orgnr(value: str) -> bool:
    """Norwegian organisation number: 9 digits, mod-11 check digit."""
    if len(value) != 9 or not value.isdigit():
        return False
    numbers = [int(c) for c in value]
    return mod11(numbers[:8], ORGNR) == numbers[8]
