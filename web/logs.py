"""Logging without personal data: no IP address, user agent, query string or message text.

uvicorn's own access log is off (it prints the client address and the query string);
`AccessLog` writes method, path, status and duration instead. uvicorn still names the
client in its websocket handshake lines, so `PrivacyFilter` rewrites those, and as a last
guard any address-like token in any record is masked.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLog", "PrivacyFilter", "logging_config"]

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")
_IPV6 = re.compile(r"\[?\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b\]?(?::\d+)?")

access_log = logging.getLogger("entraide.access")


class PrivacyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket'):
            # uvicorn: '%s - "WebSocket %s" [accepted]' % (client, path_with_query)
            args = record.args if isinstance(record.args, tuple) else ()
            path = str(args[1]).split("?", 1)[0] if len(args) > 1 else "?"
            record.msg = '"WebSocket %s"' + record.msg.split('"', 2)[2]
            record.args = (path, *args[2:])
        message = record.getMessage()
        masked = _IPV6.sub("[address]", _IPV4.sub("[address]", message))
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class AccessLog:
    """HTTP access lines: method, path without its query, status, milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            access_log.info(
                '"%s %s" %d %.1fms', scope["method"], scope["path"], status,
                (time.perf_counter() - started) * 1000,
            )


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The `logging.config.dictConfig` used by `entraide serve` (and handed to uvicorn)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"privacy": {"()": "web.logs.PrivacyFilter"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler", "formatter": "plain", "filters": ["privacy"],
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "websockets": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": level},
    }
