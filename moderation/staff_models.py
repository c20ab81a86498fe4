"""Tables of the people who run Entraide: accounts, their login sessions, invitations, the
one-time setup link, helpline card overrides, and the append-only audit log.

Peers never have a row here. Only hashes of tokens are stored: a leaked table opens nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = [
    "AccountRoomRow", "AccountRow", "AuditRow", "HelplineCardRow", "InvitationRow", "SetupTokenRow",
    "StaffSessionRow",
]


class AccountRow(Base):
    """A pair-aidant (role "helper") or an admin. Never deleted: disabled, so the audit log keeps its actors."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)  # normalised: lower case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(8))
    # Helpers moderate the rooms of `account_rooms`, or every room when this is set.
    all_rooms: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccountRoomRow(Base):
    """A room a helper moderates."""

    __tablename__ = "account_rooms"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    room_slug: Mapped[str] = mapped_column(ForeignKey("rooms.slug", ondelete="CASCADE"), primary_key=True)


class StaffSessionRow(Base):
    """A login: its token (hashed), and the chat session (a `peer_sessions` row) it speaks with.

    Pseudonyms reference `peer_sessions` by foreign key, so a staff login gets its own
    chat-side row there, with role helper or admin and a token hash nobody holds: the chat
    side of the server treats it like any session, while only this table opens it.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    chat_session_id: Mapped[str] = mapped_column(
        ForeignKey("peer_sessions.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute limit
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class InvitationRow(Base):
    """A one-use link an admin made for a new helper, with the rooms they will moderate."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(8))
    all_rooms: Mapped[bool] = mapped_column(Boolean, default=False)
    rooms: Mapped[str] = mapped_column(Text)  # JSON array of slugs
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SetupTokenRow(Base):
    """The one setup link that may create the first admin: one row at most (id 1)."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HelplineCardRow(Base):
    """An admin's version of a locale's helpline card, over the default of config.toml."""

    __tablename__ = "helpline_cards"

    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    card: Mapped[str] = mapped_column(Text)  # JSON, as config.toml's [helplines.<locale>]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(32))


class AuditRow(Base):
    """One admin or helper action: who, what, on what, when and why. Rows are only ever inserted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_room_at", "room_slug", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    actor_role: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(80))
    # No foreign key: the log outlives what it speaks of.
    room_slug: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[str] = mapped_column(Text)  # JSON object
