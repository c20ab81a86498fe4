"""Protocol §3: say, ack, message fan-out and every refusal that keeps the connection open."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from chat.sessions import Session
from tests.conftest import Peer, Server, bulky, test_room

pytestmark = pytest.mark.asyncio

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ID = re.compile(r"^\d{12}$")
ROOMS = [test_room(), test_room("anxiete")]


def session_of(server: Server, peer: Peer) -> Session:
    return next(s for s in server.services.hub.registry.live() if s.token == peer.token)


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def still_open(peer) -> None:
    """The connection still answers: a join of another room is answered by `joined`."""
    joined = await peer.join("anxiete")
    assert joined["type"] == "joined"


async def test_say_is_acked_with_the_message_id(server):
    """The sender gets an ack with its ref, status published and a 12-digit id."""
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.send({"type": "say", "room": "salon-test", "text": "bonjour", "cw": None, "ref": "c2"})
    ack = await peer.reply("c2")
    assert ack["type"] == "ack"
    assert ack["status"] == "published"
    assert ID.match(ack["id"])


async def test_a_message_reaches_everyone_in_the_room_with_its_fields(server):
    """Everyone in the room, the sender included, gets the same `message` frame."""
    a, b, outsider = await server.peer(), await server.peer(), await server.peer()
    joined_a = await a.join("salon-test")
    await b.join("salon-test")
    await outsider.join("anxiete")
    before = datetime.now(UTC) - timedelta(seconds=1)
    ack = await a.say("salon-test", "bonjour à tous")
    for peer in (a, b):
        message = await peer.expect("message")
        assert set(message) == {"type", "room", "id", "author", "text", "cw", "ts"}
        assert message["room"] == "salon-test"
        assert message["id"] == ack["id"]
        assert message["author"] == {"pseudonym": joined_a["pseudonym"], "role": "peer"}
        assert message["text"] == "bonjour à tous"
        assert message["cw"] is None
        assert TS.match(message["ts"]), message["ts"]
        moment = datetime.strptime(message["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert before <= moment <= datetime.now(UTC) + timedelta(seconds=1)
    await outsider.send({"type": "leave", "room": "anxiete", "ref": "probe"})
    while (frame := await outsider.recv())["type"] != "left":
        assert frame["type"] != "message", frame


async def test_history_entries_are_the_same_message_frames(server):
    """A message in a later joiner's history is the frame that was delivered live."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await a.say("salon-test", "pour plus tard", cw="fatigue")
    live = await a.expect("message")
    joined = await b.join("salon-test")
    assert joined["history"] == [live]


async def test_say_outside_a_joined_room_is_not_joined(server):
    """Saying in a room one has not joined gets not_joined with the ref."""
    peer = await server.peer()
    await peer.send({"type": "say", "room": "salon-test", "text": "hello", "ref": "c2"})
    error = await peer.reply("c2")
    assert error["type"] == "error" and error["code"] == "not_joined"
    await still_open(peer)


async def test_say_in_an_unknown_room_is_refused(server):
    """Saying in a room that does not exist is refused and the connection stays open."""
    peer = await server.peer()
    error = await peer.say("nowhere", "hello")
    assert error["type"] == "error" and error["code"] in ("unknown_room", "not_joined")
    await still_open(peer)


async def test_white_space_only_is_empty(server):
    """A message of nothing but white space is refused with `empty`."""
    peer = await server.peer()
    await peer.join("salon-test")
    for text in ("", "   ", "\n\t \u00a0\u2003"):
        error = await peer.say("salon-test", text)
        assert error["type"] == "error" and error["code"] == "empty", repr(text)
    await still_open(peer)


async def test_too_long_is_refused_with_the_limit(server_factory):
    """Over the room's max_length is too_long, with max_length in the error."""
    server = await server_factory(rooms=[test_room(max_length=10), test_room("anxiete")])
    peer = await server.peer()
    await peer.join("salon-test")
    error = await peer.say("salon-test", "x" * 11)
    assert error["type"] == "error" and error["code"] == "too_long"
    assert error["max_length"] == 10
    await still_open(peer)


async def test_exactly_the_length_limit_is_allowed(server_factory):
    """A message of exactly max_length characters (after trimming) is published."""
    server = await server_factory(rooms=[test_room(max_length=10)])
    peer = await server.peer()
    await peer.join("salon-test")
    text = "éèàùç12345"
    assert len(text) == 10
    ack = await peer.say("salon-test", f"  {text}  ")
    assert ack["type"] == "ack", ack
    assert (await peer.expect("message"))["text"] == text


async def test_the_default_length_limit_is_2000(server):
    """Without a room setting the limit is 2,000 characters."""
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", bulky(1, 2000)))["type"] == "ack"
    error = await peer.say("salon-test", bulky(2, 2001))
    assert error["code"] == "too_long" and error["max_length"] == 2000


async def test_fast_saying_is_rate_limited_with_retry_after(server_factory):
    """Past the burst, `say` gets rate_limited with retry_after_s and the connection stays open."""
    server = await server_factory({"chat": {"rate_burst": 2, "rate_per_s": 0.5, "flood_refusals": 5}}, rooms=ROOMS)
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    assert (await peer.say("salon-test", "deux"))["type"] == "ack"
    error = await peer.say("salon-test", "trois")
    assert error["type"] == "error" and error["code"] == "rate_limited"
    assert isinstance(error["retry_after_s"], int | float)
    assert 0 < error["retry_after_s"] <= 2
    await still_open(peer)


async def test_saying_again_after_retry_after_is_allowed(server_factory):
    """Waiting retry_after_s is enough for the next message to go through."""
    server = await server_factory({"chat": {"rate_burst": 1, "rate_per_s": 5.0}}, rooms=ROOMS)
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    error = await peer.say("salon-test", "deux")
    assert error["code"] == "rate_limited"
    await asyncio.sleep(error["retry_after_s"] + 0.05)
    assert (await peer.say("salon-test", "deux"))["type"] == "ack"


async def test_continued_flooding_closes_with_4008(server_factory):
    """More rate_limited refusals than flood_refusals closes the connection with 4008."""
    server = await server_factory({"chat": {"rate_burst": 1, "rate_per_s": 0.1, "flood_refusals": 3}}, rooms=ROOMS)
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    for _ in range(3):
        assert (await peer.say("salon-test", "encore"))["code"] == "rate_limited"
    await peer.send({"type": "say", "room": "salon-test", "text": "encore", "ref": "last"})
    assert await peer.closed() == 4008


async def test_the_rate_limit_belongs_to_the_session_not_the_connection(server_factory):
    """A second socket of the same session does not get a fresh burst."""
    server = await server_factory({"chat": {"rate_burst": 2, "rate_per_s": 0.1, "flood_refusals": 50}}, rooms=ROOMS)
    first = await server.peer()
    await first.join("salon-test")
    assert (await first.say("salon-test", "un"))["type"] == "ack"
    assert (await first.say("salon-test", "deux"))["type"] == "ack"
    tab = await server.peer(token=first.token)
    await tab.join("salon-test")
    assert (await tab.say("salon-test", "trois"))["code"] == "rate_limited"


async def test_slow_mode_refuses_with_retry_after(server_factory):
    """In a slow room, a second message too soon gets slow_mode with retry_after_s."""
    server = await server_factory(rooms=[test_room(slow_mode_s=30), test_room("anxiete")])
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    error = await peer.say("salon-test", "deux")
    assert error["type"] == "error" and error["code"] == "slow_mode"
    assert 25 < error["retry_after_s"] <= 30
    await still_open(peer)


async def test_slow_mode_is_per_room(server_factory):
    """The slow mode of one room does not hold back messages in another."""
    server = await server_factory(rooms=[test_room(slow_mode_s=30), test_room("anxiete")])
    peer = await server.peer()
    await peer.join("salon-test")
    await peer.join("anxiete")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    assert (await peer.say("anxiete", "deux"))["type"] == "ack"


async def test_slow_mode_lets_the_next_message_through_after_the_delay(server_factory):
    """Once slow_mode_s has passed, the next message is published."""
    server = await server_factory(rooms=[test_room(slow_mode_s=1)])
    peer = await server.peer()
    await peer.join("salon-test")
    assert (await peer.say("salon-test", "un"))["type"] == "ack"
    error = await peer.say("salon-test", "deux")
    assert error["code"] == "slow_mode"
    await asyncio.sleep(error["retry_after_s"] + 0.1)
    assert (await peer.say("salon-test", "deux"))["type"] == "ack"


async def test_a_muted_session_gets_muted_with_until(server):
    """A muted session's say gets `muted` with the mute's end; the connection stays open."""
    peer = await server.peer()
    await peer.join("salon-test")
    until = datetime.now(UTC) + timedelta(minutes=10)
    await server.services.hub.sanction(session_of(server, peer).id, "salon-test", "mute", until)
    error = await peer.say("salon-test", "bonjour")
    assert error["type"] == "error" and error["code"] == "muted"
    assert error["until"] == ts(until)
    await still_open(peer)
    assert (await peer.say("anxiete", "ailleurs"))["type"] == "ack"  # a room mute stays in its room


async def test_a_service_wide_mute_applies_everywhere_and_after_resume(server):
    """A mute without a room silences the session in every room, also after reconnecting."""
    peer = await server.peer()
    await server.services.hub.sanction(session_of(server, peer).id, None, "mute", None)
    await peer.ws.close()
    await asyncio.sleep(0.1)
    again = await server.peer(token=peer.token)
    await again.join("anxiete")
    error = await again.say("anxiete", "bonjour")
    assert error["code"] == "muted" and error["until"] is None


async def test_a_muted_message_is_not_published(server):
    """Nothing of a muted session's refused message reaches the room."""
    muted, other = await server.peer(), await server.peer()
    await muted.join("salon-test")
    await other.join("salon-test")
    await server.services.hub.sanction(session_of(server, muted).id, "salon-test", "mute", None)
    assert (await muted.say("salon-test", "caché"))["code"] == "muted"
    joined = await (await server.peer()).join("salon-test")
    assert joined["history"] == []


async def test_a_content_warning_is_delivered(server):
    """`cw` is delivered with the message, trimmed."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    ack = await a.say("salon-test", "un souvenir difficile", cw="  deuil  ")
    message = await b.expect("message", id=ack["id"])
    assert message["cw"] == "deuil"
    assert message["text"] == "un souvenir difficile"


async def test_html_is_delivered_verbatim(server):
    """The server never escapes or alters text other than trimming it."""
    a, b = await server.peer(), await server.peer()
    await a.join("salon-test")
    await b.join("salon-test")
    text = "<script>alert('x')</script> & <b>gras</b> &amp; \"cités\"\n  deux lignes \u200b🙂"
    ack = await a.say("salon-test", f"  {text}\n ")
    assert (await b.expect("message", id=ack["id"]))["text"] == text
    joined = await (await server.peer()).join("salon-test")
    assert joined["history"][-1]["text"] == text


async def test_refusals_keep_the_ref(server):
    """Every refusal of a say carries the say's ref back."""
    peer = await server.peer()
    await peer.send({"type": "say", "room": "salon-test", "text": "x", "ref": "r-not-joined"})
    assert (await peer.reply("r-not-joined"))["code"] == "not_joined"
    await peer.join("salon-test")
    await peer.send({"type": "say", "room": "salon-test", "text": " ", "ref": "r-empty"})
    assert (await peer.reply("r-empty"))["code"] == "empty"
