"""Weekly opening hours of a room ("mon-sun 22:00-07:00"), pure and clock-injected."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["ScheduleError", "WeeklySchedule", "Window"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(r"^\s*([a-z,\-]+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*$")
_MINUTES_PER_WEEK = 7 * 24 * 60


class ScheduleError(ValueError):
    """A schedule rule could not be read."""


@dataclass(frozen=True, slots=True)
class Window:
    """Open from ``start`` to ``end``, in minutes since Monday 00:00 local time."""

    start: int
    end: int  # may exceed a week when a Sunday window crosses midnight

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end or self.start <= minute + _MINUTES_PER_WEEK < self.end


def _parse_days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in _DAYS or last not in _DAYS:
                raise ScheduleError(f"unknown day in {part!r}")
            i, j = _DAYS.index(first), _DAYS.index(last)
            days.extend(_DAYS.index(d) % 7 for d in (_DAYS * 2)[i : (j if j >= i else j + 7) + 1])
        elif part in _DAYS:
            days.append(_DAYS.index(part))
        else:
            raise ScheduleError(f"unknown day {part!r}")
    return sorted(set(days))


def _parse_rule(rule: str) -> list[Window]:
    match = _RULE.match(rule)
    if match is None:
        raise ScheduleError(f"{rule!r} is not like 'mon-fri 09:00-17:00'")
    days, h1, m1, h2, m2 = match.groups()
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if int(h1) > 23 or int(m1) > 59 or int(h2) > 24 or int(m2) > 59 or end > 24 * 60:
        raise ScheduleError(f"bad time in {rule!r}")
    if end == start:
        raise ScheduleError(f"empty window in {rule!r}")
    length = end - start if end > start else end + 24 * 60 - start
    return [Window(day * 1440 + start, day * 1440 + start + length) for day in _parse_days(days)]


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Opening windows in a time zone; no windows at all means always open."""

    rules: tuple[str, ...]
    windows: tuple[Window, ...]
    zone: ZoneInfo

    @classmethod
    def parse(cls, rules: tuple[str, ...], zone: str = "Europe/Paris") -> WeeklySchedule:
        windows = [w for rule in rules for w in _parse_rule(rule)]
        try:
            tz = ZoneInfo(zone)
        except (KeyError, ValueError) as exc:
            raise ScheduleError(f"unknown time zone {zone!r}") from exc
        return cls(rules, tuple(sorted(windows, key=lambda w: w.start)), tz)

    @property
    def always_open(self) -> bool:
        return not self.windows

    def _minute_of_week(self, now: datetime) -> int:
        local = now.astimezone(self.zone)
        return local.weekday() * 1440 + local.hour * 60 + local.minute

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        minute = self._minute_of_week(now)
        return any(w.contains(minute) for w in self.windows)

    def next_open(self, now: datetime) -> datetime | None:
        """When the room next opens, to the minute; None when it is open now."""
        if self.is_open(now):
            return None
        minute = self._minute_of_week(now)
        ahead = min((w.start - minute) % _MINUTES_PER_WEEK for w in self.windows)
        local = now.astimezone(self.zone).replace(second=0, microsecond=0)
        # Wall-clock arithmetic on purpose: `ahead` counts local minutes, so the opening
        # hour stays right across a change to or from daylight saving time.
        return local + timedelta(minutes=ahead)
