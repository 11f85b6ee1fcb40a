"""Modulus-11 check digits of Norwegian identity numbers (fødselsnummer, D-number) and
organisation numbers: the mapping checks them on input, the validator in the profiles'
invariants."""

from __future__ import annotations

FNR_FIRST = (3, 7, 6, 1, 8, 9, 4, 5, 2)
FNR_SECOND = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
ORGNR = (3, 2, 7, 6, 5, 4, 3, 2)


def mod11(numbers: list[int], weights: tuple[int, ...]) -> int:
    """The check digit for `numbers`, or -1 when there is none (the sum leaves 10, which
    cannot be written as one digit: such a number is invalid)."""
    remainder = sum(n * w for n, w in zip(numbers, weights, strict=True)) % 11
    check = 11 - remainder
    return 0 if check == 11 else (-1 if check == 10 else check)


def identity_number_digits_match(numbers: list[int]) -> bool:
    """Both check digits of an 11-digit Norwegian identity number."""
    return (
        mod11(numbers[:9], FNR_FIRST) == numbers[9]
        and mod11(numbers[:10], FNR_SECOND) == (numbers[10])
    )
