"""What the processes of a deployment share besides pub/sub: presence, duty, say limits.

The hub tells its state backend who is here and asks it for figures and permission to
speak. `MemoryState` keeps all of it in this process (the embedded default);
`chat.broker_redis.RedisState` keeps it in Redis so that every process sees the same
counts and the same limits, and so that a killed process's people disappear on their own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from chat.ratelimit import TokenBucket

__all__ = ["MemoryState", "Refusal", "SharedState"]

_SLOW_MODE_MAX_S = 3600  # no room waits longer between two messages


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a `say` may not go out now: "slow_mode" or "rate_limited", and for how long."""

    code: str
    retry_after_s: float


class SharedState(Protocol):
    async def present(self, room: str, session_id: str) -> None:
        """The session has its first connection of this process in the room."""

    async def absent(self, room: str, session_id: str) -> None:
        """The session's last connection of this process left the room."""

    async def set_duty(self, session_id: str, rooms: Iterable[str], on: bool) -> None: ...

    async def duty_of(self, session_id: str) -> set[str]:
        """The rooms a session was on duty for, kept a while after its last connection left."""

    async def counts(self, rooms: Iterable[str]) -> dict[str, tuple[int, int]]:
        """For each room: (sessions present, helpers on duty), over every process."""

    async def admit_say(
        self, session_id: str, room: str, slow_mode_s: float, burst: int, rate_per_s: float,
    ) -> Refusal | None:
        """Take a token from the session's bucket, and start the room's slow-mode wait."""

    async def keep_alive(self, duty: dict[str, set[str]]) -> None:
        """Every few seconds, with the live on-duty sessions of this process and their rooms:
        refresh what this process holds so that it does not expire."""

    async def aclose(self) -> None: ...


@dataclass
class _Buckets:
    bucket: TokenBucket
    last_say: dict[str, float] = field(default_factory=dict)


class MemoryState:
    """Everything in this process: exact, and gone with it."""

    def __init__(self, duty_grace_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._duty_grace_s = duty_grace_s
        self._present: dict[str, Counter[str]] = {}
        self._duty: dict[str, set[str]] = {}  # session -> rooms
        self._duty_until: dict[str, float] = {}  # session -> when its duty lapses (if no connection)
        self._buckets: dict[str, _Buckets] = {}

    async def present(self, room: str, session_id: str) -> None:
        self._present.setdefault(room, Counter())[session_id] += 1

    async def absent(self, room: str, session_id: str) -> None:
        counter = self._present.get(room)
        if counter is None:
            return
        counter[session_id] -= 1
        if counter[session_id] <= 0:
            del counter[session_id]
        if not counter:
            del self._present[room]

    async def set_duty(self, session_id: str, rooms: Iterable[str], on: bool) -> None:
        held = self._duty.setdefault(session_id, set())
        if on:
            held.update(rooms)
        else:
            held.difference_update(rooms)
        if not held:
            del self._duty[session_id]
        self._duty_until[session_id] = self._clock() + self._duty_grace_s

    async def duty_of(self, session_id: str) -> set[str]:
        self._expire_duty()
        return set(self._duty.get(session_id, ()))

    async def keep_alive(self, duty: dict[str, set[str]]) -> None:
        until = self._clock() + self._duty_grace_s
        for session_id, rooms in duty.items():
            self._duty.setdefault(session_id, set()).update(rooms)
            self._duty_until[session_id] = until
        self._expire_duty()
        # A bucket that has refilled, with no slow-mode wait running, is as good as new.
        now = self._clock()
        stale = [
            key for key, b in self._buckets.items()
            if b.bucket.full(now) and all(t < now - _SLOW_MODE_MAX_S for t in b.last_say.values())
        ]
        for key in stale:
            del self._buckets[key]

    def _expire_duty(self) -> None:
        now = self._clock()
        for session_id in [s for s, t in self._duty_until.items() if t < now]:
            del self._duty_until[session_id]
            self._duty.pop(session_id, None)

    async def counts(self, rooms: Iterable[str]) -> dict[str, tuple[int, int]]:
        self._expire_duty()
        helpers: Counter[str] = Counter(room for held in self._duty.values() for room in held)
        return {room: (len(self._present.get(room, ())), helpers[room]) for room in rooms}

    async def admit_say(
        self, session_id: str, room: str, slow_mode_s: float, burst: int, rate_per_s: float,
    ) -> Refusal | None:
        now = self._clock()
        state = self._buckets.get(session_id)
        if state is None:
            state = self._buckets[session_id] = _Buckets(TokenBucket(burst, rate_per_s, now))
        if slow_mode_s:
            wait = state.last_say.get(room, -1e9) + slow_mode_s - now
            if wait > 0:
                return Refusal("slow_mode", wait)
        wait = state.bucket.take(now)
        if wait > 0:
            return Refusal("rate_limited", wait)
        if slow_mode_s:
            state.last_say[room] = now
        return None

    async def aclose(self) -> None:
        return None

