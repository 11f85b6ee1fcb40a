"""Backoff with full jitter and Retry-After parsing: deterministic, random injected."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpox_adapter.delivery.backoff import MAX_RETRY_AFTER, Backoff
from mpox_adapter.fhir.client import parse_retry_after

PROPS = settings(max_examples=300, deadline=None)
unit = st.floats(0, 1, exclude_max=True)
seconds = st.floats(0, 1e6, allow_nan=False)
attempts = st.integers(0, 20_000)
policies = st.builds(Backoff, base=st.floats(0, 1e3), cap=st.floats(0, 1e5))
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_full_jitter_formula() -> None:
    b = Backoff(base=1.0, cap=300.0)
    assert b.delay(0, lambda: 0.5) == 0.5
    assert b.delay(3, lambda: 0.5) == 4.0
    assert b.delay(20, lambda: 0.5) == 150.0  # capped at 300 before jitter
    assert b.delay(5, lambda: 0.0) == 0.0


def test_ceiling_doubles_then_caps() -> None:
    b = Backoff(base=0.5, cap=10.0)
    assert [b.ceiling(a) for a in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]


@pytest.mark.parametrize("attempt", [10_000, 10**30])
def test_huge_attempt_does_not_overflow(attempt: int) -> None:
    assert Backoff().delay(attempt, lambda: 0.5) == 150.0


def test_bad_inputs_are_treated_as_zero() -> None:
    assert Backoff().delay(-3, lambda: 0.5) == 0.5  # attempt -3 → 0
    assert Backoff(base=-1.0).delay(4, lambda: 0.5) == 0.0
    assert Backoff(base=math.nan).delay(4, lambda: 0.5) == 0.0
    assert Backoff(cap=math.nan).delay(4, lambda: 0.5) == 0.0
    assert Backoff().delay(0, lambda: 0.5, retry_after=-5.0) == 0.5
    assert Backoff().delay(0, lambda: 0.5, retry_after=math.nan) == 0.5
    assert Backoff().delay(0, lambda: math.nan) == 0.0


def test_infinities_stay_finite() -> None:
    assert math.isfinite(Backoff(cap=math.inf).delay(10_000, lambda: 0.0))
    assert math.isfinite(Backoff(base=math.inf).delay(0, lambda: 0.0))
    assert Backoff().delay(0, lambda: 0.0, retry_after=math.inf) == MAX_RETRY_AFTER


def test_retry_after_is_a_floor() -> None:
    b = Backoff(base=1.0, cap=300.0)
    assert b.delay(0, lambda: 0.1, retry_after=42.0) == 42.0
    assert b.delay(10, lambda: 0.9, retry_after=42.0) == pytest.approx(270.0)  # jitter larger


def test_retry_after_beyond_cap_is_honoured_up_to_an_hour() -> None:
    b = Backoff(cap=300.0)
    assert b.delay(0, lambda: 0.5, retry_after=900.0) == 900.0
    assert b.delay(0, lambda: 0.5, retry_after=86_400.0) == MAX_RETRY_AFTER
    # A cap above the hard maximum is the operator's choice: the server may use all of it.
    assert Backoff(cap=7200.0).delay(0, lambda: 0.5, retry_after=86_400.0) == 7200.0


@PROPS
@given(policies, attempts, unit, st.none() | seconds)
def test_delay_bounds(b: Backoff, attempt: int, r: float, retry_after: float | None) -> None:
    d = b.delay(attempt, lambda: r, retry_after)
    assert 0 <= d <= max(b.cap, min(retry_after or 0.0, MAX_RETRY_AFTER))
    assert math.isfinite(d)


@PROPS
@given(policies, attempts, unit, seconds)
def test_delay_at_least_retry_after_within_cap(
    b: Backoff, attempt: int, r: float, retry_after: float
) -> None:
    if retry_after <= b.cap:
        assert b.delay(attempt, lambda: r, retry_after) >= retry_after


@PROPS
@given(policies, st.integers(0, 2000), unit)
def test_jitter_within_exact_ceiling(b: Backoff, attempt: int, r: float) -> None:
    # Exact rational arithmetic: the reference cannot overflow, however large 2**attempt is.
    exact = min(Fraction(b.cap), Fraction(b.base) * 2**attempt)
    assert b.ceiling(attempt) == pytest.approx(float(exact))
    assert b.delay(attempt, lambda: r) <= b.ceiling(attempt)


@PROPS
@given(policies, attempts, unit)
def test_upper_bound_monotone_in_attempt(b: Backoff, attempt: int, r: float) -> None:
    assert b.ceiling(attempt) <= b.ceiling(attempt + 1)
    assert b.delay(attempt, lambda: r) <= b.delay(attempt + 1, lambda: r)


@PROPS
@given(
    st.builds(Backoff, base=st.floats(), cap=st.floats()),
    st.integers(min_value=0),
    unit,
    st.none() | st.floats(),
)
def test_never_raises(b: Backoff, attempt: int, r: float, retry_after: float | None) -> None:
    d = b.delay(attempt, lambda: r, retry_after)
    assert d >= 0
    assert not math.isnan(d)


# parse_retry_after


@pytest.mark.parametrize(("value", "expected"), [("120", 120.0), (" 0 ", 0.0), ("1.5", 1.5)])
def test_parse_delta_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_http_date_in_future() -> None:
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert when.endswith("GMT")
    assert parse_retry_after(when, NOW) == 90.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:01:30 GMT", NOW) == 90.0


def test_parse_http_date_in_past_is_zero() -> None:
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", NOW) == 0.0


def test_parse_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Sat, 01 Mar 2025 12:00:10 GMT", naive) == 10.0


def test_parse_date_with_offset() -> None:
    assert parse_retry_after("Sat, 01 Mar 2025 13:00:10 +0100", NOW) == 10.0


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "nan", "inf", "1e3", "12abc", "Sat, 99 Foo 2025", "0x10"],
)
def test_parse_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@PROPS
@given(st.text(max_size=60))
def test_parse_never_raises(value: str) -> None:
    result = parse_retry_after(value, NOW)
    assert result is None or result >= 0
