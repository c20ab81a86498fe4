"""Plain values the stores hand out: no SQLAlchemy object ever leaves a store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "SessionRecord", "StoredMessage", "as_utc", "format_message_id", "format_timestamp", "parse_message_id",
]

_ID_WIDTH = 12
_ID_PATTERN = re.compile(rf"^[0-9]{{{_ID_WIDTH}}}$")


def as_utc(moment: datetime) -> datetime:
    """Everything stored is UTC; SQLite gives datetimes back without their zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as the protocol writes times: 2026-11-24T10:00:00.000Z."""
    moment = as_utc(moment).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_message_id(seq: int) -> str:
    """Zero-padded so that plain string comparison is publication order (protocol §Transport)."""
    return f"{seq:0{_ID_WIDTH}d}"


def parse_message_id(message_id: str) -> int | None:
    return int(message_id) if _ID_PATTERN.match(message_id) else None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    room: str
    seq: int
    session_id: str
    pseudonym: str
    role: str
    text: str
    cw: str | None
    created_at: datetime

    @property
    def id(self) -> str:
        return format_message_id(self.seq)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    role: str
    locale: str
    pseudonyms: dict[str, str]  # room slug -> current pseudonym
    created_at: datetime | None = None
