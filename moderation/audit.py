"""The audit log: every admin and helper action, who, what, on what, when and why.

Append-only by construction: this module can add an entry and read entries, and no code
anywhere updates or deletes one (a test reads the sources to keep it so). Entries are
written in the same transaction as the change they describe: a store takes the row from
`AuditEntry.row()` and adds it beside its own writes, so there is never a change without
its entry, nor an entry for a change that did not happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.staff_models import AuditRow
from rooms.records import as_utc

__all__ = ["Actor", "AuditEntry", "AuditRecord", "AuditStore"]

_MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an account, or the operator at the command line ("cli"), or the setup link."""

    name: str
    role: str  # helper, admin, or "system"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: Actor
    action: str  # "room.create", "account.disable", ...
    target_kind: str  # "room", "account", "invitation", "helplines", "session"
    target: str
    at: datetime
    room: str | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> AuditRow:
        reason = (self.reason or "").strip()[:_MAX_REASON] or None
        return AuditRow(
            at=self.at, actor=self.actor.name[:64], actor_role=self.actor.role, action=self.action,
            target_kind=self.target_kind, target=self.target[:80], room_slug=self.room, reason=reason,
            details=json.dumps(self.details, ensure_ascii=False, sort_keys=True, default=str),
        )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    target_kind: str
    target: str
    room: str | None
    reason: str | None
    details: dict[str, Any]



class AuditStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def record(self, entry: AuditEntry) -> None:
        """An entry on its own, for actions that change nothing else in the database."""
        async with self._sessions.begin() as db:
            db.add(entry.row())

    async def entries(
        self, *, room: str | None = None, actor: str | None = None, action: str | None = None,
        rooms_within: frozenset[str] | None = None, before_id: int | None = None, limit: int = 100,
    ) -> list[AuditRecord]:
        """Newest first. `action` matches exactly or as a prefix ending in a dot ("room.")."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(max(1, min(limit, 500)))
        if room is not None:
            query = query.where(AuditRow.room_slug == room)
        if rooms_within is not None:
            query = query.where(AuditRow.room_slug.in_(sorted(rooms_within)))
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if action is not None:
            query = query.where(
                AuditRow.action.startswith(action, autoescape=True) if action.endswith(".")
                else AuditRow.action == action
            )
        if before_id is not None:
            query = query.where(AuditRow.id < before_id)
        async with self._sessions() as db:
            rows = (await db.scalars(query)).all()
        return [
            AuditRecord(
                r.id, as_utc(r.at), r.actor, r.actor_role, r.action, r.target_kind, r.target, r.room_slug,
                r.reason, json.loads(r.details),
            )
            for r in rows
        ]
