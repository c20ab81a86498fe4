"""Helpline cards per locale: config.toml's defaults, fallbacks, and admins' versions over them."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.helplines import HelplinesConfig, candidates
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


async def test_an_unknown_country_falls_back_to_its_language_then_french(server):
    """fr-LU uses the French card; en-NZ the English one (112/999/911, no wrong country first)."""
    assert (await card(server, "fr-LU"))["locale"] == "fr"
    english = await card(server, "en-NZ")
    assert english["locale"] == "en" and english["resources"][0]["phone"] == "112"
    assert candidates("en-NZ") == ["en-NZ", "en", "fr"]


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
    # fr-BE keeps its own card; fr-LU, which falls back to fr, now gets the admin's.
    assert (await card(server, "fr-LU"))["title"] == CARD["title"]
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
    ({"title": ""}, "title"),
    ({"colour": "red"}, "colour"),
])
async def test_a_bad_card_is_refused(server, change, field):
    """No lines, a phone that is not one, a non-https link, an empty title, an unknown key: 400."""
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
