"""Tables of rooms, anonymous sessions, pseudonyms and messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = ["MessageRow", "PeerSessionRow", "PseudonymRow", "RoomRow"]


class RoomRow(Base):
    __tablename__ = "rooms"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    theme: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    charter: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    moderation: Mapped[str] = mapped_column(String(8))
    slow_mode_s: Mapped[int] = mapped_column(Integer)
    max_length: Mapped[int] = mapped_column(Integer)
    retention_s: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[str] = mapped_column(Text)  # JSON array of rules
    timezone: Mapped[str] = mapped_column(String(64))
    requires_helper: Mapped[bool] = mapped_column(Boolean)
    history_size: Mapped[int] = mapped_column(Integer)
    # "config" rooms follow config.toml at each start; an admin edit makes them "admin".
    source: Mapped[str] = mapped_column(String(8), default="config")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # A tête-à-tête (moderation.private_rooms): never listed, joined by its two people only.
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the landing page
    # The room's message counter: ids come from here, so they follow commit order.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Highest id removed by the retention purge: a resume from below it has a gap.
    purged_through: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PeerSessionRow(Base):
    """An anonymous session. Only a hash of its token is kept: a leaked table opens nothing."""

    __tablename__ = "peer_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class PseudonymRow(Base):
    """A pseudonym held by a session in a room; held ones stay taken while the session lives."""

    __tablename__ = "pseudonyms"
    __table_args__ = (Index("uq_pseudonyms_room_norm", "room_slug", "norm", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_slug: Mapped[str] = mapped_column(ForeignKey("rooms.slug", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(
        ForeignKey("peer_sessions.id", ondelete="CASCADE"), index=True
    )
    pseudonym: Mapped[str] = mapped_column(String(64))
    norm: Mapped[str] = mapped_column(String(64))
    current: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_room_created", "room_slug", "created_at"),)

    room_slug: Mapped[str] = mapped_column(
        ForeignKey("rooms.slug", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: a message outlives nothing, but a purged session must not block a purge.
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    cw: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Hidden by a helper (or by enough reports, until a helper decides): out of every history.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
