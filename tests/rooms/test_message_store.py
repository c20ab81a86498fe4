"""The message store against both databases: ids, history, erasure and the purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import func, select

import web.database
from rooms.config import DatabaseConfig, RoomSpec
from rooms.configuration import Table
from rooms.db import make_engine, make_sessionmaker
from rooms.message_store import MessageStore
from rooms.models import MessageRow
from rooms.records import format_message_id
from rooms.store import RoomStore
from tests.conftest import test_room

pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def spec(slug: str, **overrides) -> RoomSpec:
    return RoomSpec.from_table(Table(test_room(slug, **overrides), "room"), 50)


@pytest_asyncio.fixture
async def db(database_url):
    """A migrated database with two rooms seeded; yields its sessionmaker."""
    await asyncio.to_thread(web.database.upgrade, database_url)
    engine = make_engine(DatabaseConfig.from_url(database_url))
    sessions = make_sessionmaker(engine)
    await RoomStore(sessions).seed((spec("salon-a", retention_s=3600), spec("salon-b", retention_s=60)), NOW)
    try:
        yield sessions
    finally:
        await engine.dispose()


async def append(store: MessageStore, room: str, text: str, session: str = "s1", at: datetime = NOW):
    return await store.append(room, session, "Héron calme", "peer", text, None, at)


async def count_rows(sessions, room: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(MessageRow).where(MessageRow.room_slug == room)
        return int(await session.scalar(query) or 0)


async def test_ids_increase_and_sort_as_strings(db):
    """Each append gets the next id of its room; the ids sort as plain strings, past 9 and 99."""
    store = MessageStore(db)
    ids = [(await append(store, "salon-a", f"m{i}")).id for i in range(105)]
    assert ids[0] == "000000000001" and ids[-1] == "000000000105"
    assert ids == sorted(ids)
    assert [int(i) for i in ids] == list(range(1, 106))


async def test_each_room_counts_its_own_ids(db):
    """Rooms have separate counters."""
    store = MessageStore(db)
    await append(store, "salon-a", "a1")
    await append(store, "salon-a", "a2")
    first_b = await append(store, "salon-b", "b1")
    assert first_b.id == "000000000001"


async def test_an_append_round_trips_every_field(db):
    """What is stored comes back as it was written, in UTC."""
    store = MessageStore(db)
    written = await store.append("salon-a", "sess", "Loutre douce", "helper", "<b>x</b> & y", "deuil", NOW)
    got = await store.get("salon-a", written.seq)
    assert got == written
    assert got.created_at == NOW and got.created_at.tzinfo is not None


async def test_concurrent_appends_get_distinct_consecutive_ids(db):
    """Fifty appends at once to one room get fifty distinct ids 1..50, each stored once."""
    store = MessageStore(db)
    results = await asyncio.gather(*(append(store, "salon-a", f"c{i}", session=f"s{i}") for i in range(50)))
    seqs = sorted(r.seq for r in results)
    assert seqs == list(range(1, 51))
    history = await store.history("salon-a", None, 100, 2000)
    assert [m.seq for m in history.messages] == list(range(1, 51))
    assert sorted(m.text for m in history.messages) == sorted(f"c{i}" for i in range(50))
    assert await count_rows(db, "salon-a") == 50


async def test_history_without_since_is_the_latest_oldest_first(db):
    """Without since: the latest N messages, oldest first, no gap."""
    store = MessageStore(db)
    for i in range(10):
        await append(store, "salon-a", f"m{i}")
    history = await store.history("salon-a", None, 4, 2000)
    assert [m.text for m in history.messages] == ["m6", "m7", "m8", "m9"]
    assert history.gap is False


async def test_history_since_gives_exactly_the_later_messages(db):
    """With since=k: exactly the messages after k, however many, no gap."""
    store = MessageStore(db)
    for i in range(10):
        await append(store, "salon-a", f"m{i}")
    history = await store.history("salon-a", 3, 2, 2000)
    assert [m.seq for m in history.messages] == list(range(4, 11))
    assert history.gap is False
    assert (await store.history("salon-a", 10, 2, 2000)).messages == []


async def test_history_since_beyond_the_last_id_is_a_gap(db):
    """A since past the room's last id is unknown: the latest, with a gap."""
    store = MessageStore(db)
    for i in range(3):
        await append(store, "salon-a", f"m{i}")
    history = await store.history("salon-a", 99, 2, 2000)
    assert [m.seq for m in history.messages] == [2, 3]
    assert history.gap is True


async def test_history_since_with_too_much_missed_is_a_gap(db):
    """When more than resume_max messages were missed, the latest come with a gap."""
    store = MessageStore(db)
    for i in range(6):
        await append(store, "salon-a", f"m{i}")
    history = await store.history("salon-a", 1, 2, 3)
    assert [m.seq for m in history.messages] == [5, 6]
    assert history.gap is True


async def test_history_of_an_unknown_room_is_empty(db):
    """A room that does not exist has no history."""
    history = await MessageStore(db).history("nowhere", None, 10, 2000)
    assert history.messages == [] and history.gap is False


async def test_erase_session_deletes_only_that_session_everywhere(db):
    """erase_session removes the session's messages in every room and says which ones."""
    store = MessageStore(db)
    a1 = await append(store, "salon-a", "mine", session="me")
    await append(store, "salon-a", "theirs", session="them")
    a3 = await append(store, "salon-a", "mine again", session="me")
    b1 = await append(store, "salon-b", "mine there", session="me")
    removed = await store.erase_session("me")
    assert removed == {"salon-a": [a1.seq, a3.seq], "salon-b": [b1.seq]}
    assert [m.text for m in (await store.history("salon-a", None, 10, 2000)).messages] == ["theirs"]
    assert await count_rows(db, "salon-b") == 0
    assert await store.get("salon-a", a1.seq) is None
    assert await store.erase_session("me") == {}


async def test_ids_are_not_reused_after_erasure(db):
    """Erased messages do not free their ids: the next message gets a new, higher id."""
    store = MessageStore(db)
    await append(store, "salon-a", "one", session="me")
    await append(store, "salon-a", "two", session="me")
    await store.erase_session("me")
    assert (await append(store, "salon-a", "three")).id == format_message_id(3)


async def test_purge_expired_deletes_what_is_past_each_rooms_retention(db):
    """purge_expired with a later `now` really deletes rows older than each room's retention."""
    store = MessageStore(db)
    old_a = await append(store, "salon-a", "old a", at=NOW)
    new_a = await append(store, "salon-a", "new a", at=NOW + timedelta(minutes=50))
    old_b = await append(store, "salon-b", "old b", at=NOW)
    removed = await store.purge_expired(NOW + timedelta(hours=1, seconds=1))
    assert removed == {"salon-a": [old_a.seq], "salon-b": [old_b.seq]}
    assert await store.get("salon-a", old_a.seq) is None
    assert await store.get("salon-a", new_a.seq) is not None
    assert await count_rows(db, "salon-a") == 1
    assert await count_rows(db, "salon-b") == 0
    assert await store.purge_expired(NOW + timedelta(hours=1, seconds=1)) == {}


async def test_purge_keeps_what_is_within_retention(db):
    """A purge at a moment within retention deletes nothing."""
    store = MessageStore(db)
    await append(store, "salon-a", "recent", at=NOW)
    await append(store, "salon-b", "recent", at=NOW)
    assert await store.purge_expired(NOW + timedelta(seconds=59)) == {}
    assert await count_rows(db, "salon-a") == 1 and await count_rows(db, "salon-b") == 1


async def test_a_resume_from_before_a_purge_is_a_gap(db):
    """History since an id older than the purge horizon reports a gap; since the newest purged id does not."""
    store = MessageStore(db)
    first = await append(store, "salon-b", "old 1", at=NOW)
    second = await append(store, "salon-b", "old 2", at=NOW)
    kept = await append(store, "salon-b", "new", at=NOW + timedelta(seconds=30))
    await store.purge_expired(NOW + timedelta(seconds=61))
    history = await store.history("salon-b", first.seq, 10, 2000)
    assert history.gap is True
    assert [m.seq for m in history.messages] == [kept.seq]
    history = await store.history("salon-b", second.seq, 10, 2000)
    assert history.gap is False
    assert [m.seq for m in history.messages] == [kept.seq]
