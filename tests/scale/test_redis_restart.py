"""Redis goes away in the middle of a conversation and comes back: nothing acknowledged is lost.

The test runs a Redis server of its own, on its own port, and two Entraide processes on it.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.scale.conftest import Cluster, OwnRedis, wait_healthy
from tests.scale.test_cluster import ROOM, all_messages

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]


async def test_a_redis_restart_loses_no_acknowledged_message_and_shows_none_twice(
    cluster: Cluster, own_redis: OwnRedis,
) -> None:
    """Messages acknowledged while Redis is down reach the other process once it is back, in order, once."""
    one = await cluster.spawn(redis_url=own_redis.url)
    two = await cluster.spawn(redis_url=own_redis.url)
    writer, reader = await one.peer(), await two.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    acked = [(await writer.say(ROOM, "avant la panne"))["id"]]
    await reader.expect("message", text="avant la panne")

    own_redis.stop()
    await wait_healthy(one.http, timeout=10, expect=503)
    await wait_healthy(two.http, timeout=10, expect=503)
    for i in range(3):
        ack = await writer.say(ROOM, f"pendant la panne {i}")
        assert ack["type"] == "ack", ack
        acked.append(ack["id"])

    await own_redis.start()
    await wait_healthy(one.http, timeout=20)
    await wait_healthy(two.http, timeout=20)
    acked.append((await writer.say(ROOM, "après la panne"))["id"])

    seen = [m["id"] for m in await all_messages(reader, len(acked), timeout=15)]
    assert seen == acked  # every acknowledged message, in id order, none twice
    await asyncio.sleep(1)  # and nothing more trickles in later
    assert [m["id"] for m in reader.seen if m.get("type") == "message"] == acked


async def test_a_peer_resuming_after_the_outage_gets_no_duplicate(cluster: Cluster, own_redis: OwnRedis) -> None:
    """A reader that reconnects with `since` after the outage gets exactly what it had not seen."""
    one = await cluster.spawn(redis_url=own_redis.url)
    two = await cluster.spawn(redis_url=own_redis.url)
    writer, reader = await one.peer(), await two.peer()
    await writer.join(ROOM)
    await reader.join(ROOM)
    first = (await writer.say(ROOM, "un"))["id"]
    await reader.expect("message", text="un")
    own_redis.stop()
    missed = [(await writer.say(ROOM, f"pendant {i}"))["id"] for i in range(2)]
    await reader.ws.close()
    await own_redis.start()
    await wait_healthy(two.http, timeout=20)
    back = await two.peer(token=reader.token)
    resumed = await back.join(ROOM, since=first)
    assert [m["id"] for m in resumed["history"]] == missed and resumed["gap"] is False
