"""The websocket endpoint `/ws`: check the Origin, accept, hand the socket to the hub."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from starlette.websockets import WebSocket, WebSocketDisconnect

from chat.connection import Connection
from chat.endpoint import serve_connection
from web.auth import COOKIE
from web.services import Services

__all__ = ["StarletteTransport", "origin_allowed", "websocket_endpoint"]


def origin_allowed(origin: str | None, scheme: str, host: str | None, allowed: Sequence[str]) -> bool:
    """Protocol §Transport: no Origin (not a browser), the request's own origin, or a listed one."""
    if origin is None:
        return True
    origin = origin.rstrip("/").lower()
    if origin == "null":
        return False
    if host and origin == f"{'https' if scheme in ('wss', 'https') else 'http'}://{host.lower()}":
        return True
    return origin in (o.lower() for o in allowed)


class StarletteTransport:
    """Starlette's websocket seen as the hub's `Transport`."""

    __slots__ = ("_ws",)

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return None
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def send_text(self, text: str) -> None:
        # The ASGI message itself: the fan-out calls this once per recipient.
        await self._ws.send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str = "") -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await self._ws.close(code, reason)


async def websocket_endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    if not origin_allowed(
        ws.headers.get("origin"), ws.url.scheme, ws.headers.get("host"),
        services.config.server.allowed_origins,
    ):
        await ws.close(code=1008)  # before accept: the server answers the upgrade with 403
        return
    await ws.accept()
    conn = Connection(
        StarletteTransport(ws), services.config.chat.send_queue_size, on_overflow=services.hub.metrics.overflows.inc,
    )
    try:
        await serve_connection(services.hub, conn, staff_token=ws.cookies.get(COOKIE))
    finally:
        await conn.finish()
