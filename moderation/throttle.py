"""A sliding-window counter per key, for login attempts. Pure: the caller gives the time.

Per process: with several processes each counts its own share, so the limits of
config.toml hold per process. Keys are what the caller chose (a normalised username, a
keyed hash of a network address), never a raw address.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Throttle"]


class Throttle:
    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str, now: float) -> float:
        """0 when `key` may try now; else the seconds until its oldest counted attempt expires."""
        hits = self._recent(key, now)
        if hits is None or len(hits) < self.limit:
            return 0.0
        return max(0.001, hits[0] + self.window_s - now)

    def hit(self, key: str, now: float) -> None:
        if len(self._hits) >= self._max_keys:
            self._forget_stale(now)
        hits = self._recent(key, now)
        if hits is None:
            hits = self._hits[key] = deque()
        hits.append(now)

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def _forget_stale(self, now: float) -> None:
        for key in list(self._hits):
            self._recent(key, now)
        if len(self._hits) >= self._max_keys:
            # Still full of live keys (an attack from many origins): forget the oldest half.
            oldest = sorted(self._hits, key=lambda k: self._hits[k][-1])[: len(self._hits) // 2]
            for key in oldest:
                del self._hits[key]
