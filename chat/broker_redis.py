"""Redis: fan-out between processes and machines, and the state they share.

All of Entraide's Redis code is here. `RedisBroker` carries bytes on channels, with one
subscription per channel per process (the hub counts the references) on one dedicated
pub/sub connection, re-established with capped exponential back-off. `RedisState` keeps
presence, duty and the `say` limits where every process sees them.

Channels and keys carry a prefix (`[redis] prefix`): pub/sub channels are global to a
Redis server whatever the database number, and two deployments (or a benchmark beside
the tests) must not hear each other. Keys that one script touches share a hash tag, so
the same code runs on Redis Cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from chat.state import MemoryState, Refusal

__all__ = ["RESUBSCRIBED", "RedisBroker", "RedisSettings", "RedisState", "connect"]

log = logging.getLogger(__name__)

#: Yielded by `RedisBroker.messages()` once a lost connection is back and every channel is
#: subscribed again: what was published meanwhile never arrived, and the hub catches up.
RESUBSCRIBED = "broker:resubscribed"

_BACKOFF_START_S = 0.1
_CONFIRM_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str
    prefix: str = "entraide"
    # Commands wait for a free connection instead of failing: a burst of joins queues up.
    max_connections: int = 32
    pool_timeout_s: float = 10.0
    backoff_cap_s: float = 30.0
    presence_ttl_s: float = 30.0
    duty_grace_s: float = 60.0


def connect(settings: RedisSettings) -> tuple[RedisBroker, RedisState]:
    pool = BlockingConnectionPool.from_url(
        settings.url, max_connections=settings.max_connections, timeout=settings.pool_timeout_s,
        socket_connect_timeout=2, socket_timeout=5, socket_keepalive=True,
        retry=Retry(NoBackoff(), 1),
    )
    client = Redis(connection_pool=pool)
    return RedisBroker(settings, client), RedisState(settings, client)


class RedisBroker:
    """Pub/sub through Redis: every process that subscribed to a channel gets its bytes."""

    shared = True

    def __init__(self, settings: RedisSettings, client: Redis) -> None:
        self._settings = settings
        self._client = client
        self._prefix = f"{settings.prefix}:".encode()
        # The listener's own connection: no silent retry, so a lost connection is noticed,
        # re-established here and announced (RESUBSCRIBED) rather than papered over.
        self._listen_pool = ConnectionPool.from_url(
            settings.url, max_connections=1, socket_connect_timeout=2, socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        self._pubsub: PubSub | None = None
        self._channels: set[str] = set()
        self._waiting: dict[bytes, list[asyncio.Future[None]]] = {}
        self._closed = False
        self._wake = asyncio.Event()
        #: Times the listener connection was lost and re-established.
        self.reconnects = 0

    def _name(self, channel: str) -> bytes:
        return self._prefix + channel.encode()

    @property
    def connected(self) -> bool:
        return self._pubsub is not None

    async def publish(self, channel: str, payload: bytes) -> None:
        if self._pubsub is None and not self._closed:
            # The listener is reconnecting: Redis is very likely down; fail fast rather
            # than hold the room's lock through connection timeouts.
            raise ConnectionError("redis unavailable")
        await self._client.publish(self._name(channel), payload)

    async def subscribe(self, channel: str) -> None:
        """Subscribe, and return once Redis has confirmed it (or is known to be away)."""
        self._channels.add(channel)
        pubsub = self._pubsub
        if pubsub is None:
            return  # re-subscribed with the others on reconnect, then RESUBSCRIBED
        name = self._name(channel)
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, []).append(waiter)
        try:
            await pubsub.subscribe(name)
            async with asyncio.timeout(_CONFIRM_TIMEOUT_S):
                await waiter
        except (RedisError, OSError, TimeoutError):
            log.warning("redis subscribe not confirmed; the reconnect will catch up")
        finally:
            waiters = self._waiting.get(name, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiting.pop(name, None)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.unsubscribe(self._name(channel))

    async def messages(self) -> AsyncIterator[tuple[str, bytes]]:
        backoff = _BACKOFF_START_S
        first = True
        while not self._closed:
            try:
                pubsub, expected = await self._open()
            except (RedisError, OSError) as exc:
                log.warning("redis unreachable, retrying in %.1f s (%s)", backoff, type(exc).__name__)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self._settings.backoff_cap_s)
                continue
            backoff = _BACKOFF_START_S
            try:
                async for item in self._read(pubsub, expected, announce=not first):
                    yield item
            except (RedisError, OSError) as exc:
                if not self._closed:
                    log.warning("redis connection lost (%s); reconnecting", type(exc).__name__)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if not self._closed:
                first = False
                self.reconnects += 1
                await self._sleep(backoff)

    async def _open(self) -> tuple[PubSub, int]:
        pubsub = Redis(connection_pool=self._listen_pool).pubsub()
        names = [self._name(c) for c in sorted(self._channels)] or [self._prefix + b"keepalive"]
        try:
            await pubsub.subscribe(*names)
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        self._pubsub = pubsub
        return pubsub, len(names)

    async def _read(self, pubsub: PubSub, expected: int, announce: bool) -> AsyncIterator[tuple[str, bytes]]:
        prefix = len(self._prefix)
        while not self._closed:
            message: dict[str, Any] | None = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            kind = message["type"]
            kind = kind.decode() if isinstance(kind, bytes) else kind
            if kind == "message":
                yield message["channel"][prefix:].decode(), message["data"]
            elif kind == "subscribe":
                for waiter in self._waiting.pop(message["channel"], []):
                    if not waiter.done():
                        waiter.set_result(None)
                if expected:
                    expected -= 1
                    if expected == 0 and announce:
                        yield RESUBSCRIBED, b""

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def ping(self) -> bool:
        if self._pubsub is None:
            return False
        return bool(await self._client.ping())

    async def aclose(self) -> None:
        self._closed = True
        self._wake.set()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._listen_pool.disconnect()
        await self._client.aclose()
        # A client given its pool does not close it: the pool's connections are closed here.
        await self._client.connection_pool.disconnect()


# Presence: one sorted set per room, members "session|process", scores their expiry in
# ms. Counting distinct sessions keeps two tabs on two processes one person.
_COUNT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local seen, n = {}, 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = string.match(m, '^[^|]+')
  if not seen[s] then seen[s] = true; n = n + 1 end
end
return {n, redis.call('ZCARD', KEYS[2])}
"""

# The `say` gate: the room's slow-mode wait, then the session's token bucket; Redis's own
# clock, so processes on machines whose clocks differ still agree.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slow_ms, burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if slow_ms > 0 then
  local wait = redis.call('PTTL', KEYS[2])
  if wait > 0 then return {1, wait} end
end
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
if tokens < 1 then return {2, math.ceil((1 - tokens) / rate * 1000)} end
redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if slow_ms > 0 then redis.call('SET', KEYS[2], '1', 'PX', slow_ms) end
return {0, 0}
"""


_UNAVAILABLE = (RedisError, OSError, ConnectionError, TimeoutError)


class RedisState:
    """Presence, duty and say limits in Redis, shared by every process.

    While Redis is away the chat goes on, in this process's own terms: limits are kept
    here, presence comes from this process's own people, and what this process holds is
    written back by the next `keep_alive` once Redis answers again.
    """

    def __init__(self, settings: RedisSettings, client: Redis) -> None:
        self._settings = settings
        self._client = client
        self._p = settings.prefix
        self._process = uuid.uuid4().hex[:12]
        self._here: dict[str, set[str]] = {}  # room -> sessions present through this process
        self._local = MemoryState(settings.duty_grace_s)  # stands in while Redis is away
        self._last_counts: dict[str, tuple[int, int]] = {}
        self._count = client.register_script(_COUNT)
        self._admit = client.register_script(_ADMIT)

    def _presence_key(self, room: str) -> str:
        return f"{self._p}:presence:{{{room}}}"

    def _duty_key(self, room: str) -> str:
        return f"{self._p}:duty:{{{room}}}"

    def _duty_of_key(self, session_id: str) -> str:
        return f"{self._p}:duty-of:{session_id}"

    def _expiry(self, ttl_s: float) -> int:
        return int((time.time() + ttl_s) * 1000)

    async def present(self, room: str, session_id: str) -> None:
        self._here.setdefault(room, set()).add(session_id)
        await self._local.present(room, session_id)
        with contextlib.suppress(*_UNAVAILABLE):
            await self._client.zadd(
                self._presence_key(room),
                {f"{session_id}|{self._process}": self._expiry(self._settings.presence_ttl_s)},
            )

    async def absent(self, room: str, session_id: str) -> None:
        sessions = self._here.get(room)
        if sessions is not None:
            sessions.discard(session_id)
            if not sessions:
                del self._here[room]
        await self._local.absent(room, session_id)
        with contextlib.suppress(*_UNAVAILABLE):
            await self._client.zrem(self._presence_key(room), f"{session_id}|{self._process}")

    async def set_duty(self, session_id: str, rooms: Iterable[str], on: bool) -> None:
        rooms = list(rooms)
        await self._local.set_duty(session_id, rooms, on)
        key = self._duty_of_key(session_id)
        grace_ms = int(self._settings.duty_grace_s * 1000)
        with contextlib.suppress(*_UNAVAILABLE):  # the hub's keep_alive writes it back later
            async with self._client.pipeline(transaction=False) as pipe:
                for room in rooms:
                    if on:
                        pipe.zadd(self._duty_key(room), {session_id: self._expiry(self._settings.duty_grace_s)})
                    else:
                        pipe.zrem(self._duty_key(room), session_id)
                if rooms:
                    if on:
                        pipe.sadd(key, *rooms)
                    else:
                        pipe.srem(key, *rooms)
                pipe.pexpire(key, grace_ms)
                await pipe.execute()

    async def duty_of(self, session_id: str) -> set[str]:
        try:
            members = await self._client.smembers(self._duty_of_key(session_id))
        except _UNAVAILABLE:
            return await self._local.duty_of(session_id)
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    async def counts(self, rooms: Iterable[str]) -> dict[str, tuple[int, int]]:
        rooms = list(rooms)
        now = str(int(time.time() * 1000))
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for room in rooms:
                    await self._count(keys=[self._presence_key(room), self._duty_key(room)], args=[now], client=pipe)
                results = await pipe.execute()
        except _UNAVAILABLE:
            # The last figures known, or this process's own people: better than nothing,
            # and a room that needs a helper stays open while its helper is still here.
            local = await self._local.counts(rooms)
            return {room: max(self._last_counts.get(room, (0, 0)), local[room]) for room in rooms}
        figures = {room: (int(r[0]), int(r[1])) for room, r in zip(rooms, results, strict=True)}
        self._last_counts.update(figures)
        return figures

    async def admit_say(
        self, session_id: str, room: str, slow_mode_s: float, burst: int, rate_per_s: float,
    ) -> Refusal | None:
        try:
            code, wait_ms = await self._admit(
                keys=[f"{self._p}:say:{{{session_id}}}", f"{self._p}:slow:{{{session_id}}}:{room}"],
                args=[int(slow_mode_s * 1000), burst, rate_per_s],
            )
        except _UNAVAILABLE:
            return await self._local.admit_say(session_id, room, slow_mode_s, burst, rate_per_s)
        if code == 0:
            return None
        return Refusal("slow_mode" if code == 1 else "rate_limited", int(wait_ms) / 1000)

    async def keep_alive(self, duty: dict[str, set[str]]) -> None:
        await self._local.keep_alive(duty)
        try:
            await self._refresh(duty)
        except _UNAVAILABLE:
            log.warning("redis unavailable: presence and duty kept in this process until it is back")

    async def _refresh(self, duty: dict[str, set[str]]) -> None:
        presence_until = self._expiry(self._settings.presence_ttl_s)
        duty_until = self._expiry(self._settings.duty_grace_s)
        grace_ms = int(self._settings.duty_grace_s * 1000)
        async with self._client.pipeline(transaction=False) as pipe:
            for room, sessions in self._here.items():
                if sessions:
                    pipe.zadd(self._presence_key(room), {f"{s}|{self._process}": presence_until for s in sessions})
            for session_id, rooms in duty.items():
                for room in rooms:
                    pipe.zadd(self._duty_key(room), {session_id: duty_until})
                pipe.sadd(self._duty_of_key(session_id), *rooms)
                pipe.pexpire(self._duty_of_key(session_id), grace_ms)
            await pipe.execute()

    async def aclose(self) -> None:
        """Take this process's people out of the rooms now rather than at expiry."""
        with contextlib.suppress(RedisError, OSError):
            async with self._client.pipeline(transaction=False) as pipe:
                for room, sessions in self._here.items():
                    if sessions:
                        pipe.zrem(self._presence_key(room), *[f"{s}|{self._process}" for s in sessions])
                await pipe.execute()
        self._here.clear()
