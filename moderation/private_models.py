"""The table of tête-à-têtes: a helper and one person, in a room of their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = ["PrivateRoomRow"]


class PrivateRoomRow(Base):
    """Who may enter a private room, and where it stands. No text: the messages live in `messages`.

    Deleted with its room (ON DELETE CASCADE) once the origin room's retention has passed
    after it ended.
    """

    __tablename__ = "private_rooms"
    __table_args__ = (
        Index("ix_private_rooms_state", "state"),
        Index("ix_private_rooms_person", "person_session_id"),
        Index("ix_private_rooms_helper", "helper_session_id"),
    )

    slug: Mapped[str] = mapped_column(ForeignKey("rooms.slug", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(20))  # the queue item it came from (no key: items outlive it)
    origin_room: Mapped[str] = mapped_column(String(40))
    helper_session_id: Mapped[str] = mapped_column(String(32))
    helper_username: Mapped[str] = mapped_column(String(64))
    helper_pseudonym: Mapped[str] = mapped_column(String(64))
    person_session_id: Mapped[str] = mapped_column(String(32))
    person_pseudonym: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))  # invited | open | declined | expired | closed
    reason: Mapped[str | None] = mapped_column(String(10), nullable=True)  # why it ended
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the invitation's
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
