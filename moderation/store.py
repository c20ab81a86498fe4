"""The only SQL of moderation: reports and sanctions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.models import ReportRow, SanctionRow
from rooms.records import as_utc

__all__ = ["ModerationStore", "Sanction"]


@dataclass(frozen=True, slots=True)
class Sanction:
    kind: str  # "mute" or "ban"
    room: str | None
    until: datetime | None




class ModerationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_report(
        self, room: str, message_seq: int, reporter_session_id: str, reason: str, now: datetime
    ) -> bool:
        """Store a report; False when this session had already reported this message."""
        try:
            async with self._sessions.begin() as db:
                db.add(ReportRow(
                    room_slug=room, message_seq=message_seq, reporter_session_id=reporter_session_id,
                    reason=reason, created_at=now,
                ))
        except IntegrityError:
            return False
        return True

    async def count_reports(self, room: str, message_seq: int) -> int:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(ReportRow.id).where(ReportRow.room_slug == room, ReportRow.message_seq == message_seq)
            )
            return len(rows.all())

    async def add_sanction(
        self, session_id: str, room: str | None, kind: str, until: datetime | None, now: datetime
    ) -> None:
        async with self._sessions.begin() as db:
            db.add(SanctionRow(session_id=session_id, room_slug=room, kind=kind, until=until, created_at=now))

    async def recent_ban(self, room: str, since: datetime) -> bool:
        """Whether anyone was banned from this room since then (ban evasion: see docs/moderation.md)."""
        async with self._sessions() as db:
            found = await db.scalar(
                select(SanctionRow.id).where(
                    SanctionRow.kind == "ban", SanctionRow.room_slug == room, SanctionRow.created_at > since,
                ).limit(1)
            )
            return found is not None

    async def active_sanctions(self, session_id: str, now: datetime) -> list[Sanction]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(SanctionRow).where(
                    SanctionRow.session_id == session_id,
                    or_(SanctionRow.until.is_(None), SanctionRow.until > now),
                )
            )
            return [Sanction(r.kind, r.room_slug, None if r.until is None else as_utc(r.until)) for r in rows]
