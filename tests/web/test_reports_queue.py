"""Reports as the queue weighs them: many reporters hide a message until a helper decides; spam is limited."""

from __future__ import annotations

import pytest

from tests.conftest import Peer, Server, ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"


async def start(server_factory: ServerFactory, **queue: object) -> Server:
    return await server_factory({"queue": queue}, rooms=[test_room(ROOM)])


async def report(peer: Peer, message_id: str) -> dict[str, object]:
    await peer.send({"type": "report", "room": ROOM, "message_id": message_id, "reason": "", "ref": "r"})
    return await peer.reply("r")


async def test_enough_reporters_hide_the_message_until_a_helper_decides(server_factory: ServerFactory) -> None:
    """Two first-time reporters weigh 1.5 each: at the threshold of 3 the message is hidden for everyone."""
    server = await start(server_factory, report_hide_weight=3.0)
    writer = await server.peer()
    await writer.join(ROOM)
    ack = await writer.say(ROOM, "un message discutable")
    first, second = await server.peer(), await server.peer()
    for peer in (first, second):
        await peer.join(ROOM)
    assert (await report(first, ack["id"]))["status"] == "reported"
    assert (await report(first, ack["id"]))["status"] == "reported"  # the same reporter twice counts once
    queue = server.services.queue
    assert queue is not None
    [item] = await queue.unresolved([ROOM])
    assert item.report_weight == 1.5 and not item.auto_hidden
    assert (await report(second, ack["id"]))["status"] == "reported"
    await writer.expect("hidden", id=ack["id"])
    [item] = await queue.unresolved([ROOM])
    assert item.auto_hidden and item.priority == 2
    newcomer = await server.peer()
    assert ack["id"] not in [m["id"] for m in (await newcomer.join(ROOM))["history"]]


async def test_one_session_reporting_too_much_is_slowed_down(server_factory: ServerFactory) -> None:
    server = await start(server_factory, reports_per_window=3)
    writer, reporter = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reporter.join(ROOM)
    ids = [(await writer.say(ROOM, f"message numéro {i} pour voir")) ["id"] for i in range(4)]
    answers = [await report(reporter, message_id) for message_id in ids]
    assert [a.get("status") for a in answers[:3]] == ["reported"] * 3
    assert answers[3]["code"] == "rate_limited"
