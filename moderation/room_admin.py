"""Room administration as a service: create, edit, archive rooms; helpline cards; the audit log.

Room settings are checked by the same code that reads them from config.toml
(`RoomSpec.from_table`), so the console cannot make a room the configuration file could
not. Each change is written with its audit entry in one transaction; the caller then
tells every process (`Services.rooms_changed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from moderation.accounts import AccountError
from moderation.audit import Actor, AuditEntry, AuditRecord, AuditStore
from moderation.helplines import HelplineCard, Helplines, HelplineStore
from moderation.private_rooms import PRIVATE_PREFIX
from rooms.config import RoomSpec
from rooms.configuration import ConfigError, Table
from rooms.store import RoomStore, StoredRoom

__all__ = ["ROOM_FIELDS", "RoomAdmin", "room_fields"]

ROOM_FIELDS = (
    "slug", "title", "theme", "lang", "description", "charter", "capacity", "moderation", "slow_mode_s",
    "max_length", "retention_s", "schedule", "timezone", "requires_helper", "history_size",
)
# Long texts go into the audit entry as their length, not whole.
_LONG = ("description", "charter")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def room_fields(spec: RoomSpec) -> dict[str, Any]:
    """A room's settings with the names and shapes of config.toml (and of the admin API)."""
    return {
        "slug": spec.slug, "title": spec.title, "theme": spec.theme, "lang": spec.lang,
        "description": spec.description, "charter": spec.charter, "capacity": spec.capacity,
        "moderation": spec.moderation, "slow_mode_s": spec.slow_mode_s, "max_length": spec.max_length,
        "retention_s": spec.retention_s, "schedule": list(spec.schedule.rules), "timezone": spec.schedule.zone.key,
        "requires_helper": spec.requires_helper, "history_size": spec.history_size,
    }


def bad_field(error: ConfigError, prefix: str = "room.") -> AccountError:
    """'room.title: must not be empty' -> 400 bad_field, field "title" (the key after `prefix`)."""
    message = str(error)
    key = message.split(":", 1)[0]
    key = key[len(prefix):] if key.startswith(prefix) else key
    field = key.split(".", 1)[0].split("[", 1)[0]
    return AccountError(400, "bad_field", field=field, detail=message.split(":", 1)[-1].strip())


def _audit_value(name: str, value: Any) -> Any:
    return {"length": len(value)} if name in _LONG else value


class RoomAdmin:
    def __init__(
        self, rooms: RoomStore, helplines: Helplines, helpline_store: HelplineStore, audit: AuditStore,
        history_size: int, now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.rooms = rooms
        self.helplines = helplines
        self._helpline_store = helpline_store
        self.audit = audit
        self._history_size = history_size
        self.now = now

    @staticmethod
    def _require_admin(actor: Actor) -> None:
        if actor.role not in ("admin", "system"):
            raise AccountError(403, "forbidden")

    def _spec(self, raw: Mapping[str, Any]) -> RoomSpec:
        unknown = sorted(set(raw) - set(ROOM_FIELDS))
        if unknown:
            raise AccountError(400, "bad_field", field=unknown[0], detail="unknown field")
        try:
            return RoomSpec.from_table(Table(dict(raw), "room"), self._history_size)
        except ConfigError as error:
            raise bad_field(error) from None

    # -- rooms -----------------------------------------------------------------------------------

    async def list_rooms(self) -> list[StoredRoom]:
        return await self.rooms.all()

    async def create_room(self, actor: Actor, fields: Mapping[str, Any], reason: str | None = None) -> RoomSpec:
        self._require_admin(actor)
        spec = self._spec(fields)
        if spec.slug.startswith(PRIVATE_PREFIX):
            raise AccountError(400, "bad_field", field="slug", detail=f"{PRIVATE_PREFIX}… is kept for tête-à-têtes")
        now = self.now()
        details = {k: _audit_value(k, v) for k, v in room_fields(spec).items() if k != "slug"}
        entry = AuditEntry(actor, "room.create", "room", spec.slug, now, room=spec.slug, reason=reason,
                           details=details)
        if not await self.rooms.create(spec, now, [entry.row()]):
            raise AccountError(409, "slug_taken")
        return spec

    async def update_room(
        self, actor: Actor, slug: str, changes: Mapping[str, Any], reason: str | None = None
    ) -> RoomSpec:
        """Change some settings of a live room; the others stay as they are."""
        self._require_admin(actor)
        current = await self.rooms.get(slug)
        if current is None or current.archived:
            raise AccountError(404, "not_found")
        if "slug" in changes and changes["slug"] != slug:
            raise AccountError(400, "bad_field", field="slug", detail="a room's slug cannot change")
        before = room_fields(current.spec)
        spec = self._spec({**before, **changes})
        after = room_fields(spec)
        changed = {k: _audit_value(k, after[k]) for k in ROOM_FIELDS if after[k] != before[k]}
        if not changed:
            return spec
        now = self.now()
        entry = AuditEntry(actor, "room.update", "room", slug, now, room=slug, reason=reason,
                           details={"changed": changed})
        if not await self.rooms.update(spec, now, [entry.row()]):
            raise AccountError(404, "not_found")
        return spec

    async def archive_room(self, actor: Actor, slug: str, reason: str | None = None, archived: bool = True) -> None:
        """Archive a room (its people are let out; it leaves the landing page), or bring it back."""
        self._require_admin(actor)
        now = self.now()
        action = "room.archive" if archived else "room.restore"
        entry = AuditEntry(actor, action, "room", slug, now, room=slug, reason=reason)
        if not await self.rooms.set_archived(slug, archived, now, [entry.row()]):
            raise AccountError(404, "not_found")

    # -- helpline cards ---------------------------------------------------------------------------

    async def put_helpline(
        self, actor: Actor, locale: str, raw: Mapping[str, Any], reason: str | None = None
    ) -> HelplineCard:
        self._require_admin(actor)
        try:
            card = HelplineCard.from_mapping(raw, locale)
        except ConfigError as error:
            raise bad_field(error, f"helplines.{locale}.") from None
        now = self.now()
        details = {"lines": [f"{line.name} {line.phone}" for line in card.lines]}
        entry = AuditEntry(actor, "helplines.update", "helplines", locale, now, reason=reason, details=details)
        await self._helpline_store.put(card, actor.name, now, [entry])
        return card

    async def reset_helpline(self, actor: Actor, locale: str, reason: str | None = None) -> None:
        """Back to config.toml's card for this locale."""
        self._require_admin(actor)
        entry = AuditEntry(actor, "helplines.reset", "helplines", locale, self.now(), reason=reason)
        if not await self._helpline_store.clear(locale, [entry]):
            raise AccountError(404, "not_found")

    # -- the audit log ------------------------------------------------------------------------------

    async def audit_log(
        self, *, room: str | None = None, actor: str | None = None, action: str | None = None,
        rooms_within: frozenset[str] | None = None, before_id: int | None = None, limit: int = 100,
    ) -> list[AuditRecord]:
        return await self.audit.entries(
            room=room, actor=actor, action=action, rooms_within=rooms_within, before_id=before_id, limit=limit,
        )
