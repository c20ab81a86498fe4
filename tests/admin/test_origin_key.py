"""Login attempts are counted per network origin without keeping the address (a rotating keyed hash)."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.requests import Request

from web.auth import client_key

SECRET = "s" * 48
DAY = 86_400.0


def request_from(address: str, secret: str = SECRET) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(config=SimpleNamespace(secret_key=secret))))
    return Request({"type": "http", "client": (address, 40000), "app": app, "headers": []})


def test_the_same_address_on_the_same_day_counts_as_one_origin() -> None:
    morning, evening = 10 * DAY + 5, 10 * DAY + 80_000
    assert client_key(request_from("203.0.113.7"), morning) == client_key(request_from("203.0.113.7"), evening)


def test_different_addresses_are_different_origins() -> None:
    assert client_key(request_from("203.0.113.7"), 10 * DAY) != client_key(request_from("203.0.113.8"), 10 * DAY)


def test_the_key_changes_every_day() -> None:
    assert client_key(request_from("203.0.113.7"), 10 * DAY) != client_key(request_from("203.0.113.7"), 11 * DAY)


def test_the_hash_holds_nothing_of_the_address_and_depends_on_the_secret() -> None:
    key = client_key(request_from("203.0.113.7"), 10 * DAY)
    assert len(key) == 32 and set(key) <= set("0123456789abcdef") and "203.0.113.7" not in key
    assert key != client_key(request_from("203.0.113.7", secret="t" * 48), 10 * DAY)
