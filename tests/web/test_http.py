"""Protocol §10: the JSON room list, the health check, pages and their security headers."""

from __future__ import annotations

import re

import asyncpg
import httpx
import pytest

from tests.conftest import PG_URL, base_config

pytestmark = pytest.mark.asyncio

SLUG = re.compile(r"^[a-z0-9-]+$")


async def get(server, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http) as client:
        return await client.get(path, **kwargs)


async def test_the_room_list_has_the_protocol_shape(server):
    """GET /api/rooms is a JSON list of rooms with slug, title, description, lang, open and presence."""
    response = await get(server, "/api/rooms")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    rooms = response.json()
    assert isinstance(rooms, list) and rooms
    for room in rooms:
        assert {"slug", "title", "description", "lang", "open", "presence"} <= set(room)
        assert isinstance(room["slug"], str) and SLUG.match(room["slug"])
        assert isinstance(room["title"], str) and room["title"]
        assert isinstance(room["description"], str) and room["description"]
        assert room["lang"] in ("fr", "en")
        assert isinstance(room["open"], bool)
        assert set(room["presence"]) == {"count", "helpers"}
        assert all(isinstance(v, int) and v >= 0 for v in room["presence"].values())


async def test_every_seeded_room_is_listed(server_factory):
    """All rooms of the shipped config appear, in order: at least 7 French and 1 English."""
    server = await server_factory()
    rooms = (await get(server, "/api/rooms")).json()
    seeded = base_config()["room"]
    assert [r["slug"] for r in rooms] == [r["slug"] for r in seeded]
    assert sum(r["lang"] == "fr" for r in rooms) >= 7
    assert sum(r["lang"] == "en" for r in rooms) >= 1
    by_slug = {r["slug"]: r for r in rooms}
    for room in seeded:
        assert by_slug[room["slug"]]["title"] == room["title"]
        assert by_slug[room["slug"]]["lang"] == room["lang"]


async def test_the_room_list_says_which_rooms_are_closed(server_factory):
    """A requires_helper room without a helper is listed as closed; an always-open one as open."""
    server = await server_factory()
    rooms = {r["slug"]: r for r in (await get(server, "/api/rooms")).json()}
    assert rooms["addictions"]["open"] is False
    assert rooms["anxiete"]["open"] is True


async def test_the_room_list_is_not_cached(server):
    """The room list changes with presence: it must not be cached."""
    response = await get(server, "/api/rooms")
    assert "no-store" in response.headers.get("cache-control", "")


async def test_healthz_is_ok(server):
    """GET /healthz answers 200 {"status": "ok"} while the database and broker answer."""
    response = await get(server, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.postgres
async def test_healthz_is_503_when_the_database_is_gone(server_factory, postgres_url):
    """Once the server's PostgreSQL database disappears, /healthz answers 503."""
    server = await server_factory(database_url=postgres_url)
    assert (await get(server, "/healthz")).status_code == 200
    name = postgres_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(PG_URL)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    response = await get(server, "/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


async def test_responses_carry_the_security_headers(server):
    """Pages and API answers carry a CSP without 'unsafe-inline' and nosniff."""
    for path in ("/", "/r/anxiete", "/api/rooms", "/r/unknown", "/healthz"):
        response = await get(server, path)
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert response.headers.get("x-content-type-options") == "nosniff", path


async def test_pages_are_html(server):
    """The landing page and a room page are served as HTML."""
    for path in ("/", "/r/anxiete"):
        response = await get(server, path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path


async def test_an_unknown_room_page_is_a_bilingual_404(server):
    """/r/<unknown> answers 404 with a page in French and English."""
    response = await get(server, "/r/unknown")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Cette page n'existe pas." in response.text
    assert "This page does not exist." in response.text
    assert '<html lang="fr">' in response.text and 'lang="en"' in response.text


async def test_an_unknown_api_path_is_a_json_404(server):
    """Under /api/, a missing route answers JSON, not a page."""
    response = await get(server, "/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}
