"""Live anonymous sessions: tokens, and what a session carries while it is connected."""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chat.config import HubConfig
from chat.connection import Connection
from chat.ratelimit import WindowCounter
from moderation.store import ModerationStore, Sanction
from rooms.session_store import SessionStore

__all__ = ["Session", "SessionRegistry", "hash_token"]


def hash_token(token: str) -> str:
    """Only this reaches the database; the token itself lives in the browser alone."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(eq=False, slots=True)
class Session:
    id: str
    token: str
    role: str
    locale: str
    pseudonyms: dict[str, str]
    sanctions: list[Sanction]
    refusals: WindowCounter
    connections: set[Connection] = field(default_factory=set)
    #: Staff only: the account's username, and the rooms it may moderate (None: every room).
    username: str | None = None
    moderates: frozenset[str] | None = frozenset()
    #: Rooms this session is on duty for (protocol §8); empty for peers.
    duty: set[str] = field(default_factory=set)
    #: When the session was first opened: a very new one is on probation where a ban is recent.
    created_at: datetime | None = None
    #: Per room, the session's last few texts: the repetition check compares with them.
    recent: dict[str, deque[tuple[float, str]]] = field(default_factory=dict)

    def may_moderate(self, room: str) -> bool:
        if self.role not in ("helper", "admin"):
            return False
        return self.moderates is None or room in self.moderates

    def sanction(self, kind: str, room: str, now: datetime) -> Sanction | None:
        """The active mute or ban of this kind that applies in `room`, the longest first."""
        active = [
            s for s in self.sanctions
            if s.kind == kind and s.room in (room, None) and (s.until is None or s.until > now)
        ]
        if not active:
            return None
        return max(active, key=lambda s: (s.until is None, s.until or now))


class SessionRegistry:
    """Opens sessions at `hello` and keeps one live object per session while it has connections."""

    def __init__(
        self, config: HubConfig, store: SessionStore, moderation: ModerationStore, staff: Any = None,
    ) -> None:
        self._config = config
        self._staff = staff  # staff accounts' login sessions (helpers, admins); None: peers only
        self._store = store
        self._moderation = moderation
        self._live: dict[str, Session] = {}  # by token hash

    def _new(self, session_id: str, token: str, role: str, locale: str, pseudonyms: dict[str, str],
             sanctions: list[Sanction], clock: float) -> Session:
        c = self._config
        return Session(
            id=session_id, token=token, role=role, locale=locale, pseudonyms=pseudonyms,
            sanctions=sanctions,
            refusals=WindowCounter(c.flood_refusals, c.flood_window_s),
        )

    async def open(self, token: str | None, locale: str, now: datetime, clock: float) -> Session | None:
        """A new session (no token), the token's session, or None when the token is not valid."""
        if token is None:
            token = secrets.token_urlsafe(32)  # 256 bits
            record = await self._store.create(secrets.token_hex(16), hash_token(token), "peer", locale, now)
            session = self._new(record.id, token, record.role, locale, {}, [], clock)
            session.created_at = now
            self._live[hash_token(token)] = session
            return session
        digest = hash_token(token)
        idle_before = now - timedelta(days=self._config.session_idle_days)
        resumed = await self._store.resume(digest, locale, now, idle_before)
        if resumed is None:
            staff = None if self._staff is None else await self._open_staff(token, digest, locale, now, clock)
            if staff is None:
                self._live.pop(digest, None)
            return staff
        record = resumed
        live = self._live.get(digest)
        if live is not None:
            live.locale = locale
            return live
        sanctions = await self._moderation.active_sanctions(record.id, now)
        session = self._new(record.id, token, record.role, locale, dict(record.pseudonyms), sanctions, clock)
        session.created_at = record.created_at
        self._live[digest] = session
        return session

    async def _open_staff(self, token: str, digest: str, locale: str, now: datetime, clock: float) -> Session | None:
        """A helper's or admin's login token (POST /api/login): valid, or None (bad_token)."""
        record = await self._staff.resume(digest, locale, now)
        if record is None:
            return None
        live = self._live.get(digest)
        if live is None:
            sanctions = await self._moderation.active_sanctions(record.chat_session_id, now)
            live = self._new(record.chat_session_id, token, record.role, locale, dict(record.pseudonyms),
                             sanctions, clock)
            self._live[digest] = live
        live.locale = locale
        live.username = record.username
        live.moderates = record.rooms
        return live

    def release(self, session: Session) -> None:
        """Forget the live object once its last connection has gone; the database keeps the rest."""
        if not session.connections:
            self._live.pop(hash_token(session.token), None)

    def live(self) -> list[Session]:
        return list(self._live.values())

    def find(self, session_id: str) -> Session | None:
        """The live session with this id, if it has a connection in this process."""
        return next((s for s in self._live.values() if s.id == session_id), None)
