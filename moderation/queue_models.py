"""Tables of the moderation queue and of the helpers' private notes on a pseudonym."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = ["HelperNoteRow", "QueueItemRow"]


class QueueItemRow(Base):
    """Something a pair-aidant must look at: a report, an automatic flag, a held message, a crisis.

    The message is copied in (text, pseudonym): the item must still make sense after the
    message is hidden, erased or purged, and a held message exists nowhere else.
    """

    __tablename__ = "queue_items"
    __table_args__ = (
        Index("ix_queue_items_room_state", "room_slug", "state"),
        Index("ix_queue_items_message", "room_slug", "message_seq"),
        Index("ix_queue_items_author", "author_session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_slug: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))  # crisis | report | auto | held
    priority: Mapped[int] = mapped_column(Integer)  # 0..3, 3 = crisis
    state: Mapped[str] = mapped_column(String(10))  # open | claimed | resolved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None while held
    author_session_id: Mapped[str] = mapped_column(String(32))
    author_pseudonym: Mapped[str] = mapped_column(String(64))
    author_role: Mapped[str] = mapped_column(String(8), default="peer")
    text: Mapped[str] = mapped_column(Text)
    cw: Mapped[str | None] = mapped_column(Text, nullable=True)
    reasons: Mapped[str] = mapped_column(Text)  # JSON array of short strings
    report_weight: Mapped[float] = mapped_column(Float, default=0.0)
    auto_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(10), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Crisis escalation (the crisis issue): 0 room helpers, 1 every helper on duty, 2 admins.
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    # When the item last began to wait, unclaimed, at its escalation level: created, released or
    # escalated. The next step comes a full claim timeout after it. None (rows stored before this
    # column): since `created_at`.
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HelperNoteRow(Base):
    """A helper's private note about a pseudonym's session, seen only by helpers of that room."""

    __tablename__ = "helper_notes"
    __table_args__ = (Index("ix_helper_notes_session", "room_slug", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_slug: Mapped[str] = mapped_column(String(40))
    session_id: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
