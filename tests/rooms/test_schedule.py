"""Weekly opening hours, in Europe/Paris, across midnight and daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rooms.schedule import ScheduleError, WeeklySchedule

PARIS_NIGHT = WeeklySchedule.parse(("mon-sun 22:00-07:00",))


def paris(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS_NIGHT.zone)


def test_no_rule_means_always_open():
    """A room without a schedule is always open and never has a next opening."""
    always = WeeklySchedule.parse(())
    assert always.is_open(datetime.now(UTC)) and always.next_open(datetime.now(UTC)) is None


def test_a_night_window_crosses_midnight():
    """22:00-07:00 is open at 23:30 and at 06:59, closed at 07:00 and at noon."""
    assert PARIS_NIGHT.is_open(paris(2026, 11, 24, 23, 30))
    assert PARIS_NIGHT.is_open(paris(2026, 11, 25, 6, 59))
    assert not PARIS_NIGHT.is_open(paris(2026, 11, 25, 7, 0))
    assert not PARIS_NIGHT.is_open(paris(2026, 11, 25, 12, 0))


def test_sunday_night_runs_into_monday_morning():
    """A Sunday window that ends after midnight wraps onto Monday."""
    sunday_night = WeeklySchedule.parse(("sun 22:00-02:00",))
    assert sunday_night.is_open(paris(2026, 11, 30, 1, 0))  # Monday 01:00
    assert not sunday_night.is_open(paris(2026, 11, 30, 3, 0))


def test_next_open_is_the_coming_window_in_local_time():
    """At noon, a night room next opens at 22:00 the same day, Paris time."""
    assert PARIS_NIGHT.next_open(paris(2026, 11, 25, 12, 0)) == paris(2026, 11, 25, 22, 0)


def test_next_open_keeps_the_local_hour_across_daylight_saving():
    """Across the October change to winter time, 22:00 stays 22:00 in Paris."""
    weekly = WeeklySchedule.parse(("sun 22:00-23:00",))
    opens = weekly.next_open(paris(2026, 10, 24, 12, 0))  # Saturday before the change
    assert opens == paris(2026, 10, 25, 22, 0)
    assert opens is not None
    offset = opens.utcoffset()
    assert offset is not None and offset.total_seconds() == 3600


def test_day_lists_and_ranges():
    """'sat,sun' and 'mon-fri' select the right days."""
    weekend = WeeklySchedule.parse(("sat,sun 14:00-18:00",))
    assert weekend.is_open(paris(2026, 11, 28, 15, 0))  # Saturday
    assert not weekend.is_open(paris(2026, 11, 27, 15, 0))  # Friday


@pytest.mark.parametrize("rule", ["lundi 10:00-11:00", "mon 10:00", "mon 25:00-26:00", "mon 10:00-10:00"])
def test_a_wrong_rule_is_refused(rule):
    """A rule that cannot be read raises ScheduleError."""
    with pytest.raises(ScheduleError):
        WeeklySchedule.parse((rule,))
