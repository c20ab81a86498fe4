"""One websocket's life: hello within the deadline, then frames until it goes.

Transport-agnostic: the web layer hands over a `Transport` (Starlette's websocket adapted)
and this loop speaks the protocol of `protocol.md` §1 and §9 around the hub.
"""

from __future__ import annotations

import asyncio
import logging

from chat.connection import Connection
from chat.errors import ChatError, CloseError, FrameError, RequestError
from chat.hub import CLOSE_FLOODING, Hub
from chat.protocol import Hello, decode_inbound
from chat.ratelimit import TokenBucket, WindowCounter
from chat.sessions import Session

__all__ = ["CLOSE_BAD_TOKEN", "CLOSE_NO_HELLO", "serve_connection"]

log = logging.getLogger(__name__)

CLOSE_NO_HELLO = 4000
CLOSE_BAD_TOKEN = 4001


async def _hello(hub: Hub, conn: Connection, staff_token: str | None) -> Session | None:
    """Wait for `hello`; None when the connection was closed instead.

    `staff_token` is the HttpOnly login cookie of the handshake: used only when the hello
    asks for it (`"staff": true`), and never sent back, so the page never holds it.
    """
    transport = conn.transport
    try:
        raw = await asyncio.wait_for(transport.receive(), hub.config.hello_timeout_s)
    except TimeoutError:
        conn.close_after_queue(CLOSE_NO_HELLO)
        return None
    if raw is None:
        return None
    try:
        frame = decode_inbound(raw) if isinstance(raw, str) else None
    except FrameError:
        frame = None
    if not isinstance(frame, Hello):
        ref = getattr(frame, "ref", None)
        hub.send_error(conn, ChatError("hello_required", ref), "fr")
        conn.close_after_queue(CLOSE_NO_HELLO)
        return None
    via_cookie = frame.staff and frame.token is None
    token = staff_token if via_cookie else frame.token
    session = None
    if token is not None or not via_cookie:
        session = await hub.registry.open(token, frame.locale, hub.now(), hub.clock())
    if via_cookie and session is not None and session.role not in ("helper", "admin"):
        session = None
    if session is None:
        hub.send_error(conn, ChatError("bad_token", frame.ref), frame.locale)
        conn.close_after_queue(CLOSE_BAD_TOKEN)
        return None
    await hub.attach(conn, session)
    hub.send(conn, {
        "type": "welcome", "token": None if via_cookie else session.token, "role": session.role,
        "locale": session.locale,
        "ref": frame.ref,
    })
    await hub.after_welcome(conn, session)
    return session


async def serve_connection(hub: Hub, conn: Connection, staff_token: str | None = None) -> None:
    """Run the protocol on an accepted connection until it closes."""
    session: Session | None = None
    try:
        session = await _hello(hub, conn, staff_token)
        if session is None:
            return
        config = hub.config
        frames = TokenBucket(config.frames_burst, config.frames_per_s, hub.clock())
        protocol_errors = WindowCounter(config.protocol_errors, config.protocol_error_window_s)
        while (raw := await conn.transport.receive()) is not None:
            now = hub.clock()
            frame = None
            try:
                if frames.take(now) > 0:
                    raise CloseError("flooding", CLOSE_FLOODING)
                if not isinstance(raw, str):
                    raise FrameError("bad_frame")
                frame = decode_inbound(raw, ref_max_length=config.ref_max_length)
                if isinstance(frame, Hello):
                    raise RequestError("unknown_type", frame.ref)
                await hub.handle(conn, session, frame)
            except FrameError as error:
                hub.send_error(conn, error, session.locale)
                if protocol_errors.hit(now):
                    conn.close_after_queue(CLOSE_FLOODING)
                    return
            except CloseError as error:
                if error.send_error:
                    hub.send_error(conn, error, session.locale)
                conn.close_after_queue(error.close_code)
                return
            except RequestError as error:
                hub.send_error(conn, error, session.locale)
            except Exception:
                log.exception("frame handling failed")
                hub.send_error(conn, RequestError("internal", getattr(frame, "ref", None)), session.locale)
    finally:
        if session is not None:
            await hub.detach(conn)
