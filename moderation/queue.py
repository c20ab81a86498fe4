"""The moderation queue: items stored before anyone is told, claimed by one helper, resolved once.

Every state change is one conditional UPDATE, so two helpers on two processes racing for
the same item cannot both win: the second gets `Conflict`. Resolutions are final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.audit import AuditEntry
from moderation.models import ReportRow
from moderation.queue_models import HelperNoteRow, QueueItemRow
from moderation.queue_retention import expire_items
from rooms.records import as_utc, format_message_id, format_timestamp

__all__ = ["ACTIONS", "Conflict", "Item", "Note", "QueueStore", "escalated_to"]

ACTIONS = ("dismiss", "approve", "hide", "warn", "timeout", "kick", "ban", "escalate")
KINDS = ("crisis", "report", "auto", "held")


class Conflict(Exception):
    """The item is claimed by someone else, or already resolved."""


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    room: str
    kind: str
    priority: int
    state: str
    created_at: datetime
    message_seq: int | None
    author_session_id: str
    author_pseudonym: str
    author_role: str
    text: str
    cw: str | None
    reasons: tuple[str, ...]
    report_weight: float
    auto_hidden: bool
    claimed_by: str | None
    resolution: str | None
    resolved_by: str | None
    note: str | None
    escalation: int

    def frame(self) -> dict[str, Any]:
        """The protocol's `<item>` (§8)."""
        return {
            "id": self.id, "room": self.room, "kind": self.kind, "priority": self.priority,
            "state": self.state, "created": format_timestamp(self.created_at),
            "message": {
                "id": None if self.message_seq is None else format_message_id(self.message_seq),
                "text": self.text, "cw": self.cw, "author": {"pseudonym": self.author_pseudonym},
            },
            "reasons": list(self.reasons), "claimed_by": self.claimed_by,
            "resolution": self.resolution, "escalation": self.escalation,
        }


def escalated_to(escalation: int, role: str, on_duty: bool) -> bool:
    """Whether an item escalated this far reaches a team member beyond its room's helpers:
    every helper on duty from level 1 (they see it, claim it, open its context), admins at 2."""
    if role not in ("helper", "admin"):
        return False
    return (escalation >= 1 and on_duty) or (escalation >= 2 and role == "admin")


@dataclass(frozen=True, slots=True)
class Note:
    author: str
    text: str
    created_at: datetime


def _item(row: QueueItemRow) -> Item:
    return Item(
        id=str(row.id), room=row.room_slug, kind=row.kind, priority=row.priority, state=row.state,
        created_at=as_utc(row.created_at), message_seq=row.message_seq, author_session_id=row.author_session_id,
        author_pseudonym=row.author_pseudonym, author_role=row.author_role, text=row.text, cw=row.cw,
        reasons=tuple(json.loads(row.reasons)), report_weight=row.report_weight, auto_hidden=row.auto_hidden,
        claimed_by=row.claimed_by, resolution=row.resolution, resolved_by=row.resolved_by, note=row.note,
        escalation=row.escalation,
    )


def held_reason(held_item_id: str) -> str:
    """The reason that ties a crisis item to the held item of the same message."""
    return f"held: {held_item_id}"


def _parse_id(item_id: str) -> int | None:
    return int(item_id) if item_id.isdigit() and len(item_id) < 19 else None


class QueueStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(
        self, *, room: str, kind: str, priority: int, now: datetime, author_session_id: str,
        author_pseudonym: str, author_role: str, text: str, cw: str | None, reasons: list[str],
        message_seq: int | None = None,
    ) -> Item:
        async with self._sessions.begin() as db:
            row = QueueItemRow(
                room_slug=room, kind=kind, priority=priority, state="open", created_at=now, updated_at=now,
                waiting_since=now, message_seq=message_seq, author_session_id=author_session_id,
                author_pseudonym=author_pseudonym,
                author_role=author_role, text=text, cw=cw, reasons=json.dumps(reasons, ensure_ascii=False),
                report_weight=0.0, auto_hidden=False, escalation=0,
            )
            db.add(row)
            await db.flush()
            return _item(row)

    async def get(self, item_id: str) -> Item | None:
        key = _parse_id(item_id)
        if key is None:
            return None
        async with self._sessions() as db:
            row = await db.get(QueueItemRow, key)
            return None if row is None else _item(row)

    async def unresolved(self, rooms: list[str] | None) -> list[Item]:
        """Open and claimed items, of these rooms (None: all), highest priority then oldest first."""
        async with self._sessions() as db:
            query = select(QueueItemRow).where(QueueItemRow.state != "resolved")
            if rooms is not None:
                query = query.where(QueueItemRow.room_slug.in_(rooms))
            rows = await db.scalars(query.order_by(QueueItemRow.priority.desc(), QueueItemRow.id))
            return [_item(r) for r in rows]

    async def expire(self, now: datetime, author: str | None = None) -> int:
        """Items whose message is gone, or too old, forgotten (`moderation.queue_retention`)."""
        async with self._sessions.begin() as db:
            return await expire_items(db, now, author)

    async def counts_by_priority(self) -> dict[int, int]:
        async with self._sessions() as db:
            rows = await db.execute(
                select(QueueItemRow.priority, func.count()).where(QueueItemRow.state != "resolved")
                .group_by(QueueItemRow.priority)
            )
            return {int(p): int(n) for p, n in rows.all()}

    async def claim(self, item_id: str, username: str, now: datetime, audit: AuditEntry | None = None) -> Item:
        """Take an item; `Conflict` if someone else has it or it is resolved. Claiming one's own is fine."""
        return await self._change(
            item_id, {"state": "claimed", "claimed_by": username, "updated_at": now},
            or_(QueueItemRow.state == "open", QueueItemRow.claimed_by == username), audit,
        )

    async def release(self, item_id: str, username: str, now: datetime, audit: AuditEntry | None = None) -> Item:
        return await self._change(
            item_id, {"state": "open", "claimed_by": None, "updated_at": now, "waiting_since": now},
            QueueItemRow.claimed_by == username, audit,
        )

    async def resolve(
        self, item_id: str, username: str, action: str, note: str, now: datetime, audit: AuditEntry | None = None,
    ) -> Item:
        """Close an item with an action; it needs no claim when open, and `Conflict` when someone else holds it."""
        return await self._change(
            item_id,
            {"state": "resolved", "claimed_by": username, "resolution": action, "resolved_by": username,
             "resolved_at": now, "note": note, "updated_at": now},
            or_(QueueItemRow.state == "open", QueueItemRow.claimed_by == username), audit,
        )

    async def set_message(self, item_id: str, seq: int, now: datetime) -> None:
        """A held message was published: the item now points at it."""
        key = _parse_id(item_id)
        async with self._sessions.begin() as db:
            await db.execute(update(QueueItemRow).where(QueueItemRow.id == key).values(message_seq=seq, updated_at=now))

    async def link_held(self, held_item_id: str, seq: int, now: datetime) -> list[Item]:
        """A held message was published: the crisis items raised for it (reason ``held: <id>``)
        now point at it too. Returns those items."""
        key = _parse_id(held_item_id)
        if key is None:
            return []
        async with self._sessions.begin() as db:
            held = await db.get(QueueItemRow, key)
            if held is None:
                return []
            candidates = (await db.execute(select(QueueItemRow).where(
                QueueItemRow.kind == "crisis", QueueItemRow.room_slug == held.room_slug,
                QueueItemRow.author_session_id == held.author_session_id, QueueItemRow.message_seq.is_(None),
            ))).scalars().all()
            linked = [row for row in candidates if held_reason(held_item_id) in json.loads(row.reasons)]
            for row in linked:
                row.message_seq, row.updated_at = seq, now
            return [_item(row) for row in linked]

    async def escalate(self, item_id: str, level: int, now: datetime) -> Item | None:
        """Raise an unresolved item's escalation to `level`; the item when this call raised it, else None.

        Every process runs the escalation timer: the conditional UPDATE lets exactly one of them
        announce each step.
        """
        key = _parse_id(item_id)
        if key is None:
            return None
        async with self._sessions.begin() as db:
            done = await db.execute(
                update(QueueItemRow)
                .where(QueueItemRow.id == key, QueueItemRow.state != "resolved", QueueItemRow.escalation < level)
                .values(escalation=level, updated_at=now, waiting_since=now)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                return None
            row = await db.get(QueueItemRow, key, populate_existing=True)
            return None if row is None else _item(row)

    async def crisis_waiting(self, older_than: datetime) -> list[Item]:
        """Crisis items not yet with the admins that have waited, unclaimed, at their escalation
        level since before `older_than` (since they were created, released or last escalated)."""
        async with self._sessions() as db:
            rows = await db.scalars(select(QueueItemRow).where(
                QueueItemRow.kind == "crisis", QueueItemRow.state == "open", QueueItemRow.escalation < 2,
                func.coalesce(QueueItemRow.waiting_since, QueueItemRow.created_at) <= older_than,
            ).order_by(QueueItemRow.id))
            return [_item(r) for r in rows]

    async def _change(self, item_id: str, values: dict[str, Any], allowed: Any, audit: AuditEntry | None) -> Item:
        """One conditional UPDATE, with its audit row in the same transaction: both or neither."""
        key = _parse_id(item_id)
        if key is None:
            raise LookupError(item_id)
        async with self._sessions.begin() as db:
            done = await db.execute(
                update(QueueItemRow)
                .where(QueueItemRow.id == key, QueueItemRow.state != "resolved", allowed)
                .values(**values)
            )
            row = await db.get(QueueItemRow, key, populate_existing=True)
            if row is None:
                raise LookupError(item_id)
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise Conflict(item_id)
            if audit is not None:
                db.add(audit.row())
            return _item(row)

    # -- reports ---------------------------------------------------------------------------

    async def report(
        self, *, room: str, seq: int, reporter: str, reason: str, now: datetime, author_session_id: str,
        author_pseudonym: str, author_role: str, text: str, cw: str | None, hide_at: float,
    ) -> tuple[Item | None, bool]:
        """A peer's report, once per reporter: the message's report item, and whether to hide it now.

        The weight of a report is 1 plus the reporter's past accuracy (the share of its earlier
        reports that a helper acted on): reports from people who report well count more, and
        many reporters count more than one. At `hide_at` the message is hidden until a helper decides.
        """
        async with self._sessions.begin() as db:
            already = await db.scalar(select(ReportRow.id).where(
                ReportRow.room_slug == room, ReportRow.message_seq == seq, ReportRow.reporter_session_id == reporter,
            ))
            if already is not None:
                return None, False
            weight = 1.0 + await self._accuracy(db, reporter)
            db.add(ReportRow(room_slug=room, message_seq=seq, reporter_session_id=reporter, reason=reason,
                             created_at=now))
            row = await db.scalar(select(QueueItemRow).where(
                QueueItemRow.room_slug == room, QueueItemRow.message_seq == seq, QueueItemRow.kind == "report",
                QueueItemRow.state != "resolved",
            ))
            if row is None:
                row = QueueItemRow(
                    room_slug=room, kind="report", priority=1, state="open", created_at=now, updated_at=now,
                    message_seq=seq, author_session_id=author_session_id, author_pseudonym=author_pseudonym,
                    author_role=author_role, text=text, cw=cw, reasons="[]", report_weight=0.0,
                    auto_hidden=False, escalation=0,
                )
                db.add(row)
            reasons = json.loads(row.reasons)
            label = f"report: {reason}" if reason else "report"
            if label not in reasons:
                reasons.append(label[:200])
            row.reasons = json.dumps(reasons, ensure_ascii=False)
            row.report_weight = (row.report_weight or 0.0) + weight
            row.priority = max(row.priority, 2 if row.report_weight >= hide_at / 2 else 1)
            row.updated_at = now
            hide = not row.auto_hidden and row.report_weight >= hide_at
            if hide:
                row.auto_hidden = True
                row.priority = max(row.priority, 2)
            await db.flush()
            return _item(row), hide

    async def _accuracy(self, db: AsyncSession, reporter: str) -> float:
        """Of this session's resolved report items, the share a helper acted on (0.5 with no record)."""
        outcomes = (await db.execute(
            select(QueueItemRow.resolution)
            .join(ReportRow, (ReportRow.room_slug == QueueItemRow.room_slug)
                  & (ReportRow.message_seq == QueueItemRow.message_seq))
            .where(ReportRow.reporter_session_id == reporter, QueueItemRow.kind == "report",
                   QueueItemRow.state == "resolved")
        )).scalars().all()
        if not outcomes:
            return 0.5
        acted = sum(1 for o in outcomes if o not in ("dismiss", None))
        return acted / len(outcomes)

    async def reporters(self, room: str, seq: int) -> list[str]:
        async with self._sessions() as db:
            return list((await db.scalars(select(ReportRow.reporter_session_id).where(
                ReportRow.room_slug == room, ReportRow.message_seq == seq,
            ))).all())

    # -- what helpers know of a pseudonym -----------------------------------------------------

    async def earlier_items(self, room: str, session_id: str, before: str, limit: int = 20) -> list[Item]:
        key = _parse_id(before) or 0
        async with self._sessions() as db:
            rows = await db.scalars(
                select(QueueItemRow).where(
                    QueueItemRow.room_slug == room, QueueItemRow.author_session_id == session_id,
                    QueueItemRow.id < key,
                ).order_by(QueueItemRow.id.desc()).limit(limit)
            )
            return [_item(r) for r in rows]

    async def add_note(
        self, room: str, session_id: str, author: str, text: str, now: datetime, audit: AuditEntry | None = None,
    ) -> None:
        async with self._sessions.begin() as db:
            db.add(HelperNoteRow(room_slug=room, session_id=session_id, author=author, text=text, created_at=now))
            if audit is not None:
                db.add(audit.row())

    async def notes(self, room: str, session_id: str) -> list[Note]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(HelperNoteRow).where(HelperNoteRow.room_slug == room, HelperNoteRow.session_id == session_id)
                .order_by(HelperNoteRow.id)
            )
            return [Note(r.author, r.text, as_utc(r.created_at)) for r in rows]
