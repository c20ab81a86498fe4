"""Several Entraide processes sharing one Redis and one PostgreSQL, as a deployment runs.

`cluster` starts real `entraide serve` processes (`python -m web.cli serve`) on free ports,
plus, when asked, one server inside the test's own process so that a test can reach its
services (a kick, a settings change) the way moderation and the admin console will.
`own_redis` is a Redis server of the test's own, on its own port, that a test may stop and
start again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tomllib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import tomli_w
from websockets.asyncio.client import connect

from tests.conftest import Peer, Server, ServerFactory, base_config, free_port, merge, test_room

REDIS_URL = os.environ.get("ENTRAIDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]


def scale_config(prefix: str, **overrides: Any) -> dict[str, Any]:
    """Shipped config, this test's Redis prefix, quick heartbeats (3 s presence expiry), the test room."""
    rooms = overrides.pop("room", [test_room()])
    raw = merge(base_config(), {
        "redis": {"prefix": prefix, "presence_ttl_s": 3.0, "backoff_cap_s": 1.0},
        "chat": {"heartbeat_s": 0.5, "presence_interval_s": 0.2},
    })
    raw = merge(raw, overrides)
    raw["room"] = [*base_config()["room"], *rooms]
    return raw


@dataclass
class Process:
    """An `entraide serve` process."""

    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    clients: list[Any] = field(default_factory=list)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def peer(self, locale: str = "fr", token: str | None = None) -> Peer:
        ws = await connect(f"ws://127.0.0.1:{self.port}/ws", compression=None)
        self.clients.append(ws)
        peer = Peer(ws)
        peer.welcome = await peer.request({"type": "hello", "token": token, "locale": locale}, "welcome")
        return peer

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def wait_healthy(url: str, timeout: float = 30.0, expect: int = 200) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz", timeout=2)).status_code == expect:
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url}/healthz did not answer {expect} within {timeout} s")
            await asyncio.sleep(0.1)


@pytest_asyncio.fixture
async def redis_url() -> AsyncIterator[str]:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc} (make test starts it)")
    finally:
        await client.aclose()
    yield REDIS_URL


@dataclass
class Cluster:
    tmp: Path
    database_url: str
    redis_url: str
    prefix: str
    factory: ServerFactory
    processes: list[Process] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)

    def config(self, **overrides: Any) -> dict[str, Any]:
        return scale_config(self.prefix, **overrides)

    async def spawn(self, redis_url: str | None = None, **overrides: Any) -> Process:
        """A separate `entraide serve` process on a free port."""
        port = free_port()
        path = self.tmp / f"config-{port}.toml"
        path.write_text(tomli_w.dumps(self.config(**overrides)), encoding="utf-8")
        tomllib.loads(path.read_text(encoding="utf-8"))  # what we wrote must be what we meant
        log = self.tmp / f"serve-{port}.log"
        env = {
            **os.environ, "ENTRAIDE_CONFIG": str(path), "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url or self.redis_url, "PYTHONUNBUFFERED": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        process = Process(port, popen, log)
        self.processes.append(process)
        try:
            await wait_healthy(process.http)
        except TimeoutError:
            raise AssertionError(f"entraide serve did not start:\n{process.output()}") from None
        return process

    async def local(self, redis_url: str | None = None, **overrides: Any) -> Server:
        """A server inside the test's process, sharing the same Redis and database."""
        config = self.config(**overrides)
        server = await self.factory(
            overrides=config, rooms=config["room"], database_url=self.database_url,
            environ={"REDIS_URL": redis_url or self.redis_url},
        )
        self.servers.append(server)
        return server


@pytest_asyncio.fixture
async def cluster(
    tmp_path: Path, postgres_url: str, redis_url: str, server_factory: ServerFactory,
) -> AsyncIterator[Cluster]:
    running = Cluster(tmp_path, postgres_url, redis_url, f"t{uuid.uuid4().hex[:10]}", server_factory)
    yield running
    for process in running.processes:
        for ws in process.clients:
            with contextlib.suppress(Exception):
                await ws.close()
        if process.popen.poll() is None:
            process.popen.terminate()
            try:
                process.popen.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class OwnRedis:
    """A redis-server of this test's own, which it may stop and start again on the same port."""

    port: int
    folder: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (make test installs it)")
        self.popen = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = aioredis.Redis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(Exception):
                    if await client.ping():
                        return
                await asyncio.sleep(0.05)
            raise TimeoutError("own redis-server did not start")
        finally:
            await client.aclose()

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self.popen = None


@pytest_asyncio.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[OwnRedis]:
    server = OwnRedis(free_port(), tmp_path)
    await server.start()
    yield server
    server.stop()
