"""One client's websocket as the hub sees it: a bounded send queue drained by its own task.

The hub never awaits a client. It calls `offer(text)`, which enqueues without waiting; a
client whose queue is full is too slow to follow the room and is cut off with 4009,
so a phone in a tunnel can never slow the people it shares a room with.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from typing import Protocol

__all__ = ["CLOSE_TOO_SLOW", "Connection", "ConnectionState", "Transport"]

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4009


class Transport(Protocol):
    """What the hub needs of a websocket; the web layer adapts Starlette's to it."""

    async def receive(self) -> str | bytes | None:
        """The next frame; None once the peer has gone."""

    async def send_text(self, text: str) -> None: ...

    async def close(self, code: int, reason: str = "") -> None: ...


class ConnectionState(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


_CLOSE = object()


class Connection:
    __slots__ = (
        "__weakref__", "_close_code", "_on_overflow", "_queue", "_writer", "rooms", "session", "state", "transport",
    )

    def __init__(self, transport: Transport, queue_size: int, on_overflow: Callable[[], None] | None = None) -> None:
        self.transport = transport
        self._on_overflow = on_overflow
        self.session: object | None = None  # set by the hub after hello
        self.rooms: set[str] = set()
        self.state = ConnectionState.OPEN
        self._queue: asyncio.Queue[object] = asyncio.Queue(queue_size)
        self._close_code = 1000
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def offer(self, text: str) -> bool:
        """Queue a frame without waiting; False (and the connection closing) when it is full."""
        if self.state is not ConnectionState.OPEN:
            return False
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("send queue overflow: closing a slow reader", extra={"close_code": CLOSE_TOO_SLOW})
            if self._on_overflow is not None:
                self._on_overflow()
            self._abort(CLOSE_TOO_SLOW)
            return False
        return True

    def close_after_queue(self, code: int) -> None:
        """Close once what is already queued has been sent (an error frame, say)."""
        if self.state is ConnectionState.OPEN:
            self.state = ConnectionState.CLOSING
            self._close_code = code
            try:
                self._queue.put_nowait(_CLOSE)
            except asyncio.QueueFull:
                self._abort(code)

    def _abort(self, code: int) -> None:
        """Close now, dropping what is queued: used when the reader cannot keep up."""
        self.state = ConnectionState.CLOSING
        self._close_code = code
        self._writer.cancel()
        asyncio.get_running_loop().create_task(self._close_transport())

    async def _close_transport(self) -> None:
        with contextlib.suppress(Exception):
            await self.transport.close(self._close_code)
        self.state = ConnectionState.CLOSED

    async def _write(self) -> None:
        queue, send = self._queue, self.transport.send_text
        try:
            while True:
                item = await queue.get()
                if item is _CLOSE:
                    break
                assert isinstance(item, str)
                await send(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a peer that vanished mid-send is not an error of ours
            self.state = ConnectionState.CLOSED
            return
        await self._close_transport()

    async def finish(self, grace_s: float = 2.0) -> None:
        """After the receive loop: let a pending close go out, then leave no task behind."""
        if self.state is ConnectionState.CLOSING and not self._writer.done():
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._writer), grace_s)
        self.state = ConnectionState.CLOSED
        if not self._writer.done():
            self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
