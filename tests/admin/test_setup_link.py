"""The first admin: `entraide serve` on an empty database prints a one-time setup link, end to end."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from moderation.staff_models import SetupTokenRow
from tests.admin.conftest import PASSWORD, sql
from tests.conftest import free_port

pytestmark = pytest.mark.asyncio

ENTRAIDE = Path(sys.executable).with_name("entraide")
ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"(http://\S+)/setup#([A-Za-z0-9_-]{43})")


class Running:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self.output = ""

    async def read_until_ready(self) -> None:
        """Read stderr until the server answers /healthz (the setup link comes before)."""
        assert self.process.stderr is not None
        async with httpx.AsyncClient(base_url=self.base) as client:
            for _ in range(400):
                with contextlib.suppress(TimeoutError):
                    line = await asyncio.wait_for(self.process.stderr.readline(), 0.05)
                    self.output += line.decode()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
            raise AssertionError(f"the server did not start:\n{self.output}")


@contextlib.asynccontextmanager
async def serve(url: str) -> AsyncIterator[Running]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k not in ("ENTRAIDE_CONFIG", "REDIS_URL")},
           "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        str(ENTRAIDE), "serve", "--port", str(port), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    running = Running(process, port)
    try:
        await running.read_until_ready()
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        with contextlib.suppress(TimeoutError):
            _, rest = await asyncio.wait_for(process.communicate(), 15)
            running.output += rest.decode() if rest else ""
        if process.returncode is None:
            process.kill()
            await process.wait()


def link_in(output: str) -> tuple[str, str]:
    match = LINK.search(output)
    assert match is not None, f"no setup link in:\n{output}"
    return match.group(1), match.group(2)


async def test_serve_prints_a_setup_link_that_makes_the_first_admin(tmp_path):
    """Empty database: a link on the console; opening it lets the first admin choose a name and password."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}"
    async with serve(url) as server:
        origin, token = link_in(server.output)
        assert origin.startswith("http://localhost:")
        line = next(line for line in server.output.splitlines() if "/setup#" in line)
        assert " INFO " not in line and " WARNING " not in line  # printed, not logged
        async with httpx.AsyncClient(base_url=server.base) as client:
            assert (await client.get("/setup")).status_code == 200
            assert (await client.post("/api/setup/check", json={"token": token})).json() == {"valid": True}
            form = {"token": token, "username": "Camille", "password": PASSWORD}
            created = await client.post("/api/setup", json=form)
            assert created.status_code == 201, created.text
            assert created.json()["role"] == "admin" and created.json()["username"] == "camille"
            assert "entraide_staff=" in created.headers["set-cookie"]
            # Logged in at once: the console opens with the cookie.
            assert (await client.get("/admin")).status_code == 200
            # The link worked once.
            again = await client.post("/api/setup", json={"token": token, "username": "other", "password": PASSWORD})
            assert (again.status_code, again.json()["error"]) == (403, "invalid_link")
            assert (await client.post("/api/setup/check", json={"token": token})).status_code == 403
        async with httpx.AsyncClient(base_url=server.base) as client:
            login = await client.post("/api/login", json={"username": "camille", "password": PASSWORD})
            assert login.status_code == 200 and login.json()["role"] == "admin"
    # With an admin, a restart prints no link.
    async with serve(url) as server:
        assert "/setup#" not in server.output


async def test_only_the_latest_setup_link_works(tmp_path):
    """Each start without an admin prints a new link; the earlier one stops working."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}"
    async with serve(url) as first:
        _, old = link_in(first.output)
    async with serve(url) as second:
        _, new = link_in(second.output)
        assert new != old
        async with httpx.AsyncClient(base_url=second.base) as client:
            assert (await client.post("/api/setup/check", json={"token": old})).status_code == 403
            refused = await client.post("/api/setup", json={"token": old, "username": "x-admin", "password": PASSWORD})
            assert refused.status_code == 403
            assert (await client.post("/api/setup/check", json={"token": new})).status_code == 200


async def test_the_setup_link_refuses_a_weak_password_and_stays_usable(tmp_path):
    """A refused form (short password, bad username) does not use the link up."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'setup.db'}"
    async with serve(url) as server:
        _, token = link_in(server.output)
        async with httpx.AsyncClient(base_url=server.base) as client:
            weak = await client.post("/api/setup", json={"token": token, "username": "camille", "password": "court"})
            assert (weak.status_code, weak.json()["error"]) == (400, "weak_password")
            bad = await client.post("/api/setup", json={"token": token, "username": "a b", "password": PASSWORD})
            assert (bad.status_code, bad.json()["error"]) == (400, "bad_username")
            ok = await client.post("/api/setup", json={"token": token, "username": "camille", "password": PASSWORD})
            assert ok.status_code == 201


async def test_the_setup_link_expires(server_factory):
    """A link older than setup_link_hours is refused."""
    server = await server_factory()
    staff = server.services.staff
    assert staff is not None
    token = await staff.service.new_setup_link()
    assert token is not None
    await sql(server, update(SetupTokenRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    async with httpx.AsyncClient(base_url=server.http) as client:
        response = await client.post("/api/setup", json={"token": token, "username": "camille", "password": PASSWORD})
    assert response.status_code == 403
