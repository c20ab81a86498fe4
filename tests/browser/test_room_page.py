"""Two people chat from two browsers; user text is only ever shown as text."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

XSS = "<img src=x onerror=alert(1)>"


async def open_room(browser: Browser, url: str, problems: list[str]) -> Page:
    context = await browser.new_context()
    page = await context.new_page()
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    await page.goto(url)
    await page.locator("#charter-accept").click()
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await expect(page.locator("#pseudonym")).not_to_be_empty()
    return page


async def test_a_message_sent_in_one_browser_appears_in_the_other(server, browser):
    """Alice writes in her browser; Bob sees it in his, under Alice's pseudonym."""
    problems: list[str] = []
    room = f"{server.http}/r/salon-test"
    alice = await open_room(browser, room, problems)
    bob = await open_room(browser, room, problems)
    await alice.locator("#composer-text").fill("Bonsoir, je suis nouvelle ici.")
    await alice.locator("#composer-send").click()
    message = bob.locator("#messages .message").filter(has_text="Bonsoir, je suis nouvelle ici.")
    await expect(message).to_have_count(1)
    author = await alice.locator("#pseudonym").inner_text()
    await expect(message.locator(".message-author")).to_have_text(author.strip())
    assert problems == []


async def test_markup_in_a_message_is_shown_as_text(server, browser):
    """An <img onerror> sent as a message shows literally and runs nothing."""
    problems: list[str] = []
    room = f"{server.http}/r/salon-test"
    alice = await open_room(browser, room, problems)
    bob = await open_room(browser, room, problems)
    await alice.locator("#composer-text").fill(XSS)
    await alice.locator("#composer-send").click()
    shown = bob.locator("#messages .message .message-text").filter(has_text=XSS)
    await expect(shown).to_have_count(1)
    await expect(shown).to_have_text(XSS)
    assert await bob.locator("#messages img").count() == 0
    assert problems == []


async def test_the_landing_page_lists_the_rooms_with_presence(server, browser):
    """The landing page shows every room as a card with its live presence."""
    problems: list[str] = []
    context = await browser.new_context()
    page = await context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(server.http + "/")
    cards = page.locator(".room-card")
    await expect(cards).to_have_count(len(server.services.hub.rooms))
    await expect(page.locator('.room-card[data-slug="anxiete"] .room-presence')).to_be_visible()
    assert problems == []
