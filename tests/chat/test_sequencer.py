"""The room stream's ordering, driven with data alone."""

from __future__ import annotations

from chat.sequencer import Sequencer


def started(baseline: int = 10) -> Sequencer:
    order = Sequencer()
    assert order.start(baseline) == []
    return order


def test_frames_in_order_go_out_at_once() -> None:
    order = started()
    assert order.push(11, "a") == [(11, "a")]
    assert order.push(12, "b") == [(12, "b")]


def test_a_duplicate_or_an_old_frame_is_dropped() -> None:
    order = started()
    order.push(11, "a")
    assert order.push(11, "a") == []
    assert order.push(9, "old") == []


def test_frames_heard_before_the_baseline_wait_for_it() -> None:
    order = Sequencer()
    assert order.push(11, "a") == []
    assert order.start(10) == [(11, "a")]


def test_frames_the_baseline_already_covers_are_dropped_at_start() -> None:
    order = Sequencer()
    order.push(10, "in the history")
    assert order.start(10) == []


def test_a_frame_ahead_of_a_missing_one_waits_and_names_the_gap() -> None:
    order = started()
    assert order.push(12, "b") == []
    assert order.wanted() == (10, 11)
    assert order.push(11, "a") == [(11, "a"), (12, "b")]
    assert order.wanted() is None


def test_a_fill_from_the_database_releases_everything_in_order() -> None:
    order = started()
    order.push(13, "c")
    assert order.fill([(11, "a"), (12, "b")], 12) == [(11, "a"), (12, "b"), (13, "c")]
    assert order.last == 13


def test_an_id_the_database_no_longer_has_is_skipped_not_awaited() -> None:
    order = started()
    order.push(12, "b")
    assert order.fill([], 11) == [(12, "b")]
    assert order.wanted() is None


def test_a_late_copy_of_a_filled_frame_is_dropped() -> None:
    order = started()
    order.push(12, "b")
    order.fill([(11, "a")], 11)
    assert order.push(11, "a") == []


def test_catching_up_without_a_bound_takes_what_the_database_has() -> None:
    order = started()
    assert order.fill([(11, "a"), (12, "b")], None) == [(11, "a"), (12, "b")]
    assert order.fill([], None) == []
    assert order.last == 12
