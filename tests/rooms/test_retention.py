"""The retention purge of a running server really deletes, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from rooms.models import MessageRow
from tests.conftest import test_room

pytestmark = pytest.mark.asyncio

PURGE = {"rooms": {"purge_interval_s": 0.2}}


async def rows_in(server, room: str) -> int:
    async with server.services.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.room_slug == room)
        )
    return int(count or 0)


async def wait_until_purged(server, room: str, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await rows_in(server, room):
        assert loop.time() < deadline, "the purge did not delete the expired messages"
        await asyncio.sleep(0.1)


async def test_expired_messages_vanish_from_history_and_the_database(server_factory, database_url):
    """Messages older than the room's retention are gone from history and from the table."""
    server = await server_factory(
        PURGE, rooms=[test_room(retention_s=1), test_room("salon-long")], database_url=database_url,
    )
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.join("salon-long")
    ids = [(await peer.say("salon-test", f"éphémère {i}"))["id"] for i in range(2)]
    kept = (await peer.say("salon-long", "durable"))["id"]
    hub = server.services.hub
    fresh = await hub.messages.history("salon-test", None, 50, 2000)
    assert [m.id for m in fresh.messages] == ids  # not purged before its time
    await wait_until_purged(server, "salon-test")
    assert (await hub.messages.history("salon-test", None, 50, 2000)).messages == []
    assert (await (await server.peer()).join("salon-test"))["history"] == []
    assert [m.id for m in (await hub.messages.history("salon-long", None, 50, 2000)).messages] == [kept]
    assert await rows_in(server, "salon-long") == 1


async def test_a_resume_from_before_the_purge_reports_a_gap(server_factory, database_url):
    """A client that last saw a purged message rejoins with since and gets gap true."""
    server = await server_factory(PURGE, rooms=[test_room(retention_s=1)], database_url=database_url)
    reader = await server.peer()
    await reader.join("salon-test")
    first = (await reader.say("salon-test", "un"))["id"]
    await reader.say("salon-test", "deux")
    await reader.ws.close()
    await wait_until_purged(server, "salon-test")
    back = await server.peer(token=reader.token)
    joined = await back.join("salon-test", since=first)
    assert joined["gap"] is True
    assert joined["history"] == []


async def test_a_resume_after_the_purge_without_loss_has_no_gap(server_factory, database_url):
    """A client that saw everything before the purge resumes without a gap and gets what came after."""
    server = await server_factory(PURGE, rooms=[test_room(retention_s=1)], database_url=database_url)
    reader = await server.peer()
    await reader.join("salon-test")
    last = (await reader.say("salon-test", "vu"))["id"]
    await wait_until_purged(server, "salon-test")
    after = (await reader.say("salon-test", "après"))["id"]
    other = await server.peer()
    joined = await other.join("salon-test", since=last)
    assert joined["gap"] is False
    assert [m["id"] for m in joined["history"]] == [after]
