"""Helpline cards per locale: config.toml's defaults, fallbacks, and admins' versions over them."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.helplines import HelplinesConfig, candidates
from moderation.pointer import pointer_frame
from rooms.configuration import ConfigError
from tests.admin.conftest import admin, call
from tests.conftest import base_config

pytestmark = pytest.mark.asyncio

CARD = {
    "title": "Vous n'êtes pas seul·e", "text": "Texte de la carte.", "checked": "2026-11-20",
    "line": [
        {"name": "3114", "phone": "3114", "hours": "24h/24", "url": "https://3114.fr", "description": "Prévention"},
        {"name": "Urgences", "phone": "112"},
    ],
}


async def card(server, locale: str) -> dict[str, Any]:
    response = await call(server, "GET", f"/api/helplines/{locale}")
    assert response.status_code == 200
    shown: dict[str, Any] = response.json()
    return shown


async def test_france_comes_first_with_3114_15_and_112(server):
    """The French card: 3114, then 15, then 112, each with hours; the sources' wording."""
    shown = await card(server, "fr")
    assert [r["phone"] for r in shown["resources"]][:3] == ["3114", "15", "112"]
    assert all(r["hours"] for r in shown["resources"])
    assert "3114" in shown["text"]


@pytest.mark.parametrize(("locale", "first"), [
    ("fr-BE", "0800 32 123"), ("fr-CH", "143"), ("fr-CA", "1 866 277-3553"), ("en-GB", "116 123"),
    ("en-IE", "116 123"), ("en-US", "988"), ("en-CA", "988"),
])
async def test_each_country_has_its_own_national_line_first(server, locale, first):
    """Belgium, Switzerland, Québec, UK, Ireland, US, Canada: their own line first."""
    assert (await card(server, locale))["resources"][0]["phone"] == first


async def test_a_country_without_a_card_gets_112_and_no_wrong_country(server):
    """fr-LU and en-NZ get their language's "other country" card (ZZ): 112, and the offer to ask a
    peer helper for a line; never France's 3114 or 15, nor another country's line."""
    for locale, ask in (("fr-LU", "Demandez à un·e pair-aidant·e un numéro dans votre pays"),
                        ("en-NZ", "Ask a peer helper for a line in your country")):
        shown = await card(server, locale)
        assert shown["locale"] == f"{locale[:2]}-ZZ"
        assert [r["phone"] for r in shown["resources"]] == ["112"]
        assert ask in shown["text"] and "3114" not in shown["text"]
    assert candidates("fr-LU") == ["fr-LU", "fr-ZZ", "fr"]
    assert candidates("en-NZ") == ["en-NZ", "en-ZZ", "en", "fr"]


@pytest.mark.parametrize(("locale", "served"), [
    ("fr", "fr"), ("fr-FR", "fr"), ("fr-RE", "fr"), ("fr-YT", "fr"), ("fr-ZZ", "fr-ZZ"), ("en", "en"),
    ("en-ZZ", "en-ZZ"), ("en-GB", "en-GB"),
])
async def test_france_and_its_overseas_departments_get_the_french_card(server, locale, served):
    """"fr" is France's card, overseas departments included (3114 answers there); a language alone
    keeps its own card (en: several countries); ZZ is the other-country card itself."""
    assert (await card(server, locale))["locale"] == served


async def test_a_card_names_the_countries_of_its_language(server):
    """For the room page's choice: France (the "fr" card) and the countries with their own card,
    never ZZ; an admin's new country joins them."""
    assert (await card(server, "fr-BE"))["countries"] == ["FR", "BE", "CA", "CH"]
    assert (await card(server, "en"))["countries"] == ["CA", "GB", "IE", "US"]
    boss = await admin(server)
    assert (await call(server, "PUT", "/api/admin/helplines/fr-LU", boss, json=CARD)).status_code == 200
    assert (await card(server, "fr"))["countries"] == ["FR", "BE", "CA", "CH", "LU"]


async def test_an_admin_version_wins_at_once_and_can_be_undone(server):
    """PUT a card: it is what everyone gets; DELETE: back to config.toml's."""
    boss = await admin(server)
    response = await call(server, "PUT", "/api/admin/helplines/fr", boss, json={**CARD, "reason": "vérification"})
    assert response.status_code == 200, response.text
    shown = await card(server, "fr")
    assert shown["title"] == CARD["title"] and [r["phone"] for r in shown["resources"]] == ["3114", "112"]
    assert shown["checked"] == "2026-11-20"
    listed = {c["locale"]: c for c in (await call(server, "GET", "/api/admin/helplines", boss)).json()}
    assert listed["fr"]["source"] == "admin" and listed["fr"]["updated_by"] == "admin"
    assert listed["en-GB"]["source"] == "config"
    # fr-BE keeps its own card; fr-RE, which falls back to fr, now gets the admin's.
    assert (await card(server, "fr-RE"))["title"] == CARD["title"]
    assert (await call(server, "DELETE", "/api/admin/helplines/fr", boss)).status_code == 200
    assert (await card(server, "fr"))["resources"][1]["phone"] == "15"
    assert (await call(server, "DELETE", "/api/admin/helplines/fr", boss)).status_code == 404


async def test_an_admin_can_add_a_locale(server):
    """A card for a locale config.toml does not have (fr-LU) serves it from then on."""
    boss = await admin(server)
    assert (await call(server, "PUT", "/api/admin/helplines/fr-LU", boss, json=CARD)).status_code == 200
    assert (await card(server, "fr-LU"))["locale"] == "fr-LU"


@pytest.mark.parametrize(("change", "field"), [
    ({"line": []}, "line"),
    ({"line": [{"name": "X", "phone": "appelez-nous"}]}, "line"),
    ({"line": [{"name": "X", "phone": "112", "url": "http://insecure.example"}]}, "line"),
    ({"line": [{"name": "X", "phone": "112", "sms": "écrivez-nous"}]}, "line"),
    ({"line": [{"name": "X", "phone": "112", "sms": "85258", "sms_body": "SHOUT\nand more"}]}, "line"),
    ({"line": [{"name": "X", "phone": "112", "sms_body": "SHOUT"}]}, "line"),
    ({"line": [{"name": "X", "phone": "85258", "text_only": True}]}, "line"),
    ({"line": [{"name": "X", "phone": "85258", "sms": "85258", "text_only": "yes"}]}, "line"),
    ({"title": ""}, "title"),
    ({"colour": "red"}, "colour"),
])
async def test_a_bad_card_is_refused(server, change, field):
    """No lines, a phone that is not one, a non-https link, a number to text that is not one, a word
    to text on two lines or without its number, text-only without a number to text, text_only not
    a boolean, an empty title, an unknown key: 400."""
    boss = await admin(server)
    response = await call(server, "PUT", "/api/admin/helplines/fr", boss, json={**CARD, **change})
    assert response.status_code == 400 and response.json()["field"] == field


async def test_a_bad_locale_is_refused(server):
    """Locales look like fr or fr-BE."""
    boss = await admin(server)
    response = await call(server, "PUT", "/api/admin/helplines/FRANCE", boss, json=CARD)
    assert response.status_code == 400


async def test_the_shipped_cards_are_valid_and_french_is_there():
    """config.toml's cards load, and a configuration without the French fallback is refused."""
    cards = HelplinesConfig.from_raw(base_config()["helplines"]).by_locale()
    assert {"fr", "fr-BE", "fr-CH", "fr-CA", "en", "en-GB", "en-IE", "en-US"} <= set(cards)
    raw = dict(base_config()["helplines"])
    del raw["fr"]
    with pytest.raises(ConfigError):
        HelplinesConfig.from_raw(raw)


TEXT_CARD = {
    "title": "You are not alone", "text": "Card text.", "checked": "",
    "line": [
        {"name": "Samaritans", "phone": "116 123", "hours": "24/7"},
        {"name": "Shout", "phone": "85258", "sms": "85258", "sms_body": "SHOUT", "text_only": True},
        {"name": "988", "phone": "988", "sms": "988"},
    ],
}


async def test_lines_to_text_are_validated_stored_and_served(server):
    """An admin's card with a text-only line (Shout), a line to call or text (988) and a line to
    call only: served with `sms`, `sms_body` and `text_only` on every line (defaults: "", "", false),
    `phone` kept on all of them (protocol §7)."""
    boss = await admin(server)
    response = await call(server, "PUT", "/api/admin/helplines/en-GB", boss, json=TEXT_CARD)
    assert response.status_code == 200, response.text
    lines = (await card(server, "en-GB"))["resources"]
    assert [(r["phone"], r["sms"], r["sms_body"], r["text_only"]) for r in lines] == [
        ("116 123", "", "", False), ("85258", "85258", "SHOUT", True), ("988", "988", "", False),
    ]
    listed = {c["locale"]: c for c in (await call(server, "GET", "/api/admin/helplines", boss)).json()}
    assert listed["en-GB"]["resources"][1]["text_only"] is True


async def test_the_shipped_text_lines(server):
    """config.toml: Shout, Crisis Text Line and 50808 are text-only with their word; 988 is a call
    and a text; Pieta and Kids Help Phone are calls with a number to text beside."""
    def line(shown: dict[str, Any], name: str) -> dict[str, Any]:
        found: dict[str, Any] = next(r for r in shown["resources"] if r["name"].startswith(name))
        return found

    shout = line(await card(server, "en-GB"), "Shout")
    assert (shout["sms"], shout["sms_body"], shout["text_only"]) == ("85258", "SHOUT", True)
    us_card = await card(server, "en-US")
    assert line(us_card, "Crisis Text Line")["text_only"] is True
    assert line(us_card, "Crisis Text Line")["sms_body"] == "HOME"
    assert (line(us_card, "988")["sms"], line(us_card, "988")["text_only"]) == ("988", False)
    ie_card = await card(server, "en-IE")
    assert (line(ie_card, "50808")["sms_body"], line(ie_card, "50808")["text_only"]) == ("TALK", True)
    assert (line(ie_card, "Pieta")["sms"], line(ie_card, "Pieta")["text_only"]) == ("51444", False)
    assert line(await card(server, "en-CA"), "Kids Help Phone")["sms_body"] == "CONNECT"
    assert line(await card(server, "fr-CA"), "Jeunesse")["sms"] == "686868"
    # Every text-only line has its number to text; every line keeps a phone.
    for locale in ("fr", "fr-BE", "fr-CH", "fr-CA", "fr-ZZ", "en", "en-GB", "en-IE", "en-US", "en-CA", "en-ZZ"):
        for r in (await card(server, locale))["resources"]:
            assert r["phone"] and (r["sms"] or not r["text_only"])


async def test_the_text_fields_reach_the_crisis_card(server):
    """A peer in en-GB writes a crisis message: the pointer frame's resources carry Shout as text-only
    with its number and word; the frame says which card it is and its own sentence (`next`)."""
    peer = await server.peer(locale="en-GB")
    await peer.request({"type": "join", "room": "salon-test", "since": None}, "joined")
    ack = await peer.request({"type": "say", "room": "salon-test", "text": "I want to die"}, "ack")
    frame = await peer.expect("pointer", message_id=ack["id"])
    shout = next(r for r in frame["resources"] if r["name"] == "Shout")
    assert (shout["phone"], shout["sms"], shout["sms_body"], shout["text_only"]) == ("85258", "85258", "SHOUT", True)
    samaritans = next(r for r in frame["resources"] if r["name"] == "Samaritans")
    assert (samaritans["sms"], samaritans["text_only"]) == ("", False)
    assert frame["locale"] == "en-GB"
    assert frame["text"].endswith(frame["next"]) and frame["next"] not in frame["text"][: -len(frame["next"])]


async def test_a_new_hello_changes_the_card(server):
    """The same session says hello again with another country (the room page does when the person
    chooses one): the next card is that country's."""
    peer = await server.peer(locale="fr")
    token = peer.welcome["token"]
    again = await server.peer(locale="fr-BE", token=token)
    await again.request({"type": "join", "room": "salon-test", "since": None}, "joined")
    ack = await again.request({"type": "say", "room": "salon-test", "text": "je veux mourir"}, "ack")
    frame = await again.expect("pointer", message_id=ack["id"])
    assert frame["locale"] == "fr-BE" and frame["resources"][0]["phone"] == "0800 32 123"
    assert "3114" not in [r["phone"] for r in frame["resources"]]


async def test_the_pointer_frame_without_a_card():
    """No card at all: no resources, `locale` null, `next` still the server's sentence."""
    frame = pointer_frame(None, room="r", message_id="m", locale="fr", stage="alerted", about_someone_else=False)
    assert frame["resources"] == [] and frame["locale"] is None and frame["text"] == frame["next"]
