"""The only SQL about rooms: seeding from config and reading their settings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.config import RoomSpec
from rooms.db import Base
from rooms.models import RoomRow
from rooms.records import as_utc
from rooms.schedule import WeeklySchedule

__all__ = ["RoomStore", "StoredRoom", "spec_fields", "spec_of"]


@dataclass(frozen=True, slots=True)
class StoredRoom:
    """A room as the admin console sees it: its settings, and where they stand."""

    spec: RoomSpec
    archived: bool
    source: str  # "config" (follows config.toml) or "admin" (edited in the console)
    updated_at: datetime


def spec_fields(spec: RoomSpec) -> dict[str, object]:
    return {
        "title": spec.title, "theme": spec.theme, "lang": spec.lang,
        "description": spec.description, "charter": spec.charter, "capacity": spec.capacity,
        "moderation": spec.moderation, "slow_mode_s": spec.slow_mode_s,
        "max_length": spec.max_length, "retention_s": spec.retention_s,
        "schedule": json.dumps(list(spec.schedule.rules)), "timezone": spec.schedule.zone.key,
        "requires_helper": spec.requires_helper, "history_size": spec.history_size,
    }


def spec_of(row: RoomRow) -> RoomSpec:
    return RoomSpec(
        slug=row.slug, title=row.title, theme=row.theme, lang=row.lang,
        description=row.description, charter=row.charter, capacity=row.capacity,
        moderation=row.moderation, slow_mode_s=row.slow_mode_s, max_length=row.max_length,
        retention_s=row.retention_s,
        schedule=WeeklySchedule.parse(tuple(json.loads(row.schedule)), row.timezone),
        requires_helper=row.requires_helper, history_size=row.history_size,
    )


def _stored(row: RoomRow) -> StoredRoom:
    return StoredRoom(spec_of(row), row.archived, row.source, as_utc(row.updated_at))


class RoomStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def seed(self, specs: tuple[RoomSpec, ...], now: datetime) -> None:
        """Create the configured rooms; refresh those no admin has edited since."""
        async with self._sessions.begin() as db:
            rows = {r.slug: r for r in (await db.scalars(select(RoomRow))).all()}
            for position, spec in enumerate(specs):
                row = rows.get(spec.slug)
                if row is None:
                    db.add(RoomRow(
                        slug=spec.slug, source="config", archived=False, last_seq=0, position=position,
                        purged_through=0, created_at=now, updated_at=now, **spec_fields(spec),
                    ))
                elif row.source == "config":
                    for key, value in spec_fields(spec).items():
                        setattr(row, key, value)
                    row.position = position
                    row.updated_at = now

    async def active(self) -> list[RoomSpec]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(RoomRow)
                .where(RoomRow.archived.is_(False), RoomRow.private.is_(False))
                .order_by(RoomRow.position, RoomRow.slug)
            )
            return [spec_of(row) for row in rows]

    # -- administration: each write may carry more rows (its audit entry) into its transaction --

    async def all(self) -> list[StoredRoom]:
        """Every room, archived ones included, in landing-page order; tête-à-têtes are nobody's to edit."""
        async with self._sessions() as db:
            rows = await db.scalars(
                select(RoomRow).where(RoomRow.private.is_(False))
                .order_by(RoomRow.archived, RoomRow.position, RoomRow.slug)
            )
            return [_stored(row) for row in rows]

    async def get(self, slug: str) -> StoredRoom | None:
        async with self._sessions() as db:
            row = await db.get(RoomRow, slug)
            return None if row is None or row.private else _stored(row)

    async def create(self, spec: RoomSpec, now: datetime, also: Sequence[Base] = ()) -> bool:
        """A room made in the console; False when the slug is taken (by an archived room too)."""
        try:
            async with self._sessions.begin() as db:
                last = await db.scalar(select(func.max(RoomRow.position)))
                db.add(RoomRow(
                    slug=spec.slug, source="admin", archived=False, last_seq=0, position=(last or 0) + 1,
                    purged_through=0, created_at=now, updated_at=now, **spec_fields(spec),
                ))
                await db.flush()
                db.add_all(also)
        except IntegrityError:
            return False
        return True

    async def update(self, spec: RoomSpec, now: datetime, also: Sequence[Base] = ()) -> bool:
        """New settings for a live room; it no longer follows config.toml. False when there is none."""
        async with self._sessions.begin() as db:
            row = await db.get(RoomRow, spec.slug)
            if row is None or row.archived or row.private:
                return False
            for key, value in spec_fields(spec).items():
                setattr(row, key, value)
            row.source = "admin"
            row.updated_at = now
            db.add_all(also)
        return True

    async def set_archived(self, slug: str, archived: bool, now: datetime, also: Sequence[Base] = ()) -> bool:
        """Archive (or bring back) a room; False when there is no such room or nothing changes."""
        async with self._sessions.begin() as db:
            row = await db.get(RoomRow, slug)
            if row is None or row.private or row.archived == archived:
                return False
            row.archived = archived
            row.source = "admin"  # config.toml must not bring it back at the next start
            row.updated_at = now
            db.add_all(also)
        return True

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self._sessions() as db:
            await db.execute(text("SELECT 1"))
