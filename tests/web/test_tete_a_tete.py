"""Tête-à-tête: from a crisis item, a helper and the person talk in a room nobody else can enter."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from moderation.checks.crisis_check import REVIEW_REASON
from tests.admin.conftest import Staff, admin, call, staff_member
from tests.conftest import Peer, Server, ServerFactory, test_room
from tests.moderation.review_texts import review_text
from tests.moderation.second_reading_texts import second_reading_text

pytestmark = pytest.mark.asyncio

ROOM, OTHER = "salon-test", "salon-autre"
CRISIS = "je veux mourir, je n'en peux plus"


async def start(server_factory: ServerFactory, database_url: str | None = None, **queue: Any) -> Server:
    return await server_factory({"queue": queue}, rooms=[test_room(ROOM), test_room(OTHER)],
                                database_url=database_url)


async def on_duty(server: Server, staff: Staff) -> Peer:
    helper = await server.peer(token=staff.token)
    await helper.request({"type": "duty", "on": True, "rooms": "all", "ref": "d"}, "duty")
    return helper


async def crisis_item(helper: Peer) -> dict[str, Any]:
    while True:
        frame = await helper.expect("alert")
        if frame["item"]["kind"] == "crisis":
            return dict(frame["item"])


async def invite(helper: Peer, item_id: str) -> dict[str, Any]:
    await helper.send({"type": "invite", "item": item_id, "ref": "inv"})
    return await helper.reply("inv")


async def answer(person: Peer, room: str, accept: bool) -> dict[str, Any]:
    await person.send({"type": "private_answer", "room": room, "accept": accept, "ref": "ans"})
    return await person.reply("ans")


async def join_error(peer: Peer, room: str) -> str:
    await peer.send({"type": "join", "room": room, "ref": "j"})
    frame = await peer.reply("j")
    assert frame["type"] == "error", frame
    return str(frame["code"])


async def invited(server: Server) -> tuple[Peer, Peer, dict[str, Any], dict[str, Any]]:
    """A person who wrote a crisis message in ROOM, and a helper of ROOM who invited them."""
    helper = await on_duty(server, await staff_member(server, "alice", rooms=frozenset({ROOM})))
    person = await server.peer()
    joined = await person.join(ROOM)
    await person.say(ROOM, CRISIS)
    item = await crisis_item(helper)
    ack = await invite(helper, item["id"])
    assert ack["type"] == "ack" and ack["status"] == "invited", ack
    item["person"] = joined["pseudonym"]
    return helper, person, ack, item


async def opened(server: Server) -> tuple[Peer, Peer, str, dict[str, Any]]:
    helper, person, ack, item = await invited(server)
    room = str(ack["room"])
    assert (await answer(person, room, True))["status"] == "accepted"
    await helper.expect("private_room", room=room, state="open")
    return helper, person, room, item


async def test_the_person_is_invited_by_name_and_the_item_is_claimed_by_the_helper(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    helper, person, ack, item = await invited(server)
    invitation = await person.expect("private_invite")
    assert invitation["room"] == ack["room"] and invitation["from_room"] == ROOM
    assert invitation["helper"] in invitation["text"] and "privé" in invitation["text"]
    state = await person.expect("private_room", room=ack["room"])
    assert state["state"] == "invited" and state["item"] is None  # the person is not told item ids
    changes = [f for f in helper.seen if f["type"] == "item"]
    assert changes and changes[-1]["item"]["claimed_by"] == "alice" and changes[-1]["item"]["state"] == "claimed"
    mine = await helper.expect("private_room", room=ack["room"])
    assert mine["item"] == item["id"] and mine["with"] == item["person"]


async def test_once_accepted_the_two_talk_under_the_names_they_know(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, item = await opened(server)
    their_side = await person.join(room)
    assert their_side["room_info"]["private"] is True
    assert their_side["pseudonym"] == item["person"]  # the name the helper saw in the alert
    helper_side = await helper.join(room)
    assert helper_side["room_info"]["private"] is True
    hers = await helper.say(room, "Je suis là. Vous voulez me dire ce qui se passe ce soir ?")
    assert (await person.expect("message", id=hers["id"]))["author"]["role"] == "helper"
    theirs = await person.say(room, "merci d'être là <b>vraiment</b>")
    got = await helper.expect("message", id=theirs["id"])
    assert got["text"] == "merci d'être là <b>vraiment</b>" and got["author"]["pseudonym"] == item["person"]


async def test_a_declined_invitation_opens_nothing(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, ack, _ = await invited(server)
    room = str(ack["room"])
    assert (await answer(person, room, False))["status"] == "declined"
    declined = await helper.expect("private_room", room=room, state="declined")
    assert declined["reason"] == "declined"
    assert await join_error(person, room) == "unknown_room"
    assert (await answer(person, room, True))["code"] == "not_found"  # answered once, for good


async def test_nobody_else_can_enter_not_even_an_admin(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    stranger = await server.peer()
    other_helper = await on_duty(server, await staff_member(server, "bob", rooms=frozenset({ROOM})))
    boss = await server.peer(token=(await admin(server)).token)
    for outsider in (stranger, other_helper, boss):
        assert await join_error(outsider, room) == "unknown_room"  # as if there were no such room
        assert await join_error(outsider, "prive-0000000000") == "unknown_room"
        assert (await answer(outsider, room, True))["code"] == "not_found"
    said = await person.say(room, "vous êtes toujours là ?")
    await helper.join(room)
    await asyncio.sleep(0.3)
    assert said["id"] not in [f.get("id") for o in (stranger, other_helper, boss) for f in o.seen]


async def test_the_invitation_goes_to_the_person_alone(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    neighbour = await server.peer()
    await neighbour.join(ROOM)
    _, person, ack, _ = await invited(server)
    await person.expect("private_invite", room=ack["room"])
    await asyncio.sleep(0.3)
    assert not [f for f in neighbour.seen if f["type"] in ("private_invite", "private_room")]


async def test_when_either_leaves_it_ends_for_both(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    await person.send({"type": "leave", "room": room, "ref": "bye"})
    assert (await person.reply("bye"))["type"] == "left"
    gone = await helper.expect("left", room=room)
    assert gone["reason"] == "closed" and gone["ref"] is None
    closed = await helper.expect("private_room", room=room, state="closed")
    assert closed["reason"] == "left"
    assert await join_error(person, room) == "unknown_room"
    assert await join_error(helper, room) == "unknown_room"


async def test_the_helper_leaving_ends_it_too(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    await helper.send({"type": "leave", "room": room, "ref": "bye"})
    assert (await person.expect("left", room=room))["reason"] == "closed"
    assert (await person.expect("private_room", room=room))["state"] == "closed"


async def test_someone_gone_longer_than_the_grace_ends_it(server_factory: ServerFactory) -> None:
    server = await start(server_factory, private_absent_grace_s=1)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    await person.ws.close()
    closed = await helper.expect("private_room", room=room, state="closed", timeout=8)
    assert closed["reason"] == "absent"


async def test_a_dropped_connection_that_comes_back_in_time_keeps_it_open(server_factory: ServerFactory) -> None:
    server = await start(server_factory, private_absent_grace_s=4)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    token = person.token
    await person.ws.close()
    back = await server.peer(token=token)
    reminded = await back.expect("private_room", room=room)  # at hello: still open, here it is
    assert reminded["state"] == "open"
    await back.join(room)
    await asyncio.sleep(5)
    said = await back.say(room, "je suis revenu·e")
    assert said["status"] == "published"
    await helper.expect("message", id=said["id"])


async def test_an_unanswered_invitation_lapses(server_factory: ServerFactory) -> None:
    server = await start(server_factory, private_invite_ttl_s=1)
    helper, person, ack, _ = await invited(server)
    room = str(ack["room"])
    lapsed = await helper.expect("private_room", room=room, state="expired", timeout=8)
    assert lapsed["reason"] == "expired"
    await person.expect("private_room", room=room, state="expired")
    assert (await answer(person, room, True))["code"] == "not_found"


async def test_a_pending_invitation_comes_again_at_hello(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    _, person, ack, _ = await invited(server)
    token = person.token
    await person.ws.close()
    back = await server.peer(token=token)
    again = await back.expect("private_invite")
    assert again["room"] == ack["room"]
    assert (await answer(back, str(ack["room"]), True))["status"] == "accepted"


async def test_who_may_invite(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, ack, item = await invited(server)
    assert (await invite(person, item["id"]))["code"] == "forbidden"  # a peer
    elsewhere = await on_duty(server, await staff_member(server, "carole", rooms=frozenset({OTHER})))
    assert (await invite(elsewhere, item["id"]))["code"] == "forbidden"  # not a helper of that room
    colleague = await on_duty(server, await staff_member(server, "bob", rooms=frozenset({ROOM})))
    assert (await invite(colleague, item["id"]))["code"] == "conflict"  # alice is on it
    again = await invite(helper, item["id"])
    assert again["status"] == "invited" and again["room"] == ack["room"]  # the same room, not a second one
    assert (await invite(helper, "999999"))["code"] == "not_found"


async def test_a_crisis_message_in_a_tete_a_tete_brings_the_card_and_no_new_item(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    queue = server.services.queue
    assert queue is not None
    before = await queue.unresolved([ROOM, room])
    said = await person.say(room, "j'ai encore envie de mourir ce soir")
    assert said["status"] == "published"  # never silenced
    card = await person.expect("pointer", message_id=said["id"])
    assert card["stage"] == "private" and "3114" in [r["phone"] for r in card["resources"]]
    await helper.expect("message", id=said["id"])
    assert await queue.unresolved([ROOM, room]) == before


async def test_a_crisis_only_the_second_reading_finds_in_a_tete_a_tete_brings_the_card_too(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    said = await person.say(room, second_reading_text("fr"))
    assert said["status"] == "published"
    card = await person.expect("pointer", message_id=said["id"])
    assert card["stage"] == "private"


async def test_names_cannot_change_and_reports_have_no_reader_there(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    said = await helper.say(room, "bonsoir")
    await person.send({"type": "rename", "room": room, "pseudonym": "Autre nom", "ref": "rn"})
    assert (await person.reply("rn"))["code"] == "forbidden"
    await person.send({"type": "report", "room": room, "message_id": said["id"], "reason": "", "ref": "rp"})
    assert (await person.reply("rp"))["code"] == "forbidden"
    again = await server.peer(token=person.token)  # a second tab, wishing another name
    await again.send({"type": "join", "room": room, "pseudonym": "Un autre", "ref": "jp"})
    assert (await again.reply("jp"))["code"] == "forbidden"


async def test_it_is_never_listed_and_its_page_says_nothing(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    _, _, room, _ = await opened(server)
    async with httpx.AsyncClient(base_url=server.http) as client:
        listed = (await client.get("/api/rooms")).json()
        assert room not in [r["slug"] for r in listed]
        # The page of a tête-à-tête and of one that never existed answer alike.
        assert (await client.get(f"/r/{room}")).status_code == 200
        assert (await client.get("/r/prive-0000000000")).status_code == 200
    boss = await admin(server)
    rooms = (await call(server, "GET", "/api/admin/rooms", boss)).json()
    assert room not in [r["slug"] for r in rooms]
    assert (await call(server, "GET", f"/api/admin/rooms/{room}", boss)).status_code == 404
    made = await call(server, "POST", "/api/admin/rooms", boss, json={
        "slug": "prive-abc", "title": "x", "description": "x", "charter": "x",
    })
    assert made.status_code == 400 and made.json()["field"] == "slug"


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_an_ended_tete_a_tete_is_deleted_whole_after_the_rooms_retention(
    server_factory: ServerFactory, database_url: str,
) -> None:
    server = await start(server_factory, database_url=database_url)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    said = await person.say(room, "un message qui ne doit pas rester")
    await helper.join(room)
    await helper.send({"type": "leave", "room": room, "ref": "bye"})
    await person.expect("left", room=room)
    private = server.services.hub.private
    assert private is not None
    retention = server.services.hub.rooms[ROOM].retention_s
    now = server.services.hub.now()
    assert await private.store.purge_ended(now) == 0  # not yet: the origin room's retention applies
    assert await server.services.hub.messages.get(room, int(said["id"])) is not None
    assert await private.store.purge_ended(now + timedelta(seconds=retention + 1)) == 1
    assert await server.services.hub.messages.get(room, int(said["id"])) is None
    assert await private.store.get(room) is None


async def test_an_admin_changing_the_rooms_leaves_a_tete_a_tete_alone(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper, person, room, _ = await opened(server)
    await person.join(room)
    await helper.join(room)
    boss = await admin(server)
    changed = await call(server, "PATCH", f"/api/admin/rooms/{OTHER}", boss, json={"title": "Nouveau titre"})
    assert changed.status_code == 200
    await asyncio.sleep(0.5)
    assert not [f for f in person.seen + helper.seen if f["type"] == "left"]
    said = await person.say(room, "toujours là")
    await helper.expect("message", id=said["id"])


async def test_a_helper_may_invite_the_writer_of_a_message_sent_for_review(server_factory: ServerFactory) -> None:
    """Below the alert threshold nobody gets a card, but the helper who reads the item can still
    offer the person a tête-à-tête."""
    server = await start(server_factory)
    helper = await on_duty(server, await staff_member(server, "alice", rooms=frozenset({ROOM})))
    person = await server.peer()
    await person.join(ROOM)
    await person.say(ROOM, review_text("fr"))
    item = (await helper.expect("alert"))["item"]
    assert item["reasons"] == [REVIEW_REASON]
    ack = await invite(helper, item["id"])
    assert ack["type"] == "ack" and ack["status"] == "invited", ack
    room = str(ack["room"])
    assert (await person.expect("private_invite"))["room"] == room
    assert (await answer(person, room, True))["status"] == "accepted"
    await helper.expect("private_room", room=room, state="open")
