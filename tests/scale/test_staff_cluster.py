"""The admin console across processes: a change made on one process is live on the others."""

from __future__ import annotations

import httpx
import pytest

from tests.admin.conftest import PASSWORD, add_account, hello
from tests.scale.conftest import Cluster

pytestmark = [pytest.mark.asyncio, pytest.mark.redis, pytest.mark.postgres]

ROOM = "salon-test"


async def login(base: str, username: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_console_edit_on_one_process_reaches_members_on_another(cluster: Cluster) -> None:
    """PATCH on process A: a member on process B gets room_info; archive: left with reason archived."""
    local = await cluster.local()
    remote = await cluster.spawn()
    await add_account(local, "chef", "admin", None)
    boss = await login(local.http, "chef")
    peer = await remote.peer()
    await peer.join(ROOM)
    async with httpx.AsyncClient(base_url=local.http, headers=boss) as client:
        edited = await client.patch(f"/api/admin/rooms/{ROOM}", json={"charter": "1. Nouvelle charte."})
        assert edited.status_code == 200
        assert (await peer.expect("room_info", room=ROOM))["room_info"]["charter"] == "1. Nouvelle charte."
        assert (await client.post(f"/api/admin/rooms/{ROOM}/archive")).status_code == 200
    assert (await peer.expect("left", room=ROOM))["reason"] == "archived"
    async with httpx.AsyncClient(base_url=remote.http) as client:
        assert ROOM not in {r["slug"] for r in (await client.get("/api/rooms")).json()}


async def test_disabling_on_one_process_closes_websockets_on_another(cluster: Cluster) -> None:
    """A helper logged in through A and connected to B is cut off (4001) as soon as A disables them."""
    local = await cluster.local()
    remote = await cluster.spawn()
    await add_account(local, "chef", "admin", None)
    await add_account(local, "alice", rooms=frozenset({ROOM}))
    boss = await login(local.http, "chef")
    alice = (await login(local.http, "alice"))["Authorization"].removeprefix("Bearer ")
    ws = await remote.peer(token=alice)
    assert ws.welcome["role"] == "helper"
    async with httpx.AsyncClient(base_url=local.http, headers=boss) as client:
        assert (await client.post("/api/admin/accounts/alice/disable")).status_code == 200
    assert await ws.closed(timeout=3) == 4001
    _, answer = await hello(local, alice)
    assert answer["code"] == "bad_token"
