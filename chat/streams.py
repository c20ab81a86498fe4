"""Rooms' live streams in this process: subscriptions, ordering, joiners, and the fan-out.

One broker subscription per room per process, taken with the first local member (or
joiner) and dropped after the last. Every message frame travels in an envelope
`"<id> <published at>\\n<frame>"`: the listener splits it once, puts the room's frames in
id order (`Sequencer`), and offers the same string to every local member. A joiner's
frames wait in its own buffer until its `joined` (with the history) is out, so history
and live stream meet with no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chat.broker import Broker
from chat.connection import Connection
from chat.metrics import HubMetrics
from chat.sequencer import Frame, Sequencer
from rooms.message_store import MessageStore
from rooms.records import StoredMessage

__all__ = ["ROOM_PREFIX", "RoomStreams"]

log = logging.getLogger(__name__)

ROOM_PREFIX = "room:"
_CATCH_UP_MAX = 2000


def envelope(seq: int, text: str) -> bytes:
    return f"{seq} {time.time():.6f}\n{text}".encode()


@dataclass(eq=False)
class _Stream:
    order: Sequencer = field(default_factory=Sequencer)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    members: set[Connection] = field(default_factory=set)
    pending: dict[Connection, list[Frame]] = field(default_factory=dict)
    filling: asyncio.Task[None] | None = None


class RoomStreams:
    def __init__(
        self, broker: Broker, messages: MessageStore, render: Callable[[StoredMessage], str],
        metrics: HubMetrics, reorder_grace_s: float = 0.1,
    ) -> None:
        self._broker = broker
        self._messages = messages
        self._render = render
        self._metrics = metrics
        self._grace_s = reorder_grace_s
        self._streams: dict[str, _Stream] = {}
        self._outbox: list[tuple[str, bytes]] = []  # events that could not be published yet
        self._behind: dict[str, int] = {}  # room -> our last id when the database was seen ahead

    def members(self, room: str) -> set[Connection]:
        stream = self._streams.get(room)
        return stream.members if stream is not None else set()

    def rooms(self) -> list[str]:
        return [room for room, s in self._streams.items() if s.members]

    # -- joining and leaving ---------------------------------------------------------------

    async def open(self, room: str, conn: Connection) -> None:
        """Start buffering the room's frames for a joiner; returns once the stream is live."""
        stream = self._streams.get(room)
        if stream is None:
            stream = self._streams[room] = _Stream()
            stream.pending[conn] = []
            try:
                await self._broker.subscribe(ROOM_PREFIX + room)
                baseline = await self._messages.last_seq(room)
            except BaseException:
                stream.pending.pop(conn, None)
                stream.ready.set()
                await self._drop_if_unused(room, stream)
                raise
            self._emit(stream, stream.order.start(baseline))
            stream.ready.set()
            self._metrics.room_subscriptions.inc()
            return
        stream.pending[conn] = []
        await stream.ready.wait()

    def admit(self, room: str, conn: Connection, seen: int) -> None:
        """After `joined`: what arrived meanwhile and is newer than the history goes out, then live."""
        stream = self._streams[room]
        for seq, text in stream.pending.pop(conn, []):
            if seq == 0 or seq > seen:
                conn.offer(text)
        stream.members.add(conn)

    async def abandon(self, room: str, conn: Connection) -> None:
        stream = self._streams.get(room)
        if stream is not None:
            stream.pending.pop(conn, None)
            await self._drop_if_unused(room, stream)

    async def leave(self, room: str, conn: Connection) -> bool:
        stream = self._streams.get(room)
        if stream is None or conn not in stream.members:
            return False
        stream.members.discard(conn)
        await self._drop_if_unused(room, stream)
        return True

    async def _drop_if_unused(self, room: str, stream: _Stream) -> None:
        if stream.members or stream.pending or self._streams.get(room) is not stream:
            return
        del self._streams[room]
        if stream.filling is not None:
            stream.filling.cancel()
        if stream.order.last is not None:
            self._metrics.room_subscriptions.dec()
        with contextlib.suppress(ConnectionError, OSError):
            await self._broker.unsubscribe(ROOM_PREFIX + room)

    # -- publishing ---------------------------------------------------------------------------

    async def publish(self, room: str, seq: int, text: str) -> None:
        """A stored message: to every process; if the broker is away, at least to this one."""
        self._metrics.published.inc()
        payload = envelope(seq, text)
        try:
            await self._broker.publish(ROOM_PREFIX + room, payload)
        except (ConnectionError, OSError, TimeoutError) as exc:
            # Stored and acknowledged: other processes read it back when they catch up.
            log.warning("message not published (%s); local delivery only", type(exc).__name__)
            self.hear(room, payload)

    async def publish_event(self, room: str, text: str) -> None:
        """A frame that is not a message (hidden, ...): no id, kept for later when undeliverable."""
        payload = envelope(0, text)
        if not await self.publish_or_keep(ROOM_PREFIX + room, payload):
            self.hear(room, payload)

    async def publish_or_keep(self, channel: str, payload: bytes) -> bool:
        """Publish; when the broker is away, keep it for `flush_outbox` and say so (False)."""
        try:
            await self._broker.publish(channel, payload)
        except (ConnectionError, OSError, TimeoutError):
            self._outbox.append((channel, payload))
            return False
        return True

    async def flush_outbox(self) -> None:
        outbox, self._outbox = self._outbox, []
        for i, (channel, payload) in enumerate(outbox):
            try:
                await self._broker.publish(channel, payload)
            except (ConnectionError, OSError, TimeoutError):
                self._outbox = outbox[i:] + self._outbox
                return

    # -- hearing -----------------------------------------------------------------------------

    def hear(self, room: str, payload: bytes) -> None:
        """A frame from the broker. Never awaits: ordering gaps are filled by a task."""
        stream = self._streams.get(room)
        if stream is None:
            return
        head, _, text = payload.decode().partition("\n")
        seq_text, _, sent_at = head.partition(" ")
        seq = int(seq_text)
        if sent_at:
            self._metrics.fanout_latency.observe(max(0.0, time.time() - float(sent_at)))
        if seq == 0:
            self._emit(stream, [(0, text)])
            return
        self._emit(stream, stream.order.push(seq, text))
        if stream.order.wanted() is not None and stream.filling is None:
            stream.filling = asyncio.get_running_loop().create_task(self._fill(room, stream, self._grace_s))

    def _emit(self, stream: _Stream, frames: list[Frame]) -> None:
        if not frames:
            return
        for buffer in stream.pending.values():
            buffer.extend(frames)
        members = stream.members
        for _, text in frames:
            for conn in members:
                conn.offer(text)
        self._metrics.deliveries.inc(len(members) * len(frames))

    async def _fill(self, room: str, stream: _Stream, grace_s: float) -> None:
        """A gap: give the missing frame a moment to arrive, then read it from the database."""
        try:
            await asyncio.sleep(grace_s)
            while (wanted := stream.order.wanted()) is not None:
                after, upto = wanted
                found = await self._read(room, after, upto)
                self._emit(stream, stream.order.fill(found, upto))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not fill a gap in a room's stream")
        finally:
            stream.filling = None

    async def _read(self, room: str, after: int, upto: int | None) -> list[Frame]:
        history = await self._messages.history(room, after, 0, _CATCH_UP_MAX)
        return [(m.seq, self._render(m)) for m in history.messages if upto is None or m.seq <= upto]

    async def catch_up(self, rooms_last: dict[str, int] | None = None) -> None:
        """After a broker outage (every room), or for rooms the database shows ahead of us.

        With `rooms_last` (the database's counters, read every few seconds) a room is read
        back only when it was already behind at the previous look and has not moved since:
        a publication in flight is not a loss, a process that died between its commit and
        its publication is.
        """
        behind, self._behind = self._behind, {}
        for room, stream in list(self._streams.items()):
            last = stream.order.last
            if last is None or stream.filling is not None:
                continue
            if rooms_last is not None:
                if rooms_last.get(room, 0) <= last:
                    continue
                if behind.get(room) != last:
                    self._behind[room] = last
                    continue
            try:
                found = await self._read(room, last, None)
            except Exception:
                log.exception("could not catch up a room's stream")
                continue
            if self._streams.get(room) is stream:
                self._emit(stream, stream.order.fill(found, None))
