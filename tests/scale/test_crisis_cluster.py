"""A crisis message across processes: the card to the writer alone, the alert to the helpers, escalation.

The feature Entraide exists for: each test is one way it must not fail silently.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from moderation.checks.crisis_check import REVIEW_REASON
from tests.admin.conftest import Staff, log_in, staff_member
from tests.conftest import Peer, Server, test_room
from tests.moderation.review_texts import review_text
from tests.scale.conftest import Cluster, OwnRedis, Process, wait_healthy

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

A, B = "salon-a", "salon-b"
ROOMS = [test_room(A), test_room(B)]
CRISIS = "je veux mourir, je n'en peux plus"


async def setup(cluster: Cluster, redis_url: str | None = None, **overrides: Any) -> tuple[Server, Process]:
    local = await cluster.local(redis_url=redis_url, room=ROOMS, **overrides)
    remote = await cluster.spawn(redis_url=redis_url, room=ROOMS, **overrides)
    return local, remote


async def on_duty(where: Server | Process, token: str, rooms: Any = "all") -> Peer:
    helper = await where.peer(token=token)
    await helper.request({"type": "duty", "on": True, "rooms": rooms, "ref": "d"}, "duty")
    return helper


async def crisis_alert(helper: Peer, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        frame = await helper.expect("alert", timeout=timeout)
        if frame["item"]["kind"] == "crisis":
            return dict(frame["item"])


async def test_the_writer_alone_gets_the_card_the_room_gets_the_message_the_helper_the_alert(
    cluster: Cluster,
) -> None:
    local, remote = await setup(cluster)
    staff = await staff_member(local, "alice", rooms=frozenset({A}))
    helper = await on_duty(remote, staff.token)
    writer, neighbour = await local.peer(), await remote.peer()
    await writer.join(A)
    await neighbour.join(A)
    ack = await writer.say(A, CRISIS)
    assert ack["status"] == "published"  # nobody is silenced for speaking of distress
    item = await crisis_alert(helper)  # how fast: bench/alert_latency.py
    assert item["priority"] == 3 and item["room"] == A and item["message"]["id"] == ack["id"]
    pointer = await writer.expect("pointer")
    assert pointer["message_id"] == ack["id"] and pointer["stage"] == "alerted"
    assert "3114" in [r["phone"] for r in pointer["resources"]]
    assert (await neighbour.expect("message"))["text"] == CRISIS
    await asyncio.sleep(0.5)
    assert not [f for f in neighbour.seen + helper.seen if f.get("type") == "pointer"]


async def test_an_english_writer_gets_the_english_card(cluster: Cluster) -> None:
    local, _ = await setup(cluster)
    writer = await local.peer(locale="en-GB")
    await writer.join("peer-support-en")
    await writer.say("peer-support-en", "I want to die, I can't do this anymore")
    pointer = await writer.expect("pointer")
    assert "116 123" in [r["phone"] for r in pointer["resources"]]


async def test_with_the_helper_offline_the_alert_arrives_when_they_come_on_duty(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    staff = await staff_member(local, "alice", rooms=frozenset({A}))
    writer = await local.peer()
    await writer.join(A)
    ack = await writer.say(A, CRISIS)
    helper = await on_duty(remote, staff.token)
    assert (await crisis_alert(helper))["message"]["id"] == ack["id"]


async def test_a_redis_restart_between_the_message_and_the_helper_loses_no_alert(
    cluster: Cluster, own_redis: OwnRedis,
) -> None:
    local, remote = await setup(cluster, redis_url=own_redis.url)
    staff = await staff_member(local, "alice", rooms=frozenset({A}))
    writer = await remote.peer()
    await writer.join(A)
    ack = await writer.say(A, CRISIS)
    await writer.expect("pointer")
    own_redis.stop()
    await own_redis.start()
    await wait_healthy(remote.http, timeout=20)
    helper = await on_duty(remote, staff.token)
    assert (await crisis_alert(helper))["message"]["id"] == ack["id"]


async def test_an_unclaimed_alert_goes_to_every_helper_then_to_the_admins(cluster: Cluster) -> None:
    """Nobody claims: after the timeout every helper on duty is alerted, then the admins, and the
    writer is told honestly that no pair-aidant is available."""
    local, remote = await setup(cluster, queue={"crisis_claim_timeout_s": 1.5})
    alice = await staff_member(local, "alice", rooms=frozenset({A}))
    bruno = await staff_member(local, "bruno", rooms=frozenset({B}))
    await staff_member(local, "chef", role="admin", rooms=None)
    boss = await log_in(local, "chef")
    helper_a = await on_duty(local, alice.token)
    helper_b = await on_duty(remote, bruno.token)
    admin = await on_duty(remote, boss.token, rooms=[B])  # an admin on duty elsewhere
    writer = await local.peer()
    await writer.join(A)
    ack = await writer.say(A, CRISIS)
    assert (await crisis_alert(helper_a))["escalation"] == 0
    first = await crisis_alert(helper_b, timeout=6)
    assert first["message"]["id"] == ack["id"] and first["escalation"] >= 1
    while (item := await crisis_alert(admin, timeout=8))["escalation"] < 2:
        pass
    assert item["message"]["id"] == ack["id"]
    await writer.expect("pointer", stage="alerted")
    second = await writer.expect("pointer", stage="unavailable", timeout=8)
    assert second["resources"]


async def crisis_with_only_a_helper_of_another_room(cluster: Cluster) -> tuple[Process, Staff, Peer, Peer]:
    """Bruno, helper of room B only, on duty on the second process; a writer on the first says a
    crisis in room A. The second process, Bruno, his connection and the writer."""
    local, remote = await setup(cluster)
    bruno = await staff_member(local, "bruno", rooms=frozenset({B}))
    helper_b = await on_duty(remote, bruno.token)
    writer = await local.peer()
    await writer.join(A)
    await writer.say(A, CRISIS)
    return remote, bruno, helper_b, writer


async def test_with_no_helper_of_the_room_every_helper_on_duty_is_alerted_at_once(cluster: Cluster) -> None:
    _, _, helper_b, writer = await crisis_with_only_a_helper_of_another_room(cluster)
    assert (await crisis_alert(helper_b, timeout=2))["escalation"] == 1
    assert (await writer.expect("pointer"))["stage"] == "alerted"


async def test_with_nobody_on_duty_the_card_says_so_at_once(cluster: Cluster) -> None:
    local, _ = await setup(cluster)
    writer = await local.peer()
    await writer.join(A)
    await writer.say(A, CRISIS)
    pointer = await writer.expect("pointer")
    assert pointer["stage"] == "unavailable" and pointer["resources"]


async def test_a_helper_of_another_room_reached_by_escalation_can_take_it(cluster: Cluster) -> None:
    """Alerted because nobody of the room is on duty, they can claim it and open its context."""
    remote, bruno, helper_b, _ = await crisis_with_only_a_helper_of_another_room(cluster)
    item = await crisis_alert(helper_b, timeout=2)
    await helper_b.send({"type": "claim", "item": item["id"], "ref": "c"})
    assert (await helper_b.reply("c"))["status"] == "claimed"
    async with httpx.AsyncClient(base_url=remote.http) as client:
        context = await client.get(f"/api/staff/items/{item['id']}/context", headers=bruno.bearer)
    assert context.status_code == 200 and context.json()["item"]["id"] == item["id"]


async def test_an_admin_off_duty_gets_what_was_escalated_to_the_admins_on_arrival(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    writer = await local.peer()
    await writer.join(A)
    ack = await writer.say(A, CRISIS)  # nobody on duty anywhere: straight to the admins
    await writer.expect("pointer", stage="unavailable")
    await staff_member(local, "chef", role="admin", rooms=None)
    boss = await remote.peer(token=(await log_in(local, "chef")).token)
    item = await crisis_alert(boss)
    assert item["escalation"] == 2 and item["message"]["id"] == ack["id"]


async def test_the_second_card_keeps_speaking_to_someone_worried_for_another(cluster: Cluster) -> None:
    local, _ = await setup(cluster, queue={"crisis_claim_timeout_s": 1})
    alice = await staff_member(local, "alice", rooms=frozenset({A}))
    await on_duty(local, alice.token)  # on duty, but nobody claims
    writer = await local.peer()
    await writer.join(A)
    await writer.say(A, "mon frère parle de se suicider, j'ai peur pour lui")
    first = await writer.expect("pointer", stage="alerted")
    second = await writer.expect("pointer", stage="unavailable", timeout=8)
    assert first["variant"] == second["variant"] == "other"


async def test_the_card_reaches_the_writers_tab_on_another_process(cluster: Cluster) -> None:
    local, remote = await setup(cluster)
    writer = await local.peer()
    await writer.join(A)
    other_tab = await remote.peer(token=writer.token)
    await other_tab.join(A)
    ack = await writer.say(A, CRISIS)
    assert (await other_tab.expect("pointer"))["message_id"] == ack["id"]
    assert (await writer.expect("pointer"))["message_id"] == ack["id"]


async def test_a_message_to_be_read_reaches_a_helper_on_another_process_and_is_never_escalated(
    cluster: Cluster,
) -> None:
    """The review tier across processes: the item waits for the room's helper, reaches them on the
    other process when they come on duty, and goes neither to other rooms' helpers nor to the
    admins however long it stays unclaimed; the writer gets no card."""
    local, remote = await setup(cluster, queue={"crisis_claim_timeout_s": 1.0})
    alice = await staff_member(local, "alice", rooms=frozenset({A}))
    bruno = await staff_member(local, "bruno", rooms=frozenset({B}))
    await staff_member(local, "chef", role="admin", rooms=None)
    helper_b = await on_duty(remote, bruno.token)
    admin = await on_duty(local, (await log_in(local, "chef")).token, rooms=[B])
    writer = await local.peer()
    await writer.join(A)
    ack = await writer.say(A, review_text("fr"))
    assert ack["status"] == "published"
    await asyncio.sleep(3.5)  # past twice the crisis timeout: a crisis item would be with the admins
    helper_a = await on_duty(remote, alice.token)
    item = (await helper_a.expect("alert", timeout=5))["item"]
    assert (item["kind"], item["priority"], item["reasons"]) == ("auto", 2, [REVIEW_REASON])
    assert item["message"]["id"] == ack["id"] and item["escalation"] == 0
    assert not [f for f in helper_b.seen + admin.seen if f.get("type") == "alert"]
    assert not [f for f in writer.seen if f.get("type") == "pointer"]
