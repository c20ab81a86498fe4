"""Limits and timings of the websocket hub, from the `[chat]` table of `config.toml`."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.configuration import Table

__all__ = ["HubConfig"]

_KEYS = (
    "hello_timeout_s", "history_size", "send_queue_size", "rate_burst", "rate_per_s",
    "flood_refusals", "flood_window_s", "protocol_errors", "protocol_error_window_s",
    "presence_interval_s", "session_idle_days", "max_rooms_per_session", "frames_per_s",
    "frames_burst", "ref_max_length", "report_reason_max_length", "reorder_grace_s", "heartbeat_s",
    "probation_s", "ban_memory_days",
)


@dataclass(frozen=True, slots=True)
class HubConfig:
    hello_timeout_s: float = 10.0
    history_size: int = 50
    # Frames waiting for one slow reader before it is cut off with 4009. At ~300 bytes a
    # chat frame, 512 is about 150 KiB: a phone on a bad train line catches up, a dead
    # reader does not hold memory for long.
    send_queue_size: int = 512
    # Per-session token bucket for `say`: a burst, then a steady rate.
    rate_burst: int = 5
    rate_per_s: float = 1.0
    # More than this many `rate_limited` answers inside the window is flooding: close 4008.
    flood_refusals: int = 10
    flood_window_s: float = 60.0
    # Protocol §9: the 21st protocol error within 60 s closes with 4008.
    protocol_errors: int = 20
    protocol_error_window_s: float = 60.0
    # Presence frames go out at most this often per room.
    presence_interval_s: float = 1.0
    session_idle_days: int = 30
    max_rooms_per_session: int = 20
    # Every frame of any type, per connection: a client sending hundreds of frames a
    # second is flooding whatever the frames say.
    frames_per_s: float = 20.0
    frames_burst: int = 40
    ref_max_length: int = 64
    report_reason_max_length: int = 500
    # A message heard ahead of a missing one waits this long for it before the missing one
    # is read from the database (two processes publishing one room may cross on the way).
    reorder_grace_s: float = 0.1
    # How often a process refreshes its presence and duty entries in the shared state; they
    # expire after 30 s (60 s for duty), so a killed process's people leave by themselves.
    heartbeat_s: float = 10.0
    # Ban evasion without addresses: a session younger than this, speaking in a room where
    # someone was banned within `ban_memory_days`, has its messages reviewed (docs/moderation.md).
    probation_s: float = 900.0
    ban_memory_days: float = 7.0

    @classmethod
    def from_table(cls, t: Table) -> HubConfig:
        t.reject_unknown(_KEYS)
        d = cls()
        return cls(
            hello_timeout_s=t.number("hello_timeout_s", d.hello_timeout_s, low=0.1, high=120),
            history_size=t.integer("history_size", d.history_size, low=0, high=500),
            send_queue_size=t.integer("send_queue_size", d.send_queue_size, low=1, high=100_000),
            rate_burst=t.integer("rate_burst", d.rate_burst, low=1, high=1000),
            rate_per_s=t.number("rate_per_s", d.rate_per_s, low=0.01, high=1000),
            flood_refusals=t.integer("flood_refusals", d.flood_refusals, low=1, high=10_000),
            flood_window_s=t.number("flood_window_s", d.flood_window_s, low=1, high=3600),
            protocol_errors=t.integer("protocol_errors", d.protocol_errors, low=1, high=10_000),
            protocol_error_window_s=t.number(
                "protocol_error_window_s", d.protocol_error_window_s, low=1, high=3600
            ),
            presence_interval_s=t.number("presence_interval_s", d.presence_interval_s, low=0.05, high=3),
            session_idle_days=t.integer("session_idle_days", d.session_idle_days, low=1, high=365),
            max_rooms_per_session=t.integer(
                "max_rooms_per_session", d.max_rooms_per_session, low=1, high=1000
            ),
            frames_per_s=t.number("frames_per_s", d.frames_per_s, low=0.1, high=10_000),
            frames_burst=t.integer("frames_burst", d.frames_burst, low=1, high=100_000),
            ref_max_length=t.integer("ref_max_length", d.ref_max_length, low=1, high=1000),
            report_reason_max_length=t.integer(
                "report_reason_max_length", d.report_reason_max_length, low=1, high=10_000
            ),
            reorder_grace_s=t.number("reorder_grace_s", d.reorder_grace_s, low=0, high=5),
            heartbeat_s=t.number("heartbeat_s", d.heartbeat_s, low=0.05, high=20),
            probation_s=t.number("probation_s", d.probation_s, low=0, high=30 * 86400),
            ban_memory_days=t.number("ban_memory_days", d.ban_memory_days, low=0, high=365),
        )
