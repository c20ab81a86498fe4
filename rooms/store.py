"""The only SQL about rooms: seeding from config and reading their settings."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rooms.config import RoomSpec
from rooms.models import RoomRow
from rooms.schedule import WeeklySchedule

__all__ = ["RoomStore"]


def _spec_fields(spec: RoomSpec) -> dict[str, object]:
    return {
        "title": spec.title, "theme": spec.theme, "lang": spec.lang,
        "description": spec.description, "charter": spec.charter, "capacity": spec.capacity,
        "moderation": spec.moderation, "slow_mode_s": spec.slow_mode_s,
        "max_length": spec.max_length, "retention_s": spec.retention_s,
        "schedule": json.dumps(list(spec.schedule.rules)), "timezone": spec.schedule.zone.key,
        "requires_helper": spec.requires_helper, "history_size": spec.history_size,
    }


def _spec_of(row: RoomRow) -> RoomSpec:
    return RoomSpec(
        slug=row.slug, title=row.title, theme=row.theme, lang=row.lang,
        description=row.description, charter=row.charter, capacity=row.capacity,
        moderation=row.moderation, slow_mode_s=row.slow_mode_s, max_length=row.max_length,
        retention_s=row.retention_s,
        schedule=WeeklySchedule.parse(tuple(json.loads(row.schedule)), row.timezone),
        requires_helper=row.requires_helper, history_size=row.history_size,
    )


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
                        purged_through=0, created_at=now, updated_at=now, **_spec_fields(spec),
                    ))
                elif row.source == "config":
                    for key, value in _spec_fields(spec).items():
                        setattr(row, key, value)
                    row.position = position
                    row.updated_at = now

    async def active(self) -> list[RoomSpec]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(RoomRow).where(RoomRow.archived.is_(False)).order_by(RoomRow.position, RoomRow.slug)
            )
            return [_spec_of(row) for row in rows]

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self._sessions() as db:
            await db.execute(text("SELECT 1"))
