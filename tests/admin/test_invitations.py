"""Invitations end to end: an admin makes a one-use link, the helper opens it, picks a name, is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from moderation.staff_models import InvitationRow
from tests.admin.conftest import PASSWORD, admin, call, hello, post_login, sql
from tests.conftest import base_config, test_room

pytestmark = pytest.mark.asyncio

ROOMS = [*base_config()["room"], test_room()]


def token_of(url: str) -> str:
    path, _, token = url.partition("#")
    assert path.endswith("/invite") and len(token) >= 43
    return token


async def accept(client: httpx.AsyncClient, token: str, username: str) -> httpx.Response:
    form = {"token": token, "username": username, "password": PASSWORD}
    return await client.post("/api/invitations/accept", json=form)


async def invite(server, boss, **body) -> dict[str, Any]:
    response = await call(server, "POST", "/api/admin/invitations", boss, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_invited_helper_picks_a_name_and_a_password_and_is_in(server_factory, database_url):
    """Invitation with two rooms -> the page -> check -> accept -> logged in as a helper of those rooms."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server)
    invitation = await invite(server, boss, rooms=["anxiete", "salon-test"], reason="nouvelle bénévole")
    assert invitation["state"] == "pending" and invitation["rooms"] == ["anxiete", "salon-test"]
    token = token_of(invitation["url"])
    async with httpx.AsyncClient(base_url=server.http) as browser:
        assert (await browser.get("/invite")).status_code == 200
        seen = await browser.post("/api/invitations/check", json={"token": token})
        assert seen.status_code == 200
        assert seen.json()["role"] == "helper" and seen.json()["rooms"] == ["anxiete", "salon-test"]
        accepted = await browser.post(
            "/api/invitations/accept", json={"token": token, "username": "Noor", "password": PASSWORD},
        )
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["username"] == "noor" and accepted.json()["rooms"] == ["anxiete", "salon-test"]
        # The cookie is set: the helper's page opens at once.
        assert (await browser.get("/account")).status_code == 200
    assert (await post_login(server, "noor")).status_code == 200
    _, welcome = await hello(server, accepted.json()["token"])
    assert welcome["role"] == "helper"
    listed = (await call(server, "GET", "/api/admin/invitations", boss)).json()
    assert listed[0]["state"] == "used" and listed[0]["used_by"] == "noor"
    assert "url" not in listed[0]  # the link is shown once, when it is made


async def test_an_invitation_works_once(server):
    """The second use of a link is refused, even with another username."""
    boss = await admin(server)
    token = token_of((await invite(server, boss, rooms="all"))["url"])
    async with httpx.AsyncClient(base_url=server.http) as client:
        first = await accept(client, token, "noor")
        assert first.status_code == 201 and first.json()["rooms"] == "all"
        second = await accept(client, token, "sam")
        assert (second.status_code, second.json()["error"]) == (403, "invalid_link")
        assert (await client.post("/api/invitations/check", json={"token": token})).status_code == 403


async def test_an_expired_invitation_is_refused(server):
    """After its validity the link opens nothing."""
    boss = await admin(server)
    token = token_of((await invite(server, boss, rooms=["anxiete"], hours=1))["url"])
    await sql(server, update(InvitationRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    async with httpx.AsyncClient(base_url=server.http) as client:
        response = await accept(client, token, "noor")
    assert response.status_code == 403
    assert (await call(server, "GET", "/api/admin/invitations", boss)).json()[0]["state"] == "expired"


async def test_a_withdrawn_invitation_is_refused(server):
    """An admin withdraws a pending invitation: its link stops working."""
    boss = await admin(server)
    invitation = await invite(server, boss, rooms=["anxiete"])
    revoked = await call(server, "POST", f"/api/admin/invitations/{invitation['id']}/revoke", boss)
    assert revoked.status_code == 200
    async with httpx.AsyncClient(base_url=server.http) as client:
        response = await client.post("/api/invitations/check", json={"token": token_of(invitation["url"])})
    assert response.status_code == 403


async def test_a_taken_username_leaves_the_invitation_usable(server):
    """Picking a username that exists is refused (409), and the link still works with another."""
    boss = await admin(server)
    token = token_of((await invite(server, boss, rooms=["anxiete"]))["url"])
    async with httpx.AsyncClient(base_url=server.http) as client:
        taken = await accept(client, token, "admin")
        assert (taken.status_code, taken.json()["error"]) == (409, "username_taken")
        ok = await accept(client, token, "noor")
        assert ok.status_code == 201


async def test_an_invitation_to_an_unknown_room_is_refused(server):
    """Rooms must exist: 400 unknown_room naming them."""
    boss = await admin(server)
    response = await call(server, "POST", "/api/admin/invitations", boss, json={"rooms": ["anxiete", "nope"]})
    assert (response.status_code, response.json()["error"], response.json()["rooms"]) == (400, "unknown_room", ["nope"])


async def test_a_bogus_invitation_token_is_refused(server):
    """A made-up token gets the same answer as a used one."""
    async with httpx.AsyncClient(base_url=server.http) as client:
        response = await client.post("/api/invitations/check", json={"token": "x" * 43})
    assert (response.status_code, response.json()) == (403, {"error": "invalid_link"})


async def test_assigning_rooms_changes_what_a_helper_may_moderate(server):
    """PUT rooms: the account and its live session moderate the new rooms at once."""
    boss = await admin(server)
    token = token_of((await invite(server, boss, rooms=["anxiete"]))["url"])
    async with httpx.AsyncClient(base_url=server.http) as client:
        login = (await client.post(
            "/api/invitations/accept", json={"token": token, "username": "noor", "password": PASSWORD},
        )).json()
    peer, _ = await hello(server, login["token"])
    rooms = {"rooms": ["deuil", "salon-test"]}
    response = await call(server, "PUT", "/api/admin/accounts/noor/rooms", boss, json=rooms)
    assert response.status_code == 200 and response.json()["rooms"] == ["deuil", "salon-test"]
    session = next(s for s in server.services.hub.registry.live() if s.username == "noor")
    assert session.moderates == frozenset({"deuil", "salon-test"})
    me = (await call(server, "GET", "/api/me", headers={"Authorization": f"Bearer {login['token']}"})).json()
    assert me["rooms"] == ["deuil", "salon-test"]
    await peer.ws.close()


async def test_invitations_of_a_disabled_admin_stop_working(server):
    """An admin who leaves takes their pending invitation links with them."""
    boss = await admin(server)
    second = await admin(server, "second")
    token = token_of((await invite(server, second, rooms=["anxiete"]))["url"])
    assert (await call(server, "POST", "/api/admin/accounts/second/disable", boss)).status_code == 200
    async with httpx.AsyncClient(base_url=server.http) as client:
        assert (await accept(client, token, "noor")).status_code == 403
    assert (await call(server, "GET", "/api/admin/invitations", boss)).json()[0]["state"] == "revoked"
