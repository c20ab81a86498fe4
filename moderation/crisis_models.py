"""The admins' changes to the shipped crisis patterns: patterns added, patterns disabled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rooms.db import Base

__all__ = ["CrisisOverrideRow"]


class CrisisOverrideRow(Base):
    """One change: kind "add" (a new pattern, with its phrase, category and severity) or kind
    "disable" (a shipped or added pattern id left out). Enabling again deletes the disable row;
    removing an added pattern deletes its row (the audit log keeps both)."""

    __tablename__ = "crisis_pattern_overrides"
    __table_args__ = (UniqueConstraint("kind", "pattern_id", name="uq_crisis_pattern_overrides_kind_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(8))
    pattern_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))  # add | disable
    phrase: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
