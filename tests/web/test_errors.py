"""Protocol §9 and §Transport: malformed frames, the error budget, frame size and Origin."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat.connection import ConnectionState
from tests.conftest import Peer, base_config, bulky, test_room

pytestmark = pytest.mark.asyncio


async def still_open(peer: Peer) -> None:
    """The connection still works: a join is answered by `joined`."""
    assert (await peer.join("salon-test"))["type"] == "joined"


async def error_of(peer: Peer, raw: str | bytes) -> dict[str, Any]:
    await peer.ws.send(raw)
    return await peer.expect("error")


NOT_OBJECTS = ["not json", '{"type": ', "", '[{"type": "join"}]', "[]", "42", '"hello"', "null"]
TYPELESS = [{}, {"type": 1}, {"type": None}, {"type": ["join"]}, {"room": "salon-test"}]


async def test_not_a_json_object_is_bad_json(server):
    """Text that is not JSON, or JSON that is not an object, gets bad_json and the connection stays open."""
    for raw in NOT_OBJECTS:
        peer = await server.peer()
        error = await error_of(peer, raw)
        assert error["code"] == "bad_json", raw
        assert error["message"]
        await still_open(peer)


async def test_a_frame_without_a_string_type_is_bad_frame(server):
    """An object without a string `type` gets bad_frame and the connection stays open."""
    for frame in TYPELESS:
        peer = await server.peer()
        error = await error_of(peer, json.dumps(frame))
        assert error["code"] == "bad_frame", frame
        await still_open(peer)


async def test_bad_frame_carries_the_ref(server):
    """A typeless frame with a ref gets its ref back."""
    peer = await server.peer()
    error = await error_of(peer, json.dumps({"ref": "x1"}))
    assert error["code"] == "bad_frame" and error["ref"] == "x1"


async def test_a_binary_frame_is_bad_frame(server):
    """Binary frames are not part of the protocol: bad_frame, connection open."""
    peer = await server.peer()
    error = await error_of(peer, json.dumps({"type": "join", "room": "salon-test"}).encode())
    assert error["code"] == "bad_frame"
    await still_open(peer)


async def test_an_unknown_type_is_unknown_type(server):
    """A frame of a type the server does not know gets unknown_type with the ref."""
    peer = await server.peer()
    error = await error_of(peer, json.dumps({"type": "dance", "ref": "d1"}))
    assert error["code"] == "unknown_type" and error["ref"] == "d1"
    await still_open(peer)


BAD_FIELDS: list[dict[str, Any]] = [
    {"type": "join"},
    {"type": "join", "room": 5},
    {"type": "join", "room": "salon-test", "since": 12},
    {"type": "join", "room": "salon-test", "pseudonym": ["x"]},
    {"type": "say", "room": "salon-test"},
    {"type": "say", "room": "salon-test", "text": None},
    {"type": "say", "room": "salon-test", "text": "x", "cw": 3},
    {"type": "say", "text": "x"},
    {"type": "leave"},
    {"type": "report", "room": "salon-test"},
    {"type": "report", "room": "salon-test", "message_id": 1},
    {"type": "rename", "room": "salon-test", "pseudonym": 3},
]


async def test_a_missing_or_wrong_field_is_bad_field_with_the_ref(server):
    """A field missing or of the wrong type gets bad_field with the frame's ref; the connection stays open."""
    for frame in BAD_FIELDS:
        peer = await server.peer()
        error = await error_of(peer, json.dumps({**frame, "ref": "f1"}))
        assert error["code"] == "bad_field", frame
        assert error["ref"] == "f1"
        await still_open(peer)


async def test_bad_field_without_a_ref_has_no_ref(server):
    """Without a ref in the frame, the error carries none (or null)."""
    peer = await server.peer()
    error = await error_of(peer, json.dumps({"type": "say"}))
    assert error["code"] == "bad_field"
    assert error.get("ref") is None


async def test_a_non_string_ref_is_bad_field(server):
    """`ref` must be a string: another type is bad_field."""
    peer = await server.peer()
    error = await error_of(peer, json.dumps({"type": "leave", "room": "salon-test", "ref": 7}))
    assert error["code"] == "bad_field"


async def test_twenty_protocol_errors_do_not_close(server):
    """Twenty malformed frames within a minute are each answered and the connection stays open."""
    peer = await server.peer()
    for i in range(20):
        error = await error_of(peer, "not json" if i % 2 else json.dumps({"type": "nope"}))
        assert error["code"] in ("bad_json", "unknown_type")
    await still_open(peer)


async def test_the_twenty_first_protocol_error_closes_with_4008(server):
    """The 21st protocol error within 60 s closes the connection with 4008."""
    peer = await server.peer()
    kinds = ["not json", json.dumps({"type": 1}), json.dumps({"type": "nope"}), json.dumps({"type": "say"})]
    for i in range(20):
        await error_of(peer, kinds[i % 4])
    await still_open(peer)  # a good frame in between does not reset the count
    await peer.ws.send("still not json")
    assert await peer.closed() == 4008


async def test_refused_requests_are_not_protocol_errors(server):
    """Errors like not_joined or unknown_room do not count toward the 4008 limit."""
    peer = await server.peer()
    for i in range(25):
        await peer.send({"type": "say", "room": "salon-test", "text": "x", "ref": f"s{i}"})
        assert (await peer.reply(f"s{i}"))["code"] == "not_joined"
    await still_open(peer)


async def test_too_many_frames_of_any_type_close_with_4008(server_factory):
    """A connection sending frames above frames_burst / frames_per_s is closed with 4008."""
    server = await server_factory({"chat": {"frames_burst": 5, "frames_per_s": 0.1}}, rooms=[test_room()])
    peer = await server.peer()
    for i in range(5):
        await peer.send({"type": "leave", "room": "salon-test", "ref": f"l{i}"})
        assert (await peer.reply(f"l{i}"))["type"] == "left"
    await peer.send({"type": "leave", "room": "salon-test", "ref": "l5"})
    assert await peer.closed() == 4008


def frame_of_size(size: int) -> str:
    base = json.dumps({"type": "say", "room": "salon-test", "text": "", "ref": "big"})
    frame = json.dumps({"type": "say", "room": "salon-test", "text": "a" * (size - len(base)), "ref": "big"})
    assert len(frame.encode()) == size
    return frame


async def test_a_frame_of_exactly_the_size_limit_is_allowed(server):
    """A 16,384-byte frame is read (here refused as too_long) and the connection stays open."""
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.ws.send(frame_of_size(16384))
    reply = await peer.reply("big")
    assert reply["type"] == "error" and reply["code"] == "too_long"
    await still_open(peer)


async def test_a_frame_over_the_size_limit_closes_with_1009(server):
    """A frame one byte over ws_max_size closes the connection with 1009."""
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.ws.send(frame_of_size(16385))
    assert await peer.closed() == 1009


async def test_a_multibyte_frame_is_measured_in_bytes(server):
    """The limit counts the UTF-8 bytes of a frame, not its characters."""
    peer = await server.peer()
    await peer.join("salon-test")
    base = json.dumps({"type": "say", "room": "salon-test", "text": "", "ref": "big"}, ensure_ascii=False)
    text = "é" * ((16384 - len(base.encode())) // 2 + 1)  # fewer characters than bytes
    frame = json.dumps({"type": "say", "room": "salon-test", "text": text, "ref": "big"}, ensure_ascii=False)
    assert len(frame) < 16384 < len(frame.encode())
    await peer.ws.send(frame)
    assert await peer.closed() == 1009


# -- Origin -----------------------------------------------------------------------------------


async def hello_over(ws: ClientConnection) -> dict[str, Any]:
    peer = Peer(ws)
    return await peer.request({"type": "hello", "token": None, "locale": "fr"}, "welcome")


async def test_the_same_origin_is_allowed(server):
    """A browser on the server's own scheme, host and port may open /ws."""
    ws = await server.connect(origin=f"http://127.0.0.1:{server.port}")
    assert (await hello_over(ws))["type"] == "welcome"


async def test_no_origin_is_allowed(server):
    """Clients without an Origin header (not browsers) are allowed."""
    ws = await server.connect()
    assert (await hello_over(ws))["type"] == "welcome"


FOREIGN_ORIGINS = [
    "http://evil.example", "null", "https://127.0.0.1:{port}", "http://127.0.0.1:1", "http://127.0.0.1",
    "http://127.0.0.1:{port}.evil.example",
]


async def test_a_foreign_origin_is_refused_with_403(server):
    """An Origin that is neither this server's nor listed gets HTTP 403 at the upgrade."""
    for origin in FOREIGN_ORIGINS:
        with pytest.raises(InvalidStatus) as refused:
            await server.connect(origin=origin.format(port=server.port))
        assert refused.value.response.status_code == 403, origin


async def test_origin_null_is_refused_even_via_a_raw_header(server):
    """`Origin: null` sent as a plain header is refused with 403."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url, additional_headers={"Origin": "null"}):
            pass
    assert refused.value.response.status_code == 403


async def test_a_listed_origin_is_allowed(server_factory):
    """An origin listed in server.allowed_origins may open /ws."""
    listed = "https://entraide.example"
    server = await server_factory({"server": {"allowed_origins": [listed]}}, rooms=[test_room()])
    assert listed in server.config.server.allowed_origins
    ws = await server.connect(origin=listed)
    assert (await hello_over(ws))["type"] == "welcome"
    with pytest.raises(InvalidStatus) as refused:
        await server.connect(origin="https://other.example")
    assert refused.value.response.status_code == 403


async def test_the_shipped_config_lists_no_foreign_origin(server):
    """By default only the server's own origin is allowed."""
    assert base_config()["server"]["allowed_origins"] == []
    with pytest.raises(InvalidStatus):
        await server.connect(origin="https://entraide.example")


async def test_per_message_compression_is_off(server):
    """A client offering permessage-deflate gets no compression extension back."""
    ws = await connect(server.ws_url, compression="deflate")
    try:
        assert ws.response is not None
        assert "permessage-deflate" not in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        assert (await hello_over(ws))["type"] == "welcome"
    finally:
        await ws.close()


async def test_a_reader_that_does_not_read_is_cut_off_with_4009(server_factory):
    """A client whose send queue overflows is closed with 4009, and the room goes on without waiting."""
    server = await server_factory(
        {"server": {"ws_max_size": 1 << 20},
         "chat": {"send_queue_size": 4, "rate_burst": 1000, "rate_per_s": 1000.0, "frames_burst": 1000}},
        rooms=[test_room(max_length=10_000)],
    )
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    ws = await connect(server.ws_url, sock=sock, compression=None, max_queue=1, max_size=2**22)
    slow = Peer(ws)
    slow.welcome = await slow.request({"type": "hello", "token": None, "locale": "fr"}, "welcome")
    await slow.join("salon-test")
    session = next(s for s in server.services.hub.registry.live() if s.token == slow.token)
    writer = await server.peer()
    await writer.join("salon-test")
    sent = 0
    while any(c.state is ConnectionState.OPEN for c in session.connections):
        assert sent < 400, "a reader that reads nothing was never cut off"
        assert (await writer.say("salon-test", bulky(sent)))["type"] == "ack"  # about 25 kB a frame
        sent += 1
    assert (await writer.say("salon-test", "on continue"))["type"] == "ack"
    received = 0
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            received += 1
    assert ws.close_code == 4009
    assert received < sent  # what could not be delivered was dropped, not kept for it
