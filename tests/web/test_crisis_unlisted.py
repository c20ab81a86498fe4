"""A crisis told in no set phrase meets the same path as one a phrase reads: published, the card
to its writer alone, the alert to the helper on duty. One message read by a rule, one by the model."""

from __future__ import annotations

import pytest

from moderation.crisis import CrisisDetector
from tests.admin.conftest import helper_on_duty
from tests.conftest import ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"
READ_BY_RULE = ("j'ai mis de côté toutes mes plaquettes de lexomil depuis cet été", "fr.rule.means_ready")
READ_BY_MODEL = ("Dormir et ne plus jamais rien ressentir, c'est tout ce que je demande.", "fr.model")


@pytest.mark.parametrize(("text", "reader_id"), [READ_BY_RULE, READ_BY_MODEL], ids=["rule", "model"])
async def test_a_crisis_no_phrase_holds_is_published_brings_the_card_and_alerts_the_helper(
    server_factory: ServerFactory, text: str, reader_id: str,
) -> None:
    assert CrisisDetector.shipped().detect(text, "fr").matches == (reader_id,)
    server = await server_factory(rooms=[test_room(ROOM)])
    helper = await helper_on_duty(server, ROOM)
    writer, reader = await server.peer(), await server.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)

    ack = await writer.say(ROOM, text)
    assert ack["status"] == "published"
    assert (await reader.expect("message", id=ack["id"]))["text"] == text
    assert (await writer.expect("pointer"))["message_id"] == ack["id"]
    alert = await helper.expect("alert")
    assert alert["item"]["kind"] == "crisis" and alert["item"]["message"]["id"] == ack["id"]
    assert not [f for f in reader.seen if f.get("type") == "pointer"]
