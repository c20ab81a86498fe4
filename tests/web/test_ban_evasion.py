"""Ban evasion without addresses: a brand-new session in a room with a recent ban is reviewed."""

from __future__ import annotations

import asyncio

import pytest

from tests.admin.conftest import staff_member
from tests.conftest import Peer, Server, ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"


async def start(server_factory: ServerFactory, probation_s: float = 900) -> Server:
    return await server_factory({"chat": {"probation_s": probation_s}}, rooms=[test_room(ROOM)])


async def ban_someone(server: Server) -> None:
    banned = await server.peer()
    await banned.join(ROOM)
    await server.services.hub.sanction(await server.session_id(banned.token), ROOM, "ban", None)


async def on_duty_helper(server: Server) -> Peer:
    staff = await staff_member(server, "alice", rooms=frozenset({ROOM}))
    helper = await server.peer(token=staff.token)
    await helper.request({"type": "duty", "on": True, "rooms": [ROOM], "ref": "d"}, "duty")
    return helper


async def test_a_new_session_after_a_ban_is_held_while_a_helper_is_on_duty(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper = await on_duty_helper(server)
    await ban_someone(server)
    newcomer = await server.peer()
    await newcomer.join(ROOM)
    ack = await newcomer.say(ROOM, "me revoilà")
    assert ack["status"] == "held"
    alert = await helper.expect("alert")
    assert alert["item"]["kind"] == "held"
    assert "new session in a room with a recent ban" in alert["item"]["reasons"]


async def test_without_a_helper_the_message_goes_out_and_is_flagged_for_later(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    await ban_someone(server)
    newcomer = await server.peer()
    await newcomer.join(ROOM)
    assert (await newcomer.say(ROOM, "bonjour"))["status"] == "published"
    queue = server.services.queue
    assert queue is not None
    for _ in range(50):  # the item is opened just after the ack
        if items := await queue.unresolved([ROOM]):
            break
        await asyncio.sleep(0.05)
    assert [(i.kind, i.reasons) for i in items] == [("auto", ("new session in a room with a recent ban",))]


async def test_a_session_older_than_the_probation_speaks_freely(server_factory: ServerFactory) -> None:
    server = await start(server_factory, probation_s=1)
    helper = await on_duty_helper(server)
    regular = await server.peer()
    await regular.join(ROOM)
    await asyncio.sleep(1.2)
    await ban_someone(server)
    assert (await regular.say(ROOM, "toujours là"))["status"] == "published"
    with pytest.raises(TimeoutError):
        await helper.expect("alert", timeout=1)


async def test_a_new_session_in_a_room_without_a_recent_ban_speaks_freely(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    newcomer = await server.peer()
    await newcomer.join(ROOM)
    assert (await newcomer.say(ROOM, "première fois ici"))["status"] == "published"
    queue = server.services.queue
    assert queue is not None and await queue.unresolved([ROOM]) == []
