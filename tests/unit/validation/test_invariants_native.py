"""Native stand-ins for FHIRPath invariants must answer exactly as the FHIRPath does."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mpox_adapter.validation.fhirpath import EvalContext, compile_expression, is_true
from mpox_adapter.validation.invariants import MPOX_DNR, MPOX_FNR, checker

CONTEXT = EvalContext(resource={}, root_resource={})
DIGITS = st.text(alphabet="0123456789", min_size=9, max_size=12)


def _digit(text: str, weights: tuple[int, ...]) -> str:
    return str((11 - sum(int(c) * w for c, w in zip(text, weights, strict=True)) % 11) % 11)


def _with_check_digits(stem: str) -> str:
    """Mod-11 check digits (a remainder giving 10 leaves a 2-digit 'digit': invalid, fine)."""
    first = _digit(stem[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2))
    body = stem[:9] + first[-1]
    return body + _digit(body, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))[-1]


VALUES = st.one_of(
    DIGITS,
    DIGITS.map(lambda d: _with_check_digits(d.ljust(9, "0"))),
    st.builds(lambda d: _with_check_digits(d.ljust(9, "0")) + "\n", DIGITS),
    st.text(max_size=14),
    st.integers(),
    st.none(),
)


@settings(max_examples=1500, deadline=None)
@given(VALUES)
def test_identity_number_invariants_equal_their_fhirpath(value: Any) -> None:
    focus = {"system": "urn:oid:2.16.578.1.12.4.1.4.1"}
    if value is not None:
        focus["value"] = value
    for expression in (MPOX_FNR, MPOX_DNR):
        native = checker(expression)
        assert native is not None
        try:
            expected: bool | str = is_true(compile_expression(expression)(focus, CONTEXT))
        except Exception as exc:
            expected = type(exc).__name__
        try:
            got: bool | str = native(focus, CONTEXT)
        except Exception as exc:
            got = type(exc).__name__
        assert got == expected, (expression[:40], value)


def test_valid_numbers_pass_and_a_changed_digit_fails() -> None:
    fnr = _with_check_digits("010180123")
    check = checker(MPOX_FNR)
    assert check is not None
    assert check({"value": fnr}, CONTEXT)
    assert not check({"value": fnr[:10] + str((int(fnr[10]) + 1) % 10)}, CONTEXT)


def test_the_profiles_carry_the_expressions_replaced() -> None:
    """If the profile's FHIRPath changes, the native stand-in stops applying: say so."""
    from mpox_adapter.validation.service import SHIPPED_PROFILES

    text = "".join(p.read_text() for p in SHIPPED_PROFILES.iterdir() if p.name.endswith(".json"))
    for expression in (MPOX_FNR, MPOX_DNR):
        assert json.dumps(expression)[1:-1] in text
