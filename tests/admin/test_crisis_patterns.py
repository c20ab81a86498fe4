"""Admins change the crisis patterns in the console's API, and the change is live at once:
an added phrase flags the next message, a disabled one no longer does; every change audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from moderation.checks.crisis_check import REVIEW_REASON
from moderation.crisis import CrisisDetector
from tests.admin.conftest import Staff, admin, call, helper_on_duty, staff_member
from tests.conftest import Peer, Server, ServerFactory, test_room
from tests.moderation.review_texts import review_texts
from tests.moderation.second_reading_texts import second_reading_texts

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"
NEW_PHRASE = "la lanterne verte s'éteint"
# A phrase no rule and no model reads once its pattern is off (rules and the model catch most).
SHIPPED_ID = "fr.ideation.merite_mourir"
SHIPPED_TEXT = "je mérite de mourir"
RULE_ID = "fr.rule.means_ready"
RULE_TEXT = "j'ai mis de côté toutes mes plaquettes de lexomil depuis cet été"


async def start(server_factory: ServerFactory) -> Server:
    return await server_factory(rooms=[test_room(ROOM)])


async def flagged(peer: Peer, text: str) -> bool:
    """Say `text`; whether the writer then gets the crisis card (a `pointer` frame) for it."""
    ack = await peer.say(ROOM, text)
    assert ack["type"] == "ack", ack
    try:
        frame = await peer.expect("pointer", timeout=1.5, message_id=ack["id"])
    except TimeoutError:
        return False
    return bool(frame)


async def write(server: Server, method: str, path: str, who: Staff | None, **kwargs: Any) -> httpx.Response:
    """A pattern change answers once this process has rebuilt its detector: about a second, and up
    to the route's own 10 s limit on a loaded machine, past httpx's default 5 s."""
    return await call(server, method, path, who, timeout=15.0, **kwargs)


async def add(server: Server, who: Staff, **fields: Any) -> Any:
    body = {"locale": "fr", "phrase": NEW_PHRASE, "category": "ideation", "severity": "medium", **fields}
    return await write(server, "POST", "/api/admin/crisis/patterns", who, json=body)


async def test_the_shipped_text_is_only_matched_by_the_pattern_we_disable() -> None:
    assert CrisisDetector.shipped().detect(SHIPPED_TEXT, "fr").matches == (SHIPPED_ID,)
    assert not CrisisDetector.shipped().detect(f"ce soir {NEW_PHRASE}", "fr").flagged


async def test_an_added_pattern_flags_the_next_message_at_once(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    writer = await server.peer()
    await writer.join(ROOM)
    assert not await flagged(writer, f"ce soir {NEW_PHRASE}")

    response = await add(server, boss)
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["id"].startswith("fr.admin.") and added["phrase"] == NEW_PHRASE
    assert await flagged(writer, f"ce matin {NEW_PHRASE}")

    listed = (await call(server, "GET", "/api/admin/crisis/patterns?locale=fr", boss)).json()
    mine = [p for p in listed if p["id"] == added["id"]]
    assert mine and mine[0]["source"] == "admin" and mine[0]["enabled"] and mine[0]["created_by"] == "admin"
    assert all(p["locale"] == "fr" for p in listed) and any(p["source"] == "shipped" for p in listed)

    tried = await call(server, "POST", "/api/admin/crisis/check", boss, json={"text": NEW_PHRASE, "lang": "fr"})
    assert tried.json() == {"flagged": True, "severity": "medium", "categories": ["ideation"],
                            "matches": [added["id"]], "review": False}

    removed = await write(server, "DELETE", f"/api/admin/crisis/patterns/{added['id']}", boss)
    assert removed.status_code == 200, removed.text
    assert not await flagged(writer, f"à midi {NEW_PHRASE}")
    again = await write(server, "DELETE", f"/api/admin/crisis/patterns/{added['id']}", boss)
    assert again.status_code == 404


async def test_a_disabled_shipped_pattern_no_longer_flags_until_enabled(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    # The encoder reads this message as the crisis it is: off, so that the phrase alone is tried.
    assert (await write(server, "POST", "/api/admin/crisis/patterns/fr.encoder/disable", boss)).json()["changed"]
    writer = await server.peer()
    await writer.join(ROOM)
    assert await flagged(writer, SHIPPED_TEXT)

    off = await write(server, "POST", f"/api/admin/crisis/patterns/{SHIPPED_ID}/disable", boss)
    assert off.json() == {"id": SHIPPED_ID, "enabled": False, "changed": True}
    assert not await flagged(writer, f"{SHIPPED_TEXT} encore")
    listed = (await call(server, "GET", "/api/admin/crisis/patterns?locale=fr", boss)).json()
    state = next(p for p in listed if p["id"] == SHIPPED_ID)
    assert state["source"] == "shipped" and not state["enabled"] and state["disabled_by"] == "admin"
    twice = await write(server, "POST", f"/api/admin/crisis/patterns/{SHIPPED_ID}/disable", boss)
    assert twice.json()["changed"] is False

    refused = await write(server, "DELETE", f"/api/admin/crisis/patterns/{SHIPPED_ID}", boss)
    assert (refused.status_code, refused.json()["error"]) == (400, "shipped_pattern")

    on = await write(server, "POST", f"/api/admin/crisis/patterns/{SHIPPED_ID}/enable", boss)
    assert on.json()["changed"] is True
    assert await flagged(writer, f"{SHIPPED_TEXT} toujours")

    unknown = await write(server, "POST", "/api/admin/crisis/patterns/fr.nope/disable", boss)
    assert unknown.status_code == 404


async def test_shipped_rules_and_models_are_listed_and_a_rule_can_be_disabled(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    writer = await server.peer()
    await writer.join(ROOM)
    listed = (await call(server, "GET", "/api/admin/crisis/patterns?locale=fr", boss)).json()
    kinds = {p["id"]: p["kind"] for p in listed}
    assert kinds[RULE_ID] == "rule" and kinds["fr.model"] == "model" and kinds[SHIPPED_ID] == "pattern"
    assert await flagged(writer, RULE_TEXT)

    # The encoder reads this message as the crisis it is: off too, to see the rule alone go.
    assert kinds["fr.encoder"] == "encoder"
    assert (await write(server, "POST", "/api/admin/crisis/patterns/fr.encoder/disable", boss)).json()["changed"]
    off = await write(server, "POST", f"/api/admin/crisis/patterns/{RULE_ID}/disable", boss)
    assert off.json() == {"id": RULE_ID, "enabled": False, "changed": True}
    assert not await flagged(writer, "les cachets de xanax, je les ai tous gardés dans un tiroir")
    refused = await write(server, "DELETE", f"/api/admin/crisis/patterns/{RULE_ID}", boss)
    assert refused.status_code == 400


async def test_the_review_tier_is_listed_and_switched_off_at_once(server_factory: ServerFactory) -> None:
    """With it on, a message the model scores just below its threshold reaches the helper on duty as
    a priority-2 item; switched off in the console, the next such message makes none."""
    server = await start(server_factory)
    boss = await admin(server)
    helper = await helper_on_duty(server, ROOM)
    writer = await server.peer()
    await writer.join(ROOM)
    listed = (await call(server, "GET", "/api/admin/crisis/patterns?locale=fr", boss)).json()
    assert {p["id"]: p["kind"] for p in listed}["fr.review"] == "review"
    text, other = review_texts("fr", 2)
    assert (await writer.say(ROOM, text))["status"] == "published"
    assert (await helper.expect("alert"))["item"]["reasons"] == [REVIEW_REASON]

    off = await write(server, "POST", "/api/admin/crisis/patterns/fr.review/disable", boss)
    assert off.json() == {"id": "fr.review", "enabled": False, "changed": True}
    tried = await call(server, "POST", "/api/admin/crisis/check", boss, json={"text": text, "lang": "fr"})
    assert tried.json()["review"] is False
    assert (await writer.say(ROOM, other))["status"] == "published"
    with pytest.raises(TimeoutError):
        await helper.expect("alert", timeout=1.5)


async def test_the_encoder_is_tried_in_the_console_and_switched_off_at_once(server_factory: ServerFactory) -> None:
    """A crisis only the second reading finds: the console's try says so, the writer gets the card;
    with the language's encoder switched off, the same kind of message brings none."""
    server = await start(server_factory)
    boss = await admin(server)
    writer = await server.peer()
    await writer.join(ROOM)
    text, other = second_reading_texts("fr", 2)
    tried = await call(server, "POST", "/api/admin/crisis/check", boss, json={"text": text, "lang": "fr"})
    assert tried.json()["flagged"] and tried.json()["matches"] == ["fr.encoder"]
    assert await flagged(writer, text)

    off = await write(server, "POST", "/api/admin/crisis/patterns/fr.encoder/disable", boss)
    assert off.json() == {"id": "fr.encoder", "enabled": False, "changed": True}
    tried = await call(server, "POST", "/api/admin/crisis/check", boss, json={"text": text, "lang": "fr"})
    assert not tried.json()["flagged"]
    assert not await flagged(writer, other)


@pytest.mark.parametrize(("fields", "field"), [
    ({"phrase": "{je veux|je voudrais mourir"}, "phrase"),
    ({"phrase": "!!! ..."}, "phrase"),
    ({"phrase": ""}, "phrase"),
    ({"phrase": "x" * 201}, "phrase"),
    ({"phrase": 3}, "phrase"),
    ({"category": "sadness"}, "category"),
    ({"severity": "none"}, "severity"),
    ({"locale": "de"}, "locale"),
    ({"colour": "red"}, "colour"),
])
async def test_a_bad_pattern_is_refused_and_nothing_changes(
    server_factory: ServerFactory, fields: dict[str, Any], field: str,
) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    response = await add(server, boss, **fields)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_field" and response.json()["field"] == field
    listed = (await call(server, "GET", "/api/admin/crisis/patterns", boss)).json()
    assert not [p for p in listed if p["source"] == "admin"]
    audit = (await call(server, "GET", "/api/admin/audit?action=crisis.", boss)).json()
    assert audit == []


async def test_every_change_is_in_the_audit_log(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    added = (await add(server, boss, reason="vu en salon")).json()
    await write(server, "POST", f"/api/admin/crisis/patterns/{added['id']}/disable", boss)
    await write(server, "POST", f"/api/admin/crisis/patterns/{added['id']}/enable", boss)
    await write(server, "POST", f"/api/admin/crisis/patterns/{SHIPPED_ID}/disable", boss)
    await write(server, "DELETE", f"/api/admin/crisis/patterns/{added['id']}", boss)
    audit = (await call(server, "GET", "/api/admin/audit?action=crisis.", boss)).json()
    got = [(e["action"], e["target"], e["actor"]) for e in reversed(audit)]
    assert got == [
        ("crisis.pattern.add", added["id"], "admin"),
        ("crisis.pattern.disable", added["id"], "admin"),
        ("crisis.pattern.enable", added["id"], "admin"),
        ("crisis.pattern.disable", SHIPPED_ID, "admin"),
        ("crisis.pattern.remove", added["id"], "admin"),
    ]
    first = audit[-1]
    assert first["reason"] == "vu en salon" and first["target_kind"] == "crisis_pattern"
    assert first["details"] == {"locale": "fr", "phrase": NEW_PHRASE, "category": "ideation", "severity": "medium"}


async def test_helpers_and_strangers_may_not_touch_the_patterns(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    helper = await staff_member(server, "alice", rooms=frozenset({ROOM}))
    assert (await add(server, helper)).status_code == 403
    assert (await call(server, "GET", "/api/admin/crisis/patterns", helper)).status_code == 403
    assert (await call(server, "POST", "/api/admin/crisis/check", helper,
                       json={"text": "x", "lang": "fr"})).status_code == 403
    nobody = await write(server, "POST", "/api/admin/crisis/patterns", None, json={
        "locale": "fr", "phrase": NEW_PHRASE, "category": "ideation", "severity": "medium"})
    assert nobody.status_code == 401
    off = await write(server, "POST", f"/api/admin/crisis/patterns/{SHIPPED_ID}/disable", helper)
    assert off.status_code == 403
    boss = await admin(server)
    listed = (await call(server, "GET", "/api/admin/crisis/patterns", boss)).json()
    assert not [p for p in listed if p["source"] == "admin" or not p["enabled"]]


async def test_cookie_writes_need_the_csrf_token(server_factory: ServerFactory) -> None:
    server = await start(server_factory)
    boss = await admin(server)
    body = {"locale": "fr", "phrase": NEW_PHRASE, "category": "ideation", "severity": "medium"}
    refused = await write(server, "POST", "/api/admin/crisis/patterns", None, headers=boss.cookie, json=body)
    assert (refused.status_code, refused.json()["error"]) == (403, "csrf")
    taken = await write(server, "POST", "/api/admin/crisis/patterns", None,
                       headers={**boss.cookie, "X-CSRF-Token": boss.csrf}, json=body)
    assert taken.status_code == 201
