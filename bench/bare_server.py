"""The ceiling reference: a bare `websockets`-library broadcast server, nothing else.

    python bench/bare_server.py --port 8300

Speaks the subset of the protocol the load generator uses (hello → welcome, join → joined,
say → ack + message to every member of the room, the sender included) with none of
Entraide's features: no storage, no checks, no presence, no rate limits, no second
process. A message is encoded once and handed to `websockets.broadcast`, which writes the
same frame to every member's transport without awaiting anything. What this reaches on a
core is what the websocket layer itself allows in Python on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import secrets
import signal
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOMS: dict[str, set[ServerConnection]] = {}
_IDS = itertools.count(1)


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


async def handler(ws: ServerConnection) -> None:
    joined: set[str] = set()
    pseudonym = f"Pair {secrets.token_hex(3)}"
    try:
        async for raw in ws:
            try:
                frame = json.loads(raw)
            except ValueError:
                await ws.send(encode({"type": "error", "code": "bad_json"}))
                continue
            kind, ref = frame.get("type"), frame.get("ref")
            if kind == "hello":
                await ws.send(encode({"type": "welcome", "token": secrets.token_urlsafe(24), "role": "peer",
                                      "locale": "fr", "ref": ref}))
            elif kind == "join":
                room = str(frame.get("room"))
                ROOMS.setdefault(room, set()).add(ws)
                joined.add(room)
                await ws.send(encode({"type": "joined", "room": room, "ref": ref, "pseudonym": pseudonym,
                                      "history": [], "presence": {"count": len(ROOMS[room]), "helpers": 0},
                                      "gap": False}))
            elif kind == "say":
                room = str(frame.get("room"))
                if room not in joined:
                    await ws.send(encode({"type": "error", "code": "not_joined", "ref": ref}))
                    continue
                mid = f"{next(_IDS):012d}"
                await ws.send(encode({"type": "ack", "ref": ref, "id": mid, "status": "published"}))
                now = datetime.now(UTC)
                message = encode({
                    "type": "message", "room": room, "id": mid,
                    "author": {"pseudonym": pseudonym, "role": "peer"}, "text": frame.get("text"),
                    "cw": None, "ts": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                })
                broadcast(ROOMS[room], message)
            else:
                await ws.send(encode({"type": "error", "code": "unknown_type", "ref": ref}))
    finally:
        for room in joined:
            ROOMS[room].discard(ws)


async def main(port: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, max_size=16_384, compression=None, backlog=4096):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bare websockets broadcast server (ceiling reference)")
    parser.add_argument("--port", type=int, default=8300)
    asyncio.run(main(parser.parse_args().port))
