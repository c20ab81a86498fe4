"""The escalation timer goes one step per claim timeout that a crisis item waits unclaimed, counted
from when it last began to wait: created, released or escalated.

The hub's clock is moved by hand; the queue and the timer are the server's own, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chat.desk import Desk
from moderation.queue import Item, QueueStore
from tests.conftest import ServerFactory, test_room

pytestmark = pytest.mark.asyncio

ROOM = "salon-test"
TIMEOUT = 60.0


class Scene:
    """A server whose hub reads the time from `at`, its desk and queue, and one crisis item."""

    def __init__(self, desk: Desk, start: datetime) -> None:
        self.desk = desk
        self.queue: QueueStore = desk.queue
        self.start = start
        self.at = start

    def now(self) -> datetime:
        return self.at

    async def crisis_item(self) -> Item:
        return await self.queue.create(
            room=ROOM, kind="crisis", priority=3, now=self.at, author_session_id="s" * 32,
            author_pseudonym="Colibri", author_role="peer", text="je veux mourir", cw=None,
            reasons=["crisis: ideation", "severity: high"], message_seq=1,
        )

    async def level_after(self, item: Item, seconds: float) -> int:
        """The item's escalation once the timer has run `seconds` after the scene's start."""
        self.at = self.start + timedelta(seconds=seconds)
        await self.desk.escalate_waiting()
        found = await self.queue.get(item.id)
        assert found is not None
        return found.escalation


async def scene(server_factory: ServerFactory, database_url: str | None = None) -> Scene:
    server = await server_factory(
        {"queue": {"crisis_claim_timeout_s": TIMEOUT}}, rooms=[test_room(ROOM)], database_url=database_url,
    )
    hub = server.services.hub
    assert hub.desk is not None
    # Far enough ahead that the hub's own timer, which runs too, never sees the real time pass it.
    made = Scene(hub.desk, hub.now() + timedelta(days=1))
    hub.now = made.now
    return made


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_an_unclaimed_item_goes_to_every_helper_then_to_the_admins_one_timeout_apart(
    server_factory: ServerFactory, database_url: str,
) -> None:
    s = await scene(server_factory, database_url)
    item = await s.crisis_item()
    assert await s.level_after(item, TIMEOUT - 1) == 0
    assert await s.level_after(item, TIMEOUT + 1) == 1
    assert await s.level_after(item, 2 * TIMEOUT) == 1  # a full timeout after the first step: not yet
    assert await s.level_after(item, 2 * TIMEOUT + 2) == 2


async def test_an_item_released_late_goes_to_every_helper_on_duty_before_the_admins(
    server_factory: ServerFactory,
) -> None:
    """A helper held it for five minutes then let it go: the person has waited, but the next
    step is every helper on duty, a full timeout after the release, not the admins at once."""
    s = await scene(server_factory)
    item = await s.crisis_item()
    await s.queue.claim(item.id, "alice", s.start + timedelta(seconds=5))
    assert await s.level_after(item, 200) == 0  # claimed: nothing moves
    await s.queue.release(item.id, "alice", s.start + timedelta(seconds=300))
    assert await s.level_after(item, 300 + TIMEOUT - 1) == 0
    assert await s.level_after(item, 300 + TIMEOUT + 1) == 1
    assert await s.level_after(item, 300 + 2 * TIMEOUT + 2) == 2


async def test_an_item_no_helper_of_the_room_could_take_reaches_the_admins_one_timeout_later(
    server_factory: ServerFactory,
) -> None:
    """Nobody of the room on duty: every helper on duty at once (level 1), the admins a timeout
    after that, not two."""
    s = await scene(server_factory)
    item = await s.crisis_item()
    assert await s.queue.escalate(item.id, 1, s.at) is not None
    assert await s.level_after(item, TIMEOUT - 1) == 1
    assert await s.level_after(item, TIMEOUT + 1) == 2


async def test_a_claimed_item_never_escalates_by_itself(server_factory: ServerFactory) -> None:
    s = await scene(server_factory)
    item = await s.crisis_item()
    await s.queue.claim(item.id, "alice", s.at)
    assert await s.level_after(item, 10 * TIMEOUT) == 0
