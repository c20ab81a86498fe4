"""Shared fixtures: real servers (uvicorn on a free port), real databases, real websockets.

`server_factory` starts the real application under uvicorn on 127.0.0.1:0 inside the test's
event loop, so a test can also reach the running services (`server.services`) to set up what
no peer frame can (a mute, a clock), while every client talks over a real websocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import tomllib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect

from chat.sessions import hash_token
from web.app import create_app
from web.config import DEFAULT_CONFIG, AppConfig
from web.database import upgrade
from web.services import Services

PG_URL = os.environ.get("ENTRAIDE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def base_config() -> dict[str, Any]:
    """The shipped config.toml, as the tests start from it."""
    return tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def test_room(slug: str = "salon-test", **overrides: Any) -> dict[str, Any]:
    room: dict[str, Any] = {
        "slug": slug, "title": f"Salon {slug}", "description": "Un salon pour les tests.",
        "charter": "1. Bienveillance.", "lang": "fr",
    }
    room.update(overrides)
    return room


def bulky(n: int, length: int = 9_800) -> str:
    """A long message, different for each n, that no check takes for spam (every word is new)."""

    def letters(value: int) -> str:
        out = ""
        while True:
            value, digit = divmod(value, 20)
            out += "bcdfghjklmnpqrstvwxz"[digit]
            if not value:
                return out

    words: list[str] = []
    size = k = 0
    while size < length:
        word = f"{letters(n)}a{letters(k)}e"
        words.append(word)
        size += len(word) + 1
        k += 1
    return " ".join(words)[:length]


test_room.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def merge(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(raw)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Server:
    """A running Entraide server."""

    app: Any
    port: int
    config: AppConfig
    uvicorn: uvicorn.Server
    clients: list[ClientConnection] = field(default_factory=list)

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def connect(self, **kwargs: Any) -> ClientConnection:
        ws = await connect(self.ws_url, compression=None, max_size=2**22, **kwargs)
        self.clients.append(ws)
        return ws

    async def session_id(self, token: str) -> str:
        """The id of a token's session, read where the server keeps it (only the token's hash)."""
        async with self.services.engine.connect() as db:
            row = await db.execute(
                text("SELECT id FROM peer_sessions WHERE token_hash = :h"), {"h": hash_token(token)},
            )
            return str(row.scalar_one())

    async def peer(self, locale: str = "fr", token: str | None = None) -> Peer:
        ws = await self.connect()
        peer = Peer(ws)
        peer.welcome = await peer.request({"type": "hello", "token": token, "locale": locale}, "welcome")
        return peer


class Peer:
    """A websocket client that speaks the protocol, with helpers to wait for frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []

    @property
    def token(self) -> str:
        return str(self.welcome["token"])

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The next frame of this type (and these field values); other frames are skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame.get("type") == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def request(self, frame: dict[str, Any], kind: str, timeout: float = 5.0) -> dict[str, Any]:
        await self.send(frame)
        return await self.expect(kind, timeout)

    async def join(self, room: str, **fields: Any) -> dict[str, Any]:
        ref = f"join-{uuid.uuid4().hex[:6]}"
        await self.send({"type": "join", "room": room, "ref": ref, **fields})
        frame = await self.reply(ref)
        assert frame["type"] == "joined", frame
        return frame

    async def reply(self, ref: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame carrying this ref (ack, error, joined…)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if frame.get("ref") == ref:
                return frame

    async def say(self, room: str, text: str, **fields: Any) -> dict[str, Any]:
        ref = f"say-{uuid.uuid4().hex[:6]}"
        await self.send({"type": "say", "room": room, "text": text, "ref": ref, **fields})
        return await self.reply(ref)

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes; the close code."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                async for _ in self.ws:
                    pass
        return self.ws.close_code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'entraide.db'}"


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"entraide_t_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_URL)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc} (make test starts it)")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        with contextlib.suppress(Exception):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both embedded SQLite and real PostgreSQL: storage behaviour must not depend on which."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


ServerFactory = Callable[..., Awaitable[Server]]


@pytest_asyncio.fixture
async def server_factory(sqlite_url: str) -> AsyncIterator[ServerFactory]:
    started: list[Server] = []

    async def start(
        overrides: dict[str, Any] | None = None, rooms: list[dict[str, Any]] | None = None,
        database_url: str | None = None, environ: dict[str, str] | None = None,
    ) -> Server:
        raw = merge(base_config(), overrides or {})
        if rooms is not None:
            raw["room"] = rooms
        env = {"DATABASE_URL": database_url or sqlite_url, **(environ or {})}
        config = AppConfig.from_mapping(raw, env)
        await asyncio.to_thread(upgrade, config.database.url)
        app = create_app(config)
        server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=0, ws="websockets-sansio", ws_max_size=config.server.ws_max_size,
            ws_per_message_deflate=False, lifespan="on", log_config=None, access_log=False,
            ws_ping_interval=config.server.ws_ping_interval_s, ws_ping_timeout=config.server.ws_ping_timeout_s,
        ))
        task = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        running = Server(app, port, config, server)
        running.task = task  # type: ignore[attr-defined]
        started.append(running)
        return running

    yield start
    for running in started:
        for ws in running.clients:
            with contextlib.suppress(Exception):
                await ws.close()
        running.uvicorn.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running.task, 10)  # type: ignore[attr-defined]


@pytest_asyncio.fixture
async def server(server_factory: ServerFactory) -> Server:
    """The shipped configuration plus one always-open test room, on SQLite."""
    return await server_factory(rooms=[*base_config()["room"], test_room()])
