"""The wire vocabulary of `protocol.md`: inbound frames decoded and checked, outbound encoded.

Pure: no I/O. `decode_inbound` turns one text frame into a typed frame or raises a
`FrameError` carrying the protocol's code and the frame's `ref` when it had one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chat.errors import FrameError
from rooms.records import format_timestamp

__all__ = [
    "Claim",
    "Duty",
    "EraseMine",
    "Hello",
    "Inbound",
    "Invite",
    "Join",
    "Leave",
    "PrivateAnswer",
    "Release",
    "Rename",
    "Report",
    "Resolve",
    "Say",
    "decode_inbound",
    "encode",
    "normalise_locale",
    "timestamp",
]

_LOCALE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}))?$")
_LANGS = ("fr", "en")
MAX_CW_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Hello:
    token: str | None
    locale: str
    ref: str | None = None
    #: Entraide addition: open the staff session of the HttpOnly login cookie sent with the handshake.
    staff: bool = False


@dataclass(frozen=True, slots=True)
class Join:
    room: str
    since: str | None
    pseudonym: str | None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    room: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Say:
    room: str
    text: str
    cw: str | None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    room: str
    message_id: str
    reason: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class EraseMine:
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Rename:
    """Entraide addition: change (or, with null, re-roll) one's pseudonym in a joined room."""

    room: str
    pseudonym: str | None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Duty:
    """Protocol §8: a helper goes on or off duty; `rooms` None means every room they may moderate."""

    on: bool
    rooms: tuple[str, ...] | None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    item: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """Entraide addition: give a claimed item back to the queue."""

    item: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Resolve:
    item: str
    action: str
    duration_s: int | None
    note: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    """Entraide addition: a helper invites an item's author into a tête-à-tête."""

    item: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class PrivateAnswer:
    """Entraide addition: the person invited accepts or declines a tête-à-tête."""

    room: str
    accept: bool
    ref: str | None = None


RESOLVE_ACTIONS = ("dismiss", "approve", "hide", "warn", "timeout", "kick", "ban", "escalate")
MAX_DURATION_S = 365 * 24 * 3600

Inbound = (
    Hello | Join | Leave | Say | Report | EraseMine | Rename | Duty | Claim | Release | Resolve | Invite
    | PrivateAnswer
)


def normalise_locale(raw: str) -> str:
    """'fr', 'en', or a language with a region ('fr-BE'); unknown languages fall back to French."""
    match = _LOCALE.match(raw)
    if match is None:
        return "fr"
    lang, region = match.group(1).lower(), match.group(2)
    lang = lang if lang in _LANGS else "fr"
    return f"{lang}-{region.upper()}" if region else lang


class _Fields:
    """Reads a frame's fields, raising `bad_field` (with the ref) on a wrong one."""

    def __init__(self, obj: dict[str, Any], ref: str | None) -> None:
        self._obj = obj
        self.ref = ref

    def _bad(self, name: str, why: str) -> FrameError:
        return FrameError("bad_field", self.ref, field=name, detail=why)

    def string(self, name: str, *, max_length: int = 10_000) -> str:
        value = self._obj.get(name)
        if not isinstance(value, str):
            raise self._bad(name, "must be a string")
        if len(value) > max_length:
            raise self._bad(name, f"longer than {max_length} characters")
        return value

    def optional_string(self, name: str, *, max_length: int = 10_000) -> str | None:
        if self._obj.get(name) is None:
            return None
        return self.string(name, max_length=max_length)


def decode_inbound(text: str, *, ref_max_length: int = 64) -> Inbound:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("bad_json") from None
    if not isinstance(obj, dict):
        raise FrameError("bad_json")
    ref = obj.get("ref")
    kind = obj.get("type")
    if ref is not None and (not isinstance(ref, str) or len(ref) > ref_max_length):
        raise FrameError("bad_field", None, field="ref", detail="must be a short string")
    if not isinstance(kind, str):
        raise FrameError("bad_frame", ref)
    f = _Fields(obj, ref)
    match kind:
        case "hello":
            locale = f.optional_string("locale", max_length=16)
            return Hello(
                f.optional_string("token", max_length=200), normalise_locale(locale or "fr"), ref,
                staff=obj.get("staff") is True,
            )
        case "join":
            return Join(
                f.string("room", max_length=100), f.optional_string("since", max_length=40),
                f.optional_string("pseudonym", max_length=200), ref,
            )
        case "leave":
            return Leave(f.string("room", max_length=100), ref)
        case "say":
            return Say(
                f.string("room", max_length=100), f.string("text", max_length=1_000_000),
                f.optional_string("cw", max_length=MAX_CW_LENGTH), ref,
            )
        case "report":
            return Report(
                f.string("room", max_length=100), f.string("message_id", max_length=40),
                f.optional_string("reason", max_length=2000) or "", ref,
            )
        case "erase_mine":
            return EraseMine(ref)
        case "rename":
            return Rename(f.string("room", max_length=100), f.optional_string("pseudonym", max_length=200), ref)
        case "duty":
            on = obj.get("on")
            if not isinstance(on, bool):
                raise FrameError("bad_field", ref, field="on", detail="must be true or false")
            rooms = obj.get("rooms")
            if rooms == "all":
                return Duty(on, None, ref)
            if (
                not isinstance(rooms, list) or not rooms or len(rooms) > 200
                or not all(isinstance(r, str) and 0 < len(r) <= 100 for r in rooms)
            ):
                raise FrameError("bad_field", ref, field="rooms", detail='must be "all" or a list of room slugs')
            return Duty(on, tuple(dict.fromkeys(rooms)), ref)
        case "claim":
            return Claim(f.string("item", max_length=40), ref)
        case "release":
            return Release(f.string("item", max_length=40), ref)
        case "resolve":
            action = f.string("action", max_length=20)
            if action not in RESOLVE_ACTIONS:
                raise FrameError("bad_field", ref, field="action", detail="unknown action")
            duration = obj.get("duration_s")
            if duration is not None and (
                isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration <= MAX_DURATION_S
            ):
                raise FrameError("bad_field", ref, field="duration_s", detail="a number of seconds")
            if action == "timeout" and duration is None:
                raise FrameError("bad_field", ref, field="duration_s", detail="timeout needs duration_s")
            return Resolve(f.string("item", max_length=40), action, duration,
                           f.optional_string("note", max_length=2000) or "", ref)
        case "invite":
            return Invite(f.string("item", max_length=40), ref)
        case "private_answer":
            accept = obj.get("accept")
            if not isinstance(accept, bool):
                raise FrameError("bad_field", ref, field="accept", detail="must be true or false")
            return PrivateAnswer(f.string("room", max_length=100), accept, ref)
        case _:
            raise FrameError("unknown_type", ref)


def encode(frame: dict[str, Any]) -> str:
    """One outbound frame as text; on the fan-out path this runs once per message, not per reader."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


timestamp = format_timestamp  # the protocol's name for it
