"""Staff accounts as a service: logins, invitations, the setup link, disabling, rooms to moderate.

The web layer parses requests and finds out who is asking; this module holds the rules,
checks the actor again (a route that forgot its guard still cannot make a helper an
admin), and writes each change with its audit entry in one transaction. It never sends
anything to websockets: the caller does that (`Services.end_account_sessions`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from moderation.account_store import AccountStore
from moderation.accounts import (
    ROLES,
    AccountError,
    AccountRecord,
    AccountsConfig,
    InvitationRecord,
    StaffRecord,
    check_password,
    check_username,
    hash_token,
    new_token,
    normalise_username,
)
from moderation.audit import Actor, AuditEntry
from moderation.invitation_store import InvitationStore
from moderation.passwords import Passwords

__all__ = ["LoginResult", "StaffService", "parse_rooms"]

SYSTEM = "system"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def parse_rooms(raw: object) -> frozenset[str] | None:
    """`"all"` (None: every room) or a list of slugs; 400 bad_field otherwise."""
    if raw == "all":
        return None
    if isinstance(raw, str):
        raw = [s for s in raw.split(",") if s.strip()]
    if isinstance(raw, list) and all(isinstance(s, str) and 0 < len(s.strip()) <= 40 for s in raw) and len(raw) <= 200:
        return frozenset(s.strip() for s in raw)
    raise AccountError(400, "bad_field", field="rooms", detail='"all" or a list of room slugs')


class LoginResult:
    __slots__ = ("staff", "token")

    def __init__(self, token: str, staff: StaffRecord) -> None:
        self.token = token
        self.staff = staff


class StaffService:
    def __init__(
        self, config: AccountsConfig, accounts: AccountStore, invitations: InvitationStore, passwords: Passwords,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.invitations = invitations
        self.passwords = passwords
        self.now = now

    @staticmethod
    def _require_admin(actor: Actor) -> None:
        if actor.role not in ("admin", SYSTEM):
            raise AccountError(403, "forbidden")

    # -- logging in and out ----------------------------------------------------------------

    async def login(self, username: str, password: str, locale: str = "fr") -> LoginResult | None:
        """A new login, or None: a wrong password, an unknown or a disabled account look alike
        (each costs one argon2 verification)."""
        found = await self.accounts.credentials(normalise_username(username)[:64])
        stored = None if found is None else found[1]
        ok = await self.passwords.verify(stored, password[:1024])
        if found is None or not ok or not found[0].active:
            return None
        account, stored_hash = found
        if self.passwords.needs_rehash(stored_hash):
            await self.accounts.set_password_hash(account.id, await self.passwords.hash(password))
        token, digest = new_token()
        now = self.now()
        entry = AuditEntry(Actor(account.username, account.role), "session.login", "account", account.username, now)
        staff = await self.accounts.start_session(account, digest, locale, now, [entry])
        return LoginResult(token, staff)

    async def authenticate(self, token: str) -> StaffRecord | None:
        return await self.accounts.authenticate(hash_token(token), self.now())

    async def logout(self, staff: StaffRecord) -> None:
        now = self.now()
        entry = AuditEntry(Actor(staff.username, staff.role), "session.logout", "account", staff.username, now)
        await self.accounts.end_session(staff.token_hash, now, [entry])

    # -- accounts ------------------------------------------------------------------------------

    async def add_account(
        self, actor: Actor, username: str, password: str, role: str, rooms: frozenset[str] | None,
        reason: str | None = None,
    ) -> AccountRecord:
        """An account made directly (the command line)."""
        self._require_admin(actor)
        if role not in ROLES:
            raise AccountError(400, "bad_field", field="role", detail="helper or admin")
        name = check_username(username)
        check_password(password, name)
        now = self.now()
        details = {"role": role, "rooms": "all" if rooms is None else sorted(rooms)}
        entry = AuditEntry(actor, "account.create", "account", name, now, reason=reason, details=details)
        return await self.accounts.create(name, await self.passwords.hash(password), role, rooms, now, [entry])

    async def list_accounts(self) -> list[AccountRecord]:
        return await self.accounts.all()

    async def set_rooms(
        self, actor: Actor, username: str, rooms: frozenset[str] | None, reason: str | None = None
    ) -> AccountRecord:
        self._require_admin(actor)
        name = normalise_username(username)
        now = self.now()
        details = {"rooms": "all" if rooms is None else sorted(rooms)}
        entry = AuditEntry(actor, "account.rooms", "account", name, now, reason=reason, details=details)
        return await self.accounts.set_rooms(name, rooms, [entry])

    async def disable(self, actor: Actor, username: str, reason: str | None = None) -> AccountRecord:
        """Disable an account and end its logins. The caller then closes its websockets."""
        self._require_admin(actor)
        name = normalise_username(username)
        target = await self.accounts.get(name)
        if target is None:
            raise AccountError(404, "not_found")
        if target.role == "admin" and target.active:
            admins = [a for a in await self.accounts.all() if a.role == "admin" and a.active]
            if len(admins) <= 1:
                raise AccountError(409, "last_admin")
        now = self.now()
        entry = AuditEntry(actor, "account.disable", "account", name, now, reason=reason)
        return await self.accounts.disable(name, now, [entry])

    # -- invitations ---------------------------------------------------------------------------

    async def invite(
        self, actor: Actor, rooms: frozenset[str] | None, role: str = "helper", hours: float | None = None,
        reason: str | None = None,
    ) -> tuple[str, InvitationRecord]:
        """A one-use link for a new helper (or admin); the token is shown once, only its hash is kept."""
        self._require_admin(actor)
        if role not in ROLES:
            raise AccountError(400, "bad_field", field="role", detail="helper or admin")
        valid_h = self.config.invitation_hours if hours is None else hours
        if not 0 < valid_h <= 24 * 30:
            raise AccountError(400, "bad_field", field="hours", detail="more than 0, at most 720")
        token, digest = new_token()
        now = self.now()
        invitation_id = secrets.token_hex(16)
        details = {"role": role, "rooms": "all" if rooms is None else sorted(rooms), "hours": valid_h}
        entry = AuditEntry(actor, "invitation.create", "invitation", invitation_id, now, reason=reason, details=details)
        record = await self.invitations.create(
            invitation_id, digest, role, None if role == "admin" else rooms, actor.name, now,
            now + timedelta(hours=valid_h), [entry],
        )
        return token, record

    async def invitation(self, token: str) -> InvitationRecord | None:
        return await self.invitations.pending(hash_token(token), self.now())

    async def recent_invitations(self) -> list[InvitationRecord]:
        return await self.invitations.recent()

    async def revoke_invitation(self, actor: Actor, invitation_id: str, reason: str | None = None) -> None:
        self._require_admin(actor)
        now = self.now()
        entry = AuditEntry(actor, "invitation.revoke", "invitation", invitation_id, now, reason=reason)
        if not await self.invitations.revoke(invitation_id, now, [entry]):
            raise AccountError(404, "not_found")

    async def accept_invitation(self, token: str, username: str, password: str, locale: str = "fr") -> LoginResult:
        """The invited person picks a username and a password, and is logged in."""
        name = check_username(username)
        check_password(password, name)
        digest = hash_token(token)
        now = self.now()
        invitation = await self.invitations.pending(digest, now)
        if invitation is None:
            raise AccountError(403, "invalid_link")
        password_hash = await self.passwords.hash(password)
        details = {"invitation": invitation.id, "invited_by": invitation.created_by, "role": invitation.role}
        entry = AuditEntry(Actor(name, invitation.role), "invitation.accept", "account", name, now, details=details)
        account = await self.invitations.accept(digest, name, password_hash, now, [entry])
        return await self._start(account, locale)

    # -- the first admin ----------------------------------------------------------------------------

    async def new_setup_link(self) -> str | None:
        """A new one-time setup token when no admin exists (replacing any earlier one), else None."""
        token, digest = new_token()
        now = self.now()
        expires = now + timedelta(hours=self.config.setup_link_hours)
        return token if await self.invitations.new_setup_link(digest, now, expires) else None

    async def setup_link_valid(self, token: str) -> bool:
        return await self.invitations.setup_link_valid(hash_token(token), self.now())

    async def use_setup_link(self, token: str, username: str, password: str, locale: str = "fr") -> LoginResult:
        name = check_username(username)
        check_password(password, name)
        now = self.now()
        if not await self.invitations.setup_link_valid(hash_token(token), now):
            raise AccountError(403, "invalid_link")
        password_hash = await self.passwords.hash(password)
        entry = AuditEntry(Actor(name, "admin"), "account.setup", "account", name, now, details={"role": "admin"})
        account = await self.invitations.use_setup_link(hash_token(token), name, password_hash, now, [entry])
        return await self._start(account, locale)

    async def _start(self, account: AccountRecord, locale: str) -> LoginResult:
        token, digest = new_token()
        now = self.now()
        entry = AuditEntry(Actor(account.username, account.role), "session.login", "account", account.username, now)
        return LoginResult(token, await self.accounts.start_session(account, digest, locale, now, [entry]))
