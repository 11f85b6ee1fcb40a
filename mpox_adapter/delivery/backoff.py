"""Exponential backoff with full jitter, and parsing of a server's `Retry-After`."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

# A server may ask us to wait longer than `cap` (Retry-After on 429/503): retrying sooner
# would just be refused again, so we honour it — but only up to an hour, so that a buggy or
# hostile header ("Retry-After: 999999999") cannot stall a destination's queue for years.
MAX_RETRY_AFTER = 3600.0


def _clean(value: float) -> float:
    """Negative and NaN become 0; +inf becomes the largest float so arithmetic stays finite.

    Misconfiguration must not raise inside a retry path, where an exception would lose the
    very message we are trying to deliver.
    """
    if not value > 0:  # also catches NaN
        return 0.0
    return min(value, sys.float_info.max)


@dataclass(frozen=True, slots=True)
class Backoff:
    """`delay(attempt)` = random() * min(cap, base * 2**attempt), attempt 0 = first retry.

    Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads the retries
    of many workers that failed together, instead of having them stampede in lockstep.
    """

    base: float = 1.0
    cap: float = 300.0

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the jittered delay for `attempt` (without Retry-After)."""
        base, cap = _clean(self.base), _clean(self.cap)
        n = attempt if attempt > 0 else 0  # negative and NaN → 0
        try:
            # ldexp is exact and raises instead of building a 10_000-bit integer.
            raw = math.ldexp(base, int(n))
        except OverflowError:
            raw = math.inf
        return min(cap, raw)

    def delay(
        self, attempt: int, random: Callable[[], float], retry_after: float | None = None
    ) -> float:
        """Seconds to wait before retry number `attempt` (0-based).

        `random` returns a float in [0, 1). With `retry_after` the delay is at least
        `retry_after`; if that exceeds `cap`, it is honoured up to max(cap, MAX_RETRY_AFTER).
        The hard maximum limits how far a server can push us *beyond* cap, never below it.
        """
        r = random()
        r = min(r, 1.0) if r > 0 else 0.0  # a misbehaving injected source must not escape
        jittered = r * self.ceiling(attempt)
        if retry_after is None:
            return jittered
        floor = min(_clean(retry_after), max(_clean(self.cap), MAX_RETRY_AFTER))
        return max(jittered, floor)
