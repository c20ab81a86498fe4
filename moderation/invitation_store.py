"""The only SQL about links that create accounts: helper invitations and the first-admin setup link.

Both are used at most once, even when two people click at the same instant: using one is
a conditional UPDATE or DELETE whose row count says who won, in the same transaction as
the account it creates.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.account_store import check_rooms, insert_account
from moderation.accounts import AccountError, AccountRecord, InvitationRecord
from moderation.audit import AuditEntry
from moderation.staff_models import AccountRow, InvitationRow, SetupTokenRow
from rooms.models import RoomRow
from rooms.records import as_utc

__all__ = ["InvitationStore"]

_SETUP_ROW = 1



def _record(row: InvitationRow) -> InvitationRecord:
    return InvitationRecord(
        id=row.id, role=row.role, rooms=None if row.all_rooms else frozenset(json.loads(row.rooms)),
        created_by=row.created_by, created_at=as_utc(row.created_at), expires_at=as_utc(row.expires_at),
        used_at=None if row.used_at is None else as_utc(row.used_at), used_by=row.used_by,
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
    )


def _count(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


class InvitationStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # -- invitations ---------------------------------------------------------------------------

    async def create(
        self, invitation_id: str, token_hash: str, role: str, rooms: frozenset[str] | None, created_by: str,
        now: datetime, expires_at: datetime, audit: Sequence[AuditEntry] = (),
    ) -> InvitationRecord:
        row = InvitationRow(
            id=invitation_id, token_hash=token_hash, role=role, all_rooms=rooms is None,
            rooms=json.dumps(sorted(rooms or ())), created_by=created_by, created_at=now, expires_at=expires_at,
        )
        async with self._sessions.begin() as db:
            await check_rooms(db, rooms)
            db.add(row)
            db.add_all(entry.row() for entry in audit)
        return _record(row)

    async def pending(self, token_hash: str, now: datetime) -> InvitationRecord | None:
        """The invitation of this link if it can still be used."""
        async with self._sessions() as db:
            row = await db.scalar(select(InvitationRow).where(InvitationRow.token_hash == token_hash))
        if row is None:
            return None
        record = _record(row)
        return record if record.state(now) == "pending" else None

    async def recent(self, limit: int = 100) -> list[InvitationRecord]:
        async with self._sessions() as db:
            rows = (await db.scalars(
                select(InvitationRow).order_by(InvitationRow.created_at.desc()).limit(limit)
            )).all()
        return [_record(r) for r in rows]

    async def revoke(self, invitation_id: str, now: datetime, audit: Sequence[AuditEntry] = ()) -> bool:
        async with self._sessions.begin() as db:
            done = _count(await db.execute(
                update(InvitationRow)
                .where(InvitationRow.id == invitation_id, InvitationRow.used_at.is_(None),
                       InvitationRow.revoked_at.is_(None))
                .values(revoked_at=now)
            ))
            if done:
                db.add_all(entry.row() for entry in audit)
        return bool(done)

    async def accept(
        self, token_hash: str, username: str, password_hash: str, now: datetime,
        audit: Sequence[AuditEntry] = (),
    ) -> AccountRecord:
        """Use the invitation: its account, created at once. 403 invalid_link, 409 username_taken."""
        try:
            async with self._sessions.begin() as db:
                row = await db.scalar(select(InvitationRow).where(InvitationRow.token_hash == token_hash))
                if row is None or _record(row).state(now) != "pending":
                    raise AccountError(403, "invalid_link")
                won = _count(await db.execute(
                    update(InvitationRow)
                    .where(InvitationRow.id == row.id, InvitationRow.used_at.is_(None),
                           InvitationRow.revoked_at.is_(None))
                    .values(used_at=now, used_by=username)
                ))
                if not won:
                    raise AccountError(403, "invalid_link")
                invited = _record(row)
                rooms = invited.rooms
                if rooms is not None:
                    # Rooms archived since the invitation are simply left out.
                    rooms = await self._still_active(db, rooms)
                account = await insert_account(db, username, password_hash, invited.role, rooms, now)
                db.add_all(entry.row() for entry in audit)
        except IntegrityError:
            raise AccountError(409, "username_taken") from None
        return account

    @staticmethod
    async def _still_active(db: AsyncSession, rooms: frozenset[str]) -> frozenset[str]:
        found = await db.scalars(
            select(RoomRow.slug).where(RoomRow.slug.in_(sorted(rooms)), RoomRow.archived.is_(False))
        )
        return frozenset(found.all())

    # -- the first admin's setup link ----------------------------------------------------------

    async def new_setup_link(self, token_hash: str, now: datetime, expires_at: datetime) -> bool:
        """Store a new setup link, replacing any earlier one; False when an admin already exists."""
        async with self._sessions.begin() as db:
            if await self._admin_exists(db):
                return False
            await db.execute(delete(SetupTokenRow))
            db.add(SetupTokenRow(id=_SETUP_ROW, token_hash=token_hash, created_at=now, expires_at=expires_at))
        return True

    async def setup_link_valid(self, token_hash: str, now: datetime) -> bool:
        async with self._sessions() as db:
            row = await db.get(SetupTokenRow, _SETUP_ROW)
            return (
                row is not None and secrets.compare_digest(row.token_hash, token_hash)
                and as_utc(row.expires_at) > now and not await self._admin_exists(db)
            )

    async def use_setup_link(
        self, token_hash: str, username: str, password_hash: str, now: datetime, audit: Sequence[AuditEntry] = ()
    ) -> AccountRecord:
        """Create the first admin with the setup link, which then stops working."""
        try:
            async with self._sessions.begin() as db:
                used = _count(await db.execute(
                    delete(SetupTokenRow).where(
                        SetupTokenRow.id == _SETUP_ROW, SetupTokenRow.token_hash == token_hash,
                        SetupTokenRow.expires_at > now,
                    )
                ))
                if not used or await self._admin_exists(db):
                    raise AccountError(403, "invalid_link")
                account = await insert_account(db, username, password_hash, "admin", None, now)
                db.add_all(entry.row() for entry in audit)
        except IntegrityError:
            raise AccountError(409, "username_taken") from None
        return account

    @staticmethod
    async def _admin_exists(db: AsyncSession) -> bool:
        found = await db.scalar(
            select(func.count()).select_from(AccountRow)
            .where(AccountRow.role == "admin", AccountRow.disabled_at.is_(None))
        )
        return bool(found)
