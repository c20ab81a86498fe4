"""Helpers for the staff tests: accounts made through the services, logins over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from moderation.audit import Actor
from rooms.config import DatabaseConfig
from rooms.db import make_engine
from tests.conftest import Peer, Server
from web.auth import COOKIE

PASSWORD = "correct horse battery staple"
SETUP = Actor("test-setup", "system")


@dataclass
class Staff:
    """A logged-in helper or admin, as the login answered."""

    username: str
    token: str
    csrf: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def cookie(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.token}"}


async def add_account(
    server: Server, username: str, role: str = "helper", rooms: frozenset[str] | None = frozenset(),
    password: str = PASSWORD,
) -> None:
    staff = server.services.staff
    assert staff is not None
    await staff.service.add_account(SETUP, username, password, role, None if role == "admin" else rooms)


async def post_login(server: Server, username: str, password: str = PASSWORD, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http) as client:
        return await client.post("/api/login", json={"username": username, "password": password}, **kwargs)


async def log_in(server: Server, username: str, password: str = PASSWORD) -> Staff:
    response = await post_login(server, username, password)
    assert response.status_code == 200, response.text
    body = response.json()
    return Staff(username, body["token"], body["csrf"], body)


async def staff_member(
    server: Server, username: str, role: str = "helper", rooms: frozenset[str] | None = frozenset()
) -> Staff:
    await add_account(server, username, role, rooms)
    return await log_in(server, username)


async def helper_on_duty(server: Server, room: str, username: str = "alice") -> Peer:
    """A helper of `room`, connected and on duty for it."""
    staff = await staff_member(server, username, rooms=frozenset({room}))
    helper = await server.peer(token=staff.token)
    await helper.request({"type": "duty", "on": True, "rooms": [room], "ref": "d"}, "duty")
    return helper


async def admin(server: Server, username: str = "admin") -> Staff:
    return await staff_member(server, username, "admin", None)


async def call(
    server: Server, method: str, path: str, who: Staff | None = None, **kwargs: Any
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if who is not None:
        headers.update(who.bearer)
    async with httpx.AsyncClient(base_url=server.http, follow_redirects=False) as client:
        return await client.request(method, path, headers=headers, **kwargs)


async def hello(server: Server, token: str | None) -> tuple[Peer, dict[str, Any]]:
    """A websocket that said hello with `token`; its first answer (welcome or error)."""
    peer = Peer(await server.connect())
    await peer.send({"type": "hello", "token": token, "locale": "fr"})
    return peer, await peer.recv()


async def sql(server: Server, statement: Any) -> None:
    """Change the server's database behind its back (what only time would do otherwise)."""
    engine = make_engine(DatabaseConfig.from_url(server.config.database.url))
    try:
        async with engine.begin() as connection:
            await connection.execute(statement)
    finally:
        await engine.dispose()
