"""The only SQL about staff accounts and their login sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.accounts import AccountError, AccountRecord, StaffRecord
from moderation.audit import AuditEntry
from moderation.staff_models import AccountRoomRow, AccountRow, InvitationRow, StaffSessionRow
from rooms.models import PeerSessionRow, PseudonymRow, RoomRow
from rooms.records import as_utc

__all__ = ["AccountStore", "check_rooms", "insert_account"]

# A login used over HTTP is marked seen at most this often: not one write per request.
_TOUCH_EVERY = timedelta(seconds=60)



def _maybeas_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def _record(row: AccountRow, rooms: Iterable[str]) -> AccountRecord:
    return AccountRecord(
        id=row.id, username=row.username, role=row.role,
        rooms=None if row.all_rooms or row.role == "admin" else frozenset(rooms),
        created_at=as_utc(row.created_at), disabled_at=_maybeas_utc(row.disabled_at),
        last_login_at=_maybeas_utc(row.last_login_at),
    )


async def _rooms_of(db: AsyncSession, account_ids: Sequence[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {i: set() for i in account_ids}
    if account_ids:
        rows = await db.execute(
            select(AccountRoomRow.account_id, AccountRoomRow.room_slug)
            .where(AccountRoomRow.account_id.in_(account_ids))
        )
        for account_id, slug in rows:
            out[account_id].add(slug)
    return out


async def check_rooms(db: AsyncSession, rooms: frozenset[str] | None) -> None:
    if not rooms:
        return
    known = set((await db.scalars(
        select(RoomRow.slug).where(RoomRow.slug.in_(sorted(rooms)), RoomRow.archived.is_(False))
    )).all())
    missing = sorted(rooms - known)
    if missing:
        raise AccountError(400, "unknown_room", rooms=missing)


async def insert_account(
    db: AsyncSession, username: str, password_hash: str, role: str, rooms: frozenset[str] | None, now: datetime
) -> AccountRecord:
    """Add an account inside the caller's transaction (flushed: a taken username raises now)."""
    await check_rooms(db, rooms)
    account_id = secrets.token_hex(16)
    db.add(AccountRow(
        id=account_id, username=username, password_hash=password_hash, role=role, all_rooms=rooms is None,
        created_at=now,
    ))
    await db.flush()
    for slug in sorted(rooms or ()):
        db.add(AccountRoomRow(account_id=account_id, room_slug=slug))
    return AccountRecord(
        account_id, username, role, None if rooms is None or role == "admin" else rooms, now, None, None
    )


class AccountStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], idle: timedelta, max_age: timedelta
    ) -> None:
        self._sessions = sessions
        self.idle = idle
        self.max_age = max_age

    # -- accounts ------------------------------------------------------------------------------

    async def admin_exists(self) -> bool:
        async with self._sessions() as db:
            found = await db.scalar(
                select(func.count()).select_from(AccountRow)
                .where(AccountRow.role == "admin", AccountRow.disabled_at.is_(None))
            )
            return bool(found)

    async def create(
        self, username: str, password_hash: str, role: str, rooms: frozenset[str] | None, now: datetime,
        audit: Sequence[AuditEntry] = (),
    ) -> AccountRecord:
        """A new account; `rooms` None means every room. 409 username_taken, 400 unknown_room."""
        try:
            async with self._sessions.begin() as db:
                record = await insert_account(db, username, password_hash, role, rooms, now)
                db.add_all(entry.row() for entry in audit)
        except IntegrityError:
            raise AccountError(409, "username_taken") from None
        return record

    async def credentials(self, username: str) -> tuple[AccountRecord, str] | None:
        """The account and its password hash, for a login; None when there is no such account."""
        async with self._sessions() as db:
            row = await db.scalar(select(AccountRow).where(AccountRow.username == username))
            if row is None:
                return None
            rooms = await _rooms_of(db, [row.id])
            return _record(row, rooms[row.id]), row.password_hash

    async def get(self, username: str) -> AccountRecord | None:
        found = await self.credentials(username)
        return None if found is None else found[0]

    async def all(self) -> list[AccountRecord]:
        async with self._sessions() as db:
            rows = (await db.scalars(select(AccountRow).order_by(AccountRow.role, AccountRow.username))).all()
            rooms = await _rooms_of(db, [r.id for r in rows])
            return [_record(r, rooms[r.id]) for r in rows]

    async def set_password_hash(self, account_id: str, password_hash: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(update(AccountRow).where(AccountRow.id == account_id).values(password_hash=password_hash))

    async def set_rooms(
        self, username: str, rooms: frozenset[str] | None, audit: Sequence[AuditEntry] = ()
    ) -> AccountRecord:
        async with self._sessions.begin() as db:
            row = await db.scalar(select(AccountRow).where(AccountRow.username == username))
            if row is None:
                raise AccountError(404, "not_found")
            await check_rooms(db, rooms)
            row.all_rooms = rooms is None
            await db.execute(delete(AccountRoomRow).where(AccountRoomRow.account_id == row.id))
            for slug in sorted(rooms or ()):
                db.add(AccountRoomRow(account_id=row.id, room_slug=slug))
            db.add_all(entry.row() for entry in audit)
            return _record(row, rooms or ())

    async def disable(self, username: str, now: datetime, audit: Sequence[AuditEntry] = ()) -> AccountRecord:
        """Disable the account, end every one of its logins and withdraw the invitations it
        made and nobody used yet, in one transaction."""
        async with self._sessions.begin() as db:
            row = await db.scalar(select(AccountRow).where(AccountRow.username == username))
            if row is None:
                raise AccountError(404, "not_found")
            if row.disabled_at is None:
                row.disabled_at = now
            await db.execute(
                update(StaffSessionRow)
                .where(StaffSessionRow.account_id == row.id, StaffSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            # Links this person handed out stop working with them.
            await db.execute(
                update(InvitationRow)
                .where(InvitationRow.created_by == row.username, InvitationRow.used_at.is_(None),
                       InvitationRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            db.add_all(entry.row() for entry in audit)
            rooms = await _rooms_of(db, [row.id])
            return _record(row, rooms[row.id])

    # -- login sessions ---------------------------------------------------------------------------

    async def start_session(
        self, account: AccountRecord, token_hash: str, locale: str, now: datetime, audit: Sequence[AuditEntry] = ()
    ) -> StaffRecord:
        """A new login for `account`, with its own chat-side session row."""
        session_id, chat_id = secrets.token_hex(16), secrets.token_hex(16)
        # The chat row's token hash is of a token nobody has: only staff_sessions opens it.
        unheld = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        async with self._sessions.begin() as db:
            db.add(PeerSessionRow(
                id=chat_id, token_hash=unheld, role=account.role, locale=locale, created_at=now, last_seen_at=now,
            ))
            await db.flush()
            db.add(StaffSessionRow(
                id=session_id, token_hash=token_hash, account_id=account.id, chat_session_id=chat_id,
                created_at=now, last_seen_at=now, expires_at=now + self.max_age,
            ))
            await db.execute(update(AccountRow).where(AccountRow.id == account.id).values(last_login_at=now))
            db.add_all(entry.row() for entry in audit)
        return StaffRecord(session_id, chat_id, token_hash, account, {})

    def _valid(self, session: StaffSessionRow, account: AccountRow, now: datetime) -> bool:
        return (
            session.revoked_at is None and account.disabled_at is None
            and as_utc(session.expires_at) > now and as_utc(session.last_seen_at) + self.idle > now
        )

    async def resume(self, token_hash: str, locale: str, now: datetime) -> StaffRecord | None:
        """At `hello`: the login of this token if still valid, with its pseudonyms; marks it seen."""
        return await self._open(token_hash, now, locale)

    async def authenticate(self, token_hash: str, now: datetime) -> StaffRecord | None:
        """For an HTTP request: the login of this token (cookie or bearer) if still valid."""
        return await self._open(token_hash, now, None)

    async def _open(self, token_hash: str, now: datetime, locale: str | None) -> StaffRecord | None:
        async with self._sessions.begin() as db:
            found = (await db.execute(
                select(StaffSessionRow, AccountRow)
                .join(AccountRow, AccountRow.id == StaffSessionRow.account_id)
                .where(StaffSessionRow.token_hash == token_hash)
            )).first()
            if found is None:
                return None
            session, account = found
            if not self._valid(session, account, now):
                return None
            pseudonyms: dict[str, str] = {}
            if locale is not None or as_utc(session.last_seen_at) + _TOUCH_EVERY <= now:
                session.last_seen_at = now
            if locale is not None:
                chat = await db.get(PeerSessionRow, session.chat_session_id)
                if chat is not None:
                    chat.locale, chat.last_seen_at = locale, now
                held = await db.execute(
                    select(PseudonymRow.room_slug, PseudonymRow.pseudonym)
                    .where(PseudonymRow.session_id == session.chat_session_id, PseudonymRow.current.is_(True))
                )
                pseudonyms = {room: name for room, name in held}
            rooms = await _rooms_of(db, [account.id])
            return StaffRecord(session.id, session.chat_session_id, token_hash, _record(account, rooms[account.id]),
                               pseudonyms)

    async def check(self, token_hashes: Sequence[str], now: datetime) -> dict[str, StaffRecord]:
        """Of these logins (live on a websocket), the still valid ones, marked seen."""
        if not token_hashes:
            return {}
        async with self._sessions.begin() as db:
            rows = (await db.execute(
                select(StaffSessionRow, AccountRow)
                .join(AccountRow, AccountRow.id == StaffSessionRow.account_id)
                .where(StaffSessionRow.token_hash.in_(sorted(set(token_hashes))))
            )).all()
            valid = [(s, a) for s, a in rows if self._valid(s, a, now)]
            if valid:
                ids = [s.id for s, _ in valid]
                await db.execute(update(StaffSessionRow).where(StaffSessionRow.id.in_(ids)).values(last_seen_at=now))
            rooms = await _rooms_of(db, sorted({a.id for _, a in valid}))
            return {
                s.token_hash: StaffRecord(s.id, s.chat_session_id, s.token_hash, _record(a, rooms[a.id]), {})
                for s, a in valid
            }

    async def end_session(self, token_hash: str, now: datetime, audit: Sequence[AuditEntry] = ()) -> bool:
        """Log out: this login stops working at once. False when it was not a live login."""
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(StaffSessionRow)
                .where(StaffSessionRow.token_hash == token_hash, StaffSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            ended = bool(getattr(result, "rowcount", 0))
            if ended:
                db.add_all(entry.row() for entry in audit)
            return ended
