"""The dashboard's HTTP side: an item's context (messages around it, earlier items, notes), private
notes on a pseudonym, and who may read or write them."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.queue import Item
from tests.admin.conftest import SETUP, admin, call, staff_member
from tests.conftest import Peer, Server, base_config, test_room
from web.auth import CSRF_HEADER

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"
FAST = {"chat": {"rate_burst": 100, "rate_per_s": 100.0, "frames_burst": 400, "frames_per_s": 400.0}}


async def start(server_factory: Any) -> Server:
    server: Server = await server_factory(rooms=[*base_config()["room"], test_room(ROOM)], overrides=FAST)
    return server


async def joined(server: Server, room: str = ROOM) -> Peer:
    peer = await server.peer()
    await peer.join(room)
    return peer


async def report(peer: Peer, message_id: str, reason: str = "", room: str = ROOM) -> None:
    await peer.send({"type": "report", "room": room, "message_id": message_id, "reason": reason, "ref": "rep"})
    reply = await peer.reply("rep")
    assert reply["type"] == "ack", reply


async def item_of(server: Server, message_id: str, room: str = ROOM) -> Item:
    queue = server.services.queue
    assert queue is not None
    for item in await queue.unresolved([room]):
        if item.message_seq == int(message_id):
            return item
    raise AssertionError(f"no item for {message_id}")


async def test_the_context_of_an_item(server_factory):
    """The reported message's neighbours (10 before, 5 after, hidden ones left out), the same
    pseudonym's earlier items in the room, and the team's notes on it."""
    server = await start(server_factory)
    author, other, reporter = await joined(server), await joined(server), await joined(server)
    ids = []
    for n in range(20):
        speaker = author if n % 2 == 0 else other
        ack = await speaker.say(ROOM, f"message {n}")
        assert ack["type"] == "ack", ack
        ids.append(ack["id"])
    await report(reporter, ids[2], "premier")  # an earlier item of the same pseudonym
    await report(reporter, ids[14], "insultes")
    hidden_seq = int(ids[5])
    await server.services.hub.messages.set_hidden(ROOM, hidden_seq, True)
    item = await item_of(server, ids[14])
    helper = await staff_member(server, "lea", rooms=frozenset({ROOM}))

    response = await call(server, "GET", f"/api/staff/items/{item.id}/context", helper)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["item"]["id"] == item.id and body["item"]["message"]["id"] == ids[14]
    assert body["item"]["kind"] == "report" and "report: insultes" in body["item"]["reasons"]
    assert [m["text"] for m in body["before"]] == [f"message {n}" for n in range(3, 14) if n != 5]
    assert [m["text"] for m in body["after"]] == [f"message {n}" for n in range(15, 20)]
    assert body["before"][0]["type"] == "message" and body["before"][0]["author"]["role"] == "peer"
    assert [(e["message"]["id"], e["reasons"]) for e in body["earlier_items"]] == [(ids[2], ["report: premier"])]
    assert body["notes"] == []

    # A note on the item's author, seen again from the author's other item in the room.
    response = await call(server, "POST", f"/api/staff/items/{item.id}/notes", helper,
                          json={"text": "  Semble aller mieux après le rappel de la charte.  "})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["author"] == "lea" and note["text"] == "Semble aller mieux après le rappel de la charte."
    earlier = await item_of(server, ids[2])
    body = (await call(server, "GET", f"/api/staff/items/{earlier.id}/context", helper)).json()
    assert [(n["author"], n["text"]) for n in body["notes"]] == [("lea", note["text"])]
    assert body["earlier_items"] == []
    assert len(body["before"]) == 2 and len(body["after"]) == 5


async def test_notes_stay_with_the_pseudonym_of_one_room_and_are_audited(server_factory):
    """Another author's item has no notes; a note is in the room's audit log without its text."""
    server = await start(server_factory)
    author, someone, reporter = await joined(server), await joined(server), await joined(server)
    first = (await author.say(ROOM, "un message"))["id"]
    second = (await someone.say(ROOM, "un autre message"))["id"]
    await report(reporter, first)
    await report(reporter, second)
    boss = await admin(server)
    item, other_item = await item_of(server, first), await item_of(server, second)
    response = await call(server, "POST", f"/api/staff/items/{item.id}/notes", boss, json={"text": "Note privée."})
    assert response.status_code == 201
    assert (await call(server, "GET", f"/api/staff/items/{other_item.id}/context", boss)).json()["notes"] == []
    log = (await call(server, "GET", f"/api/staff/rooms/{ROOM}/audit?action=note.add", boss)).json()
    assert [(e["actor"], e["target_kind"], e["target"], e["room"]) for e in log] == [("admin", "item", item.id, ROOM)]
    assert log[0]["details"] == {"kind": "report", "length": len("Note privée.")}
    assert "Note privée." not in str(log)


async def test_a_note_must_be_text(server_factory):
    server = await start(server_factory)
    author, reporter = await joined(server), await joined(server)
    await report(reporter, (await author.say(ROOM, "bonjour"))["id"])
    item = (await server.services.queue.unresolved([ROOM]))[0]  # type: ignore[union-attr]
    helper = await staff_member(server, "lea", rooms=frozenset({ROOM}))
    path = f"/api/staff/items/{item.id}/notes"
    for body in ({"text": "   "}, {"text": 3}, {}, {"text": "x" * 2001}):
        response = await call(server, "POST", path, helper, json=body)
        assert (response.status_code, response.json()) == (
            400, {"error": "bad_field", "field": "text", "detail": "1 to 2000 characters"}), body
    response = await call(server, "POST", path, helper, content=b"text=hello",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (response.status_code, response.json()["error"]) == (400, "bad_request")
    assert (await call(server, "POST", path, helper, json={"text": "x" * 2000})).status_code == 201


async def test_who_may_read_and_write(server_factory):
    """Anonymous and peers: 401; a helper of another room: 403; a disabled helper: 401; an unknown
    item: 404 (for staff only); a cookie write needs the CSRF token."""
    server = await start(server_factory)
    author, reporter = await joined(server), await joined(server)
    await report(reporter, (await author.say(ROOM, "bonjour"))["id"])
    item = (await server.services.queue.unresolved([ROOM]))[0]  # type: ignore[union-attr]
    mine = await staff_member(server, "lea", rooms=frozenset({ROOM}))
    other = await staff_member(server, "noe", rooms=frozenset({"deuil"}))
    gone = await staff_member(server, "sam", rooms=frozenset({ROOM}))
    staff = server.services.staff
    assert staff is not None
    await staff.service.disable(SETUP, "sam")
    context, notes = f"/api/staff/items/{item.id}/context", f"/api/staff/items/{item.id}/notes"
    note: dict[str, Any] = {"json": {"text": "Une note."}}

    def status(response: Any) -> tuple[int, str]:
        return response.status_code, response.json().get("error", "")

    peer_bearer = {"Authorization": f"Bearer {author.token}"}
    for headers in ({}, peer_bearer):
        assert status(await call(server, "GET", context, headers=headers)) == (401, "unauthenticated")
        assert status(await call(server, "POST", notes, headers=headers, **note)) == (401, "unauthenticated")
        assert status(await call(server, "GET", "/api/staff/items/999999/context", headers=headers)) == (
            401, "unauthenticated")
    assert status(await call(server, "GET", context, other)) == (403, "forbidden")
    assert status(await call(server, "POST", notes, other, **note)) == (403, "forbidden")
    assert status(await call(server, "GET", context, gone)) == (401, "unauthenticated")
    for unknown in ("999999", "abc", "1" * 30):
        assert status(await call(server, "GET", f"/api/staff/items/{unknown}/context", mine)) == (404, "not_found")
        assert status(await call(server, "POST", f"/api/staff/items/{unknown}/notes", mine, **note)) == (
            404, "not_found")

    # The dashboard's way: the login cookie, and the CSRF token for a write.
    assert (await call(server, "GET", context, headers=mine.cookie)).status_code == 200
    assert status(await call(server, "POST", notes, headers=mine.cookie, **note)) == (403, "csrf")
    response = await call(server, "POST", notes, headers={**mine.cookie, CSRF_HEADER: mine.csrf}, **note)
    assert response.status_code == 201
    assert [n["text"] for n in (await call(server, "GET", context, mine)).json()["notes"]] == ["Une note."]
