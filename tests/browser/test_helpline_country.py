"""The helplines' country in real browsers: chosen on the room page ("Numéros d'aide pour :"),
kept in the browser, it is the country of the next crisis card (a new hello) and of the card
already shown; by default it is the browser's language region, never the network's. A line
that only takes texts is an sms: link, never a tel: one. "Autre pays" gives 112 and the offer
to ask a peer helper, and no French national number. The admin console edits the text fields."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect
from sqlalchemy import text

from chat.sessions import hash_token
from tests.admin.conftest import PASSWORD, add_account
from tests.browser.conftest import watch
from tests.conftest import Server, ServerFactory, test_room

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

ROOM = "salon-test"
SHOTS = Path("/tmp/entraide-helpline-country")
TEXT_ONLY = "Par SMS seulement : on ne peut pas l'appeler (pas de lien d'appel)"


async def open_room(browser: Browser, server: Server, problems: list[str], *, locale: str | None = None,
                    ui: str = "fr", width: int = 1280) -> Page:
    """A room page in a fresh browser (its own localStorage), languages `locale`, interface `ui`."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    if ui != "fr":
        await context.add_init_script(f"localStorage.setItem('entraide.lang', '{ui}')")
    page = await context.new_page()
    watch(page, problems)
    await page.goto(f"{server.http}/r/{ROOM}")
    await page.locator("#charter-accept").click()
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await expect(page.locator("#pseudonym")).not_to_be_empty()
    return page


def side(page: Page) -> Locator:
    return page.locator("#helplines-side")


async def said_hello_with(server: Server, page: Page, locale: str, *, writable: bool = True) -> None:
    """Wait until the page's session said hello with `locale` (what the server picks the crisis
    card by, kept with the session) and the page is back in the room."""
    token = await page.evaluate("localStorage.getItem('entraide.token')")
    seen = None
    for _ in range(100):
        async with server.services.engine.connect() as db:
            seen = (await db.execute(text("SELECT locale FROM peer_sessions WHERE token_hash = :h"),
                                     {"h": hash_token(token)})).scalar_one()
        if seen == locale:
            break
        await asyncio.sleep(0.05)
    assert seen == locale
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    if writable:
        await expect(page.locator("#composer-text")).to_be_enabled()


async def write(page: Page, text: str) -> Locator:
    await page.locator("#composer-text").fill(text)
    await page.locator("#composer-send").click()
    card = page.locator("#pointer-region .pointer-card")
    await expect(card).to_be_visible()
    return card


async def choose_country(box: Locator, country: str, tel: str) -> Locator:
    """Choose `country` in the box's own choice, as a keyboard user would (focus first), and see
    its first line `tel` replace France's 3114 there. The choice, to check where focus stays."""
    choice = box.get_by_label("Numéros d'aide pour :")
    await choice.focus()
    await choice.select_option(country)
    await expect(box.locator(f'a.tel[href="tel:{tel}"]')).to_be_visible()
    await expect(box.locator('a.tel[href="tel:3114"]')).to_have_count(0)
    return choice


async def shot(page: Page, name: str) -> None:
    """For a person to look at: the page, then the card and the side card whole (a tall window)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))
    size = page.viewport_size or {"width": 1280, "height": 900}
    await page.set_viewport_size({"width": size["width"], "height": 2000})
    await page.locator("#pointer-region .pointer-card").screenshot(path=str(SHOTS / f"{name}-card.png"))
    await page.locator(".helplines-card").screenshot(path=str(SHOTS / f"{name}-side.png"))
    await page.set_viewport_size(size)


async def test_choosing_belgique_gives_the_belgian_card(server: Server, browser: Browser) -> None:
    """France by default (no region in the browser's languages); Belgique chosen beside the chat:
    the lines there, and then the crisis card, are Belgium's (0800 32 123), not France's 3114."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="en-US")
    choice = side(page).get_by_label("Numéros d'aide pour :")
    await expect(choice).to_have_value("FR")
    await expect(side(page).locator('a.tel[href="tel:3114"]')).to_be_visible()
    options = await choice.locator("option").all_inner_texts()
    assert options == ["France", "Belgique", "Québec / Canada", "Suisse", "Autre pays"]

    await choice.focus()
    await choice.select_option("BE")
    await expect(choice).to_be_focused()
    await expect(side(page).locator('a.tel[href="tel:080032123"]')).to_have_text("0800 32 123")
    await expect(side(page).locator('a.tel[href="tel:3114"]')).to_have_count(0)
    assert await page.evaluate("localStorage.getItem('entraide.country')") == "BE"
    # A new hello says where the person is.
    await said_hello_with(server, page, "fr-BE")

    card = await write(page, "je veux mourir")
    await expect(card.locator('a.tel[href="tel:080032123"]')).to_have_text("0800 32 123")
    await expect(card).to_contain_text("Centre de Prévention du Suicide")
    await expect(card).not_to_contain_text("3114")
    await expect(card.get_by_label("Numéros d'aide pour :")).to_have_value("BE")
    await shot(page, "belgique-card")

    # Kept in this browser: a reload stays in Belgium.
    await page.reload()
    await expect(side(page).get_by_label("Numéros d'aide pour :")).to_have_value("BE")
    await expect(side(page).locator('a.tel[href="tel:080032123"]')).to_be_visible()
    assert problems == []


async def test_the_country_changes_in_the_card_already_shown(server: Server, browser: Browser) -> None:
    """The card came with France's lines; choosing Belgique in it puts Belgium's there at once,
    with the server's own sentence kept, and the focus stays on the choice."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="en-US", width=390)
    card = await write(page, "je veux mourir")
    await expect(card.locator('a.tel[href="tel:3114"]')).to_be_visible()
    following = (await card.locator(".pointer-text p").last.inner_text()).strip()
    choice = await choose_country(card, "BE", "080032123")
    await expect(card.locator(".pointer-text")).to_contain_text("0800 32 123")
    await expect(card.locator(".pointer-text p").last).to_have_text(following)
    await expect(choice).to_be_focused()
    await expect(side(page).get_by_label("Numéros d'aide pour :")).to_have_value("BE")
    await shot(page, "card-switched-phone")
    assert problems == []


async def test_a_text_only_line_is_an_sms_link(server: Server, browser: Browser) -> None:
    """In English with the United Kingdom: Shout (text only) is "Text SHOUT to 85258", an sms:
    link, and nowhere a tel: link; Samaritans stays a call."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="fr-FR", ui="en")
    choice = side(page).get_by_label("Helplines for:")
    # The browser speaks French from France, the interface is English: no English region to take.
    await expect(choice).to_have_value("")
    await choice.select_option("GB")
    shout = side(page).locator('a.sms[href="sms:85258"]')
    await expect(shout).to_have_text("Text SHOUT to 85258")
    await expect(shout).to_have_attribute("aria-label", "Text SHOUT to 85258: Shout")
    await expect(side(page).locator('a[href^="tel:85258"]')).to_have_count(0)
    await said_hello_with(server, page, "en-GB")

    card = await write(page, "I want to die")
    await expect(card.locator('a.sms[href="sms:85258"]')).to_have_text("Text SHOUT to 85258")
    await expect(card.locator('a[href^="tel:85258"]')).to_have_count(0)
    await expect(card.locator('a.tel[href="tel:116123"]')).to_have_text("116 123")
    await shot(page, "uk-card-en")
    assert problems == []


async def test_a_line_to_call_or_text_has_both_links(server: Server, browser: Browser) -> None:
    """The browser's region (en-US) is the default country: 988 is a call and a text, Crisis Text
    Line (741741) only a text."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="en-US", ui="en")
    await expect(side(page).get_by_label("Helplines for:")).to_have_value("US")
    await said_hello_with(server, page, "en-US")
    await expect(side(page).locator('a.tel[href="tel:988"]')).to_be_visible()
    await expect(side(page).locator('a.sms[href="sms:988"]')).to_have_text("Text 988")
    await expect(side(page).locator('a.sms[href="sms:741741"]')).to_have_text("Text HOME to 741741")
    await expect(side(page).locator('a[href="tel:741741"]')).to_have_count(0)
    assert problems == []


async def test_another_country_shows_112_and_the_offer_to_ask(server: Server, browser: Browser) -> None:
    """"Autre pays": 112 and "ask a peer helper", beside the chat and in the card; no 3114, 15 or
    SOS Amitié (France's numbers would be wrong there)."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="en-US")
    await side(page).get_by_label("Numéros d'aide pour :").select_option("ZZ")
    await expect(side(page).locator('a.tel[href="tel:112"]')).to_be_visible()
    await expect(side(page)).to_contain_text("Demandez à un·e pair-aidant·e un numéro dans votre pays")
    await expect(side(page).locator('a.tel[href="tel:3114"]')).to_have_count(0)
    await said_hello_with(server, page, "fr-ZZ")

    card = await write(page, "je veux mourir")
    await expect(card.locator('a.tel[href="tel:112"]')).to_be_visible()
    await expect(card).to_contain_text("Demandez à un·e pair-aidant·e un numéro dans votre pays")
    text = await card.inner_text()
    for french in ("3114", "09 72 39 40 50", "0 800 235 236"):
        assert french not in text
    assert not re.search(r"\b15\b", text)
    await expect(card.locator('a[href="tel:3114"], a[href="tel:15"]')).to_have_count(0)
    await shot(page, "autre-pays-card")
    assert problems == []


async def test_a_browser_region_without_a_card_is_another_country(server: Server, browser: Browser) -> None:
    """A browser in fr-LU (no card of its own) gets "Autre pays" by default, not France's lines;
    one in fr-BE gets Belgique. Nothing is chosen until the person chooses."""
    problems: list[str] = []
    page = await open_room(browser, server, problems, locale="fr-LU")
    choice = side(page).get_by_label("Numéros d'aide pour :")
    await expect(choice).to_have_value("ZZ")
    await said_hello_with(server, page, "fr-LU")
    await expect(side(page).locator('a.tel[href="tel:112"]')).to_be_visible()
    await expect(side(page).locator('a.tel[href="tel:3114"]')).to_have_count(0)
    assert await page.evaluate("localStorage.getItem('entraide.country')") is None
    belgian = await open_room(browser, server, problems, locale="fr-BE")
    await expect(side(belgian).get_by_label("Numéros d'aide pour :")).to_have_value("BE")
    await expect(side(belgian).locator('a.tel[href="tel:080032123"]')).to_be_visible()
    assert problems == []


async def test_a_closed_room_has_the_choice_too(server_factory: ServerFactory, browser: Browser) -> None:
    """Outside the room's hours, its helplines box has the choice as well: Suisse there gives 143
    in the box and beside the chat, and the choice beside the chat shows it."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    other_day = days[(datetime.now(ZoneInfo("Europe/Paris")).weekday() + 2) % 7]
    server = await server_factory(rooms=[test_room(ROOM, schedule=[f"{other_day} 10:00-11:00"])])
    problems: list[str] = []
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    await page.goto(f"{server.http}/r/{ROOM}")
    closed = page.locator('[data-notice="closed"]')
    await expect(closed).to_contain_text("Le salon est fermé pour le moment")
    await expect(closed.locator('a.tel[href="tel:3114"]')).to_be_visible()
    choice = await choose_country(closed, "CH", "143")
    await expect(closed.locator('a.sms[href="sms:147"]')).to_have_text("Envoyer un SMS au 147")
    await said_hello_with(server, page, "fr-CH", writable=False)
    await expect(closed).to_contain_text("Le salon est fermé pour le moment")
    await expect(choice).to_be_focused()  # the box was not rebuilt under it, nor by the new hello
    await expect(side(page).get_by_label("Numéros d'aide pour :")).to_have_value("CH")
    await expect(side(page).locator('a.tel[href="tel:143"]')).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    await closed.screenshot(path=str(SHOTS / "closed-suisse.png"))
    assert problems == []


async def test_the_admin_console_edits_the_text_fields(server: Server, browser: Browser) -> None:
    """The en-GB card in the console: Shout's number to text, word and "text only" are there; an
    admin makes 116 123 text-only by mistake: refused, the form stays; a number to text is then saved."""
    await add_account(server, "camille", "admin", None)
    problems: list[str] = []
    context = await browser.new_context()
    console = await context.new_page()
    console.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    await console.goto(server.http + "/admin")
    await console.locator("#username").fill("camille")
    await console.locator("#password").fill(PASSWORD)
    await console.locator("#login-submit").click()
    await expect(console.locator("body")).to_have_attribute("data-ready", "true")
    summary = console.locator('#helplines-admin [data-locale="en-GB"]')
    await expect(summary).to_contain_text("Shout · SMS 85258 (SHOUT) · SMS seulement")
    await summary.locator('button[data-action="edit"]').click()
    lines = console.locator("#helpline-lines fieldset")
    shout = lines.nth(1)
    await expect(shout.get_by_label("Numéro où écrire par SMS (facultatif)")).to_have_value("85258")
    await expect(shout.get_by_label("Mot à écrire dans le SMS (facultatif, ex. SHOUT)")).to_have_value("SHOUT")
    await expect(shout.get_by_label(TEXT_ONLY)).to_be_checked()

    SHOTS.mkdir(parents=True, exist_ok=True)
    await shout.screenshot(path=str(SHOTS / "admin-shout-line.png"))
    samaritans = lines.nth(0)
    await samaritans.get_by_label(TEXT_ONLY).check()
    await console.locator("#helpline-form button[type=submit]").click()
    await expect(console.locator("#helpline-error")).not_to_be_empty()
    await samaritans.get_by_label(TEXT_ONLY).uncheck()
    await samaritans.get_by_label("Numéro où écrire par SMS (facultatif)").fill("07725 909090")
    await console.locator("#helpline-form button[type=submit]").click()
    await expect(console.locator("#admin-status")).to_have_text("Carte en-GB enregistrée.")
    await expect(summary).to_contain_text("Samaritans · 116 123 · SMS 07725 909090")
    shown = await (await context.request.get(server.http + "/api/helplines/en-GB")).json()
    assert shown["resources"][0]["sms"] == "07725 909090" and shown["resources"][0]["text_only"] is False
    assert problems == []
