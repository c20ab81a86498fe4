"""Tête-à-tête in real browsers: from a crisis alert on the dashboard, a helper offers a private
conversation; the person's page shows the offer, and either they accept (both land in a room
nobody else can open, and it ends for both when one leaves) or they decline (the dashboard says
so). User text stays text everywhere."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.admin.conftest import add_account
from tests.browser.conftest import watch
from tests.browser.test_dashboard import ROOM, dashboard, room_page, watched
from tests.conftest import Server

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

CRISIS = "je veux mourir"
PRIVATE_URL = re.compile(r"/r/prive-[0-9a-z]+$")




async def offered(server: Server, browser: Browser, problems: list[str]) -> tuple[Page, Page]:
    """A peer writes a crisis message; the helper on duty offers a tête-à-tête from the alert."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    helper = await dashboard(server, browser, problems, "lea")
    person = await room_page(browser, server, problems)
    await person.locator("#composer-text").fill(CRISIS)
    await person.locator("#composer-send").click()
    await expect(person.locator("#pointer-region .pointer-card")).to_be_visible()

    await helper.locator("#crisis-banner-open").click()
    await expect(helper.locator("#detail-message")).to_contain_text(CRISIS)
    offer = helper.locator("#tete-invite")
    await expect(offer).to_have_text("Proposer un tête-à-tête")
    await expect(offer).to_have_class(re.compile(r"\bprimary\b"))  # prominent on a crisis
    await offer.click()
    await expect(helper.locator("#tete-status")).to_have_text("Invitation envoyée — en attente de réponse.")
    await expect(offer).to_be_hidden()

    invitation = person.locator("#invite-dialog")
    await expect(invitation).to_be_visible()
    await expect(invitation).to_have_accessible_name("Une proposition de conversation privée")
    await expect(person.locator("#invite-text")).to_contain_text(
        "pair-aidant·e, vous propose de parler à deux, en privé.")
    await expect(person.locator("#invite-expiry")).to_contain_text("Proposition valable jusqu'à")
    # The title has the focus, not a button: Enter pressed as it appears answers nothing.
    await expect(person.locator("#invite-title")).to_be_focused()
    return helper, person


async def accepted(server: Server, browser: Browser, problems: list[str]) -> tuple[Page, Page, Page, str]:
    """The person accepts: both are in the private room (the helper through the dashboard's link)."""
    helper, person = await offered(server, browser, problems)
    person_name = (await person.locator("#pseudonym").inner_text()).strip()
    await person.locator("#invite-accept").click()
    await expect(person).to_have_url(PRIVATE_URL)
    await expect(person.locator("#status")).to_have_attribute("data-state", "open")
    await expect(person.locator("#room-title")).to_have_text(re.compile(r"^Tête-à-tête avec \S"))
    await expect(person.locator("#private-leave")).to_be_visible()

    await expect(helper.locator("#tete-status")).to_have_text(
        f"Acceptée : {person_name} vous attend dans le tête-à-tête.")
    link = helper.locator("#tete-open")
    await expect(link).to_have_attribute("target", "_blank")
    async with helper.context.expect_page() as opened:
        await link.click()
    helper_room = await opened.value
    watch(helper_room, problems)
    await expect(helper_room).to_have_url(person.url + "?staff=1")
    await expect(helper_room.locator("#status")).to_have_attribute("data-state", "open")
    await expect(helper_room.locator("#room-title")).to_have_text(f"Tête-à-tête avec {person_name}")
    return helper, person, helper_room, person.url


async def test_the_person_accepts_and_talks_with_the_helper_where_nobody_else_can_enter(
    server: Server, browser: Browser,
) -> None:
    """Accepting lands the person in the private room; the helper opens it from the dashboard;
    messages go both ways as text; a third browser at the same address sees neither."""
    problems: list[str] = []
    _, person, helper_room, url = await accepted(server, browser, problems)

    # No report, no ignore, no renaming between the two of them.
    await expect(person.locator("#pseudo-reroll")).to_be_hidden()
    await expect(person.locator("#pseudo-details")).to_be_hidden()
    await expect(person.locator("#ignored-card")).to_be_hidden()
    await expect(helper_room.locator("#helper-card")).to_be_hidden()

    said = "<b>x</b> Je suis là, je vous lis."
    await helper_room.locator("#composer-text").fill(said)
    await helper_room.locator("#composer-send").click()
    seen = person.locator("#messages .message").filter(has_text=said)
    await expect(seen.locator(".message-text")).to_have_text(said)
    await expect(seen.locator(".badge-helper")).to_have_text("pair-aidant·e")
    assert await person.locator("#messages b").count() == 0
    await expect(seen.locator('button[data-action="report"]')).to_have_count(0)

    answer = "Merci <i>vraiment</i>, ça fait du bien."
    await person.locator("#composer-text").fill(answer)
    await person.locator("#composer-send").click()
    back = helper_room.locator("#messages .message .message-text").filter(has_text=answer)
    await expect(back).to_have_text(answer)
    assert await helper_room.locator("#messages i").count() == 0

    # Someone else with the address: the same words as for a room that does not exist.
    _, intruder = await watched(browser, problems)
    await intruder.goto(url)
    await expect(intruder.locator("#room-notices")).to_contain_text("Cette conversation privée n'est pas accessible.")
    await expect(intruder.locator("#composer-text")).to_be_disabled()
    await expect(intruder.locator("#messages .message")).to_have_count(0)
    assert said not in await intruder.content()
    assert problems == []


async def test_the_crisis_card_still_comes_in_a_tete_a_tete(server: Server, browser: Browser) -> None:
    """A crisis message written in the private room brings the helplines card to its writer."""
    problems: list[str] = []
    _, person, helper_room, _ = await accepted(server, browser, problems)
    await person.locator("#composer-text").fill("je veux en finir ce soir")
    await person.locator("#composer-send").click()
    await expect(person.locator("#pointer-region .pointer-card")).to_be_visible()
    await expect(person.locator("#pointer-region .pointer-card a.tel").first).to_be_visible()
    await expect(helper_room.locator("#messages .message").filter(has_text="je veux en finir ce soir")).to_have_count(1)
    assert problems == []


async def test_leaving_ends_the_conversation_for_both(server: Server, browser: Browser) -> None:
    """The person leaves (after confirming); both pages say it is over, with the helplines; the
    dashboard says Terminée."""
    problems: list[str] = []
    helper, person, helper_room, _ = await accepted(server, browser, problems)

    await person.locator("#private-leave").click()
    confirm = person.locator("#leave-dialog")
    await expect(confirm).to_be_visible()
    await expect(confirm).to_contain_text("La conversation se termine alors pour vous deux")
    await expect(person.locator("#leave-cancel")).to_be_focused()
    await person.locator("#leave-confirm").click()

    ended = person.locator('[data-notice="private-end"]')
    await expect(ended.locator("h2")).to_have_text("La conversation privée est terminée.")
    await expect(ended.locator("h2")).to_be_focused()
    await expect(ended).to_contain_text("Vous avez quitté la conversation.")
    await expect(ended.locator(".helplines-list a.tel").first).to_be_visible()
    await expect(ended.locator(f'a[href="/r/{ROOM}"]')).to_have_text("Revenir au salon")
    await expect(person.locator("#composer-text")).to_be_disabled()
    await expect(person.locator("#private-leave")).to_be_hidden()

    other_end = helper_room.locator('[data-notice="private-end"]')
    await expect(other_end.locator("h2")).to_have_text("La conversation privée est terminée.")
    await expect(other_end).to_contain_text("L'un·e de vous deux l'a quittée.")
    await expect(helper_room.locator("#composer-text")).to_be_disabled()
    await expect(helper.locator("#tete-status")).to_have_text(
        "Terminée : l'un·e de vous deux a quitté la conversation.")
    assert problems == []


async def test_the_person_declines_and_the_dashboard_says_so(server: Server, browser: Browser) -> None:
    """Non merci closes the offer on the person's page, who stays in the room; the helper reads
    Refusée."""
    problems: list[str] = []
    helper, person = await offered(server, browser, problems)
    await person.locator("#invite-decline").click()
    await expect(person.locator("#invite-dialog")).to_be_hidden()
    await expect(person.locator("#toast")).to_contain_text("C'est noté")
    await expect(person).to_have_url(f"{server.http}/r/{ROOM}")
    await expect(person.locator("#composer-text")).to_be_enabled()
    await expect(helper.locator("#tete-status")).to_have_text("Refusée : la personne a répondu non merci.")
    await expect(helper.locator("#queue li").first).to_contain_text("tête-à-tête : refusé")
    assert problems == []


async def test_escape_puts_the_offer_off_without_declining(server: Server, browser: Browser) -> None:
    """Escape closes the dialog but answers nothing: the offer waits at the top of the page and
    opens again; the helper still reads that an answer is awaited."""
    problems: list[str] = []
    helper, person = await offered(server, browser, problems)
    await person.keyboard.press("Escape")
    await expect(person.locator("#invite-dialog")).to_be_hidden()
    banner = person.locator(".invite-notice")
    await expect(banner).to_contain_text("vous propose de parler à deux, en privé (jusqu'à")
    await expect(helper.locator("#tete-status")).to_have_text("Invitation envoyée — en attente de réponse.")

    await banner.get_by_role("button", name="Voir la proposition").click()
    await expect(person.locator("#invite-dialog")).to_be_visible()
    await expect(person.locator("#invite-title")).to_be_focused()
    assert problems == []
