"""Accounts of pair-aidants and admins: their rules and the plain values the stores hand out.

Pure: no I/O. Peers never have an account; staff log in with a username and a password.

    AccountError(status, code)             a refused account operation, with its HTTP status
    ├── 400 bad_request / weak_password / bad_username / unknown_room / bad_field
    ├── 401 bad_credentials                (wrong password and unknown username alike)
    ├── 403 forbidden / invalid_link
    ├── 404 not_found
    ├── 409 username_taken / slug_taken / setup_done
    └── 429 rate_limited
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rooms.configuration import Table

__all__ = [
    "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "ROLES", "AccountError", "AccountRecord", "AccountsConfig",
    "InvitationRecord", "StaffLookup", "StaffRecord", "check_password", "check_username", "hash_token",
    "new_token", "normalise_username",
]

ROLES = ("helper", "admin")
MIN_PASSWORD_LENGTH = 12
# argon2 hashes anything, but a megabyte "password" is a cheap way to make the server work.
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{1,30}[a-z0-9])$")

_KEYS = (
    "session_idle_h", "session_max_days", "invitation_hours", "setup_link_hours",
    "login_failures_per_user", "login_attempts_per_origin", "login_window_s", "staff_check_interval_s",
    "cookie_secure",
)


class AccountError(Exception):
    """A refused account or administration request; `status` is its HTTP status."""

    def __init__(self, status: int, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.extra = extra


@dataclass(frozen=True, slots=True)
class AccountsConfig:
    """The `[accounts]` table: how long logins and links live, and login rate limits."""

    session_idle_h: float = 12.0  # a login unused this long ends
    session_max_days: float = 7.0  # and every login ends after this, used or not
    invitation_hours: float = 72.0
    setup_link_hours: float = 24.0
    # Failed logins per username, and login attempts per network origin, within the window.
    login_failures_per_user: int = 5
    login_attempts_per_origin: int = 20
    login_window_s: float = 900.0
    # How often each process checks its live staff websockets against the database
    # (expired, logged out, disabled from the command line, rooms reassigned).
    staff_check_interval_s: float = 15.0
    # The login cookie's Secure flag: "auto" sets it when the request came over https;
    # behind a proxy that ends TLS, say "always".
    cookie_secure: str = "auto"

    @classmethod
    def from_table(cls, t: Table) -> AccountsConfig:
        t.reject_unknown(_KEYS)
        d = cls()
        return cls(
            session_idle_h=t.number("session_idle_h", d.session_idle_h, low=0.01, high=24 * 30),
            session_max_days=t.number("session_max_days", d.session_max_days, low=0.01, high=90),
            invitation_hours=t.number("invitation_hours", d.invitation_hours, low=0.01, high=24 * 30),
            setup_link_hours=t.number("setup_link_hours", d.setup_link_hours, low=0.01, high=24 * 7),
            login_failures_per_user=t.integer("login_failures_per_user", d.login_failures_per_user, low=1, high=1000),
            login_attempts_per_origin=t.integer(
                "login_attempts_per_origin", d.login_attempts_per_origin, low=1, high=100_000
            ),
            login_window_s=t.number("login_window_s", d.login_window_s, low=1, high=86_400),
            staff_check_interval_s=t.number("staff_check_interval_s", d.staff_check_interval_s, low=0.05, high=600),
            cookie_secure=t.string("cookie_secure", d.cookie_secure, choices=("auto", "always", "never")),
        )


def hash_token(token: str) -> str:
    """What the database keeps of a token (SHA-256, as for peers' tokens): never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh 256-bit token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def normalise_username(raw: str) -> str:
    """The form usernames are stored and compared in: NFKC, trimmed, lower case."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def check_username(raw: str) -> str:
    name = normalise_username(raw)
    if not _USERNAME.match(name):
        raise AccountError(400, "bad_username")
    return name


def check_password(password: str, username: str = "") -> None:
    """At least 12 characters (NIST SP 800-63B favours length over composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(400, "weak_password", min_length=MIN_PASSWORD_LENGTH)
    if username and normalise_username(password) == normalise_username(username):
        raise AccountError(400, "weak_password", min_length=MIN_PASSWORD_LENGTH)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    username: str
    role: str
    rooms: frozenset[str] | None  # None: every room (admins, and helpers with "all")
    created_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def may_moderate(self, room: str) -> bool:
        return self.active and (self.rooms is None or room in self.rooms)

    def public(self) -> dict[str, Any]:
        return {
            "username": self.username, "role": self.role,
            "rooms": "all" if self.rooms is None else sorted(self.rooms),
            "disabled": self.disabled_at is not None,
        }


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A valid login session as the chat and the web layers need it."""

    session_id: str  # the staff session
    chat_session_id: str  # its `peer_sessions` row: pseudonyms, messages, sanctions
    token_hash: str
    account: AccountRecord
    pseudonyms: dict[str, str]  # room -> current pseudonym of the chat session

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def rooms(self) -> frozenset[str] | None:
        return None if self.account.role == "admin" else self.account.rooms


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: str
    role: str
    rooms: frozenset[str] | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "pending"


class StaffLookup(Protocol):
    """What the chat's session registry needs to open a staff login token at `hello`."""

    async def resume(self, token_hash: str, locale: str, now: datetime) -> StaffRecord | None:
        """The login behind this token hash if it is still valid (marks it seen), else None."""
        ...
