"""Protocol §4: presence figures in joined, in presence frames and over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import Peer

pytestmark = pytest.mark.asyncio


async def drain(peer: Peer, seconds: float) -> list[dict[str, Any]]:
    """Every frame the peer receives during the next `seconds`."""
    frames = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            frames.append(await peer.recv(timeout=left))
        except TimeoutError:
            break
    return frames


async def test_joined_carries_the_presence_including_oneself(server):
    """`joined.presence` counts the people in the room, the joiner included."""
    a, b = await server.peer(), await server.peer()
    assert (await a.join("salon-test"))["presence"] == {"count": 1, "helpers": 0}
    assert (await b.join("salon-test"))["presence"] == {"count": 2, "helpers": 0}


async def test_a_presence_frame_follows_a_second_join(server):
    """When a second person joins, the first gets a presence frame with count 2 within 3 s."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    frame = await a.expect("presence", timeout=3.0, count=2)
    assert frame == {"type": "presence", "room": "salon-test", "count": 2, "helpers": 0}


async def test_presence_counts_sessions_not_connections(server):
    """Two sockets of one session count as one person."""
    a = await server.peer()
    await a.join("salon-test")
    a_tab = await server.peer(token=a.token)
    assert (await a_tab.join("salon-test"))["presence"]["count"] == 1
    b = await server.peer()
    assert (await b.join("salon-test"))["presence"]["count"] == 2
    frame = await a.expect("presence", timeout=3.0, count=2)
    assert frame["count"] == 2
    later = await drain(a, 1.5)  # more presence rounds: still two people, never three
    assert server.services.hub.presence("salon-test") == (2, 0)
    assert all(f.get("count") != 3 for f in a.seen + later + a_tab.seen if f["type"] == "presence")


async def test_closing_one_of_two_tabs_keeps_the_person_counted(server):
    """A person with two sockets who closes one is still in the room."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    a_tab = await server.peer(token=a.token)
    await a_tab.join("salon-test")
    await b.join("salon-test")
    await b.expect("presence", timeout=3.0, count=2)
    await a_tab.ws.close()
    later = await drain(b, 1.5)
    assert server.services.hub.presence("salon-test") == (2, 0)
    assert all(f.get("count") != 1 for f in later if f["type"] == "presence")


async def test_presence_drops_within_3_s_after_a_leave(server):
    """After someone leaves, the others see the count drop within 3 seconds."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    await a.expect("presence", timeout=3.0, count=2)
    await b.request({"type": "leave", "room": "salon-test"}, "left")
    frame = await a.expect("presence", timeout=3.0, count=1)
    assert frame["helpers"] == 0


async def test_presence_drops_within_3_s_after_a_disconnect(server):
    """After someone's connection goes, the others see the count drop within 3 seconds."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    await a.expect("presence", timeout=3.0, count=2)
    await b.ws.close()
    await a.expect("presence", timeout=3.0, count=1)


async def test_presence_is_per_room(server):
    """Joining one room does not change the figures of another."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await a.join("anxiete")
    await b.join("anxiete")
    frame = await a.expect("presence", timeout=3.0, room="anxiete", count=2)
    assert frame["count"] == 2
    later = await drain(a, 1.2)
    assert server.services.hub.presence("salon-test") == (1, 0)
    assert all(f["count"] == 1 for f in a.seen + later if f["type"] == "presence" and f["room"] == "salon-test")


async def test_the_room_list_gives_presence_figures(server):
    """GET /api/rooms reports each room's count of people and of helpers."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    a_tab = await server.peer(token=a.token)
    await a_tab.join("salon-test")
    await b.join("anxiete")
    async with httpx.AsyncClient(base_url=server.http) as client:
        rooms = {r["slug"]: r for r in (await client.get("/api/rooms")).json()}
    assert rooms["salon-test"]["presence"] == {"count": 2, "helpers": 0}
    assert rooms["anxiete"]["presence"] == {"count": 1, "helpers": 0}
    assert rooms["deuil"]["presence"] == {"count": 0, "helpers": 0}
    await b.ws.close()
    await a.expect("presence", timeout=3.0, count=1)
    async with httpx.AsyncClient(base_url=server.http) as client:
        rooms = {r["slug"]: r for r in (await client.get("/api/rooms")).json()}
    assert rooms["salon-test"]["presence"]["count"] == 1
    assert rooms["anxiete"]["presence"]["count"] == 0


async def test_presence_frames_are_throttled(server):
    """A rush of joins gives at most about one presence frame per second, ending on the right count."""
    watcher = await server.peer()
    await watcher.join("salon-test")
    others = [await server.peer() for _ in range(6)]
    for peer in others:
        await peer.join("salon-test")
    await watcher.expect("presence", timeout=3.0, count=7)
    frames = [f for f in watcher.seen + await drain(watcher, 1.2) if f["type"] == "presence"]
    assert 1 <= len(frames) <= 3
    assert frames[-1]["count"] == 7
