"""The only SQL about anonymous sessions and the pseudonyms they hold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.models import PeerSessionRow, PseudonymRow
from rooms.records import SessionRecord

__all__ = ["SessionStore"]


class SessionStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, session_id: str, token_hash: str, role: str, locale: str, now: datetime
    ) -> SessionRecord:
        async with self._sessions.begin() as db:
            db.add(PeerSessionRow(
                id=session_id, token_hash=token_hash, role=role, locale=locale, created_at=now,
                last_seen_at=now,
            ))
        return SessionRecord(session_id, role, locale, {}, now)

    async def resume(self, token_hash: str, locale: str, now: datetime, idle_before: datetime) -> SessionRecord | None:
        """The session of a token, unless it is unknown or idle past expiry; marks it seen."""
        async with self._sessions.begin() as db:
            row = await db.scalar(select(PeerSessionRow).where(PeerSessionRow.token_hash == token_hash))
            if row is None:
                return None
            last_seen = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=now.tzinfo)
            if last_seen < idle_before:
                return None
            row.last_seen_at = now
            row.locale = locale
            held = (await db.execute(
                select(PseudonymRow.room_slug, PseudonymRow.pseudonym)
                .where(PseudonymRow.session_id == row.id, PseudonymRow.current.is_(True))
            )).all()
            return SessionRecord(row.id, row.role, locale, {room: name for room, name in held}, row.created_at)

    async def touch(self, session_ids: list[str], now: datetime) -> None:
        if session_ids:
            async with self._sessions.begin() as db:
                await db.execute(
                    update(PeerSessionRow).where(PeerSessionRow.id.in_(session_ids))
                    .values(last_seen_at=now)
                )

    async def hold_pseudonym(
        self, room: str, session_id: str, pseudonym: str, norm: str, now: datetime
    ) -> bool:
        """Make `pseudonym` the session's name in the room; False when another session holds it.

        Names a session held before stay reserved to it, so nobody can take the name that
        its earlier messages carry.
        """
        try:
            async with self._sessions.begin() as db:
                mine = (await db.scalars(
                    select(PseudonymRow).where(
                        PseudonymRow.room_slug == room, PseudonymRow.session_id == session_id
                    )
                )).all()
                for row in mine:
                    row.current = False
                existing = next((row for row in mine if row.norm == norm), None)
                if existing is not None:
                    existing.current = True
                    existing.pseudonym = pseudonym
                else:
                    db.add(PseudonymRow(
                        room_slug=room, session_id=session_id, pseudonym=pseudonym, norm=norm,
                        current=True, created_at=now,
                    ))
        except IntegrityError:
            return False
        return True

    async def purge_idle(self, idle_before: datetime) -> int:
        """Forget sessions unused since `idle_before`, and the pseudonyms they held."""
        async with self._sessions.begin() as db:
            ids = (await db.scalars(
                select(PeerSessionRow.id).where(PeerSessionRow.last_seen_at < idle_before)
            )).all()
            if ids:
                await db.execute(delete(PseudonymRow).where(PseudonymRow.session_id.in_(ids)))
                await db.execute(delete(PeerSessionRow).where(PeerSessionRow.id.in_(ids)))
            return len(ids)
