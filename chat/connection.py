"""One client's websocket as the hub sees it: frames written at once, or queued behind a slow one.

The hub never awaits a client. It calls `offer(text)`, which returns at once. While the
client keeps up, the frame is written on the spot: the send coroutine is run as far as it
goes without waiting (with uvicorn it completes at once while the socket is writable), so
fan-out costs no task switch per recipient (what `websockets.broadcast` does, through ASGI).
When a send would wait, the rest of it moves to a writer task and later frames queue
behind it, bounded: a client whose queue is full is too slow to follow the room and is
cut off with 4009, so a phone in a tunnel can never slow the people it shares a room with.
An idle connection has no task and an empty queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Protocol

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
        "__weakref__", "_close_code", "_closer", "_limit", "_on_overflow", "_queue", "_writer", "rooms",
        "session", "state", "transport",
    )

    def __init__(self, transport: Transport, queue_size: int, on_overflow: Callable[[], None] | None = None) -> None:
        self.transport = transport
        self._on_overflow = on_overflow
        self.session: object | None = None  # set by the hub after hello
        self.rooms: set[str] = set()
        self.state = ConnectionState.OPEN
        self._queue: deque[object] = deque()
        self._limit = queue_size
        self._close_code = 1000
        self._writer: asyncio.Task[None] | None = None  # only while a send waits or frames are queued
        self._closer: asyncio.Task[None] | None = None

    def offer(self, text: str) -> bool:
        """Send or queue a frame without waiting; False (and the connection closing) when it cannot keep up."""
        if self.state is not ConnectionState.OPEN:
            return False
        if self._writer is None:
            return self._send_now(text)
        if len(self._queue) >= self._limit:
            log.warning("send queue overflow: closing a slow reader", extra={"close_code": CLOSE_TOO_SLOW})
            if self._on_overflow is not None:
                self._on_overflow()
            self._abort(CLOSE_TOO_SLOW)
            return False
        self._queue.append(text)
        return True

    def _send_now(self, text: str) -> bool:
        send = self.transport.send_text(text)
        try:
            waiting = send.send(None)
        except StopIteration:
            return True
        except Exception:  # noqa: BLE001 - a peer that vanished mid-send is not an error of ours
            self.state = ConnectionState.CLOSED
            return False
        # The socket is not writable now: the rest of this send, and what follows, waits in a task.
        self._writer = asyncio.get_running_loop().create_task(self._write(_Resumed(send, waiting)))
        return True

    def close_after_queue(self, code: int) -> None:
        """Close once what is already queued has been sent (an error frame, say)."""
        if self.state is not ConnectionState.OPEN:
            return
        self.state = ConnectionState.CLOSING
        self._close_code = code
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write(None))
        else:
            self._queue.append(_CLOSE)

    def _abort(self, code: int) -> None:
        """Close now, dropping what is queued: used when the reader cannot keep up."""
        self.state = ConnectionState.CLOSING
        self._close_code = code
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
        self._closer = asyncio.get_running_loop().create_task(self._close_transport())

    async def _close_transport(self) -> None:
        with contextlib.suppress(Exception):
            await self.transport.close(self._close_code)
        self.state = ConnectionState.CLOSED

    async def _write(self, first: _Resumed | None) -> None:
        queue, send = self._queue, self.transport.send_text
        try:
            if first is not None:
                await first
            while queue:
                item = queue.popleft()
                if item is _CLOSE:
                    break
                assert isinstance(item, str)
                await send(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a peer that vanished mid-send is not an error of ours
            self.state = ConnectionState.CLOSED
            return
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None
        if self.state is ConnectionState.CLOSING:
            await self._close_transport()

    async def finish(self, grace_s: float = 2.0) -> None:
        """After the receive loop: let a pending close go out, then leave no task behind."""
        writer = self._writer
        if self.state is ConnectionState.CLOSING and writer is not None and not writer.done():
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(writer), grace_s)
        self.state = ConnectionState.CLOSED
        for task in (self._writer, self._closer):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._queue.clear()


class _Resumed:
    """A send coroutine stopped at its first wait, awaitable from where it stopped."""

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        # Hand the future it waits on to the event loop, then go on running the coroutine:
        # what `await coro` would have done had it been awaited from the start.
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # noqa: BLE001 - thrown into the send, which decides
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
