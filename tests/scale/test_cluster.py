"""Three server processes, one Redis, one PostgreSQL: the hub behaves as one.

Clients are spread over the processes; each test checks one thing that must cross them.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect

from tests.conftest import Peer, bulky, test_room
from tests.scale.conftest import Cluster, Process

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

ROOM = "salon-test"


async def all_messages(peer: Peer, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every message frame this peer has received so far, waiting until there are `count`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while ((got := [f for f in peer.seen if f.get("type") == "message"]) and len(got) < count) or not got:
        if loop.time() > deadline:
            break
        try:
            await peer.recv(max(0.01, deadline - loop.time()))
        except TimeoutError:
            break
    return [f for f in peer.seen if f.get("type") == "message"]


async def presence_reaches(peer: Peer, count: int, timeout: float = 10.0) -> dict[str, Any]:
    return await peer.expect("presence", timeout, room=ROOM, count=count)


async def session_id(cluster: Cluster, token: str) -> str:
    return await cluster.servers[0].session_id(token)


async def test_a_message_reaches_members_on_every_process(cluster: Cluster) -> None:
    """Said on one process, the same frame (same id) reaches members connected to the two others."""
    processes = [await cluster.spawn() for _ in range(3)]
    peers = [await p.peer() for p in processes]
    for peer in peers:
        await peer.join(ROOM)
    ack = await peers[1].say(ROOM, "bonjour à tous")
    for peer in peers:
        message = await peer.expect("message", text="bonjour à tous")
        assert message["id"] == ack["id"]


async def test_messages_from_several_processes_arrive_in_id_order_everywhere(cluster: Cluster) -> None:
    """Writers on three processes at once: every member sees every message once, ids increasing."""
    processes = [await cluster.spawn(chat={"rate_burst": 50, "rate_per_s": 50.0}) for _ in range(3)]
    peers = [await p.peer() for p in processes]
    for peer in peers:
        await peer.join(ROOM)

    async def write(peer: Peer, n: int) -> list[str]:
        return [(await peer.say(ROOM, f"{n}-{i}"))["id"] for i in range(15)]

    acked = await asyncio.gather(*(write(peer, n) for n, peer in enumerate(peers)))
    expected = sorted(i for ids in acked for i in ids)
    for peer in peers:
        seen = [m["id"] for m in await all_messages(peer, len(expected))]
        assert seen == expected


async def test_presence_counts_people_on_every_process(cluster: Cluster) -> None:
    """Three people on three processes are three everywhere; one leaving makes two everywhere."""
    processes = [await cluster.spawn() for _ in range(3)]
    peers = [await p.peer() for p in processes]
    for peer in peers:
        await peer.join(ROOM)
    for peer in peers:
        await presence_reaches(peer, 3)
    await peers[2].send({"type": "leave", "room": ROOM, "ref": "bye"})
    for peer in peers[:2]:
        await presence_reaches(peer, 2)


async def test_a_killed_process_s_people_leave_the_count(cluster: Cluster) -> None:
    """Members of a process killed outright drop out of presence once their entries expire."""
    survivor, doomed = await cluster.spawn(), await cluster.spawn()
    watcher = await survivor.peer()
    await watcher.join(ROOM)
    lost = await doomed.peer()
    await lost.join(ROOM)
    await presence_reaches(watcher, 2)
    doomed.kill()
    await presence_reaches(watcher, 1, timeout=10)  # presence_ttl_s is 3 s in these tests


async def test_resume_on_another_process_returns_exactly_what_was_missed(cluster: Cluster) -> None:
    """A peer that reconnects to another process with `since` gets the messages it missed, no gap."""
    first, second, third = [await cluster.spawn() for _ in range(3)]
    reader = await first.peer()
    joined = await reader.join(ROOM)
    writer = await second.peer()
    await writer.join(ROOM)
    seen = (await writer.say(ROOM, "avant"))["id"]
    await reader.expect("message", text="avant")
    await reader.ws.close()
    missed = [(await writer.say(ROOM, f"pendant {i}"))["id"] for i in range(4)]
    back = await third.peer(token=reader.token)
    resumed = await back.join(ROOM, since=seen)
    assert joined["pseudonym"] == resumed["pseudonym"]
    assert [m["id"] for m in resumed["history"]] == missed
    assert resumed["gap"] is False


async def test_the_say_rate_limit_is_one_budget_across_processes(cluster: Cluster) -> None:
    """One session on two processes shares one token bucket: the burst is not doubled."""
    one, two = await cluster.spawn(), await cluster.spawn()
    a = await one.peer()
    b = await two.peer(token=a.token)
    await a.join(ROOM)
    await b.join(ROOM)
    answers = []
    for i in range(6):  # burst 5 in the shipped configuration
        answers.append(await (a if i % 2 == 0 else b).say(ROOM, f"m{i}"))
    assert [f["type"] for f in answers[:5]] == ["ack"] * 5
    assert answers[5]["type"] == "error" and answers[5]["code"] == "rate_limited"


async def test_slow_mode_holds_across_processes(cluster: Cluster) -> None:
    """A slow-mode wait started on one process applies on the other."""
    rooms = [test_room("salon-lent", slow_mode_s=30)]
    one, two = await cluster.spawn(room=rooms), await cluster.spawn(room=rooms)
    a = await one.peer()
    b = await two.peer(token=a.token)
    await a.join("salon-lent")
    await b.join("salon-lent")
    assert (await a.say("salon-lent", "un"))["type"] == "ack"
    refused = await b.say("salon-lent", "deux")
    assert refused["code"] == "slow_mode" and 25 <= refused["retry_after_s"] <= 30


async def test_a_kick_reaches_the_session_on_another_process(cluster: Cluster) -> None:
    """A kick decided in one process takes the peer out of the room on the process it is connected to."""
    local = await cluster.local()
    remote = await cluster.spawn()
    peer = await remote.peer()
    await peer.join(ROOM)
    await local.services.hub.kick(await session_id(cluster, peer.token), ROOM)
    notice = await peer.expect("notice", room=ROOM)
    assert notice["code"] == "kicked"
    await peer.expect("left", room=ROOM)
    refused = await peer.say(ROOM, "encore là ?")
    assert refused["code"] == "not_joined"


async def test_a_ban_reaches_another_process_and_refuses_the_next_join(cluster: Cluster) -> None:
    """A room ban recorded in one process removes the peer elsewhere, and its join is refused there."""
    local = await cluster.local()
    remote = await cluster.spawn()
    peer = await remote.peer()
    await peer.join(ROOM)
    await local.services.hub.sanction(await session_id(cluster, peer.token), ROOM, "ban", None)
    assert (await peer.expect("notice", room=ROOM))["code"] == "banned"
    await peer.expect("left", room=ROOM)
    await peer.send({"type": "join", "room": ROOM, "ref": "again"})
    refused = await peer.reply("again")
    assert refused["code"] == "banned" and refused["until"] is None


async def test_a_room_settings_change_reaches_members_on_another_process(cluster: Cluster) -> None:
    """An edit of a room in the database, announced from one process, is pushed to members on another."""
    local = await cluster.local()
    remote = await cluster.spawn()
    peer = await remote.peer()
    await peer.join(ROOM)
    async with local.services.engine.begin() as db:
        await db.execute(
            text("UPDATE rooms SET charter = :c, source = 'admin' WHERE slug = :s"),
            {"c": "1. Une charte toute neuve.", "s": ROOM},
        )
    await local.services.rooms_changed()
    update = await peer.expect("room_info", room=ROOM)
    assert update["room_info"]["charter"] == "1. Une charte toute neuve."
    other = await remote.peer()
    assert (await other.join(ROOM))["room_info"]["charter"] == "1. Une charte toute neuve."


async def test_a_reader_that_stops_reading_is_cut_off_while_the_room_flows(cluster: Cluster) -> None:
    """A member that reads nothing is closed with 4009; members on another process keep receiving."""
    big: dict[str, Any] = {"server": {"ws_max_size": 1 << 20}, "chat": {"send_queue_size": 4, "rate_burst": 1000,
                                                          "rate_per_s": 1000.0, "frames_burst": 1000}}
    rooms = [test_room(ROOM, max_length=10_000)]
    slow_side, other_side = await cluster.spawn(room=rooms, **big), await cluster.spawn(room=rooms, **big)
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", slow_side.port))
    ws = await connect(f"ws://127.0.0.1:{slow_side.port}/ws", sock=sock, compression=None, max_queue=1, max_size=2**22)
    slow = Peer(ws)
    slow.welcome = await slow.request({"type": "hello", "token": None, "locale": "fr"}, "welcome")
    await slow.join(ROOM)
    watcher = await other_side.peer()
    await watcher.join(ROOM)
    writer = await other_side.peer()
    await writer.join(ROOM)
    async with httpx.AsyncClient() as http:
        for sent in range(400):
            assert (await writer.say(ROOM, bulky(sent)))["type"] == "ack"  # about 25 kB a frame
            await watcher.expect("message")
            if sent % 10 == 9:
                metrics = (await http.get(f"{slow_side.http}/metrics")).text
                if "entraide_send_queue_overflows_total 1.0" in metrics:
                    break
        else:
            raise AssertionError("a reader that reads nothing was never cut off")
    assert await slow.closed(timeout=10) == 4009
    ack = await writer.say(ROOM, "on continue")
    assert (await watcher.expect("message", text="on continue"))["id"] == ack["id"]


async def test_a_stopping_process_closes_its_websockets_with_1012(cluster: Cluster) -> None:
    """On shutdown, clients are told to reconnect (1012 service restart), elsewhere if need be."""
    process: Process = await cluster.spawn()
    peer = await process.peer()
    await peer.join(ROOM)
    process.popen.terminate()
    assert await peer.closed(timeout=10) == 1012


async def test_metrics_are_served_in_prometheus_format(cluster: Cluster) -> None:
    """/metrics answers the text format with the hub's figures and no label naming anyone."""
    process = await cluster.spawn()
    peer = await process.peer()
    await peer.join(ROOM)
    await peer.say(ROOM, "compté")
    await peer.expect("message")
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{process.http}/metrics")
    assert response.status_code == 200
    body = response.text
    assert "entraide_connections_open 1.0" in body
    assert "entraide_messages_published_total 1.0" in body
    assert "entraide_deliveries_total 1.0" in body
    assert "entraide_fanout_latency_seconds_count 1.0" in body
    assert peer.token not in body and "salon-test" not in body
