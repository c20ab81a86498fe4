"""A peer says hello, joins a room and is heard by another peer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio


async def test_a_message_reaches_the_other_peer_and_the_sender(server):
    """A `say` is acked to its sender and delivered as a `message` to everyone in the room."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    ack = await a.say("salon-test", "bonjour")
    assert ack["type"] == "ack" and ack["status"] == "published"
    got = await b.expect("message")
    assert got["id"] == ack["id"] and got["text"] == "bonjour"
    mine = await a.expect("message")
    assert mine["id"] == ack["id"]
