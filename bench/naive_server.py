"""The naive comparison: the obvious Starlette + Redis chat server, as one would write it first.

    REDIS_URL=redis://127.0.0.1:6379/15 python bench/naive_server.py --port 8200

The same wire subset as the load generator uses (hello → welcome, join → joined, say → ack
and a `message` to every member of the room, the sender included), run by uvicorn with
`ws="websockets-sansio"` in one process, like Entraide. What makes it naive:

- every connection that joins a room opens its **own Redis pub/sub subscription** (its own
  Redis connection) to the room's channel, and runs its own reader task on it;
- a `say` publishes the message dict as JSON to Redis; every subscriber's reader task then
  decodes it and **encodes it again for its recipient** (`websocket.send_json`);
- each reader task **awaits each send** before reading the next message, one after the other.

So a message to a room of N people costs N Redis deliveries, N JSON decodes and N JSON
encodes, where Entraide has one subscription per room per process and encodes once.

It has none of Entraide's features: no database (message ids come from a Redis `INCR` per
room so that every `say` does one Redis round trip before its ack, as Entraide does one
database write), no checks, no rate limits, no presence, no history.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
CHANNEL = "naive:room:"


def timestamp() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


async def follow(ws: WebSocket, pubsub: Any) -> None:
    """One connection's reader: every message of its room, decoded and re-encoded for it."""
    async for item in pubsub.listen():
        if item.get("type") != "message":
            continue
        await ws.send_json(json.loads(item["data"]))


async def endpoint(ws: WebSocket) -> None:
    client: redis.Redis = ws.app.state.redis
    await ws.accept()
    pseudonym = f"Pair {secrets.token_hex(3)}"
    readers: dict[str, tuple[Any, asyncio.Task[None]]] = {}
    try:
        while True:
            frame = await ws.receive_json()
            kind, ref = frame.get("type"), frame.get("ref")
            if kind == "hello":
                await ws.send_json({"type": "welcome", "token": secrets.token_urlsafe(24), "role": "peer",
                                    "locale": "fr", "ref": ref})
            elif kind == "join":
                room = str(frame.get("room"))
                if room not in readers:
                    pubsub = client.pubsub()
                    await pubsub.subscribe(CHANNEL + room)
                    readers[room] = (pubsub, asyncio.get_running_loop().create_task(follow(ws, pubsub)))
                await ws.send_json({"type": "joined", "room": room, "ref": ref, "pseudonym": pseudonym,
                                    "history": [], "presence": {"count": 0, "helpers": 0}, "gap": False})
            elif kind == "say":
                room = str(frame.get("room"))
                if room not in readers:
                    await ws.send_json({"type": "error", "code": "not_joined", "ref": ref})
                    continue
                mid = f"{await client.incr('naive:seq:' + room):012d}"
                await ws.send_json({"type": "ack", "ref": ref, "id": mid, "status": "published"})
                await client.publish(CHANNEL + room, json.dumps({
                    "type": "message", "room": room, "id": mid,
                    "author": {"pseudonym": pseudonym, "role": "peer"}, "text": frame.get("text"),
                    "cw": None, "ts": timestamp(),
                }))
            else:
                await ws.send_json({"type": "error", "code": "unknown_type", "ref": ref})
    except (WebSocketDisconnect, RuntimeError, ValueError):
        pass
    finally:
        for pubsub, task in readers.values():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            with contextlib.suppress(Exception):
                await pubsub.aclose()


async def healthz(request: Request) -> JSONResponse:
    client: redis.Redis = request.app.state.redis
    return JSONResponse({"status": "ok" if await client.ping() else "unavailable"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # One Redis connection per subscription: the pool must hold one per connection and more.
    app.state.redis = redis.from_url(REDIS_URL, max_connections=20_000)
    try:
        yield
    finally:
        await app.state.redis.aclose()


app = Starlette(routes=[Route("/healthz", healthz), WebSocketRoute("/ws", endpoint)], lifespan=lifespan)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="naive Starlette + Redis chat server (comparison)")
    parser.add_argument("--port", type=int, default=8200)
    port = parser.parse_args().port
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvicorn.run(app, host="127.0.0.1", port=port, ws="websockets-sansio", ws_max_size=16_384,
                ws_per_message_deflate=False, access_log=False, log_level="warning", backlog=4096)
