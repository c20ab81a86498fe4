"""The queue's actions over HTTP (protocol §8: "the same actions exist over HTTP")."""

from __future__ import annotations

import httpx
import pytest

from tests.admin.conftest import staff_member
from tests.conftest import ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"


async def test_claim_then_hide_over_http_reaches_the_room(server_factory: ServerFactory) -> None:
    server = await server_factory(rooms=[test_room(ROOM)])
    alice = await staff_member(server, "alice", rooms=frozenset({ROOM}))
    bruno = await staff_member(server, "bruno", rooms=frozenset({ROOM}))
    writer, reporter = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reporter.join(ROOM)
    ack = await writer.say(ROOM, "un message qui blesse")
    await reporter.send({"type": "report", "room": ROOM, "message_id": ack["id"], "reason": "", "ref": "r"})
    await reporter.reply("r")
    queue = server.services.queue
    assert queue is not None
    [item] = await queue.unresolved([ROOM])
    async with httpx.AsyncClient(base_url=server.http) as http:
        claimed = await http.post(f"/api/staff/items/{item.id}/claim", headers=alice.bearer)
        assert claimed.status_code == 200 and claimed.json()["item"]["claimed_by"] == "alice"
        taken = await http.post(f"/api/staff/items/{item.id}/claim", headers=bruno.bearer)
        assert taken.status_code == 409 and taken.json()["error"] == "conflict"
        no_duration = await http.post(f"/api/staff/items/{item.id}/resolve", headers=alice.bearer,
                                      json={"action": "timeout", "note": "calme"})
        assert no_duration.status_code == 400
        hidden = await http.post(f"/api/staff/items/{item.id}/resolve", headers=alice.bearer,
                                 json={"action": "hide", "note": "blessant"})
        assert hidden.status_code == 200 and hidden.json()["item"]["resolution"] == "hide"
    await reporter.expect("hidden", id=ack["id"])
    await writer.expect("hidden", id=ack["id"])
