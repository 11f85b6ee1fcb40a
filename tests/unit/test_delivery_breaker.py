"""Circuit breaker: deterministic with a fake clock; threads only for the lock test."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from mpox_adapter.delivery.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def state(breaker: CircuitBreaker) -> str:
    # A plain str: mypy would otherwise narrow the Literal property across calls.
    return breaker.state


def opened(clock: Clock, threshold: int = 3, reset_after: float = 30.0) -> CircuitBreaker:
    breaker = CircuitBreaker(threshold, reset_after, clock)
    for _ in range(threshold):
        breaker.failure()
    return breaker


def test_starts_closed(clock: Clock) -> None:
    breaker = CircuitBreaker(clock=clock)
    assert breaker.state == "closed"
    assert breaker.allow()
    assert breaker.retry_in() == 0.0


def test_opens_at_threshold(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 30.0, clock)
    breaker.failure()
    breaker.failure()
    assert state(breaker) == "closed"
    assert breaker.allow()
    breaker.failure()
    assert state(breaker) == "open"
    assert not breaker.allow()
    assert breaker.retry_in() == 30.0


def test_stays_open_until_reset_after(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 29.9
    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(0.1)


def test_late_failure_while_open_does_not_restart_timer(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 20
    breaker.failure()
    assert breaker.retry_in() == pytest.approx(10.0)


def test_half_open_lets_one_trial_through(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 30
    assert breaker.state == "half-open"
    assert breaker.retry_in() == 0.0
    assert breaker.allow()
    assert not breaker.allow()
    assert not breaker.allow()
    assert breaker.state == "half-open"
    assert breaker.retry_in() == 30.0


def test_trial_success_closes(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 30
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.failures == 0
    assert all(breaker.allow() for _ in range(5))


def test_trial_failure_reopens_and_restarts_timer(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 45
    assert breaker.allow()
    clock.now += 5
    breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    assert breaker.retry_in() == 30.0
    clock.now += 30
    assert breaker.allow()


def test_success_resets_the_count(clock: Clock) -> None:
    breaker = CircuitBreaker(3, 30.0, clock)
    breaker.failure()
    breaker.failure()
    breaker.success()
    assert breaker.failures == 0
    breaker.failure()
    breaker.failure()
    assert state(breaker) == "closed"  # not consecutive with the earlier two
    breaker.failure()
    assert state(breaker) == "open"


def test_unreported_trial_is_replaced_after_reset_after(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 30
    assert breaker.allow()  # this caller never reports back
    clock.now += 29
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    assert not breaker.allow()


def test_zero_reset_after_goes_straight_to_half_open(clock: Clock) -> None:
    breaker = opened(clock, reset_after=0.0)
    assert breaker.state == "half-open"
    assert breaker.allow()


@pytest.mark.parametrize(
    ("threshold", "reset_after"), [(0, 1.0), (-1, 1.0), (1, -1.0), (1, math.nan), (1, math.inf)]
)
def test_rejects_bad_configuration(threshold: int, reset_after: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold, reset_after)


def test_concurrent_allow_gives_one_trial(clock: Clock) -> None:
    breaker = opened(clock)
    clock.now += 30
    workers = 32
    barrier = threading.Barrier(workers)

    def attempt() -> bool:
        barrier.wait()
        return breaker.allow()

    for _ in range(20):
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda _: attempt(), range(workers)))
        assert results.count(True) == 1
        breaker.failure()  # the trial failed: open again, then wait out the timer
        clock.now += 30


def test_concurrent_failures_are_all_counted(clock: Clock) -> None:
    breaker = CircuitBreaker(10_000, 30.0, clock)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: breaker.failure(), range(4000)))
    assert breaker.failures == 4000
    assert breaker.state == "closed"
