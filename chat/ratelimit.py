"""Token buckets and sliding-window counters, pure, with the clock passed in."""

from __future__ import annotations

from collections import deque

__all__ = ["TokenBucket", "WindowCounter"]


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; a take either succeeds or says when to retry."""

    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at = now

    def full(self, now: float) -> bool:
        return self._tokens + (now - self._at) * self._rate >= self._burst

    def take(self, now: float) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self._rate


class WindowCounter:
    """Counts events in a sliding window; `hit` says whether the limit is now exceeded."""

    __slots__ = ("_events", "_limit", "_window")

    def __init__(self, limit: int, window_s: float) -> None:
        self._limit = limit
        self._window = window_s
        self._events: deque[float] = deque()

    def hit(self, now: float) -> bool:
        self._events.append(now)
        while self._events and self._events[0] <= now - self._window:
            self._events.popleft()
        return len(self._events) > self._limit
