"""Protocol §2: joining and leaving rooms, pseudonyms, history and resuming without a gap."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chat.sessions import Session
from rooms.pseudonyms import Pseudonyms
from tests.conftest import Peer, Server, base_config, test_room

pytestmark = pytest.mark.asyncio

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FAST = {"chat": {"rate_burst": 1000, "rate_per_s": 1000.0, "frames_burst": 1000, "frames_per_s": 1000.0}}


def session_of(server: Server, peer: Peer) -> Session:
    """The live Session object behind a peer (for what only the server can set up)."""
    return next(s for s in server.services.hub.registry.live() if s.token == peer.token)


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def error_for(peer: Peer, frame: dict[str, Any]) -> dict[str, Any]:
    ref = f"e-{random.randrange(10**9)}"
    await peer.send({**frame, "ref": ref})
    reply = await peer.reply(ref)
    assert reply["type"] == "error", reply
    return reply


# -- joined ----------------------------------------------------------------------------------


async def test_joined_describes_the_room(server):
    """`joined` carries the room's info, its history, presence, gap and the pseudonym."""
    peer = await server.peer()
    joined = await peer.join("anxiete")
    assert joined["room"] == "anxiete"
    info = joined["room_info"]
    seeded = next(r for r in base_config()["room"] if r["slug"] == "anxiete")
    assert info["title"] == seeded["title"]
    assert info["description"] == seeded["description"]
    assert info["charter"] == seeded["charter"]
    assert info["lang"] == "fr"
    assert info["moderation"] == "post"
    assert info["slow_mode_s"] == 0
    assert info["open"] is True
    assert info["next_open"] is None
    assert info["max_length"] == seeded["max_length"]
    assert info["theme"] == seeded["theme"]
    assert joined["history"] == []
    assert joined["presence"] == {"count": 1, "helpers": 0}
    assert joined["gap"] is False
    assert isinstance(joined["pseudonym"], str) and 2 <= len(joined["pseudonym"]) <= 32


async def test_joined_carries_the_ref(server):
    """The ref of a join comes back on `joined`."""
    peer = await server.peer()
    await peer.send({"type": "join", "room": "salon-test", "since": None, "pseudonym": None, "ref": "c1"})
    joined = await peer.expect("joined")
    assert joined["ref"] == "c1"


async def test_an_unknown_room_is_refused(server):
    """Joining a room that does not exist gets unknown_room, with the ref."""
    peer = await server.peer()
    error = await error_for(peer, {"type": "join", "room": "nowhere"})
    assert error["code"] == "unknown_room"
    assert error["message"]


async def test_a_full_room_refuses_one_more_person(server_factory):
    """A room at capacity refuses another session with room_full."""
    server = await server_factory(rooms=[test_room(capacity=1)])
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test")
    error = await error_for(second, {"type": "join", "room": "salon-test"})
    assert error["code"] == "room_full"


async def test_a_full_room_still_lets_in_a_second_tab_of_its_member(server_factory):
    """Capacity counts people: the member's second connection is not refused."""
    server = await server_factory(rooms=[test_room(capacity=1)])
    first = await server.peer()
    joined = await first.join("salon-test")
    tab = await server.peer(token=first.token)
    assert (await tab.join("salon-test"))["pseudonym"] == joined["pseudonym"]


async def test_a_full_room_has_room_again_after_a_leave(server_factory):
    """Once its member leaves, a full room takes someone else."""
    server = await server_factory(rooms=[test_room(capacity=1)])
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test")
    await first.request({"type": "leave", "room": "salon-test"}, "left")
    assert (await second.join("salon-test"))["room"] == "salon-test"


async def test_a_room_outside_its_hours_is_closed_but_readable(server_factory):
    """Outside its schedule a room can be joined (open false, next_open given) but say gets room_closed."""
    paris = ZoneInfo("Europe/Paris")
    today = datetime.now(paris).weekday()
    other = (today + 3) % 7
    server = await server_factory(rooms=[test_room(schedule=[f"{DAYS[other]} 10:00-11:00"])])
    peer = await server.peer()
    joined = await peer.join("salon-test")
    info = joined["room_info"]
    assert info["open"] is False
    assert TS.match(info["next_open"]), info["next_open"]
    opening = datetime.strptime(info["next_open"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert opening > datetime.now(UTC)
    local = opening.astimezone(paris)
    assert (local.weekday(), local.hour, local.minute) == (other, 10, 0)
    ack = await peer.say("salon-test", "bonjour")
    assert ack["type"] == "error" and ack["code"] == "room_closed"


async def test_a_room_within_its_hours_is_open(server_factory):
    """A room whose schedule covers now is open and takes messages."""
    paris = ZoneInfo("Europe/Paris")
    today = DAYS[datetime.now(paris).weekday()]
    server = await server_factory(rooms=[test_room(schedule=[f"{today} 00:00-24:00"])])
    peer = await server.peer()
    joined = await peer.join("salon-test")
    assert joined["room_info"]["open"] is True and joined["room_info"]["next_open"] is None
    assert (await peer.say("salon-test", "bonjour"))["type"] == "ack"


@pytest.mark.parametrize("settings", [{"requires_helper": True}, {"moderation": "pre"}])
async def test_a_room_needing_a_helper_is_closed_without_one(server_factory, settings):
    """A requires_helper or pre-moderated room with nobody on duty is closed: say gets room_closed."""
    server = await server_factory(rooms=[test_room(**settings)])
    peer = await server.peer()
    joined = await peer.join("salon-test")
    assert joined["room_info"]["open"] is False
    assert (await peer.say("salon-test", "bonjour"))["code"] == "room_closed"


async def test_a_pre_moderated_room_is_closed_without_a_helper(server):
    """The pre-moderated room (addictions) with nobody on duty refuses say with room_closed."""
    peer = await server.peer()
    joined = await peer.join("addictions")
    assert joined["room_info"]["moderation"] == "pre"
    assert joined["room_info"]["open"] is False
    assert (await peer.say("addictions", "bonjour"))["code"] == "room_closed"


async def test_a_banned_session_cannot_join(server):
    """A session banned from a room gets `banned` with the ban's end at join."""
    peer = await server.peer()
    session = session_of(server, peer)
    until = datetime.now(UTC) + timedelta(hours=1)
    await server.services.hub.sanction(session.id, "salon-test", "ban", until)
    error = await error_for(peer, {"type": "join", "room": "salon-test"})
    assert error["code"] == "banned"
    assert error["until"] == ts(until)
    assert (await peer.join("anxiete"))["room"] == "anxiete"  # other rooms stay open to it


async def test_a_ban_for_good_has_a_null_until(server):
    """A ban without an end is refused with until null."""
    peer = await server.peer()
    await server.services.hub.sanction(session_of(server, peer).id, "salon-test", "ban", None)
    error = await error_for(peer, {"type": "join", "room": "salon-test"})
    assert error["code"] == "banned" and error["until"] is None


async def test_a_ban_survives_a_resume(server):
    """The ban belongs to the session: reconnecting with the token does not lift it."""
    peer = await server.peer()
    until = datetime.now(UTC) + timedelta(hours=1)
    await server.services.hub.sanction(session_of(server, peer).id, "salon-test", "ban", until)
    await peer.ws.close()
    await asyncio.sleep(0.1)
    again = await server.peer(token=peer.token)
    error = await error_for(again, {"type": "join", "room": "salon-test"})
    assert error["code"] == "banned" and error["until"] == ts(until)


async def test_an_expired_ban_no_longer_refuses(server):
    """A ban whose end has passed lets the session in."""
    peer = await server.peer()
    until = datetime.now(UTC) - timedelta(seconds=1)
    await server.services.hub.sanction(session_of(server, peer).id, "salon-test", "ban", until)
    assert (await peer.join("salon-test"))["room"] == "salon-test"


async def test_too_many_rooms_is_refused(server_factory):
    """Joining more rooms than chat.max_rooms_per_session gets too_many_rooms."""
    rooms = [test_room(f"salon-{i}") for i in range(3)]
    server = await server_factory({"chat": {"max_rooms_per_session": 2}}, rooms=rooms)
    peer = await server.peer()
    await peer.join("salon-0")
    await peer.join("salon-1")
    error = await error_for(peer, {"type": "join", "room": "salon-2"})
    assert error["code"] == "too_many_rooms"
    await peer.request({"type": "leave", "room": "salon-0"}, "left")
    assert (await peer.join("salon-2"))["room"] == "salon-2"


async def test_too_many_rooms_counts_the_session_not_one_connection(server_factory):
    """The room limit is per session: a second socket of the same session cannot exceed it."""
    rooms = [test_room(f"salon-{i}") for i in range(3)]
    server = await server_factory({"chat": {"max_rooms_per_session": 2}}, rooms=rooms)
    first = await server.peer()
    await first.join("salon-0")
    await first.join("salon-1")
    tab = await server.peer(token=first.token)
    assert (await tab.join("salon-0"))["room"] == "salon-0"  # a room the session is already in
    error = await error_for(tab, {"type": "join", "room": "salon-2"})
    assert error["code"] == "too_many_rooms"


# -- pseudonyms ---------------------------------------------------------------------------------


async def test_the_generated_pseudonym_is_stable_across_rejoin(server):
    """Leaving and joining again keeps the session's pseudonym in the room."""
    peer = await server.peer()
    first = (await peer.join("salon-test"))["pseudonym"]
    await peer.request({"type": "leave", "room": "salon-test"}, "left")
    assert (await peer.join("salon-test"))["pseudonym"] == first


async def test_the_generated_pseudonym_is_stable_across_resume(server):
    """A reconnect with the token keeps the pseudonym, even once the session left memory."""
    peer = await server.peer()
    first = (await peer.join("salon-test"))["pseudonym"]
    await peer.ws.close()
    for _ in range(100):  # until the server has noticed the disconnect
        if not server.services.hub.registry.live():
            break
        await asyncio.sleep(0.02)
    assert not server.services.hub.registry.live()
    again = await server.peer(token=peer.token)
    assert (await again.join("salon-test"))["pseudonym"] == first


async def test_a_wished_pseudonym_is_granted_trimmed(server):
    """A valid wish is granted, trimmed of surrounding white space."""
    peer = await server.peer()
    joined = await peer.join("salon-test", pseudonym="  Loutre bleue  ")
    assert joined["pseudonym"] == "Loutre bleue"
    ack = await peer.say("salon-test", "coucou")
    message = await peer.expect("message", id=ack["id"])
    assert message["author"]["pseudonym"] == "Loutre bleue"


async def test_pseudonyms_of_any_script_and_allowed_punctuation_are_valid(server):
    """Letters of any script, digits, spaces, - ' and . make a valid pseudonym."""
    for wish in ("Ми́ла", "雪の猫", "Jean-Luc O'Neil 2.0", "ab"):
        peer = await server.peer()
        assert (await peer.join("salon-test", pseudonym=wish))["pseudonym"] == wish


INVALID_WISHES = [
    "a", "x" * 33, "<script>", "Modérateur", "admin", "Salut l'ADMIN", "connard", "Gros Connard",
    "   ", "a_b", "😀😀😀", "--", "tabs\there",
]


async def test_an_invalid_pseudonym_is_refused(server):
    """Wishes too short or long, with forbidden characters, reserved titles or insults are refused."""
    for wish in INVALID_WISHES:
        peer = await server.peer()
        error = await error_for(peer, {"type": "join", "room": "salon-test", "pseudonym": wish})
        assert error["code"] == "pseudonym_invalid", wish


async def test_thirty_two_characters_is_allowed(server):
    """Exactly 32 characters after trimming is a valid length."""
    peer = await server.peer()
    wish = "Loutre " + "a" * 25
    assert len(wish) == 32
    assert (await peer.join("salon-test", pseudonym=f" {wish} "))["pseudonym"] == wish


async def test_an_invalid_wish_does_not_join(server):
    """A refused pseudonym leaves the session out of the room."""
    peer = await server.peer()
    await error_for(peer, {"type": "join", "room": "salon-test", "pseudonym": "<script>"})
    error = await error_for(peer, {"type": "say", "room": "salon-test", "text": "x"})
    assert error["code"] == "not_joined"


async def test_a_taken_pseudonym_is_refused_ignoring_case_and_accents(server):
    """`heron calme` is taken once someone holds `Héron Calme` in the room."""
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test", pseudonym="Héron Calme")
    error = await error_for(second, {"type": "join", "room": "salon-test", "pseudonym": "heron calme"})
    assert error["code"] == "pseudonym_taken"
    error = await error_for(second, {"type": "join", "room": "salon-test", "pseudonym": "HÉRON  CALME"})
    assert error["code"] == "pseudonym_taken"


async def test_a_pseudonym_is_taken_only_within_its_room(server):
    """The same name may be held by someone else in another room."""
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test", pseudonym="Héron Calme")
    assert (await second.join("anxiete", pseudonym="Héron Calme"))["pseudonym"] == "Héron Calme"


async def test_a_pseudonym_stays_taken_while_its_holder_is_away(server):
    """After its holder disconnects, nobody else can take the pseudonym."""
    first = await server.peer()
    await first.join("salon-test", pseudonym="Loutre Douce")
    await first.ws.close()
    for _ in range(100):
        if not server.services.hub.registry.live():
            break
        await asyncio.sleep(0.02)
    second = await server.peer()
    error = await error_for(second, {"type": "join", "room": "salon-test", "pseudonym": "loutre douce"})
    assert error["code"] == "pseudonym_taken"
    back = await server.peer(token=first.token)
    assert (await back.join("salon-test"))["pseudonym"] == "Loutre Douce"


async def test_the_holder_may_wish_its_own_pseudonym_again(server):
    """Wishing the pseudonym one already holds is granted, not taken."""
    peer = await server.peer()
    await peer.join("salon-test", pseudonym="Loutre Douce")
    await peer.request({"type": "leave", "room": "salon-test"}, "left")
    assert (await peer.join("salon-test", pseudonym="loutre douce"))["pseudonym"] == "loutre douce"


async def test_two_rooms_give_different_pseudonyms(server):
    """By default a session's generated pseudonyms differ from one room to the next."""
    peer = await server.peer()
    names = [(await peer.join(room))["pseudonym"] for room in ("salon-test", "anxiete", "deuil", "depression")]
    assert len({n.casefold() for n in names}) == len(names)


async def test_two_rooms_differ_even_when_the_draw_repeats(server):
    """Even when the random draw gives the same name twice, the second room gets another one."""
    hub = server.services.hub
    peer = await server.peer()
    hub.pseudonyms = Pseudonyms(rng=random.Random(7))
    first = (await peer.join("salon-test"))["pseudonym"]
    hub.pseudonyms = Pseudonyms(rng=random.Random(7))  # the same draws again
    second = (await peer.join("anxiete"))["pseudonym"]
    assert first.casefold() != second.casefold()


async def test_rename_to_a_wish(server):
    """`rename` with a wish answers `renamed` and later messages carry the new name."""
    peer = await server.peer()
    await peer.join("salon-test")
    renamed = await peer.request(
        {"type": "rename", "room": "salon-test", "pseudonym": " Castor Sage ", "ref": "n1"}, "renamed")
    assert renamed == {"type": "renamed", "room": "salon-test", "pseudonym": "Castor Sage", "ref": "n1"}
    ack = await peer.say("salon-test", "re")
    message = await peer.expect("message", id=ack["id"])
    assert message["author"]["pseudonym"] == "Castor Sage"


async def test_rename_with_null_rerolls(server):
    """`rename` with a null pseudonym draws a new generated one."""
    peer = await server.peer()
    before = (await peer.join("salon-test"))["pseudonym"]
    renamed = await peer.request({"type": "rename", "room": "salon-test", "pseudonym": None, "ref": "n"}, "renamed")
    assert renamed["ref"] == "n"
    assert renamed["pseudonym"] != before
    assert 2 <= len(renamed["pseudonym"]) <= 32
    await peer.request({"type": "leave", "room": "salon-test"}, "left")
    assert (await peer.join("salon-test"))["pseudonym"] == renamed["pseudonym"]


async def test_reroll_never_gives_back_the_same_name(server):
    """A re-roll gives a new name even when the random draw repeats the current one."""
    hub = server.services.hub
    peer = await server.peer()
    hub.pseudonyms = Pseudonyms(rng=random.Random(11))
    before = (await peer.join("salon-test"))["pseudonym"]
    hub.pseudonyms = Pseudonyms(rng=random.Random(11))
    renamed = await peer.request({"type": "rename", "room": "salon-test", "pseudonym": None}, "renamed")
    assert renamed["pseudonym"] != before


async def test_rename_is_checked_like_a_join(server):
    """`rename` refuses an invalid or taken wish and keeps the current name."""
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test", pseudonym="Castor Sage")
    await second.join("salon-test", pseudonym="Lapin Doux")
    error = await error_for(second, {"type": "rename", "room": "salon-test", "pseudonym": "castor sage"})
    assert error["code"] == "pseudonym_taken"
    error = await error_for(second, {"type": "rename", "room": "salon-test", "pseudonym": "admin"})
    assert error["code"] == "pseudonym_invalid"
    ack = await second.say("salon-test", "toujours moi")
    assert (await second.expect("message", id=ack["id"]))["author"]["pseudonym"] == "Lapin Doux"


async def test_rename_needs_the_room_joined(server):
    """`rename` in a room one is not in gets not_joined."""
    peer = await server.peer()
    error = await error_for(peer, {"type": "rename", "room": "salon-test", "pseudonym": "Castor Sage"})
    assert error["code"] == "not_joined"


async def test_a_renamed_session_keeps_its_old_name_reserved(server):
    """A name a session held stays reserved to it after a rename (its old messages carry it)."""
    first, second = await server.peer(), await server.peer()
    await first.join("salon-test", pseudonym="Castor Sage")
    await first.request({"type": "rename", "room": "salon-test", "pseudonym": "Lapin Doux"}, "renamed")
    error = await error_for(second, {"type": "join", "room": "salon-test", "pseudonym": "Castor Sage"})
    assert error["code"] == "pseudonym_taken"


# -- leave ----------------------------------------------------------------------------------------


async def test_leave_answers_left_and_then_say_is_not_joined(server):
    """After `leave` (answered by `left` with the ref) the session can no longer speak there."""
    peer = await server.peer()
    await peer.join("salon-test")
    left = await peer.request({"type": "leave", "room": "salon-test", "ref": "c9"}, "left")
    assert left == {"type": "left", "room": "salon-test", "ref": "c9"}
    error = await error_for(peer, {"type": "say", "room": "salon-test", "text": "encore là ?"})
    assert error["code"] == "not_joined"


async def test_after_leave_no_more_messages_arrive(server):
    """A session that left a room no longer receives its messages."""
    speaker, leaver = await server.peer(), await server.peer()
    await speaker.join("salon-test")
    await leaver.join("salon-test")
    await leaver.request({"type": "leave", "room": "salon-test", "ref": "l"}, "left")
    await speaker.say("salon-test", "après le départ")
    await speaker.expect("message")
    await leaver.send({"type": "join", "room": "anxiete", "ref": "probe"})
    frames = []
    while (frame := await leaver.recv())["type"] != "joined":
        frames.append(frame)
    assert not any(f["type"] == "message" for f in frames)


# -- history --------------------------------------------------------------------------------------


async def say_many(server, room: str, count: int, prefix: str = "m") -> list[str]:
    writer = await server.peer()
    await writer.join(room)
    ids = []
    for i in range(count):
        ack = await writer.say(room, f"{prefix}{i}")
        assert ack["type"] == "ack", ack
        ids.append(ack["id"])
    return ids


async def test_history_without_since_is_the_latest_messages(server_factory):
    """Without `since`, history is the room's latest history_size messages, oldest first."""
    server = await server_factory(FAST, rooms=[test_room(history_size=3)])
    ids = await say_many(server, "salon-test", 5)
    reader = await server.peer()
    joined = await reader.join("salon-test")
    assert [m["id"] for m in joined["history"]] == ids[-3:]
    assert [m["text"] for m in joined["history"]] == ["m2", "m3", "m4"]
    assert all(m["type"] == "message" and m["room"] == "salon-test" for m in joined["history"])
    assert joined["gap"] is False


async def test_history_size_comes_from_the_chat_config(server_factory):
    """Rooms without their own history_size use chat.history_size."""
    server = await server_factory(merge_fast({"chat": {"history_size": 2}}), rooms=[test_room()])
    ids = await say_many(server, "salon-test", 4)
    joined = await (await server.peer()).join("salon-test")
    assert [m["id"] for m in joined["history"]] == ids[-2:]


def merge_fast(overrides: dict[str, Any]) -> dict[str, Any]:
    return {"chat": {**FAST["chat"], **overrides.get("chat", {})}}


async def test_since_gives_exactly_what_was_missed(server_factory):
    """A client that saw message k and rejoins with since=k gets exactly k+1..n, gap false."""
    server = await server_factory(FAST, rooms=[test_room(history_size=3)])
    reader = await server.peer()
    await reader.join("salon-test")
    ids = await say_many(server, "salon-test", 3, "avant")
    for expected in ids:
        assert (await reader.expect("message"))["id"] == expected
    await reader.ws.close()
    missed = await say_many(server, "salon-test", 6, "pendant")
    back = await server.peer(token=reader.token)
    joined = await back.join("salon-test", since=ids[-1])
    assert [m["id"] for m in joined["history"]] == missed  # more than history_size, none twice
    assert joined["gap"] is False
    after = await say_many(server, "salon-test", 1, "après")
    message = await back.expect("message")
    assert message["id"] == after[0]


async def test_since_the_last_message_gives_an_empty_history(server):
    """A client already up to date gets an empty history and no gap."""
    peer = await server.peer()
    await peer.join("salon-test")
    ack = await peer.say("salon-test", "dernier")
    await peer.request({"type": "leave", "room": "salon-test"}, "left")
    joined = await peer.join("salon-test", since=ack["id"])
    assert joined["history"] == [] and joined["gap"] is False


async def test_an_unknown_since_gives_the_latest_with_a_gap(server_factory):
    """A `since` that is not a retained id of the room gives the latest messages and gap true."""
    server = await server_factory(FAST, rooms=[test_room(history_size=2)])
    ids = await say_many(server, "salon-test", 3)
    for since in ("999999999999", "000000000004", "garbage", "", "-1", "1", "00000000000x"):
        joined = await (await server.peer()).join("salon-test", since=since)
        assert [m["id"] for m in joined["history"]] == ids[-2:], since
        assert joined["gap"] is True, since


async def test_message_ids_sort_as_strings_in_publication_order(server_factory):
    """Ids are 12-digit strings whose plain string order is publication order, past 9 and 10."""
    server = await server_factory(FAST, rooms=[test_room()])
    ids = await say_many(server, "salon-test", 12)
    assert all(re.fullmatch(r"\d{12}", i) for i in ids)
    assert sorted(ids) == ids and len(set(ids)) == len(ids)
    joined = await (await server.peer()).join("salon-test")
    assert [m["id"] for m in joined["history"]] == ids


async def test_a_reader_joining_mid_conversation_misses_nothing_and_sees_nothing_twice(server_factory):
    """History plus live messages of a reader joining while someone speaks are exactly the messages, once each."""
    server = await server_factory(FAST, rooms=[test_room()])
    writer = await server.peer()
    await writer.join("salon-test")
    total = 50
    started = asyncio.Event()
    acked: list[str] = []

    async def write() -> None:
        for i in range(total):
            await writer.send({"type": "say", "room": "salon-test", "text": f"n{i}", "ref": f"w{i}"})
            if i == 10:
                started.set()
            await asyncio.sleep(0)
        while len(acked) < total:
            frame = await writer.recv()
            if frame["type"] == "ack":
                acked.append(frame["id"])
            assert frame["type"] != "error", frame

    task = asyncio.create_task(write())
    await started.wait()
    reader = await server.peer()
    joined = await reader.join("salon-test")
    seen = [m["text"] for m in joined["history"]]
    ids = [m["id"] for m in joined["history"]]
    while len(seen) < total:
        frame = await reader.expect("message")
        seen.append(frame["text"])
        ids.append(frame["id"])
    await task
    assert seen == [f"n{i}" for i in range(total)]
    assert ids == sorted(acked)
    await writer.say("salon-test", "fin")
    assert (await reader.expect("message"))["text"] == "fin"  # and nothing in between


async def test_many_readers_joining_during_a_burst_each_see_every_message_once(server_factory):
    """Several readers joining at different moments of a burst each end with the full ordered stream."""
    server = await server_factory(FAST, rooms=[test_room()])
    writer = await server.peer()
    await writer.join("salon-test")
    total = 40
    readers = [await server.peer() for _ in range(4)]

    async def read(peer, delay: float) -> list[str]:
        await asyncio.sleep(delay)
        joined = await peer.join("salon-test")
        texts = [m["text"] for m in joined["history"]]
        while len(texts) < total:
            texts.append((await peer.expect("message"))["text"])
        return texts

    tasks = [asyncio.create_task(read(p, 0.005 * i)) for i, p in enumerate(readers)]
    for i in range(total):
        await writer.send({"type": "say", "room": "salon-test", "text": f"b{i}", "ref": f"b{i}"})
    for i in range(total):
        assert (await writer.reply(f"b{i}"))["type"] == "ack"
    results = await asyncio.gather(*tasks)
    for texts in results:
        assert texts == [f"b{i}" for i in range(total)]
