"""Tête-à-têtes: a helper and one person, in a room nobody else can enter.

A tête-à-tête is a room (a `rooms` row flagged private, so its messages, ids and retention
work as everywhere else) plus a `private_rooms` row saying who its two people are and where
it stands: invited, then open or declined or expired, then closed. Every change of state is
one conditional UPDATE, so that two processes deciding at once (an absence noticed by
both, a leave racing an expiry) cannot both win: the loser gets None and says nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.private_models import PrivateRoomRow
from rooms.config import RoomSpec
from rooms.db import Base
from rooms.models import RoomRow
from rooms.records import as_utc
from rooms.schedule import WeeklySchedule
from rooms.store import spec_fields, spec_of

__all__ = ["ENDED", "LIVE", "PRIVATE_PREFIX", "PrivateRoom", "PrivateRoomStore", "is_private", "private_spec"]

#: Slugs of private rooms start with this; the admin console refuses it for ordinary rooms.
PRIVATE_PREFIX = "prive-"
LIVE = ("invited", "open")
ENDED = ("declined", "expired", "closed")
_TRIES = 5

_TEXTS = {
    "fr": (
        "Tête-à-tête",
        "Une conversation privée entre vous et un·e pair-aidant·e.",
        "Personne d'autre ne peut lire ni entrer ici. Vous pouvez partir quand vous voulez : "
        "la conversation se termine alors pour vous deux. En cas d'urgence, appelez le 3114 "
        "(24 h/24) ou le 15.",
    ),
    "en": (
        "Private conversation",
        "A private conversation between you and a peer helper.",
        "Nobody else can read or come in here. You can leave whenever you want: the "
        "conversation then ends for both of you. In an emergency, call your local emergency "
        "number or a crisis line.",
    ),
}


def is_private(slug: str) -> bool:
    return slug.startswith(PRIVATE_PREFIX)


def private_spec(slug: str, origin: RoomSpec) -> RoomSpec:
    """The settings of a tête-à-tête: always open, two people, the origin room's retention."""
    title, description, charter = _TEXTS["en" if origin.lang == "en" else "fr"]
    return RoomSpec(
        slug=slug, title=title, theme=origin.theme, lang=origin.lang, description=description,
        charter=charter, capacity=2, moderation="post", slow_mode_s=0, max_length=origin.max_length,
        retention_s=origin.retention_s, schedule=WeeklySchedule.parse((), origin.schedule.zone.key),
        requires_helper=False, history_size=origin.history_size,
    )


@dataclass(frozen=True, slots=True)
class PrivateRoom:
    slug: str
    item_id: str
    origin_room: str
    helper_session_id: str
    helper_username: str
    helper_pseudonym: str
    person_session_id: str
    person_pseudonym: str
    state: str
    reason: str | None
    created_at: datetime
    expires_at: datetime
    opened_at: datetime | None
    ended_at: datetime | None

    def has(self, session_id: str) -> bool:
        return session_id in (self.helper_session_id, self.person_session_id)

    def pseudonym_of(self, session_id: str) -> str:
        return self.helper_pseudonym if session_id == self.helper_session_id else self.person_pseudonym

    def frame_for(self, session_id: str) -> dict[str, Any]:
        """The `private_room` frame as one of its two people sees it (the item id: helper only)."""
        helper = session_id == self.helper_session_id
        return {
            "type": "private_room", "room": self.slug, "state": self.state, "from_room": self.origin_room,
            "with": self.person_pseudonym if helper else self.helper_pseudonym,
            "item": self.item_id if helper else None, "reason": self.reason,
        }


def _record(row: PrivateRoomRow) -> PrivateRoom:
    return PrivateRoom(
        slug=row.slug, item_id=row.item_id, origin_room=row.origin_room,
        helper_session_id=row.helper_session_id, helper_username=row.helper_username,
        helper_pseudonym=row.helper_pseudonym, person_session_id=row.person_session_id,
        person_pseudonym=row.person_pseudonym, state=row.state, reason=row.reason,
        created_at=as_utc(row.created_at), expires_at=as_utc(row.expires_at),
        opened_at=None if row.opened_at is None else as_utc(row.opened_at),
        ended_at=None if row.ended_at is None else as_utc(row.ended_at),
    )


def new_slug() -> str:
    """Random, and says nothing about the room or the people: 'prive-' and 20 hex digits (80 bits)."""
    return PRIVATE_PREFIX + secrets.token_hex(10)


class PrivateRoomStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, draft: PrivateRoom, origin: RoomSpec, now: datetime, also: Sequence[Base] = (),
    ) -> PrivateRoom:
        """The room and its record, in one transaction; `draft.slug` is replaced by a fresh one."""
        for attempt in range(_TRIES):
            record = replace(draft, slug=new_slug())
            spec = private_spec(record.slug, origin)
            try:
                async with self._sessions.begin() as db:
                    db.add(RoomRow(
                        slug=spec.slug, source="admin", archived=False, private=True, last_seq=0, position=0,
                        purged_through=0, created_at=now, updated_at=now, **spec_fields(spec),
                    ))
                    await db.flush()
                    db.add(PrivateRoomRow(
                        slug=record.slug, item_id=record.item_id, origin_room=record.origin_room,
                        helper_session_id=record.helper_session_id, helper_username=record.helper_username,
                        helper_pseudonym=record.helper_pseudonym, person_session_id=record.person_session_id,
                        person_pseudonym=record.person_pseudonym, state="invited", reason=None,
                        created_at=now, expires_at=record.expires_at, opened_at=None, ended_at=None,
                    ))
                    db.add_all(also)
            except IntegrityError:
                if attempt == _TRIES - 1:
                    raise
                continue
            return replace(record, state="invited", reason=None, created_at=now)
        raise AssertionError("unreachable")

    async def get(self, slug: str) -> PrivateRoom | None:
        async with self._sessions() as db:
            row = await db.get(PrivateRoomRow, slug)
            return None if row is None else _record(row)

    async def spec(self, slug: str) -> RoomSpec | None:
        async with self._sessions() as db:
            row = await db.get(RoomRow, slug)
            return None if row is None or not row.private else spec_of(row)

    async def live_for_item(self, item_id: str) -> PrivateRoom | None:
        async with self._sessions() as db:
            row = await db.scalar(
                select(PrivateRoomRow).where(PrivateRoomRow.item_id == item_id, PrivateRoomRow.state.in_(LIVE))
                .order_by(PrivateRoomRow.created_at.desc()).limit(1)
            )
            return None if row is None else _record(row)

    async def live_for_session(self, session_id: str) -> list[PrivateRoom]:
        """The session's pending invitations and open rooms, as helper or as the person invited."""
        async with self._sessions() as db:
            rows = await db.scalars(
                select(PrivateRoomRow).where(
                    PrivateRoomRow.state.in_(LIVE),
                    or_(PrivateRoomRow.helper_session_id == session_id,
                        PrivateRoomRow.person_session_id == session_id),
                ).order_by(PrivateRoomRow.created_at)
            )
            return [_record(row) for row in rows]

    async def live(self) -> list[PrivateRoom]:
        async with self._sessions() as db:
            rows = await db.scalars(select(PrivateRoomRow).where(PrivateRoomRow.state.in_(LIVE)))
            return [_record(row) for row in rows]

    async def move(
        self, slug: str, from_states: tuple[str, ...], to_state: str, now: datetime,
        reason: str | None = None, also: Sequence[Base] = (),
    ) -> PrivateRoom | None:
        """One step, if the room is still in one of `from_states`; None when another step won."""
        values: dict[str, Any] = {"state": to_state, "reason": reason}
        if to_state == "open":
            values["opened_at"] = now
        if to_state in ENDED:
            values["ended_at"] = now
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(PrivateRoomRow)
                .where(PrivateRoomRow.slug == slug, PrivateRoomRow.state.in_(from_states))
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            if to_state in ENDED:
                await db.execute(update(RoomRow).where(RoomRow.slug == slug).values(archived=True, updated_at=now))
            db.add_all(also)
            row = await db.get(PrivateRoomRow, slug)
            assert row is not None
            await db.refresh(row)
            return _record(row)

    async def purge_ended(self, now: datetime) -> int:
        """Tête-à-têtes that ended longer ago than their retention: the room and all in it, gone."""
        async with self._sessions.begin() as db:
            rows = (await db.execute(
                select(PrivateRoomRow.slug, PrivateRoomRow.ended_at, RoomRow.retention_s)
                .join(RoomRow, RoomRow.slug == PrivateRoomRow.slug)
                .where(PrivateRoomRow.state.in_(ENDED))
            )).all()
            gone = [
                slug for slug, ended_at, retention_s in rows
                if ended_at is not None and as_utc(ended_at) + timedelta(seconds=retention_s) <= now
            ]
            if gone:
                await db.execute(delete(RoomRow).where(RoomRow.slug.in_(gone), RoomRow.private.is_(True)))
            return len(gone)

