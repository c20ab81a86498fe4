"""The admin console in a real browser: log in, create a room that another visitor's landing page
shows without a reload, edit its charter and see it change on the room page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.admin.conftest import PASSWORD, SETUP, add_account
from tests.conftest import test_room
from tests.moderation.review_texts import review_text
from tests.moderation.second_reading_texts import second_reading_text

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

CHARTER = "1. Ici on parle de jardinage et de ce qui pousse malgré tout."
NEW_CHARTER = "1. Ici on parle de jardinage.\n2. On arrose les autres de bienveillance."


async def watched(browser: Browser, problems: list[str]) -> tuple[BrowserContext, Page]:
    context = await browser.new_context()
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A CSP violation (inline script or style) shows up as a console error. The browser also
    # reports the 401/403 answers the pages expect (not logged in yet, a used link): not problems.
    expected = ("status of 401", "status of 403")

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not any(e in msg.text for e in expected):
            problems.append(f"console: {msg.text}")

    page.on("console", on_console)
    return context, page


async def test_an_admin_creates_a_room_and_edits_its_charter_live(server, browser):
    """Log in, create a room: another browser's landing page lists it; a charter edit shows on the room page."""
    await add_account(server, "camille", "admin", None)
    problems: list[str] = []
    _, visitor = await watched(browser, problems)
    await visitor.goto(server.http + "/")
    await expect(visitor.locator(".room-card").first).to_be_visible()

    _, console = await watched(browser, problems)
    await console.goto(server.http + "/admin")
    await expect(console).to_have_url(server.http + "/login?next=/admin")
    await console.locator("#username").fill("camille")
    await console.locator("#password").fill(PASSWORD)
    await console.locator("#login-submit").click()
    await expect(console).to_have_url(server.http + "/admin")
    await expect(console.locator("body")).to_have_attribute("data-ready", "true")

    await console.locator("#room-slug").fill("jardin")
    await console.locator("#room-title").fill("Le jardin")
    await console.locator("#room-description").fill("Pour parler de ce qui pousse, même les mauvais jours.")
    await console.locator("#room-charter").fill(CHARTER)
    await console.locator("#room-reason").fill("demande des bénévoles")
    await console.locator("#room-submit").click()
    await expect(console.locator("#admin-status")).to_have_text("Salon créé.")
    await expect(console.locator('#rooms-admin [data-slug="jardin"]')).to_be_visible()

    # The other visitor's landing page polls the room list: the new room appears without a reload.
    card = visitor.locator('.room-card[data-slug="jardin"]')
    await expect(card).to_be_visible(timeout=10_000)
    await expect(card.locator(".room-link")).to_have_text("Le jardin")

    room = await visitor.context.new_page()
    room.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    await room.goto(server.http + "/r/jardin")
    await expect(room.locator("#charter-text")).to_contain_text("malgré tout")
    await expect(room.locator("#status")).to_have_attribute("data-state", "open")

    await console.locator('#rooms-admin [data-slug="jardin"] button[data-action="edit"]').click()
    await expect(console.locator("#room-charter")).to_have_value(CHARTER)
    await console.locator("#room-charter").fill(NEW_CHARTER)
    await console.locator("#room-submit").click()
    await expect(console.locator("#admin-status")).to_have_text("Salon enregistré.")

    # Live: the room page gets the new charter without a reload.
    await expect(room.locator("#charter-text")).to_contain_text("bienveillance")
    await expect(room.locator("#charter-text")).not_to_contain_text("malgré tout")

    entries = console.locator("#audit-rows tr")
    await expect(entries.filter(has_text="room.update")).to_have_count(1)
    await expect(entries.filter(has_text="room.create")).to_contain_text("demande des bénévoles")
    assert problems == []


async def test_the_staff_pages_load_without_errors(server, browser):
    """Login, setup, invitation and account pages: no script error, no CSP violation, bilingual switch."""
    problems: list[str] = []
    _, page = await watched(browser, problems)
    for path in ("/login", "/setup#nothing", "/invite#nothing"):
        await page.goto(server.http + path)
        await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("#intro")).to_contain_text("invitation")
    await page.locator("#lang-switch").click()
    await expect(page.locator("h1")).to_have_text("Join the Entraide team")
    assert problems == []


async def test_a_closed_room_says_when_it_opens_and_shows_the_helplines(server_factory, browser):
    """Outside its hours the room page says when it reopens and lists the helplines of the card,
    the admin's version included."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    other_day = days[(datetime.now(ZoneInfo("Europe/Paris")).weekday() + 2) % 7]
    server = await server_factory(rooms=[test_room(schedule=[f"{other_day} 10:00-11:00"])])
    staff = server.services.staff
    assert staff is not None
    card = {"title": "Carte", "text": "Texte.", "line": [
        {"name": "3114", "phone": "3114", "hours": "24h/24"}, {"name": "Ligne du test", "phone": "0800 000 000"},
    ]}
    await staff.admin.put_helpline(SETUP, "fr", card)
    problems: list[str] = []
    _, page = await watched(browser, problems)
    await page.goto(server.http + "/r/salon-test")
    closed = page.locator('[data-notice="closed"]')
    await expect(closed).to_contain_text("Le salon est fermé pour le moment")
    await expect(closed).to_contain_text("Il rouvre")
    await expect(closed.locator('a.tel[href="tel:0800000000"]')).to_have_text("0800 000 000")
    await expect(page.locator("#composer-text")).to_be_disabled()
    assert problems == []


async def admin_console(server, browser: Browser, problems: list[str]) -> Page:
    """The console, logged in as an admin, ready."""
    await add_account(server, "camille", "admin", None)
    _, console = await watched(browser, problems)
    await console.goto(server.http + "/admin")
    await console.locator("#username").fill("camille")
    await console.locator("#password").fill(PASSWORD)
    await console.locator("#login-submit").click()
    await expect(console.locator("body")).to_have_attribute("data-ready", "true")
    return console


async def test_an_admin_tries_a_message_for_review_and_switches_the_review_tier_off(server, browser):
    """In the console's crisis section: a message the model places just below its threshold is
    "not flagged, but to be read"; the review tier is listed as such and, switched off, the same
    message is simply not flagged."""
    problems: list[str] = []
    console = await admin_console(server, browser, problems)
    await console.locator("#crisis-try-text").fill(review_text("fr"))
    await console.locator("#crisis-try-lang").select_option("fr")
    await console.locator("#crisis-try button[type=submit]").click()
    result = console.locator("#crisis-try-result")
    await expect(result).to_contain_text("Non signalé, mais à lire")

    tier = console.locator('#crisis-patterns [data-id="fr.review"]')
    await expect(tier).to_contain_text("À lire par un·e pair-aidant·e")
    await tier.locator('button[data-action="disable"]').click()
    await expect(tier.locator('button[data-action="enable"]')).to_be_visible(timeout=15_000)
    await console.locator("#crisis-try button[type=submit]").click()
    await expect(result).to_have_text("Non signalé.")
    assert problems == []


async def test_an_admin_tries_a_message_only_the_encoder_flags_and_switches_the_encoder_off(server, browser):
    """A crisis told without crisis words: the console's try says it is flagged by the second
    reading (fr.encoder); the encoder is listed with its label and, switched off, the same
    message is not flagged."""
    problems: list[str] = []
    console = await admin_console(server, browser, problems)
    await console.locator("#crisis-try-text").fill(second_reading_text("fr"))
    await console.locator("#crisis-try-lang").select_option("fr")
    await console.locator("#crisis-try button[type=submit]").click()
    result = console.locator("#crisis-try-result")
    await expect(result).to_contain_text("Signalé")
    await expect(result).to_contain_text("fr.encoder")

    encoder = console.locator('#crisis-patterns [data-id="fr.encoder"]')
    await expect(encoder).to_contain_text("Seconde lecture")
    await encoder.locator('button[data-action="disable"]').click()
    await expect(encoder.locator('button[data-action="enable"]')).to_be_visible(timeout=15_000)
    await console.locator("#crisis-try button[type=submit]").click()
    await expect(result).to_have_text("Non signalé.")
    assert problems == []
