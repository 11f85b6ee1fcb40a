"""Token bucket: a fake clock that only moves when the fake sleep is awaited."""

from __future__ import annotations

import asyncio
import math

import pytest

from mpox_adapter.delivery.ratelimit import RateLimiter


class FakeTime:
    """Sleeping advances the clock by exactly the requested time; nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(t: FakeTime, rate: float | None, burst: int = 1) -> RateLimiter:
    return RateLimiter(rate, burst, clock=t.clock, sleep=t.sleep)


async def acquire_many(rl: RateLimiter, n: int) -> None:
    for _ in range(n):
        await rl.acquire()


@pytest.mark.parametrize(("rate", "burst", "n"), [(2.0, 1, 10), (5.0, 3, 23), (0.5, 4, 4)])
def test_n_acquisitions_take_n_minus_burst_over_rate(rate: float, burst: int, n: int) -> None:
    t = FakeTime()
    asyncio.run(acquire_many(limiter(t, rate, burst), n))
    assert t.now == pytest.approx((n - burst) / rate)
    assert len(t.sleeps) == n - burst


def test_unlimited_never_sleeps() -> None:
    t = FakeTime()
    for rate in (None, math.inf):
        rl = limiter(t, rate)
        asyncio.run(acquire_many(rl, 1000))
        assert rl.wait_time() == 0.0
    assert t.sleeps == []


def test_wait_time_does_not_take_a_token() -> None:
    t = FakeTime()
    rl = limiter(t, 4.0, burst=2)
    assert rl.wait_time() == 0.0
    assert rl.wait_time() == 0.0
    asyncio.run(acquire_many(rl, 2))
    assert rl.wait_time() == pytest.approx(0.25)
    assert rl.wait_time() == pytest.approx(0.25)
    t.now += 0.1
    assert rl.wait_time() == pytest.approx(0.15)
    asyncio.run(rl.acquire())
    assert t.sleeps == [pytest.approx(0.15)]


def test_idle_time_refills_only_up_to_burst() -> None:
    t = FakeTime()
    rl = limiter(t, 1.0, burst=3)
    asyncio.run(acquire_many(rl, 3))
    t.now += 3600
    asyncio.run(acquire_many(rl, 5))
    assert t.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


def test_concurrent_waiters_are_spaced_in_arrival_order() -> None:
    t = FakeTime()
    asked: list[float] = []
    done: list[int] = []

    async def recording_sleep(seconds: float) -> None:
        asked.append(seconds)  # the clock stays put: every waiter reserves at time 0
        await asyncio.sleep(0)

    rl = RateLimiter(2.0, 2, clock=t.clock, sleep=recording_sleep)

    async def worker(i: int) -> None:
        await rl.acquire()
        done.append(i)

    async def main() -> None:
        await asyncio.gather(*(worker(i) for i in range(6)))

    asyncio.run(main())
    assert sorted(done) == list(range(6))
    assert asked == [pytest.approx(0.5), pytest.approx(1.0), pytest.approx(1.5), 2.0]


def test_cancelled_waiter_returns_its_reservation() -> None:
    t = FakeTime()

    async def main() -> float:
        started = asyncio.Event()

        async def blocking_sleep(seconds: float) -> None:
            started.set()
            await asyncio.Event().wait()  # never set: only cancellation ends this

        rl = RateLimiter(1.0, 1, clock=t.clock, sleep=blocking_sleep)
        await rl.acquire()
        task = asyncio.create_task(rl.acquire())
        await started.wait()
        assert rl.wait_time() == pytest.approx(2.0)  # behind the pending reservation
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return rl.wait_time()

    assert asyncio.run(main()) == pytest.approx(1.0)


def test_clock_going_backwards_does_not_drain() -> None:
    t = FakeTime()
    t.now = 100.0
    rl = limiter(t, 1.0, burst=2)
    t.now = 50.0
    assert rl.wait_time() == 0.0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (math.nan, 1), (1.0, 0)])
def test_rejects_bad_configuration(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst)


@pytest.mark.anyio
async def test_defaults_do_not_wait_while_tokens_remain() -> None:
    rl = RateLimiter(1.0, burst=3)  # real clock and asyncio.sleep: must not wait
    for _ in range(3):
        await rl.acquire()
