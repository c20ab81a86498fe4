"""Protocol §1: hello, welcome, resume, and what happens without a proper hello."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from rooms.models import PeerSessionRow
from tests.conftest import Peer

pytestmark = pytest.mark.asyncio

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


async def test_a_new_session_gets_a_strong_token_and_the_peer_role(server):
    """Hello without a token opens a peer session whose token carries at least 128 random bits."""
    peer = await server.peer(locale="fr")
    welcome = peer.welcome
    assert welcome["type"] == "welcome"
    assert welcome["role"] == "peer"
    assert welcome["locale"] == "fr"
    token = welcome["token"]
    assert isinstance(token, str) and URL_SAFE.match(token)
    assert len(token) >= 22  # 22 url-safe characters = 132 bits
    other = await server.peer()
    assert other.token != token


async def test_welcome_echoes_the_locale_and_the_ref(server):
    """The welcome carries back the hello's ref and the (normalised) locale."""
    ws = await server.connect()
    peer = Peer(ws)
    await peer.send({"type": "hello", "token": None, "locale": "en-GB", "ref": "h1"})
    welcome = await peer.expect("welcome")
    assert welcome["ref"] == "h1"
    assert welcome["locale"] == "en-GB"


async def test_hello_without_a_token_field_opens_a_new_session(server):
    """`token` may be left out altogether: a new anonymous session."""
    peer = Peer(await server.connect())
    welcome = await peer.request({"type": "hello", "locale": "fr"}, "welcome")
    assert welcome["role"] == "peer" and len(welcome["token"]) >= 22


async def test_resume_keeps_the_token_and_the_pseudonym(server):
    """A hello with an earlier token is the same session: same token, same pseudonym in a room."""
    first = await server.peer()
    joined = await first.join("salon-test")
    await first.ws.close()
    again = await server.peer(token=first.token)
    assert again.welcome["token"] == first.token
    assert again.welcome["role"] == "peer"
    rejoined = await again.join("salon-test")
    assert rejoined["pseudonym"] == joined["pseudonym"]


async def test_resume_while_still_connected_is_the_same_session(server):
    """A second socket with the same token shares the session and its pseudonym."""
    first = await server.peer()
    joined = await first.join("salon-test")
    second = await server.peer(token=first.token)
    assert second.welcome["token"] == first.token
    assert (await second.join("salon-test"))["pseudonym"] == joined["pseudonym"]


async def test_a_bad_token_is_refused_with_4001(server):
    """An unknown token gets the error bad_token, then the connection closes with 4001."""
    peer = Peer(await server.connect())
    await peer.send({"type": "hello", "token": "not-a-token-we-ever-gave-out", "locale": "fr", "ref": "h"})
    error = await peer.expect("error")
    assert error["code"] == "bad_token"
    assert error["ref"] == "h"
    assert await peer.closed() == 4001


async def test_after_bad_token_a_fresh_hello_works(server):
    """The client drops the refused token and says hello again without it: a new session."""
    peer = Peer(await server.connect())
    await peer.send({"type": "hello", "token": "x" * 43, "locale": "fr"})
    assert await peer.closed() == 4001
    fresh = await server.peer()
    assert fresh.welcome["type"] == "welcome"


async def test_a_frame_before_hello_is_refused_with_4000(server):
    """Anything but hello first gets hello_required and close 4000."""
    peer = Peer(await server.connect())
    await peer.send({"type": "join", "room": "salon-test", "ref": "j"})
    error = await peer.expect("error")
    assert error["code"] == "hello_required"
    assert await peer.closed() == 4000


async def test_garbage_before_hello_is_refused_with_4000(server):
    """A frame that is not even JSON, sent before hello, also closes with 4000."""
    peer = Peer(await server.connect())
    await peer.send("this is not json")
    assert (await peer.expect("error"))["code"] == "hello_required"
    assert await peer.closed() == 4000


async def test_no_hello_within_the_deadline_closes_with_4000(server_factory):
    """A client that says nothing is closed with 4000 once hello_timeout_s has passed."""
    server = await server_factory({"chat": {"hello_timeout_s": 0.5}})
    loop = asyncio.get_running_loop()
    started = loop.time()
    peer = Peer(await server.connect())
    assert await peer.closed(timeout=5) == 4000
    elapsed = loop.time() - started
    assert 0.4 <= elapsed < 3


async def test_a_prompt_hello_is_not_cut_by_the_deadline(server_factory):
    """A session that said hello in time stays open after hello_timeout_s."""
    server = await server_factory({"chat": {"hello_timeout_s": 0.5}})
    peer = await server.peer()
    await asyncio.sleep(0.8)
    joined = await peer.join("anxiete")
    assert joined["room"] == "anxiete"


async def test_english_locale_gives_english_error_messages(server):
    """Errors are written in the session's locale: English for an `en` hello."""
    peer = await server.peer(locale="en")
    await peer.send({"type": "join", "room": "no-such-room", "ref": "r"})
    error = await peer.reply("r")
    assert error["code"] == "unknown_room"
    assert error["message"] == "This room does not exist."


async def test_french_locale_gives_french_error_messages(server):
    """Errors are written in French for a `fr` hello."""
    peer = await server.peer(locale="fr")
    await peer.send({"type": "join", "room": "no-such-room", "ref": "r"})
    error = await peer.reply("r")
    assert error["message"] == "Ce salon n'existe pas."


async def test_an_unsupported_locale_falls_back_to_french(server):
    """A locale the service does not speak is answered in French."""
    peer = await server.peer(locale="de")
    assert peer.welcome["locale"] == "fr"
    await peer.send({"type": "join", "room": "no-such-room", "ref": "r"})
    error = await peer.reply("r")
    assert error["message"] == "Ce salon n'existe pas."


async def test_resume_can_change_the_locale(server):
    """The locale of the latest hello applies to the resumed session."""
    first = await server.peer(locale="fr")
    await first.ws.close()
    again = await server.peer(locale="en", token=first.token)
    assert again.welcome["locale"] == "en"
    await again.send({"type": "say", "room": "salon-test", "text": "x", "ref": "s"})
    assert (await again.reply("s"))["message"] == "Join this room first."


async def test_a_second_hello_is_not_a_new_session(server):
    """Hello once the session is open is refused and leaves the session as it was."""
    peer = await server.peer()
    await peer.send(json.dumps({"type": "hello", "token": None, "locale": "fr", "ref": "h2"}))
    error = await peer.reply("h2")
    assert error["type"] == "error"
    joined = await peer.join("salon-test")
    assert joined["type"] == "joined"


async def test_an_expired_token_is_refused_with_4001(server_factory):
    """A token whose session went unused past session_idle_days gets bad_token and close 4001."""
    server = await server_factory({"chat": {"session_idle_days": 1}})
    first = await server.peer()
    await first.ws.close()
    async with server.services.engine.begin() as connection:
        await connection.execute(
            update(PeerSessionRow).values(last_seen_at=datetime.now(UTC) - timedelta(days=2))
        )
    peer = Peer(await server.connect())
    await peer.send({"type": "hello", "token": first.token, "locale": "fr"})
    assert (await peer.expect("error"))["code"] == "bad_token"
    assert await peer.closed() == 4001


async def test_only_a_hash_of_the_token_is_stored(server):
    """The database never holds the token itself."""
    peer = await server.peer()
    async with server.services.engine.connect() as connection:
        stored = (await connection.execute(select(PeerSessionRow.token_hash))).scalars().all()
    assert len(stored) == 1
    assert stored[0] != peer.token and peer.token not in stored[0]
