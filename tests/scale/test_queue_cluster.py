"""The moderation queue across processes: who is alerted, claims, actions and their effects.

Process L runs inside the test (to create accounts); process R is a separate `entraide serve`.
Helpers and peers are spread over both.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.admin.conftest import log_in, staff_member
from tests.conftest import Peer, Server, test_room
from tests.scale.conftest import Cluster, Process

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

A, B = "salon-a", "salon-b"
ROOMS = [test_room(A), test_room(B), test_room("salon-pre", moderation="pre")]


async def setup(cluster: Cluster) -> tuple[Server, Process]:
    local = await cluster.local(room=ROOMS)
    remote = await cluster.spawn(room=ROOMS)
    return local, remote


async def helper_on(where: Server | Process, local: Server, name: str, rooms: frozenset[str]) -> Peer:
    """A helper of `rooms`, logged in through L, connected to `where`, on duty for all their rooms."""
    staff = await staff_member(local, name, rooms=rooms)
    peer = await where.peer(token=staff.token)
    assert peer.welcome["role"] == "helper"
    await peer.request({"type": "duty", "on": True, "rooms": "all", "ref": "d"}, "duty")
    return peer


async def reported(writer: Peer, reporter: Peer, room: str, words: str) -> str:
    ack = await writer.say(room, words)
    await reporter.expect("message", id=ack["id"])
    await reporter.send({"type": "report", "room": room, "message_id": ack["id"], "reason": "insultes", "ref": "r"})
    assert (await reporter.reply("r"))["status"] == "reported"
    return str(ack["id"])


async def alert_for(helper: Peer, message_id: str) -> dict[str, Any]:
    while True:
        frame = await helper.expect("alert", timeout=5)
        if frame["item"]["message"]["id"] == message_id:
            return dict(frame["item"])


async def audit_actions(local: Server) -> list[str]:
    async with local.services.engine.connect() as db:
        return [r[0] for r in (await db.execute(text("SELECT action FROM audit_log ORDER BY id"))).all()]


async def test_a_report_in_room_a_reaches_the_helper_of_a_and_not_the_helper_of_b(cluster: Cluster) -> None:
    """Whichever process each is on, the helper of A is alerted, the helper of B is not."""
    local, remote = await setup(cluster)
    helper_a = await helper_on(remote, local, "alice", frozenset({A}))
    helper_b = await helper_on(local, local, "bruno", frozenset({B}))
    writer, reporter = await local.peer(), await remote.peer()
    await writer.join(A)
    await reporter.join(A)
    message_id = await reported(writer, reporter, A, "t'es nul")
    item = await alert_for(helper_a, message_id)
    assert item["kind"] == "report" and item["room"] == A and item["state"] == "open"
    with pytest.raises(TimeoutError):
        await helper_b.expect("alert", timeout=1.5)


async def test_a_second_claimer_gets_conflict(cluster: Cluster) -> None:
    """Two helpers of the room on two processes: the first claim wins, the second gets conflict."""
    local, remote = await setup(cluster)
    first = await helper_on(local, local, "alice", frozenset({A}))
    second = await helper_on(remote, local, "bruno", frozenset({A}))
    writer, reporter = await local.peer(), await remote.peer()
    await writer.join(A)
    await reporter.join(A)
    item = await alert_for(first, await reported(writer, reporter, A, "bof"))
    await first.send({"type": "claim", "item": item["id"], "ref": "c1"})
    assert (await first.reply("c1"))["status"] == "claimed"
    await second.send({"type": "claim", "item": item["id"], "ref": "c2"})
    refused = await second.reply("c2")
    assert refused["code"] == "conflict"
    updates = [f for f in second.seen if f.get("type") == "item"] or [await second.expect("item")]
    assert updates[0]["item"]["state"] == "claimed" and updates[0]["item"]["claimed_by"] == "alice"


async def resolve(helper: Peer, item: dict[str, Any], action: str, **fields: Any) -> dict[str, Any]:
    await helper.send({"type": "resolve", "item": item["id"], "action": action, "note": f"note {action}",
                       "ref": f"x-{action}", **fields})
    return await helper.reply(f"x-{action}")


async def test_hide_removes_the_message_for_everyone_and_tells_the_reporter(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    helper = await helper_on(remote, local, "alice", frozenset({A}))
    writer, reporter = await local.peer(), await remote.peer()
    await writer.join(A)
    await reporter.join(A)
    message_id = await reported(writer, reporter, A, "message blessant")
    item = await alert_for(helper, message_id)
    assert (await resolve(helper, item, "hide"))["status"] == "resolved"
    for peer in (writer, reporter):
        await peer.expect("hidden", id=message_id)
    assert (await reporter.expect("notice", room=A))["code"] == "report_handled"
    later = await remote.peer()
    assert message_id not in [m["id"] for m in (await later.join(A))["history"]]
    assert "item.resolve.hide" in await audit_actions(local)


async def test_warn_timeout_kick_and_ban_reach_the_author_on_another_process(cluster: Cluster) -> None:
    """Each action's effect on the author, connected to the other process, and its audit row."""
    local, remote = await setup(cluster)
    helper = await helper_on(local, local, "alice", frozenset({A}))
    author, reporter = await remote.peer(), await local.peer()
    await author.join(A)
    await reporter.join(A)

    item = await alert_for(helper, await reported(author, reporter, A, "un"))
    await resolve(helper, item, "warn")
    assert (await author.expect("notice", room=A))["code"] == "warned"

    item = await alert_for(helper, await reported(author, reporter, A, "deux"))
    await resolve(helper, item, "timeout", duration_s=600)
    muted = await author.expect("notice", room=A, code="muted")
    assert muted["until"] is not None
    refused = await author.say(A, "encore")
    assert refused["code"] == "muted" and refused["until"] == muted["until"]

    # The author is muted now: another author's messages carry on.
    other = await remote.peer()
    await other.join(A)
    item = await alert_for(helper, await reported(other, reporter, A, "trois"))
    await resolve(helper, item, "kick")
    assert (await other.expect("notice", room=A))["code"] == "kicked"
    await other.expect("left", room=A, reason="kicked")
    await other.join(A)  # a kick is not a ban

    item = await alert_for(helper, await reported(other, reporter, A, "quatre"))
    await resolve(helper, item, "ban")
    assert (await other.expect("notice", room=A, code="banned"))["until"] is None
    await other.expect("left", room=A, reason="banned")
    await other.send({"type": "join", "room": A, "ref": "j"})
    assert (await other.reply("j"))["code"] == "banned"
    actions = await audit_actions(local)
    for action in ("warn", "timeout", "kick", "ban"):
        assert f"item.resolve.{action}" in actions


async def test_a_held_message_is_published_when_a_helper_approves_it(cluster: Cluster) -> None:
    """In a pre-moderated room the message is held (nobody sees it), then published on approval."""
    local, remote = await setup(cluster)
    helper = await helper_on(remote, local, "alice", frozenset({"salon-pre"}))
    writer, reader = await local.peer(), await remote.peer()
    await writer.join("salon-pre")
    await reader.join("salon-pre")
    ack = await writer.say("salon-pre", "puis-je parler de mon traitement ?")
    assert ack["status"] == "held" and ack["id"].startswith("held-")
    alert = await helper.expect("alert")
    assert alert["item"]["kind"] == "held" and alert["item"]["message"]["id"] is None
    with pytest.raises(TimeoutError):
        await reader.expect("message", timeout=1)
    assert (await resolve(helper, alert["item"], "approve"))["status"] == "resolved"
    published = await reader.expect("message", text="puis-je parler de mon traitement ?")
    assert (await writer.expect("message"))["id"] == published["id"]
    assert "item.resolve.approve" in await audit_actions(local)


async def test_a_helper_who_comes_on_duty_later_still_gets_the_item(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    writer, reporter = await local.peer(), await remote.peer()
    await writer.join(A)
    await reporter.join(A)
    message_id = await reported(writer, reporter, A, "pendant que personne n'est là")
    late = await helper_on(remote, local, "alice", frozenset({A}))
    assert (await alert_for(late, message_id))["room"] == A


async def test_a_helper_who_reconnects_gets_what_was_pushed_while_away(cluster: Cluster) -> None:
    """Duty survives the reconnect; the items pushed meanwhile come at the new hello."""
    local, remote = await setup(cluster)
    await staff_member(local, "alice", rooms=frozenset({A}))
    staff = await log_in(local, "alice")
    first = await remote.peer(token=staff.token)
    await first.request({"type": "duty", "on": True, "rooms": [A], "ref": "d"}, "duty")
    await first.ws.close()
    writer, reporter = await local.peer(), await remote.peer()
    await writer.join(A)
    await reporter.join(A)
    message_id = await reported(writer, reporter, A, "pendant l'absence")
    back = await local.peer(token=staff.token)  # the other process
    assert (await alert_for(back, message_id))["room"] == A


async def test_a_peer_may_not_claim_or_resolve(cluster: Cluster) -> None:
    local, _ = await setup(cluster)
    peer = await local.peer()
    await peer.send({"type": "claim", "item": "1", "ref": "c"})
    assert (await peer.reply("c"))["code"] == "forbidden"
    await peer.send({"type": "resolve", "item": "1", "action": "dismiss", "ref": "r"})
    assert (await peer.reply("r"))["code"] == "forbidden"
