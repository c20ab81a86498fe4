"""Tables of reports and sanctions (mutes and bans)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = ["ReportRow", "SanctionRow"]


class ReportRow(Base):
    """A peer's report of a message; it goes when the message goes."""

    __tablename__ = "reports"
    __table_args__ = (
        ForeignKeyConstraint(
            ["room_slug", "message_seq"], ["messages.room_slug", "messages.seq"],
            ondelete="CASCADE", name="fk_reports_message",
        ),
        UniqueConstraint("room_slug", "message_seq", "reporter_session_id", name="uq_reports_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_slug: Mapped[str] = mapped_column(String(40))
    message_seq: Mapped[int] = mapped_column(BigInteger)
    reporter_session_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SanctionRow(Base):
    """A mute or ban of a session, in one room or (room_slug null) everywhere."""

    __tablename__ = "sanctions"
    __table_args__ = (Index("ix_sanctions_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(32))
    room_slug: Mapped[str | None] = mapped_column(String(40), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))  # "mute" or "ban"
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
