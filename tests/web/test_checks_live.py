"""The check pipeline as peers meet it: held with a private reason, refused, flagged, or published."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.checks.crisis_check import REVIEW_REASON
from tests.admin.conftest import helper_on_duty
from tests.conftest import Peer, Server, ServerFactory, test_room
from tests.moderation.review_texts import review_text
from tests.moderation.second_reading_texts import second_reading_text

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"


async def start(server_factory: ServerFactory) -> Server:
    return await server_factory(rooms=[test_room(ROOM)])


async def test_a_phone_number_is_held_and_the_writer_alone_is_told_why(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    writer, reader = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    ack = await writer.say(ROOM, "appelle-moi au 06 12 34 56 78 si tu veux")
    assert ack["status"] == "held" and ack["reason"] == "personal_data"
    notice = await writer.expect("notice", code="held")
    assert notice["reason"] == "personal_data" and notice["text"]
    with pytest.raises(TimeoutError):
        await reader.expect("message", timeout=1)
    assert not [f for f in reader.seen if f.get("type") == "notice"]


async def test_the_same_long_message_twice_is_refused_with_a_reason(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    writer = await server.peer()
    await writer.join(ROOM)
    text = "je voulais vous dire merci pour hier soir, ça m'a vraiment aidé"
    assert (await writer.say(ROOM, text))["status"] == "published"
    refused = await writer.say(ROOM, text)
    assert refused["code"] == "rejected" and refused["reason"] == "repeated" and refused["message"]


async def test_a_helpline_number_is_welcome(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    writer = await server.peer()
    await writer.join(ROOM)
    ack = await writer.say(ROOM, "le 3114 m'a beaucoup aidé, et SOS Amitié au 09 72 39 40 50")
    assert ack["status"] == "published"


async def test_an_insult_is_published_and_flagged_for_the_helpers(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer = await server.peer()
    await writer.join(ROOM)
    ack = await writer.say(ROOM, "t'es vraiment un connard")
    assert ack["status"] == "published"
    alert = await helper.expect("alert")
    assert alert["item"]["kind"] == "auto" and alert["item"]["message"]["id"] == ack["id"]
    assert any(r.startswith("abusive") for r in alert["item"]["reasons"])


async def held_crisis(writer: Peer, helper: Peer) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A crisis message with a phone number, which is held: its ack, and the helper's alerts by kind."""
    ack = await writer.say(ROOM, "je veux mourir ce soir, appelez moi au 06 12 34 56 78")
    items: dict[str, dict[str, Any]] = {}
    while len(items) < 2:
        item = (await helper.expect("alert"))["item"]
        items[item["kind"]] = item
    return ack, items


async def test_a_crisis_message_with_a_phone_number_is_held_yet_alerts_and_gets_the_card(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer = await server.peer()
    await writer.join(ROOM)
    ack, items = await held_crisis(writer, helper)
    assert ack["status"] == "held" and set(items) == {"crisis", "held"}
    assert (await writer.expect("pointer"))["message_id"] == ack["id"]


async def test_a_held_crisis_message_s_alert_names_its_held_item_and_points_at_the_message_once_approved(
    server_factory: ServerFactory,
) -> None:
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer, reader = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    ack, items = await held_crisis(writer, helper)
    held, crisis = items["held"], items["crisis"]
    assert ack["id"] == f"held-{held['id']}"
    assert f"held: {held['id']}" in crisis["reasons"] and crisis["message"]["id"] is None
    await helper.send({"type": "resolve", "item": held["id"], "action": "approve", "note": "", "ref": "a"})
    assert (await helper.reply("a"))["status"] == "resolved"
    published = await reader.expect("message", text="je veux mourir ce soir, appelez moi au 06 12 34 56 78")
    update = await helper.expect("item")
    while update["item"]["id"] != crisis["id"]:  # the held item's own update comes first
        update = await helper.expect("item")
    assert update["item"]["message"]["id"] == published["id"] and update["item"]["state"] == "open"


async def test_a_message_below_the_crisis_threshold_is_published_and_given_to_the_helpers_to_read(
    server_factory: ServerFactory,
) -> None:
    """The review tier: no card for the writer and no crisis alert, but a priority-2 item,
    "possible distress", for the helper on duty."""
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer, reader = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    text = review_text("fr")
    ack = await writer.say(ROOM, text)
    assert ack["status"] == "published"
    assert (await reader.expect("message", text=text))["id"] == ack["id"]
    item = (await helper.expect("alert"))["item"]
    assert (item["kind"], item["priority"], item["reasons"]) == ("auto", 2, [REVIEW_REASON])
    assert item["message"]["id"] == ack["id"]
    with pytest.raises(TimeoutError):
        await writer.expect("pointer", timeout=1.5)
    assert not [f for f in helper.seen if f.get("type") == "alert" and f["item"]["kind"] == "crisis"]


async def test_a_crisis_only_the_second_reading_finds_is_published_then_brings_the_card_and_the_alert(
    server_factory: ServerFactory,
) -> None:
    """The encoder reads after publishing: the room sees the message at once, then the writer
    alone gets the card and the helper on duty a priority-3 alert."""
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer, reader = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    text = second_reading_text("fr")
    ack = await writer.say(ROOM, text)
    assert ack["status"] == "published"
    assert (await reader.expect("message", text=text))["id"] == ack["id"]
    assert (await writer.expect("pointer"))["message_id"] == ack["id"]
    item = (await helper.expect("alert"))["item"]
    assert (item["kind"], item["priority"], item["message"]["id"]) == ("crisis", 3, ack["id"])
    assert any(r.startswith("crisis: ") for r in item["reasons"]) and REVIEW_REASON not in item["reasons"]
    with pytest.raises(TimeoutError):
        await reader.expect("pointer", timeout=1)


async def test_a_repeated_message_the_second_reading_flags_is_held_not_refused(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper = await helper_on_duty(server, ROOM)
    writer = await server.peer()
    await writer.join(ROOM)
    text = second_reading_text("fr")
    assert len(text) >= 30  # the repetition check ignores short messages
    first = await writer.say(ROOM, text)
    assert first["status"] == "published"
    assert (await helper.expect("alert"))["item"]["kind"] == "crisis"
    again = await writer.say(ROOM, text)
    assert again["status"] == "held" and again["reason"] == "repeated"
    kinds = {(await helper.expect("alert"))["item"]["kind"] for _ in range(2)}
    assert kinds == {"held", "crisis"}
    await writer.expect("pointer", message_id=again["id"])
    assert [f for f in writer.seen if f.get("type") == "pointer" and f["message_id"] == first["id"]]
