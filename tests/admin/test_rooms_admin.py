"""Room administration over the JSON API: create, edit, archive; live for the people in the room."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.admin.conftest import admin, call, hello, staff_member
from tests.conftest import Peer, base_config, test_room

pytestmark = pytest.mark.asyncio

ROOMS = [*base_config()["room"], test_room()]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NEW_ROOM = {
    "slug": "insomnie", "title": "Insomnie", "theme": "nuit", "lang": "fr",
    "description": "Pour les nuits où le sommeil ne vient pas.", "charter": "1. Douceur.\n2. Pas de conseil médical.",
    "capacity": 40, "schedule": [], "reason": "demande des bénévoles",
}


def another_day() -> str:
    return DAYS[(datetime.now(ZoneInfo("Europe/Paris")).weekday() + 3) % 7]


async def rooms_list(server) -> dict[str, dict[str, Any]]:
    return {r["slug"]: r for r in (await call(server, "GET", "/api/rooms")).json()}


async def joined_peer(server, room: str = "salon-test") -> Peer:
    peer: Peer = await server.peer()
    await peer.join(room)
    return peer


async def test_an_admin_creates_a_room_that_everyone_sees(server_factory, database_url):
    """POST /api/admin/rooms: 201, listed on /api/rooms, joinable, with the settings given."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server)
    response = await call(server, "POST", "/api/admin/rooms", boss, json=NEW_ROOM)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["slug"] == "insomnie" and created["source"] == "admin" and created["archived"] is False
    assert created["capacity"] == 40 and created["timezone"] == "Europe/Paris" and created["open"] is True
    listed = await rooms_list(server)
    assert listed["insomnie"]["title"] == "Insomnie" and list(listed)[-1] == "insomnie"
    peer = await server.peer()
    joined = await peer.join("insomnie")
    assert joined["room_info"]["charter"] == NEW_ROOM["charter"]
    assert (await call(server, "GET", "/r/insomnie")).status_code == 200


async def test_a_room_edit_reaches_its_members_live(server_factory, database_url):
    """PATCH: the people in the room get a room_info frame with the new title and charter."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server)
    peer = await joined_peer(server)
    response = await call(
        server, "PATCH", "/api/admin/rooms/salon-test", boss,
        json={"title": "Salon du soir", "charter": "1. Écoute.\n2. Respect.", "reason": "nouvelle charte"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "admin"
    frame = await peer.expect("room_info", room="salon-test")
    assert frame["room_info"]["title"] == "Salon du soir"
    assert frame["room_info"]["charter"] == "1. Écoute.\n2. Respect."
    assert (await rooms_list(server))["salon-test"]["title"] == "Salon du soir"
    again = await server.peer()
    assert (await again.join("salon-test"))["room_info"]["charter"] == "1. Écoute.\n2. Respect."


async def test_an_edit_that_changes_nothing_sends_nothing(server):
    """The same settings again: no room_info frame, no audit entry."""
    boss = await admin(server)
    peer = await joined_peer(server)
    current = (await call(server, "GET", "/api/admin/rooms/salon-test", boss)).json()
    response = await call(server, "PATCH", "/api/admin/rooms/salon-test", boss, json={"title": current["title"]})
    assert response.status_code == 200
    with pytest.raises(TimeoutError):
        await peer.expect("room_info", timeout=0.5)
    entries = (await call(server, "GET", "/api/admin/audit?action=room.update", boss)).json()
    assert entries == []


async def test_limits_edited_in_the_console_apply_at_once(server):
    """A shorter message limit is enforced on the next say."""
    boss = await admin(server)
    peer = await joined_peer(server)
    response = await call(server, "PATCH", "/api/admin/rooms/salon-test", boss, json={"max_length": 10})
    assert response.status_code == 200
    await peer.expect("room_info")
    refused = await peer.say("salon-test", "onze lettres!")
    assert refused["code"] == "too_long" and refused["max_length"] == 10


async def test_archiving_a_room_lets_its_people_out(server_factory, database_url):
    """Archive: members get left with reason archived; the room leaves the list and cannot be joined."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server)
    peer = await joined_peer(server)
    response = await call(server, "POST", "/api/admin/rooms/salon-test/archive", boss, json={"reason": "fusion"})
    assert response.status_code == 200 and response.json()["archived"] is True
    left = await peer.expect("left", room="salon-test")
    assert left["reason"] == "archived"
    assert "salon-test" not in await rooms_list(server)
    await peer.send({"type": "join", "room": "salon-test", "ref": "again"})
    assert (await peer.reply("again"))["code"] == "unknown_room"
    assert (await call(server, "GET", "/r/salon-test")).status_code == 404
    # The console still lists it, archived, and can bring it back.
    everything = {r["slug"]: r for r in (await call(server, "GET", "/api/admin/rooms", boss)).json()}
    assert everything["salon-test"]["archived"] is True
    assert (await call(server, "POST", "/api/admin/rooms/salon-test/restore", boss)).status_code == 200
    assert "salon-test" in await rooms_list(server)
    await peer.join("salon-test")


async def test_an_edited_seeded_room_keeps_the_admin_version_after_a_restart(server_factory, sqlite_url):
    """A room from config.toml edited in the console no longer follows the file."""
    server = await server_factory(rooms=ROOMS, database_url=sqlite_url)
    boss = await admin(server)
    response = await call(server, "PATCH", "/api/admin/rooms/anxiete", boss, json={"title": "Anxiété (jeudi)"})
    assert response.status_code == 200
    restarted = await server_factory(rooms=ROOMS, database_url=sqlite_url)
    assert (await rooms_list(restarted))["anxiete"]["title"] == "Anxiété (jeudi)"
    assert (await rooms_list(restarted))["deuil"]["title"] == "Deuil"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": ""}, "title"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "many"}, "capacity"),
    ({"moderation": "sometimes"}, "moderation"),
    ({"schedule": ["lundi 9h-10h"]}, "schedule"),
    ({"timezone": "Mars/Olympus"}, "schedule"),
    ({"lang": "de"}, "lang"),
    ({"colour": "blue"}, "colour"),
    ({"slug": "autre"}, "slug"),
])
async def test_a_bad_setting_is_refused_naming_the_field(server, body, field):
    """400 bad_field with the field's name; nothing changes."""
    boss = await admin(server)
    response = await call(server, "PATCH", "/api/admin/rooms/salon-test", boss, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_field" and response.json()["field"] == field


async def test_a_new_room_needs_a_proper_slug_and_a_free_one(server):
    """A slug with capitals is refused; a slug in use (even archived) is 409."""
    boss = await admin(server)
    bad = await call(server, "POST", "/api/admin/rooms", boss, json={**NEW_ROOM, "slug": "Insomnie!"})
    assert (bad.status_code, bad.json()["field"]) == (400, "slug")
    taken = await call(server, "POST", "/api/admin/rooms", boss, json={**NEW_ROOM, "slug": "anxiete"})
    assert (taken.status_code, taken.json()["error"]) == (409, "slug_taken")
    await call(server, "POST", "/api/admin/rooms/salon-test/archive", boss)
    archived = await call(server, "POST", "/api/admin/rooms", boss, json={**NEW_ROOM, "slug": "salon-test"})
    assert archived.status_code == 409


async def test_a_schedule_edit_closes_and_reopens_the_room_live(server):
    """Outside its new hours the room says open false with next_open, and say gets room_closed."""
    boss = await admin(server)
    peer = await joined_peer(server)
    closing = await call(server, "PATCH", "/api/admin/rooms/salon-test", boss,
                         json={"schedule": [f"{another_day()} 10:00-11:00"]})
    assert closing.status_code == 200 and closing.json()["open"] is False
    info = (await peer.expect("room_info"))["room_info"]
    assert info["open"] is False and info["next_open"] is not None
    assert (await peer.say("salon-test", "bonjour"))["code"] == "room_closed"
    listed = (await rooms_list(server))["salon-test"]
    assert listed["open"] is False and listed["next_open"] == info["next_open"]
    await call(server, "PATCH", "/api/admin/rooms/salon-test", boss, json={"schedule": []})
    assert (await peer.expect("room_info"))["room_info"]["open"] is True
    assert (await peer.say("salon-test", "bonjour"))["type"] == "ack"


async def test_a_room_that_needs_a_helper_opens_when_one_is_on_duty(server):
    """'Open only while a pair-aidant is on duty': closed until a helper of the room goes on duty."""
    boss = await admin(server)
    peer = await joined_peer(server)
    response = await call(server, "PATCH", "/api/admin/rooms/salon-test", boss, json={"requires_helper": True})
    assert response.status_code == 200
    info = (await peer.expect("room_info"))["room_info"]
    assert info["open"] is False and info["next_open"] is None
    assert (await peer.say("salon-test", "bonjour"))["code"] == "room_closed"
    helper = await staff_member(server, "alice", rooms=frozenset({"salon-test"}))
    ws, _ = await hello(server, helper.token)
    await ws.join("salon-test")
    await ws.send({"type": "duty", "on": True, "rooms": ["salon-test"], "ref": "d"})
    assert (await ws.reply("d"))["type"] == "duty"
    for _ in range(40):
        reply = await peer.say("salon-test", "bonjour")
        if reply["type"] == "ack":
            break
        await asyncio.sleep(0.1)
    assert reply["type"] == "ack"
