"""Disabling an account ends its logins at once: live websockets close (4001), tokens stop working."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.admin.conftest import admin, call, hello, log_in, post_login, staff_member
from tests.conftest import base_config, test_room

pytestmark = pytest.mark.asyncio

ROOMS = [*base_config()["room"], test_room()]
ENTRAIDE = Path(sys.executable).with_name("entraide")
ROOT = Path(__file__).resolve().parents[2]


async def test_disabling_a_helper_closes_their_websockets_and_tokens(server_factory, database_url):
    """The admin disables alice: her live websocket closes with 4001, her token opens nothing."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server)
    alice = await staff_member(server, "alice", rooms=frozenset({"salon-test"}))
    second_login = await log_in(server, "alice")
    peer, welcome = await hello(server, alice.token)
    other_tab, _ = await hello(server, second_login.token)
    assert welcome["role"] == "helper"
    await peer.join("salon-test")

    response = await call(server, "POST", "/api/admin/accounts/alice/disable", boss, json={"reason": "départ"})
    assert response.status_code == 200 and response.json()["disabled"] is True

    assert await peer.closed(timeout=2) == 4001
    assert await other_tab.closed(timeout=2) == 4001
    for token in (alice.token, second_login.token):
        again, answer = await hello(server, token)
        assert answer == {"type": "error", "code": "bad_token", "message": answer["message"]}
        assert await again.closed() == 4001
    assert (await call(server, "GET", "/api/me", alice)).status_code == 401
    assert (await post_login(server, "alice")).status_code == 401


async def test_the_last_admin_cannot_be_disabled(server):
    """Disabling the only active admin would lock everyone out: 409 last_admin."""
    boss = await admin(server)
    response = await call(server, "POST", "/api/admin/accounts/admin/disable", boss)
    assert (response.status_code, response.json()["error"]) == (409, "last_admin")


async def test_disabling_from_the_command_line_reaches_live_websockets(server_factory, tmp_path):
    """`entraide user disable` in another process: the server closes her websockets at its next check."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    server = await server_factory(
        rooms=ROOMS, database_url=url, overrides={"accounts": {"staff_check_interval_s": 0.2}},
    )
    alice = await staff_member(server, "alice", rooms=frozenset({"salon-test"}))
    peer, welcome = await hello(server, alice.token)
    assert welcome["role"] == "helper"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("ENTRAIDE_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        str(ENTRAIDE), "user", "disable", "alice", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert await peer.closed(timeout=3) == 4001
    _, answer = await hello(server, alice.token)
    assert answer["code"] == "bad_token"
