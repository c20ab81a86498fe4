"""`entraide user ...` end to end: real subprocesses on a temporary database, then a real server."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.admin.conftest import PASSWORD, call, post_login
from tests.conftest import base_config

pytestmark = pytest.mark.asyncio

ENTRAIDE = Path(sys.executable).with_name("entraide")
ROOT = Path(__file__).resolve().parents[2]


async def entraide(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    env = {**{k: v for k, v in os.environ.items() if k not in ("ENTRAIDE_CONFIG", "REDIS_URL")}, "DATABASE_URL": url}
    process = await asyncio.create_subprocess_exec(
        str(ENTRAIDE), *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(None if stdin is None else stdin.encode()), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"


async def test_user_add_makes_a_helper_who_can_log_in(url, server_factory):
    """`user add alice --role helper --rooms anxiete,deuil --password-stdin`, then a login on the server."""
    code, _, err = await entraide(
        url, "user", "add", "alice", "--role", "helper", "--rooms", "anxiete,deuil", "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert "alice" in err
    server = await server_factory(database_url=url)
    response = await post_login(server, "alice")
    assert response.status_code == 200
    assert response.json()["rooms"] == ["anxiete", "deuil"] and response.json()["role"] == "helper"


async def test_user_add_makes_an_admin(url, server_factory):
    """An admin made at the command line can use the console API."""
    code, _, err = await entraide(url, "user", "add", "chef", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 0, err
    server = await server_factory(database_url=url)
    token = (await post_login(server, "chef")).json()["token"]
    response = await call(server, "GET", "/api/admin/rooms", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert {r["slug"] for r in response.json()} >= {r["slug"] for r in base_config()["room"]}


async def test_user_add_refuses_a_short_password(url):
    """Fewer than 12 characters: refused, with a message in French and English, and no account."""
    code, _, err = await entraide(url, "user", "add", "alice", "--role", "helper", "--password-stdin", stdin="court\n")
    assert code == 1
    assert "12" in err and "password" in err
    code, out, _ = await entraide(url, "user", "list")
    assert code == 0 and "alice" not in out


async def test_user_add_refuses_an_unknown_room(url):
    """A room slug that does not exist is refused and named."""
    code, _, err = await entraide(
        url, "user", "add", "alice", "--role", "helper", "--rooms", "anxiete,nope", "--password-stdin", stdin=PASSWORD,
    )
    assert code == 1 and "nope" in err


async def test_user_add_refuses_a_taken_username(url):
    """The same username twice: the second is refused."""
    assert (await entraide(url, "user", "add", "alice", "--role", "helper", "--password-stdin", stdin=PASSWORD))[0] == 0
    code, _, err = await entraide(url, "user", "add", "Alice", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "taken" in err


async def test_user_add_without_a_password_source_refuses(url):
    """Without --password-stdin and without a terminal, nothing is created."""
    code, _, err = await entraide(url, "user", "add", "alice", "--role", "helper", stdin="")
    assert code == 2 and "--password-stdin" in err


async def test_user_list_and_disable(url, server_factory):
    """`user list` shows accounts and their state; `user disable` ends the account's logins."""
    await entraide(
        url, "user", "add", "alice", "--role", "helper", "--rooms", "all", "--password-stdin", stdin=PASSWORD,
    )
    await entraide(url, "user", "add", "chef", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    code, out, _ = await entraide(url, "user", "list")
    assert code == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in out.strip().splitlines()}
    assert lines["alice"][1:4] == ["helper", "all", "active"]
    assert lines["chef"][1:4] == ["admin", "all", "active"]
    server = await server_factory(database_url=url)
    token = (await post_login(server, "alice")).json()["token"]
    code, _, err = await entraide(url, "user", "disable", "alice", "--reason", "départ de l'équipe")
    assert code == 0, err
    assert (await call(server, "GET", "/api/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401
    code, out, _ = await entraide(url, "user", "list")
    assert "disabled" in next(line for line in out.splitlines() if line.startswith("alice"))


async def test_the_command_line_writes_the_audit_log(url, server_factory):
    """What the command line does is in the audit log, with the actor "cli" and the reason."""
    await entraide(url, "user", "add", "alice", "--role", "helper", "--password-stdin", stdin=PASSWORD)
    await entraide(url, "user", "add", "chef", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    await entraide(url, "user", "disable", "alice", "--reason", "fin de mission")
    server = await server_factory(database_url=url)
    token = (await post_login(server, "chef")).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    entries = (await call(server, "GET", "/api/admin/audit?actor=cli", headers=bearer)).json()
    actions = [(e["action"], e["target"], e["reason"]) for e in entries]
    assert ("account.disable", "alice", "fin de mission") in actions
    assert ("account.create", "alice", None) in actions and ("account.create", "chef", None) in actions
