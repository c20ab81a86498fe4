"""Configuration is read once and a wrong value names its key."""

from __future__ import annotations

import pytest

from rooms.configuration import ConfigError
from tests.conftest import base_config, merge, test_room
from web.config import AppConfig


def config_error(raw, environ=None) -> str:
    with pytest.raises(ConfigError) as caught:
        AppConfig.from_mapping(raw, environ or {})
    return str(caught.value)


def test_the_shipped_config_is_valid_and_seeds_french_and_english_rooms():
    """config.toml loads; it seeds at least seven French rooms and one English one."""
    config = AppConfig.from_mapping(base_config(), {})
    langs = [room.lang for room in config.rooms.seed]
    assert langs.count("fr") >= 7 and langs.count("en") >= 1


def test_environment_wins_for_urls():
    """DATABASE_URL and REDIS_URL come from the environment; postgres:// gets its driver."""
    config = AppConfig.from_mapping(base_config(), {"DATABASE_URL": "postgres://u@h/db", "REDIS_URL": "redis://h:6379/0"})
    assert config.database.url == "postgresql+asyncpg://u@h/db" and config.redis is not None and config.redis.url == "redis://h:6379/0"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [({"chat": {"history_size": "many"}}, "chat.history_size"),
     ({"chat": {"rate_burst": 0}}, "chat.rate_burst"),
     ({"chat": {"histroy_size": 3}}, "chat.histroy_size"),
     ({"server": {"port": 70000}}, "server.port"),
     ({"server": {"allowed_origins": ["example.org"]}}, "server.allowed_origins")],
)
def test_a_wrong_value_names_its_key(overrides, key):
    """Type, range and unknown-key errors all name the dotted key."""
    assert config_error(merge(base_config(), overrides)).startswith(key)


def test_a_bad_room_slug_is_refused():
    """Slugs are [a-z0-9-]."""
    assert "room[0].slug" in config_error({"room": [test_room("Salon Été")]})


def test_a_duplicate_room_is_refused():
    """Two rooms cannot share a slug."""
    assert "seeded twice" in config_error({"room": [test_room("a1"), test_room("a1")]})


def test_a_bad_environment_value_is_refused():
    """A wrong DATABASE_URL or REDIS_URL stops start-up with the variable's name."""
    assert config_error({}, {"DATABASE_URL": "mysql://x"}).startswith("DATABASE_URL")
    assert config_error({}, {"REDIS_URL": "http://x"}).startswith("REDIS_URL")
    assert config_error({}, {"ENTRAIDE_SECRET_KEY": "short"}).startswith("ENTRAIDE_SECRET_KEY")
