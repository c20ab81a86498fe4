"""The periodic purge: messages past their room's retention, and idle sessions, really deleted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from moderation.private_rooms import PrivateRoomStore
from moderation.queue import QueueStore
from rooms.message_store import MessageStore
from rooms.session_store import SessionStore

__all__ = ["Purger"]

log = logging.getLogger(__name__)


class Purger:
    def __init__(
        self, messages: MessageStore, sessions: SessionStore, interval_s: float, session_idle_days: int,
        now: Callable[[], datetime], live_session_ids: Callable[[], list[str]],
        private_rooms: PrivateRoomStore | None = None, queue: QueueStore | None = None,
    ) -> None:
        self._private = private_rooms
        self._queue = queue
        self._messages = messages
        self._sessions = sessions
        self._interval_s = interval_s
        self._idle = timedelta(days=session_idle_days)
        self._now = now
        self._live = live_session_ids

    async def purge_once(self) -> int:
        now = self._now()
        removed = await self._messages.purge_expired(now)
        # A tête-à-tête that ended longer ago than its retention goes whole: room, record, messages.
        ended = 0 if self._private is None else await self._private.purge_ended(now)
        # Queue items go with their messages; crisis items keep their ids, 90 days at most.
        items = 0 if self._queue is None else await self._queue.expire(now)
        # Connected sessions are in use even if they never say hello again.
        await self._sessions.touch(self._live(), now)
        forgotten = await self._sessions.purge_idle(now - self._idle)
        count = sum(len(ids) for ids in removed.values())
        if count or forgotten or ended or items:
            log.info("retention purge", extra={
                "messages": count, "sessions": forgotten, "private_rooms": ended, "queue_items": items,
            })
        return count

    async def run(self) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception:
                log.exception("retention purge failed; retrying at the next interval")
            await asyncio.sleep(self._interval_s)
