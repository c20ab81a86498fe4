"""The broker interface, and the in-memory broker of the embedded default.

A broker moves opaque bytes on named channels between the processes of a deployment.
The hub names channels and decides who subscribes; a backend only carries bytes. The
in-memory broker carries bytes too, never live objects, so one process takes exactly the
serialisation path that Redis imposes on many.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

__all__ = ["Broker", "MemoryBroker"]


class Broker(Protocol):
    #: True when several processes can share this broker.
    shared: bool

    async def publish(self, channel: str, payload: bytes) -> None: ...

    async def subscribe(self, channel: str) -> None: ...

    async def unsubscribe(self, channel: str) -> None: ...

    def messages(self) -> AsyncIterator[tuple[str, bytes]]: ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


class MemoryBroker:
    """Pub/sub inside one process: what this process subscribed to comes back to it."""

    shared = False

    def __init__(self) -> None:
        self._subscribed: set[str] = set()
        # Unbounded on purpose: it holds one entry per published message, drained by the
        # hub's listener at once; the per-connection queues are where limits apply.
        self._queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue()
        self._closed = False

    async def publish(self, channel: str, payload: bytes) -> None:
        if self._closed:
            raise ConnectionError("broker closed")
        if channel in self._subscribed:
            self._queue.put_nowait((channel, payload))

    async def subscribe(self, channel: str) -> None:
        self._subscribed.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._subscribed.discard(channel)

    async def messages(self) -> AsyncIterator[tuple[str, bytes]]:
        while (item := await self._queue.get()) is not None:
            yield item

    async def ping(self) -> bool:
        return not self._closed

    async def aclose(self) -> None:
        self._closed = True
        self._queue.put_nowait(None)
