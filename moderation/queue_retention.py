"""What the queue may keep, and for how long (PRODUCT.md: privacy rules).

Items carry what a helper needs to act and nothing more, and they expire with the
messages they point to: once a message is gone (purged by its room's retention, or erased
by its author), an item about it goes too, except a crisis item, which keeps only its ids
(who, where, when, what was decided) for at most 90 days. An item without a message (a
held message nobody approved) lives as long as the message would have.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.queue_models import QueueItemRow
from rooms.models import MessageRow, RoomRow

__all__ = ["CRISIS_KEEP", "expire_items"]

CRISIS_KEEP = timedelta(days=90)
_BLANK = {"text": "", "cw": None, "author_pseudonym": ""}


def _message_gone() -> ColumnElement[bool]:
    return and_(
        QueueItemRow.message_seq.is_not(None),
        ~exists().where(MessageRow.room_slug == QueueItemRow.room_slug, MessageRow.seq == QueueItemRow.message_seq),
    )


async def _forget(db: AsyncSession, *where: ColumnElement[bool]) -> int:
    """Other items go; crisis items keep their ids only. How many items changed."""
    gone = await db.execute(delete(QueueItemRow).where(QueueItemRow.kind != "crisis", *where))
    blanked = await db.execute(
        update(QueueItemRow).where(QueueItemRow.kind == "crisis", QueueItemRow.text != "", *where).values(**_BLANK)
    )
    return int(gone.rowcount or 0) + int(blanked.rowcount or 0)  # type: ignore[attr-defined]


async def expire_items(db: AsyncSession, now: datetime, author: str | None = None) -> int:
    """Apply the rules above; with `author`, also forget that session's unpublished messages at once."""
    changed = await _forget(db, _message_gone())
    if author is not None:
        changed += await _forget(db, QueueItemRow.message_seq.is_(None), QueueItemRow.author_session_id == author)
    for slug, retention_s in (await db.execute(select(RoomRow.slug, RoomRow.retention_s))).all():
        changed += await _forget(
            db, QueueItemRow.room_slug == slug, QueueItemRow.message_seq.is_(None),
            QueueItemRow.created_at < now - timedelta(seconds=retention_s),
        )
    old = await db.execute(
        delete(QueueItemRow).where(QueueItemRow.kind == "crisis", QueueItemRow.created_at < now - CRISIS_KEEP)
    )
    return changed + int(old.rowcount or 0)  # type: ignore[attr-defined]
