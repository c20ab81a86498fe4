"""Protocol §5: erasing one's own messages everywhere, and reporting a message."""

from __future__ import annotations

import pytest

from tests.conftest import test_room

pytestmark = pytest.mark.asyncio

ROOMS = [test_room(), test_room("salon-deux")]


async def test_erase_mine_is_acked(server):
    """`erase_mine` is answered by an ack with its ref and status erased."""
    peer = await server.peer()
    ack = await peer.request({"type": "erase_mine", "ref": "c4"}, "ack")
    assert ack["ref"] == "c4" and ack["status"] == "erased"


async def test_erase_mine_hides_every_message_of_the_session_in_every_room(server_factory):
    """Every room gets `hidden` for each of the session's messages, and nobody else's."""
    server = await server_factory(rooms=ROOMS)
    author, other = await server.peer(), await server.peer()
    for peer in (author, other):
        await peer.join("salon-test")
        await peer.join("salon-deux")
    mine = {
        ("salon-test", (await author.say("salon-test", "un"))["id"]),
        ("salon-deux", (await author.say("salon-deux", "deux"))["id"]),
        ("salon-test", (await author.say("salon-test", "trois"))["id"]),
    }
    theirs = (await other.say("salon-test", "pas à moi"))["id"]
    ack = await author.request({"type": "erase_mine", "ref": "e"}, "ack")
    assert ack["status"] == "erased"
    hidden: set[tuple[str, str]] = set()
    while len(hidden) < len(mine):
        frame = await other.expect("hidden")
        assert set(frame) == {"type", "room", "id"}
        hidden.add((frame["room"], frame["id"]))
    assert hidden == mine
    assert ("salon-test", theirs) not in hidden


async def test_erased_messages_are_gone_from_history(server_factory):
    """After erase_mine, a new joiner's history no longer holds the session's messages."""
    server = await server_factory(rooms=ROOMS)
    author, other = await server.peer(), await server.peer()
    await author.join("salon-test")
    await author.join("salon-deux")
    await other.join("salon-test")
    await author.say("salon-test", "à effacer")
    await author.say("salon-deux", "à effacer aussi")
    kept = (await other.say("salon-test", "à garder"))["id"]
    await author.request({"type": "erase_mine"}, "ack")
    newcomer = await server.peer()
    assert [m["id"] for m in (await newcomer.join("salon-test"))["history"]] == [kept]
    assert (await newcomer.join("salon-deux"))["history"] == []
    assert [m["id"] for m in (await author.join("salon-test"))["history"]] == [kept]


async def test_erase_mine_reaches_messages_sent_from_another_connection(server_factory):
    """Erasure is per session: messages sent before a reconnect are erased too."""
    server = await server_factory(rooms=ROOMS)
    first = await server.peer()
    await first.join("salon-test")
    await first.say("salon-test", "avant la reconnexion")
    await first.ws.close()
    again = await server.peer(token=first.token)
    await again.join("salon-test")
    await again.request({"type": "erase_mine"}, "ack")
    newcomer = await server.peer()
    assert (await newcomer.join("salon-test"))["history"] == []


async def test_a_report_is_acked(server):
    """Reporting a message of the room is answered by an ack with status reported and the id."""
    author, reporter = await server.peer(), await server.peer()
    await author.join("salon-test")
    await reporter.join("salon-test")
    message_id = (await author.say("salon-test", "message signalé"))["id"]
    await reporter.send({
        "type": "report", "room": "salon-test", "message_id": message_id, "reason": "insulte", "ref": "c3",
    })
    ack = await reporter.reply("c3")
    assert ack["type"] == "ack"
    assert ack["status"] == "reported"
    assert ack["id"] == message_id
    seq = int(message_id)
    assert await server.services.hub.moderation.count_reports("salon-test", seq) == 1


async def test_a_report_without_reason_is_accepted(server):
    """`reason` is optional."""
    author = await server.peer()
    await author.join("salon-test")
    message_id = (await author.say("salon-test", "message"))["id"]
    reporter = await server.peer()
    ack = await reporter.request(
        {"type": "report", "room": "salon-test", "message_id": message_id, "ref": "r"}, "ack")
    assert ack["status"] == "reported"


async def test_reporting_an_unknown_message_is_not_found(server):
    """A report of a message that does not exist gets not_found."""
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.say("salon-test", "un message qui existe")
    for message_id in ("000000009999", "000000000000", "garbage", "", "1"):
        await peer.send({"type": "report", "room": "salon-test", "message_id": message_id, "ref": "r"})
        error = await peer.reply("r")
        assert error["type"] == "error" and error["code"] == "not_found", message_id


async def test_reporting_a_message_of_another_room_is_not_found(server_factory):
    """A message id of another room reported in this one gets not_found and stores nothing."""
    server = await server_factory(rooms=ROOMS)
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.join("salon-deux")
    await peer.say("salon-test", "un")
    elsewhere = (await peer.say("salon-deux", "ailleurs"))["id"]
    await peer.say("salon-deux", "ailleurs encore")
    second_there = (await peer.say("salon-deux", "ailleurs toujours"))["id"]
    await peer.send({"type": "report", "room": "salon-test", "message_id": second_there, "ref": "r"})
    assert (await peer.reply("r"))["code"] == "not_found"
    assert await server.services.hub.moderation.count_reports("salon-test", int(second_there)) == 0
    ack = await peer.request({"type": "report", "room": "salon-deux", "message_id": elsewhere, "ref": "ok"}, "ack")
    assert ack["status"] == "reported"


async def test_reporting_in_an_unknown_room_is_refused(server):
    """A report naming a room that does not exist is refused, not stored."""
    peer = await server.peer()
    await peer.send({"type": "report", "room": "nowhere", "message_id": "000000000001", "ref": "r"})
    error = await peer.reply("r")
    assert error["type"] == "error" and error["code"] in ("unknown_room", "not_found")


async def test_reporting_twice_is_acked_and_stored_once(server):
    """The same session reporting the same message again gets an ack and changes nothing."""
    author, reporter = await server.peer(), await server.peer()
    await author.join("salon-test")
    message_id = (await author.say("salon-test", "message"))["id"]
    frame = {"type": "report", "room": "salon-test", "message_id": message_id, "reason": "spam"}
    first = await reporter.request({**frame, "ref": "r1"}, "ack")
    second = await reporter.request({**frame, "reason": "encore", "ref": "r2"}, "ack")
    assert first["status"] == second["status"] == "reported"
    assert second["ref"] == "r2"
    assert await server.services.hub.moderation.count_reports("salon-test", int(message_id)) == 1


async def test_two_sessions_reporting_make_two_reports(server):
    """Reports of one message by two different sessions are both kept."""
    author, one, two = await server.peer(), await server.peer(), await server.peer()
    await author.join("salon-test")
    message_id = (await author.say("salon-test", "message"))["id"]
    for reporter in (one, two):
        await reporter.request({"type": "report", "room": "salon-test", "message_id": message_id}, "ack")
    assert await server.services.hub.moderation.count_reports("salon-test", int(message_id)) == 2


async def test_a_reported_then_erased_message_can_no_longer_be_reported(server):
    """Once its author erased it, a message is not found and its reports are gone."""
    author, reporter = await server.peer(), await server.peer()
    await author.join("salon-test")
    message_id = (await author.say("salon-test", "message"))["id"]
    await reporter.request({"type": "report", "room": "salon-test", "message_id": message_id}, "ack")
    await author.request({"type": "erase_mine"}, "ack")
    assert await server.services.hub.moderation.count_reports("salon-test", int(message_id)) == 0
    await reporter.send({"type": "report", "room": "salon-test", "message_id": message_id, "ref": "r"})
    assert (await reporter.reply("r"))["code"] == "not_found"
