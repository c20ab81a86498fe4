"""Queue items expire with the messages they point to; a crisis item keeps its ids only, 90 days at most."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moderation.queue import QueueStore
from tests.conftest import Peer, Server, ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"
CRISIS = "je veux mourir, je n'en peux plus"


async def start(server_factory: ServerFactory, database_url: str | None = None) -> tuple[Server, QueueStore]:
    server = await server_factory(rooms=[test_room(ROOM, moderation="post")], database_url=database_url)
    queue = server.services.queue
    assert queue is not None
    return server, queue


async def writer_in(server: Server) -> Peer:
    writer = await server.peer()
    await writer.join(ROOM)
    return writer


async def report(server: Server, message_id: str) -> None:
    reporter = await server.peer()
    await reporter.join(ROOM)
    await reporter.send({"type": "report", "room": ROOM, "message_id": message_id, "reason": "", "ref": "r"})
    assert (await reporter.reply("r"))["status"] == "reported"


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_past_the_rooms_retention_a_report_goes_and_a_crisis_item_keeps_only_its_ids(
    server_factory: ServerFactory, database_url: str,
) -> None:
    server, queue = await start(server_factory, database_url)
    writer = await writer_in(server)
    crisis = await writer.say(ROOM, CRISIS)
    await writer.expect("pointer")  # sent once the crisis item is stored
    reported = await writer.say(ROOM, "un message signalé")
    await report(server, reported["id"])
    hub = server.services.hub
    later = hub.now() + timedelta(seconds=hub.rooms[ROOM].retention_s + 1)
    await hub.messages.purge_expired(later)
    assert await queue.expire(later) >= 2
    [left] = await queue.unresolved([ROOM])
    assert left.kind == "crisis" and left.message_seq == int(crisis["id"])
    assert (left.text, left.author_pseudonym, left.cw) == ("", "", None)
    assert left.reasons and left.author_session_id  # what was flagged, and whose: ids, not words


async def test_a_crisis_item_is_gone_after_ninety_days(server_factory: ServerFactory) -> None:
    server, queue = await start(server_factory)
    writer = await writer_in(server)
    await writer.say(ROOM, CRISIS)
    await writer.expect("pointer")
    now = server.services.hub.now()
    await queue.expire(now + timedelta(days=89))
    assert [i.kind for i in await queue.unresolved([ROOM])] == ["crisis"]
    await queue.expire(now + timedelta(days=90, seconds=1))
    assert await queue.unresolved([ROOM]) == []


async def test_erasing_ones_messages_takes_their_words_out_of_the_queue_at_once(server_factory: ServerFactory) -> None:
    server, queue = await start(server_factory)
    writer = await writer_in(server)
    await writer.say(ROOM, CRISIS)
    await writer.expect("pointer")
    reported = await writer.say(ROOM, "un message signalé")
    await report(server, reported["id"])
    assert {i.kind for i in await queue.unresolved([ROOM])} == {"crisis", "report"}
    await writer.send({"type": "erase_mine", "ref": "e"})
    assert (await writer.reply("e"))["status"] == "erased"
    [left] = await queue.unresolved([ROOM])
    assert left.kind == "crisis" and left.text == "" and left.author_pseudonym == ""


async def test_a_held_message_nobody_approved_lives_as_long_as_the_message_would(
    server_factory: ServerFactory,
) -> None:
    server, queue = await start(server_factory)
    hub = server.services.hub
    held = await queue.create(
        room=ROOM, kind="held", priority=1, now=hub.now(), author_session_id="s1", author_pseudonym="Héron calme",
        author_role="peer", text="un message à relire", cw=None, reasons=["pre-moderated room"],
    )
    await queue.expire(hub.now())
    assert [i.id for i in await queue.unresolved([ROOM])] == [held.id]
    await queue.expire(hub.now() + timedelta(seconds=hub.rooms[ROOM].retention_s + 1))
    assert await queue.unresolved([ROOM]) == []
