"""Tête-à-tête across processes: the helper on one, the person on the other, nobody else anywhere."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin.conftest import log_in, staff_member
from tests.conftest import Peer, Server, test_room
from tests.scale.conftest import Cluster, Process

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

A = "salon-a"
CRISIS = "je veux mourir, je n'en peux plus"


async def setup(cluster: Cluster, **overrides: Any) -> tuple[Server, Process]:
    local = await cluster.local(room=[test_room(A)], **overrides)
    remote = await cluster.spawn(room=[test_room(A)], **overrides)
    return local, remote


async def on_duty(where: Server | Process, token: str) -> Peer:
    helper = await where.peer(token=token)
    await helper.request({"type": "duty", "on": True, "rooms": "all", "ref": "d"}, "duty")
    return helper


async def opened(local: Server, remote: Process) -> tuple[Peer, Peer, str]:
    """A helper on this process invites a person on the other one, who accepts; both are in."""
    helper = await on_duty(local, (await staff_member(local, "alice", rooms=frozenset({A}))).token)
    person = await remote.peer()
    await person.join(A)
    await person.say(A, CRISIS)
    while (alert := await helper.expect("alert"))["item"]["kind"] != "crisis":
        pass
    await helper.send({"type": "invite", "item": alert["item"]["id"], "ref": "inv"})
    room = str((await helper.reply("inv"))["room"])
    invitation = await person.expect("private_invite", room=room)
    await person.send({"type": "private_answer", "room": invitation["room"], "accept": True, "ref": "ok"})
    assert (await person.reply("ok"))["status"] == "accepted"
    await helper.expect("private_room", room=room, state="open")
    await person.join(room)
    await helper.join(room)
    return helper, person, room


async def test_the_two_talk_across_processes(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    helper, person, room = await opened(local, remote)
    hers = await helper.say(room, "Je suis là, je vous écoute.")
    assert (await person.expect("message", id=hers["id"]))["text"] == "Je suis là, je vous écoute."
    theirs = await person.say(room, "merci")
    assert (await helper.expect("message", id=theirs["id"]))["text"] == "merci"


async def test_a_third_party_cannot_enter_a_tete_a_tete_on_any_process(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    helper, person, room = await opened(local, remote)
    await staff_member(local, "bruno", rooms=frozenset({A}))
    await staff_member(local, "chef", role="admin", rooms=None)
    outsiders = [
        await local.peer(), await remote.peer(),
        await on_duty(remote, (await log_in(local, "bruno")).token),
        await on_duty(local, (await log_in(local, "chef")).token),
    ]
    for outsider in outsiders:
        await outsider.send({"type": "join", "room": room, "ref": "sneak"})
        refused = await outsider.reply("sneak")
        assert refused["type"] == "error" and refused["code"] == "unknown_room"
        await outsider.send({"type": "say", "room": room, "text": "coucou", "ref": "s"})
        assert (await outsider.reply("s"))["code"] == "unknown_room"
    said = await person.say(room, "c'est dur ce soir")
    await helper.expect("message", id=said["id"])
    assert not [f for o in outsiders for f in o.seen if f.get("room") == room and f["type"] != "error"]


async def test_the_person_leaving_on_one_process_ends_it_for_the_helper_on_the_other(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    helper, person, room = await opened(local, remote)
    await person.send({"type": "leave", "room": room, "ref": "bye"})
    await person.reply("bye")
    assert (await helper.expect("left", room=room))["reason"] == "closed"
    assert (await helper.expect("private_room", room=room))["state"] == "closed"
    await helper.send({"type": "join", "room": room, "ref": "back"})
    assert (await helper.reply("back"))["code"] == "unknown_room"


async def test_a_person_whose_process_died_is_absent_and_it_ends(cluster: Cluster) -> None:
    local, remote = await setup(cluster, queue={"private_absent_grace_s": 2})
    helper, _person, room = await opened(local, remote)
    remote.kill()
    # Redis forgets the dead process's people within its presence time-to-live; then the grace.
    closed = await helper.expect("private_room", room=room, state="closed", timeout=60)
    assert closed["reason"] == "absent"
