"""Everything about helpers and admins, built once beside the hub (see `Services.start`).

Also the watch over live staff websockets: every `staff_check_interval_s` each process
asks the database which of its live staff logins are still valid, closes the others with
4001 (expired, logged out, or disabled from the command line, which cannot reach the
processes directly), and refreshes the rooms each helper may moderate.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.endpoint import CLOSE_BAD_TOKEN
from chat.sessions import Session, hash_token
from moderation.account_store import AccountStore
from moderation.accounts import AccountsConfig
from moderation.audit import AuditStore
from moderation.helplines import Helplines, HelplinesConfig, HelplineStore
from moderation.invitation_store import InvitationStore
from moderation.passwords import Passwords
from moderation.room_admin import RoomAdmin
from moderation.staff_service import StaffService
from moderation.throttle import Throttle
from rooms.store import RoomStore

__all__ = ["StaffServices"]

log = logging.getLogger(__name__)


class _Registry(Protocol):
    def live(self) -> list[Session]: ...


@dataclass
class StaffServices:
    config: AccountsConfig
    passwords: Passwords
    accounts: AccountStore
    service: StaffService
    admin: RoomAdmin
    helplines: Helplines
    per_user: Throttle
    per_origin: Throttle
    registry: _Registry | None = None

    @classmethod
    def build(
        cls, config: AccountsConfig, helplines: HelplinesConfig, sessionmaker: async_sessionmaker[AsyncSession],
        rooms: RoomStore, history_size: int,
    ) -> StaffServices:
        passwords = Passwords()
        accounts = AccountStore(
            sessionmaker, timedelta(hours=config.session_idle_h), timedelta(days=config.session_max_days)
        )
        helpline_store = HelplineStore(sessionmaker)
        cards = Helplines(helplines, helpline_store)
        return cls(
            config=config, passwords=passwords, accounts=accounts,
            service=StaffService(config, accounts, InvitationStore(sessionmaker), passwords),
            admin=RoomAdmin(rooms, cards, helpline_store, AuditStore(sessionmaker), history_size),
            helplines=cards,
            per_user=Throttle(config.login_failures_per_user, config.login_window_s),
            per_origin=Throttle(config.login_attempts_per_origin, config.login_window_s),
        )

    def attach(self, registry: _Registry) -> None:
        """Give the watch the hub's session registry."""
        self.registry = registry

    def _live_staff(self) -> list[Session]:
        if self.registry is None:
            return []
        return [s for s in self.registry.live() if s.role in ("helper", "admin") and s.username is not None]

    async def check_live(self) -> None:
        """One pass of the watch: close what is no longer valid, refresh rooms of the rest."""
        staff = self._live_staff()
        if not staff:
            return
        by_hash = {hash_token(s.token): s for s in staff}
        valid = await self.accounts.check(list(by_hash), datetime.now(UTC))
        for digest, session in by_hash.items():
            record = valid.get(digest)
            if record is None:
                for conn in list(session.connections):
                    conn.close_after_queue(CLOSE_BAD_TOKEN)
            else:
                session.moderates = record.rooms

    def close_login(self, token_hash: str) -> None:
        """A login just ended (log out): its websockets in this process close now."""
        for session in self._live_staff():
            if hash_token(session.token) == token_hash:
                for conn in list(session.connections):
                    conn.close_after_queue(CLOSE_BAD_TOKEN)

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.config.staff_check_interval_s)
            try:
                await self.check_live()
            except Exception:
                log.exception("live staff sessions could not be checked")
