"""A circuit breaker, one per destination, so a dead server is not hammered by retries."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """closed → (failure_threshold consecutive failures) → open → (reset_after) → half-open.

    Half-open lets exactly one trial call through: its success closes the circuit, its
    failure re-opens it and restarts the timer. Which failures count (timeouts, 5xx) and
    which do not (a 4xx is the message's fault, not the server's) is the caller's decision.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold}")
        if not (reset_after >= 0 and math.isfinite(reset_after)):
            raise ValueError(f"reset_after must be a finite number >= 0, got {reset_after}")
        self._threshold = failure_threshold
        self._reset_after = float(reset_after)
        self._clock = clock
        # Workers may be threads: every read-modify-write of the state below holds the lock.
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started: float | None = None

    def _advance(self, now: float) -> None:
        """Move open → half-open once the timer has run out (caller holds the lock)."""
        if self._state == "open" and now - self._opened_at >= self._reset_after:
            self._state = "half-open"
            self._trial_started = None

    def _trial_stale(self, now: float) -> bool:
        # A trial whose caller crashed or was cancelled never reports back; without this
        # the breaker would stay half-open and refuse everything forever.
        return self._trial_started is not None and now - self._trial_started >= self._reset_after

    @property
    def state(self) -> State:
        with self._lock:
            self._advance(self._clock())
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted so far (for metrics and logs)."""
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        """May a call go to the destination now? In half-open, True at most once per trial."""
        with self._lock:
            now = self._clock()
            self._advance(now)
            if self._state == "closed":
                return True
            if self._state == "open":
                return False
            if self._trial_started is None or self._trial_stale(now):
                self._trial_started = now
                return True
            return False

    def success(self) -> None:
        """A call succeeded: the destination is healthy, so close and forget past failures."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._trial_started = None

    def failure(self) -> None:
        """A call failed in a way that says the destination is unhealthy."""
        with self._lock:
            now = self._clock()
            self._advance(now)
            self._failures += 1
            if self._state == "half-open" or (
                self._state == "closed" and self._failures >= self._threshold
            ):
                self._state = "open"
                self._opened_at = now
                self._trial_started = None
            # Already open: a late report from a call let through before opening; restarting
            # the timer for it would postpone recovery for no new information.

    def retry_in(self) -> float:
        """Seconds until `allow()` would next return True (0 if it would now)."""
        with self._lock:
            now = self._clock()
            self._advance(now)
            if self._state == "closed":
                return 0.0
            if self._state == "open":
                return max(0.0, self._opened_at + self._reset_after - now)
            if self._trial_started is None or self._trial_stale(now):
                return 0.0
            return max(0.0, self._trial_started + self._reset_after - now)
