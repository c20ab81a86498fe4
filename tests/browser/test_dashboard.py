"""The pair-aidants' dashboard in real browsers: a report made in one browser reaches the helper's
dashboard in another, live; the helper claims it and hides the message, which leaves every
peer's page. A crisis item shows its cue. A helper speaks in a room with the badge."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.admin.conftest import PASSWORD, add_account
from tests.browser.conftest import watch
from tests.conftest import Server
from tests.moderation.review_texts import review_text
from tests.moderation.second_reading_texts import second_reading_text

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]

ROOM = "salon-test"
# The browser reports the 401 answers the pages expect (the log-in page asks who is there first).


async def watched(browser: Browser, problems: list[str]) -> tuple[BrowserContext, Page]:
    context = await browser.new_context()
    page = await context.new_page()
    watch(page, problems)
    return context, page


async def dashboard(
    server: Server, browser: Browser, problems: list[str], username: str, init_script: str | None = None,
) -> Page:
    """Log in through /staff (sent to the log-in page and back), on duty for the room."""
    _, page = await watched(browser, problems)
    if init_script is not None:
        await page.add_init_script(init_script)
    await page.goto(server.http + "/staff")
    await expect(page).to_have_url(server.http + "/login?next=/staff")
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login-submit").click()
    await expect(page).to_have_url(server.http + "/staff")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await expect(page.locator("#queue-empty")).to_have_text("Prenez une permanence pour voir la file de vos salons.")
    await page.locator(f"#duty-{ROOM}").check()
    await expect(page.locator("#duty-status")).to_have_text("Vous êtes de permanence.")
    await expect(page.locator(f"#duty-{ROOM}")).to_be_checked()
    await expect(page.locator("#queue-empty")).to_have_text("Rien dans la file pour le moment.")
    return page


async def room_page(browser: Browser, server: Server, problems: list[str]) -> Page:
    _, page = await watched(browser, problems)
    await page.goto(f"{server.http}/r/{ROOM}")
    await page.locator("#charter-accept").click()
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await expect(page.locator("#pseudonym")).not_to_be_empty()
    return page


async def test_a_helper_hides_a_message_reported_in_another_browser(server, browser):
    """Done when: a report from one browser appears live on the helper's dashboard in another; the
    helper claims the item and hides the message; it disappears from the reporter's page and the
    writer's."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")

    writer = await room_page(browser, server, problems)
    reporter = await room_page(browser, server, problems)
    text = "Personne ici ne mérite qu'on lui réponde."
    await writer.locator("#composer-text").fill(text)
    await writer.locator("#composer-send").click()
    message = reporter.locator("#messages .message").filter(has_text=text)
    await expect(message).to_have_count(1)
    pseudonym = (await writer.locator("#pseudonym").inner_text()).strip()

    # The reporter's own button and dialog.
    await message.focus()
    await message.locator('button[data-action="report"]').click()
    await reporter.locator("#report-reason").fill("propos blessants")
    await reporter.locator("#report-submit").click()
    await expect(reporter.locator("#toast")).to_contain_text("Merci")

    # Live on the dashboard, with what the helper needs.
    row = helper.locator("#queue li").filter(has_text=text)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Signalement")
    await expect(row).to_contain_text(pseudonym)
    await expect(row).to_contain_text("signalé : propos blessants")
    await expect(row).to_contain_text("à prendre")
    await row.locator("button.queue-open").click()
    await expect(helper.locator("#detail-title")).to_contain_text("Signalement")
    await expect(helper.locator("#detail-message")).to_contain_text(text)
    await expect(helper.locator("#context .is-focus")).to_contain_text(text)
    await expect(helper.locator("#earlier")).to_contain_text("Aucun élément précédent")

    # A private note on the pseudonym.
    await helper.locator("#note-text").fill("Premier écart, ton agressif.")
    await helper.locator("#note-submit").click()
    await expect(helper.locator("#notes")).to_contain_text("Premier écart, ton agressif.")

    # Claim, then hide with a reason.
    await helper.locator("#claim").click()
    await expect(helper.locator("#detail-status")).to_have_text("Vous avez pris cet élément en charge.")
    await expect(row).to_contain_text("pris en charge par vous")
    await expect(helper.locator("#release")).to_be_visible()
    await helper.locator("#act-hide").check()
    await helper.locator("#act-note").fill("Propos blessants envers le groupe")
    await helper.locator("#act-submit").click()
    await expect(helper.locator("#detail-status")).to_have_text("Fait : Masquer le message.")

    # Gone from the peers' pages, and out of the queue (into the handled list).
    await expect(reporter.locator("#messages .message").filter(has_text=text)).to_have_count(0)
    await expect(writer.locator("#messages .message").filter(has_text=text)).to_have_count(0)
    await expect(row).to_have_count(0)
    handled = helper.locator("#done li").filter(has_text=text)
    await expect(handled).to_contain_text("traité (Masquer le message) par lea")

    # Written in the room's log, with the reason.
    entries = await server.services.staff.admin.audit_log(room=ROOM, action="item.")
    assert ("lea", "item.resolve.hide", "Propos blessants envers le groupe") in {
        (e.actor, e.action, e.reason) for e in entries
    }
    assert problems == []


async def test_a_timeout_needs_a_reason_and_release_gives_the_item_back(server, browser):
    """The decision form refuses a timeout without a reason; release puts the item back in the queue."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    writer = await room_page(browser, server, problems)
    reporter = await room_page(browser, server, problems)
    await writer.locator("#composer-text").fill("Un message un peu limite.")
    await writer.locator("#composer-send").click()
    message = reporter.locator("#messages .message").filter(has_text="Un message un peu limite.")
    await message.focus()
    await message.locator('button[data-action="report"]').click()
    await reporter.locator("#report-submit").click()

    row = helper.locator("#queue li").filter(has_text="Un message un peu limite.")
    await row.locator("button.queue-open").click()
    await helper.locator("#claim").click()
    await expect(row).to_contain_text("pris en charge par vous")
    await helper.locator("#release").click()
    await expect(helper.locator("#detail-status")).to_have_text("L'élément est de nouveau dans la file.")
    await expect(row).to_contain_text("à prendre")

    await helper.locator("#act-timeout").check()
    await expect(helper.locator("#act-duration")).to_be_visible()
    await expect(helper.locator("#act-duration")).to_have_value("600")
    await helper.locator("#act-submit").click()
    await expect(helper.locator("#act-error")).to_have_text("Écrivez la raison de cette décision.")
    await expect(row).to_contain_text("à prendre")
    await helper.locator("#act-duration").select_option("300")
    await helper.locator("#act-note").fill("Se calmer un moment")
    await helper.locator("#act-submit").click()
    await expect(helper.locator("#detail-status")).to_have_text("Fait : Suspendre : ne plus écrire pendant un temps.")
    await expect(writer.locator("#composer-lock")).to_contain_text("Vous ne pouvez pas écrire dans ce salon")
    assert problems == []


async def test_a_crisis_message_shows_its_cue(server, browser):
    """A peer writes that they want to die: the item comes first in the queue, priority 3, with the
    crisis banner and the count in the tab's title; claiming it clears the banner."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    services = server.services
    assert services.queue is not None and services.hub.desk is not None
    item = await services.queue.create(
        room=ROOM, kind="report", priority=1, now=services.hub.now(), author_session_id="s-autre",
        author_pseudonym="Héron calme", author_role="peer", text="Un message signalé.", cw=None, reasons=["report"],
    )
    await services.hub.desk.push(item, new=True)
    await expect(helper.locator("#queue li")).to_have_count(1)

    writer = await room_page(browser, server, problems)
    await writer.locator("#composer-text").fill("je veux mourir ce soir")
    await writer.locator("#composer-send").click()

    rows = helper.locator("#queue li")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_have_class("queue-item p3 state-open is-crisis")
    await expect(rows.first).to_contain_text("Priorité 3 · crise")
    await expect(rows.first).to_contain_text("crise : idées suicidaires")
    banner = helper.locator("#crisis-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Alerte crise : 1 message à prendre en charge")
    assert (await helper.title()).startswith("(1) ⚠")

    await helper.locator("#crisis-banner-open").click()
    await expect(helper.locator("#detail-message")).to_contain_text("je veux mourir ce soir")
    await expect(helper.locator("#detail")).to_be_focused()
    await helper.locator("#claim").click()
    await expect(banner).to_be_hidden()
    assert problems == []


# Stands in for the Web Audio API and counts the tones the page starts: a headless browser has no
# speaker, and what matters is whether the page plays its two tones.
COUNT_TONES = """
window.__tones = 0;
class FakeParam { setValueAtTime() {} exponentialRampToValueAtTime() {} }
class FakeNode {
  constructor() { this.frequency = { value: 0 }; this.gain = new FakeParam(); }
  connect(next) { return next; }
  start() {} stop() {}
}
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  createOscillator() { window.__tones += 1; return new FakeNode(); }
  createGain() { return new FakeNode(); }
  resume() { return Promise.resolve(); }
};
"""


async def test_a_crisis_alert_sounds_unless_the_helper_turned_the_sound_off(server, browser):
    """The crisis sound is on until a helper turns it off: a helper who never looked at the box
    hears the alert; one who unticked it hears nothing, even after reloading the page."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea", init_script=COUNT_TONES)
    await expect(helper.locator("#sound-toggle")).to_be_checked()
    writer = await room_page(browser, server, problems)
    await writer.locator("#composer-text").fill("je veux mourir ce soir")
    await writer.locator("#composer-send").click()
    await expect(helper.locator("#queue li.is-crisis")).to_have_count(1)
    await helper.wait_for_function("window.__tones === 2")  # two tones, once

    await helper.locator("#sound-toggle").uncheck()
    await helper.reload()
    await expect(helper.locator("#status")).to_have_attribute("data-state", "open")
    await expect(helper.locator("#sound-toggle")).not_to_be_checked()
    await expect(helper.locator("#queue li.is-crisis")).to_have_count(1)
    await writer.locator("#composer-text").fill("j'ai préparé les cachets pour cette nuit, je veux mourir")
    await writer.locator("#composer-send").click()
    await expect(helper.locator("#queue li.is-crisis")).to_have_count(2)
    assert await helper.evaluate("window.__tones") == 0
    assert problems == []


async def test_a_held_crisis_message_s_alert_says_it_is_held_and_which_item_approves_it(server, browser):
    """A crisis message with a phone number is held: the crisis row says so, in the page's language,
    with the number of the held item to approve."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    writer = await room_page(browser, server, problems)
    await writer.locator("#composer-text").fill("je veux mourir ce soir, appelez moi au 06 12 34 56 78")
    await writer.locator("#composer-send").click()

    rows = helper.locator("#queue li")
    await expect(rows).to_have_count(2)
    crisis, held = rows.filter(has_text="Priorité 3"), rows.filter(has_not_text="Priorité 3")
    number = (await held.get_attribute("data-id")) or ""
    await expect(crisis).to_contain_text(f"message retenu, à approuver : élément n° {number}")
    assert problems == []

async def test_a_message_just_below_the_crisis_threshold_reaches_the_dashboard_to_be_read(server, browser):
    """The review tier: the writer gets no card; the helper's queue gets a priority-2 row that says,
    in the page's language, that it may be distress and is to be read."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    writer = await room_page(browser, server, problems)
    text = review_text("fr")
    await writer.locator("#composer-text").fill(text)
    await writer.locator("#composer-send").click()

    row = helper.locator("#queue li")
    await expect(row).to_have_count(1)
    await expect(row).to_have_class("queue-item p2 state-open")
    await expect(row).to_contain_text("détresse possible, à lire (sous le seuil d'alerte)")
    await expect(helper.locator("#crisis-banner")).to_be_hidden()
    await expect(writer.locator("#messages")).to_contain_text(text)
    await writer.wait_for_timeout(1500)  # a card would come within a second of the ack
    await expect(writer.locator("#pointer-region")).to_be_empty()
    assert problems == []


async def test_a_crisis_told_without_crisis_words_brings_the_card_and_the_crisis_row(server, browser):
    """The second reading: a message no phrase, rule or word model flags, typed on the room page,
    is shown to the room at once; then the writer's card appears and the helper's queue gets the
    priority-3 crisis row."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    writer = await room_page(browser, server, problems)
    text = second_reading_text("fr")
    await writer.locator("#composer-text").fill(text)
    await writer.locator("#composer-send").click()

    await expect(writer.locator("#messages")).to_contain_text(text)
    await expect(writer.locator("#pointer-region")).to_contain_text("3114")
    row = helper.locator("#queue li")
    await expect(row).to_have_count(1)
    await expect(row).to_have_class("queue-item p3 state-open is-crisis")
    await expect(helper.locator("#crisis-banner")).to_be_visible()
    assert problems == []


async def test_a_helper_speaks_in_a_room_with_the_badge(server, browser):
    """On the room page a logged-in helper may speak as a peer helper: the others see the badge."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    await helper.goto(f"{server.http}/r/{ROOM}")
    await helper.locator("#charter-accept").click()
    await expect(helper.locator("#status")).to_have_attribute("data-state", "open")
    peer_name = (await helper.locator("#pseudonym").inner_text()).strip()
    toggle = helper.locator("#as-helper")
    await expect(toggle).to_be_visible()
    await toggle.check()
    await expect(helper.locator("#pseudonym")).not_to_have_text(peer_name)
    await expect(helper.locator("#status")).to_have_attribute("data-state", "open")

    other = await room_page(browser, server, problems)
    await helper.locator("#composer-text").fill("Bonsoir, je suis de permanence ce soir.")
    await helper.locator("#composer-send").click()
    seen = other.locator("#messages .message").filter(has_text="Bonsoir, je suis de permanence ce soir.")
    await expect(seen.locator(".badge-helper")).to_have_text("pair-aidant·e")
    await expect(other.locator("#helper-card")).to_be_hidden()

    # Back to speaking as a peer: no badge.
    await toggle.uncheck()
    await expect(helper.locator("#status")).to_have_attribute("data-state", "open")
    await helper.locator("#composer-text").fill("Et maintenant comme pair.")
    await helper.locator("#composer-send").click()
    plain = other.locator("#messages .message").filter(has_text="Et maintenant comme pair.")
    await expect(plain).to_have_count(1)
    await expect(plain.locator(".badge-helper")).to_have_count(0)
    assert problems == []


async def test_the_dashboard_speaks_english_and_needs_a_login(server, browser):
    """Without a login /staff sends to the log-in page; the page switches to English."""
    await add_account(server, "lea", "helper", frozenset({ROOM}))
    problems: list[str] = []
    helper = await dashboard(server, browser, problems, "lea")
    await helper.locator("#lang-switch").click()
    await expect(helper.locator("h1")).to_have_text("Peer helpers' dashboard")
    await expect(helper.locator("#queue-empty")).to_have_text("Nothing in the queue right now.")
    await helper.locator("#logout").click()
    await expect(helper).to_have_url(server.http + "/login")
    await helper.goto(server.http + "/staff")
    await expect(helper).to_have_url(server.http + "/login?next=/staff")
    assert problems == []
