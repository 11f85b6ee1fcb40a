"""A token bucket limiting the request rate to one destination."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """At most `rate` requests per second on average, with bursts of up to `burst`.

    The bucket starts full. `rate=None` (or +inf) means unlimited: `acquire` never waits.
    Meant for one event loop: the bookkeeping in `acquire` runs without an `await`, so it is
    atomic with respect to other tasks and needs no lock.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate is not None and not rate > 0:  # also rejects NaN
            raise ValueError(f"rate must be > 0 requests per second or None, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        self._rate = None if rate is None or math.isinf(rate) else float(rate)
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        # May go negative: each waiter reserves its token before sleeping, which serves
        # concurrent callers in arrival order and needs no retry loop after waking.
        self._tokens = self._burst
        self._updated = clock()

    def _available(self, now: float) -> float:
        assert self._rate is not None
        # max(0, …): a clock that steps backwards must not drain the bucket.
        elapsed = max(0.0, now - self._updated)
        return min(self._burst, self._tokens + elapsed * self._rate)

    def wait_time(self) -> float:
        """How long `acquire` would wait if called now, without taking a token."""
        if self._rate is None:
            return 0.0
        tokens = self._available(self._clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self._rate

    async def acquire(self) -> None:
        """Take one token, waiting (through the injected sleep) until one is available."""
        if self._rate is None:
            return
        now = self._clock()
        self._tokens = self._available(now) - 1
        self._updated = now
        if self._tokens >= 0:
            return
        try:
            await self._sleep(-self._tokens / self._rate)
        except asyncio.CancelledError:
            # The caller gave up, so its reservation goes back to those still waiting.
            self._tokens = min(self._burst, self._tokens + 1)
            raise
