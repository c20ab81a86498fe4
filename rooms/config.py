"""Configuration of rooms and of the database, read from `config.toml`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rooms.configuration import ConfigError, Table
from rooms.schedule import ScheduleError, WeeklySchedule

__all__ = ["SLUG_PATTERN", "DatabaseConfig", "RoomSpec", "RoomsConfig"]

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
LANGS = ("fr", "en")
THEMES = (
    "anxiete", "deuil", "bipolarite", "proches", "addictions", "retablissement", "nuit",
    "depression", "general",
)
_ROOM_KEYS = (
    "slug", "title", "theme", "lang", "description", "charter", "capacity", "moderation",
    "slow_mode_s", "max_length", "retention_s", "schedule", "timezone", "requires_helper",
    "history_size",
)


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """A room's settings: what the hub needs to run it, without touching the database."""

    slug: str
    title: str
    theme: str
    lang: str
    description: str
    charter: str
    capacity: int
    moderation: str  # "post" or "pre"
    slow_mode_s: int
    max_length: int
    retention_s: int
    schedule: WeeklySchedule
    requires_helper: bool
    history_size: int

    @classmethod
    def from_table(cls, t: Table, history_size: int) -> RoomSpec:
        t.reject_unknown(_ROOM_KEYS)
        slug = t.string("slug", max_length=40)
        if not SLUG_PATTERN.match(slug):
            raise ConfigError(f"{t.key('slug')}: {slug!r} must be 2 to 40 of [a-z0-9-]")
        try:
            schedule = WeeklySchedule.parse(t.strings("schedule", ()), t.string("timezone", "Europe/Paris"))
        except ScheduleError as exc:
            raise ConfigError(f"{t.key('schedule')}: {exc}") from exc
        return cls(
            slug=slug,
            title=t.string("title", max_length=80),
            theme=t.string("theme", "general", choices=THEMES),
            lang=t.string("lang", "fr", choices=LANGS),
            description=t.string("description", max_length=2000),
            charter=t.string("charter", max_length=8000),
            capacity=t.integer("capacity", 200, low=1, high=100_000),
            moderation=t.string("moderation", "post", choices=("post", "pre")),
            slow_mode_s=t.integer("slow_mode_s", 0, low=0, high=3600),
            max_length=t.integer("max_length", 2000, low=1, high=10_000),
            retention_s=t.integer("retention_s", 86_400, low=1, high=30 * 86_400),
            schedule=schedule,
            requires_helper=t.boolean("requires_helper", False),
            history_size=t.integer("history_size", history_size, low=0, high=500),
        )


@dataclass(frozen=True, slots=True)
class RoomsConfig:
    """The rooms seeded at start-up and the purge cadence of their history."""

    seed: tuple[RoomSpec, ...]
    purge_interval_s: float

    @classmethod
    def from_table(cls, rooms: Table, seed: list[Table], history_size: int) -> RoomsConfig:
        rooms.reject_unknown(("purge_interval_s",))
        specs = tuple(RoomSpec.from_table(t, history_size) for t in seed)
        slugs = [s.slug for s in specs]
        for slug in slugs:
            if slugs.count(slug) > 1:
                raise ConfigError(f"rooms: slug {slug!r} is seeded twice")
        return cls(specs, rooms.number("purge_interval_s", 60.0, low=0.05, high=86_400))


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """Where messages and sessions live: a SQLite file by default, PostgreSQL in production."""

    url: str
    echo: bool = False

    @classmethod
    def from_url(cls, url: str) -> DatabaseConfig:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "sqlite://", "postgres")):
            raise ConfigError(
                f"DATABASE_URL: unsupported database {url.split(':', 1)[0]!r} "
                "(use sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db)"
            )
        # Platforms hand out postgres:// URLs; SQLAlchemy's async engine wants the driver named.
        for plain in ("postgres://", "postgresql://"):
            if url.startswith(plain):
                url = "postgresql+asyncpg://" + url[len(plain):]
        if url.startswith("sqlite://"):
            url = "sqlite+aiosqlite://" + url[len("sqlite://"):]
        return cls(url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")
