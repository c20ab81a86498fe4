"""Privacy of the server's own output: no address, query string, user agent or message text."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.conftest import free_port

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]
ENTRAIDE = Path(sys.executable).with_name("entraide")


async def wait_for_health(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            assert process.returncode is None, "the server stopped during start-up"
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not start")


async def test_the_server_logs_no_personal_data(tmp_path):
    """`entraide serve` output holds no client address, query string, user agent or message text."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("ENTRAIDE_CONFIG", "REDIS_URL")},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}",
        "PYTHONUNBUFFERED": "1",
    }
    process = await asyncio.create_subprocess_exec(
        str(ENTRAIDE), "serve", "--port", str(port), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output = b""
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_for_health(base, process)
        async with connect(
            f"ws://127.0.0.1:{port}/ws?secret=QUERYSTRING", user_agent_header="UA-MARKER", compression=None,
        ) as ws:
            await ws.send(json.dumps({"type": "hello", "token": None, "locale": "fr"}))
            assert json.loads(await ws.recv())["type"] == "welcome"
            await ws.send(json.dumps({"type": "join", "room": "anxiete", "ref": "j"}))
            assert json.loads(await ws.recv())["type"] == "joined"
            await ws.send(json.dumps({"type": "say", "room": "anxiete", "text": "TEXT-MARKER-42", "ref": "s"}))
            while (frame := json.loads(await ws.recv()))["type"] != "message":
                assert frame["type"] != "error", frame
            await ws.send(json.dumps({"type": "nope", "ref": "TEXT-MARKER-ref"}))
            assert json.loads(await ws.recv())["code"] == "unknown_type"
        with pytest.raises(InvalidStatus):  # a refused upgrade is logged too
            await connect(
                f"ws://127.0.0.1:{port}/ws?secret=QUERYSTRING", origin=Origin("http://evil.example"),
                user_agent_header="UA-MARKER",
            )
        async with httpx.AsyncClient(base_url=base, headers={"User-Agent": "UA-MARKER"}) as client:
            assert (await client.get("/api/rooms?x=QUERYSTRING")).status_code == 200
            assert (await client.get("/r/unknown?x=QUERYSTRING")).status_code == 404
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        try:
            output, _ = await asyncio.wait_for(process.communicate(), 15)
        except TimeoutError:
            process.kill()
            output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert "/api/rooms" in text, text  # the access log is there, so the output was captured
    assert '"WebSocket /ws" [accepted]' in text, text
    assert '"WebSocket /ws" 403' in text, text
    for marker in ("127.0.0.1", "QUERYSTRING", "UA-MARKER", "TEXT-MARKER"):
        assert marker not in text, f"{marker!r} appears in the server output:\n{text}"
