"""What can go wrong on a websocket, and how each case shows on the wire.

    ChatError(code)                      an `error` frame with `code`
    ├── FrameError                       malformed frame: counts toward the 4008 limit
    │                                    (bad_json, bad_frame, unknown_type, bad_field)
    ├── RequestError                     a refused request; the connection stays open
    │                                    (not_joined, empty, too_long, rate_limited, ...)
    └── CloseError(close_code)           the connection is closed after the frame, if any
                                         (hello_required/4000, bad_token/4001, 4008, 4009)
"""

from __future__ import annotations

from typing import Any

__all__ = ["ChatError", "CloseError", "FrameError", "RequestError"]


class ChatError(Exception):
    def __init__(self, code: str, ref: str | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.ref = ref
        self.extra = extra


class FrameError(ChatError):
    """The frame itself is malformed (protocol §9)."""


class RequestError(ChatError):
    """The frame is well formed but the request is refused."""


class CloseError(ChatError):
    """The connection must close with `close_code`; `send_error` says whether a frame goes first."""

    def __init__(self, code: str, close_code: int, *, send_error: bool = True, ref: str | None = None) -> None:
        super().__init__(code, ref)
        self.close_code = close_code
        self.send_error = send_error
