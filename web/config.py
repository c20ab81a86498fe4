"""The whole configuration: `config.toml` (or ENTRAIDE_CONFIG) plus the environment.

Read once at start-up into typed sections; a wrong value stops start-up with a message
naming the key. Secrets and URLs come from the environment only.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chat.broker_redis import RedisSettings
from chat.config import HubConfig
from chat.desk import DeskConfig
from moderation.accounts import AccountsConfig
from moderation.helplines import HelplinesConfig
from moderation.pipeline_config import PipelineConfig
from rooms.config import DatabaseConfig, RoomsConfig
from rooms.configuration import ConfigError, Table

__all__ = ["DEFAULT_CONFIG", "AppConfig", "ServerConfig", "load_config"]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
_SERVER_KEYS = (
    "host", "port", "workers", "ws_max_size", "ws_ping_interval_s", "ws_ping_timeout_s",
    "allowed_origins", "graceful_shutdown_s",
)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str
    port: int
    workers: int
    ws_max_size: int
    ws_ping_interval_s: float
    ws_ping_timeout_s: float
    allowed_origins: tuple[str, ...]
    graceful_shutdown_s: int

    @classmethod
    def from_table(cls, t: Table) -> ServerConfig:
        t.reject_unknown(_SERVER_KEYS)
        origins = t.strings("allowed_origins", ())
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ConfigError(f"{t.key('allowed_origins')}: {origin!r} is not like https://host[:port]")
        return cls(
            host=t.string("host", "127.0.0.1"),
            port=t.integer("port", 8000, low=0, high=65535),
            workers=t.integer("workers", 1, low=1, high=256),
            ws_max_size=t.integer("ws_max_size", 16_384, low=1024, high=16 * 1024 * 1024),
            ws_ping_interval_s=t.number("ws_ping_interval_s", 20.0, low=1, high=600),
            ws_ping_timeout_s=t.number("ws_ping_timeout_s", 20.0, low=1, high=600),
            allowed_origins=tuple(o.rstrip("/") for o in origins),
            graceful_shutdown_s=t.integer("graceful_shutdown_s", 5, low=0, high=600),
        )


@dataclass(frozen=True, slots=True)
class AppConfig:
    server: ServerConfig
    database: DatabaseConfig
    chat: HubConfig
    rooms: RoomsConfig
    redis: RedisSettings | None
    secret_key: str
    source: Path | None
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    helplines: HelplinesConfig = field(default_factory=lambda: HelplinesConfig(()))
    moderation: PipelineConfig = field(default_factory=PipelineConfig)
    queue: DeskConfig = field(default_factory=DeskConfig)

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, object], environ: Mapping[str, str], source: Path | None = None
    ) -> AppConfig:
        root = Table(raw, "")
        root.reject_unknown((
            "server", "database", "chat", "rooms", "room", "redis", "accounts", "helplines", "moderation", "queue",
        ))
        chat = HubConfig.from_table(root.table("chat"))
        database = root.table("database")
        database.reject_unknown(("url",))
        db_url = environ.get("DATABASE_URL") or database.string("url", "sqlite+aiosqlite:///entraide.db")
        redis_url = environ.get("REDIS_URL") or None
        if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS_URL: must start with redis://, rediss:// or unix://")
        secret = environ.get("ENTRAIDE_SECRET_KEY", "")
        if secret and len(secret) < 32:
            raise ConfigError("ENTRAIDE_SECRET_KEY: must be at least 32 characters")
        return cls(
            server=ServerConfig.from_table(root.table("server")),
            database=DatabaseConfig.from_url(db_url),
            chat=chat,
            rooms=RoomsConfig.from_table(root.table("rooms"), root.tables("room"), chat.history_size),
            redis=None if redis_url is None else _redis_settings(root.table("redis"), redis_url),
            # Without a configured key, one per start: fine for one process, and said in the docs.
            secret_key=secret or secrets.token_urlsafe(48),
            source=source,
            accounts=AccountsConfig.from_table(root.table("accounts")),
            helplines=HelplinesConfig.from_raw(raw.get("helplines")),
            moderation=PipelineConfig.from_table(root.table("moderation")),
            queue=_desk_config(root.table("queue")),
        )


def _desk_config(t: Table) -> DeskConfig:
    t.reject_unknown((
        "crisis_claim_timeout_s", "report_hide_weight", "reports_per_window", "report_window_s",
        "private_invite_ttl_s", "private_absent_grace_s",
    ))
    d = DeskConfig()
    return DeskConfig(
        crisis_claim_timeout_s=t.number("crisis_claim_timeout_s", d.crisis_claim_timeout_s, low=1, high=3600),
        report_hide_weight=t.number("report_hide_weight", d.report_hide_weight, low=1, high=1000),
        reports_per_window=t.integer("reports_per_window", d.reports_per_window, low=1, high=10_000),
        report_window_s=t.number("report_window_s", d.report_window_s, low=1, high=86_400),
        private_invite_ttl_s=t.number("private_invite_ttl_s", d.private_invite_ttl_s, low=1, high=86_400),
        private_absent_grace_s=t.number("private_absent_grace_s", d.private_absent_grace_s, low=1, high=3600),
    )


def _redis_settings(t: Table, url: str) -> RedisSettings:
    t.reject_unknown(("prefix", "max_connections", "backoff_cap_s", "presence_ttl_s", "duty_grace_s"))
    prefix = t.string("prefix", "entraide")
    if not prefix or any(c in prefix for c in "{}: \t\n"):
        raise ConfigError(f"{t.key('prefix')}: letters, digits, - and _ only")
    return RedisSettings(
        url=url, prefix=prefix,
        max_connections=t.integer("max_connections", 32, low=2, high=10_000),
        backoff_cap_s=t.number("backoff_cap_s", 30.0, low=0.5, high=300),
        presence_ttl_s=t.number("presence_ttl_s", 30.0, low=1, high=300),
        duty_grace_s=t.number("duty_grace_s", 60.0, low=1, high=3600),
    )


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> AppConfig:
    env = os.environ if environ is None else environ
    chosen = path or Path(env.get("ENTRAIDE_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"ENTRAIDE_CONFIG: no file at {chosen}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML: {exc}") from None
    return AppConfig.from_mapping(raw, env, chosen)
