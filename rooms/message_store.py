"""The only SQL about messages: append in order, read history, erase and purge."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rooms.models import MessageRow, RoomRow
from rooms.records import StoredMessage, as_utc

__all__ = ["History", "MessageStore"]


@dataclass(frozen=True, slots=True)
class History:
    messages: list[StoredMessage]
    gap: bool


def _record(row: MessageRow) -> StoredMessage:
    return StoredMessage(
        room=row.room_slug, seq=row.seq, session_id=row.session_id, pseudonym=row.pseudonym,
        role=row.role, text=row.text, cw=row.cw, created_at=as_utc(row.created_at),
    )


class MessageStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        engine = sessions.kw.get("bind")
        assert isinstance(engine, AsyncEngine), "the sessionmaker is bound to an engine"
        self._engine = engine

    async def append(
        self, room: str, session_id: str, pseudonym: str, role: str, text: str, cw: str | None,
        now: datetime,
    ) -> StoredMessage:
        """Store a message under the room's next id.

        The counter is bumped in the same transaction as the insert: the row lock it takes
        makes concurrent writers of one room (in any process) commit in id order. Core
        statements on a plain connection: this runs once per message, and the ORM's unit
        of work costs more than the two statements themselves.
        """
        async with self._engine.begin() as db:
            seq = await db.scalar(
                update(RoomRow).where(RoomRow.slug == room)
                .values(last_seq=RoomRow.last_seq + 1).returning(RoomRow.last_seq)
            )
            if seq is None:
                raise LookupError(room)
            await db.execute(insert(MessageRow).values(
                room_slug=room, seq=seq, session_id=session_id, pseudonym=pseudonym, role=role,
                text=text, cw=cw, created_at=now, hidden=False,
            ))
        return StoredMessage(room, int(seq), session_id, pseudonym, role, text, cw, as_utc(now))

    async def history(self, room: str, since: int | None, latest: int, resume_max: int) -> History:
        """The latest messages, or exactly those after `since` when none was purged past it."""
        async with self._sessions() as db:
            state = (await db.execute(
                select(RoomRow.last_seq, RoomRow.purged_through).where(RoomRow.slug == room)
            )).one_or_none()
            if state is None:
                return History([], gap=since is not None)
            last_seq, purged_through = state
            if since is not None and purged_through <= since <= last_seq:
                rows = (await db.scalars(
                    select(MessageRow)
                    .where(MessageRow.room_slug == room, MessageRow.seq > since, MessageRow.hidden.is_(False))
                    .order_by(MessageRow.seq).limit(resume_max + 1)
                )).all()
                if len(rows) <= resume_max:
                    return History([_record(r) for r in rows], gap=False)
            rows = (await db.scalars(
                select(MessageRow).where(MessageRow.room_slug == room, MessageRow.hidden.is_(False))
                .order_by(MessageRow.seq.desc()).limit(latest)
            )).all()
            return History([_record(r) for r in reversed(rows)], gap=since is not None)

    async def around(
        self, room: str, seq: int | None, before: int, after: int,
    ) -> tuple[list[StoredMessage], list[StoredMessage]]:
        """What a helper reads around a message: up to `before` shown messages before `seq` and
        `after` after it, oldest first (`seq` None: the room's latest, before nothing)."""
        async with self._sessions() as db:
            shown = (MessageRow.room_slug == room, MessageRow.hidden.is_(False))
            earlier = select(MessageRow).where(*shown)
            if seq is not None:
                earlier = earlier.where(MessageRow.seq < seq)
            rows_before = (await db.scalars(earlier.order_by(MessageRow.seq.desc()).limit(before))).all()
            rows_after: Sequence[MessageRow] = []
            if seq is not None and after > 0:
                rows_after = (await db.scalars(
                    select(MessageRow).where(*shown, MessageRow.seq > seq).order_by(MessageRow.seq).limit(after)
                )).all()
            return [_record(r) for r in reversed(rows_before)], [_record(r) for r in rows_after]

    async def last_seq(self, room: str) -> int:
        """The room's counter: every id up to it is committed (or was rolled back for good)."""
        async with self._sessions() as db:
            return int(await db.scalar(select(RoomRow.last_seq).where(RoomRow.slug == room)) or 0)

    async def last_seqs(self) -> dict[str, int]:
        async with self._sessions() as db:
            return {slug: int(seq) for slug, seq in (await db.execute(select(RoomRow.slug, RoomRow.last_seq))).all()}

    async def get(self, room: str, seq: int) -> StoredMessage | None:
        async with self._sessions() as db:
            row = await db.get(MessageRow, (room, seq))
            return None if row is None else _record(row)

    async def set_hidden(self, room: str, seq: int, hidden: bool) -> StoredMessage | None:
        """Hide a message from every history (or show it again); None when it is gone."""
        async with self._sessions.begin() as db:
            row = await db.get(MessageRow, (room, seq))
            if row is None:
                return None
            row.hidden = hidden
            return _record(row)

    async def erase_session(self, session_id: str) -> dict[str, list[int]]:
        """Delete every message of a session; returns the ids removed, per room."""
        async with self._sessions.begin() as db:
            rows = (await db.execute(
                delete(MessageRow).where(MessageRow.session_id == session_id)
                .returning(MessageRow.room_slug, MessageRow.seq)
            )).all()
        removed: dict[str, list[int]] = defaultdict(list)
        for room, seq in rows:
            removed[room].append(seq)
        return {room: sorted(seqs) for room, seqs in removed.items()}

    async def purge_expired(self, now: datetime) -> dict[str, list[int]]:
        """Really delete what is past each room's retention; returns the ids removed, per room."""
        removed: dict[str, list[int]] = {}
        async with self._sessions.begin() as db:
            rooms = (await db.execute(select(RoomRow.slug, RoomRow.retention_s))).all()
            for slug, retention_s in rooms:
                cutoff = now - timedelta(seconds=retention_s)
                seqs = sorted((await db.scalars(
                    delete(MessageRow)
                    .where(MessageRow.room_slug == slug, MessageRow.created_at < cutoff)
                    .returning(MessageRow.seq)
                )).all())
                if seqs:
                    removed[slug] = seqs
                    await db.execute(
                        update(RoomRow).where(RoomRow.slug == slug)
                        .values(purged_through=case(
                            (RoomRow.purged_through < seqs[-1], seqs[-1]),
                            else_=RoomRow.purged_through,
                        ))
                    )
        return removed
