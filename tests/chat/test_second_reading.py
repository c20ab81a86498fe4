"""The second reading runs off the event loop, in batches, and never loses a caller."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Sequence

import pytest

from chat.metrics import HubMetrics
from chat.second_reading import READER_NICE, SecondReading
from moderation.crisis import NOT_FLAGGED, CrisisDetector, CrisisResult
from tests.moderation.second_reading_texts import second_reading_text


class Counting(CrisisDetector):
    """The shipped detector's parts, counting the batches it is asked to read."""

    def __init__(self) -> None:
        shipped = CrisisDetector.shipped()
        self.__dict__.update(shipped.__dict__)
        self.batches: list[int] = []

    def second_reading(self, messages: Sequence[tuple[str, str]]) -> list[CrisisResult]:
        self.batches.append(len(messages))
        return super().second_reading(messages)


class Broken(Counting):
    def second_reading(self, messages: Sequence[tuple[str, str]]) -> list[CrisisResult]:
        raise RuntimeError("weights unreadable")


@pytest.mark.asyncio
async def test_a_reading_gives_the_detectors_result():
    reader = SecondReading()
    detector = CrisisDetector.shipped()
    text = second_reading_text("fr")
    try:
        assert await reader.read(detector, text, "fr") == detector.second_reading([(text, "fr")])[0]
        assert await reader.read(detector, "bonne soirée à tous", "fr") == NOT_FLAGGED
    finally:
        await reader.close()


@pytest.mark.asyncio
async def test_messages_that_arrive_together_are_read_in_few_batches():
    reader = SecondReading(max_batch=32)
    detector = Counting()
    texts = [f"message numéro {i}, tout va bien ici" for i in range(40)]
    try:
        results = await asyncio.gather(*(reader.read(detector, t, "fr") for t in texts))
    finally:
        await reader.close()
    assert results == [NOT_FLAGGED] * 40
    assert sum(detector.batches) == 40 and len(detector.batches) <= 3 and max(detector.batches) <= 32


@pytest.mark.asyncio
async def test_the_event_loop_keeps_running_while_the_encoder_reads():
    reader = SecondReading()
    detector = CrisisDetector.shipped()
    ticks = 0
    stop = False

    async def tick() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    try:
        await asyncio.gather(*(reader.read(detector, "x " * 150, "fr") for _ in range(64)))
    finally:
        stop = True
        await ticker
        await reader.close()
    elapsed = time.perf_counter() - started
    # The loop went round many times while the batches were read in the worker thread.
    assert ticks > 50, f"{ticks} loop turns in {elapsed:.3f} s"


@pytest.mark.asyncio
async def test_a_failing_encoder_leaves_the_fast_readings_result_and_is_counted():
    reader = SecondReading()
    try:
        assert await reader.read(Broken(), second_reading_text("fr"), "fr") == NOT_FLAGGED
        assert reader.failures == 1
        # The next reading goes on as usual.
        assert (await reader.read(CrisisDetector.shipped(), second_reading_text("fr"), "fr")).flagged
    finally:
        await reader.close()


@pytest.mark.asyncio
async def test_a_detector_without_an_encoder_is_answered_at_once():
    reader = SecondReading()
    assert await reader.read(CrisisDetector([], {}), "n'importe quoi", "fr") == NOT_FLAGGED
    assert reader.backlog == 0
    await reader.close()


@pytest.mark.asyncio
async def test_each_message_is_read_with_the_detector_it_was_checked_with():
    reader = SecondReading()
    text = second_reading_text("fr")
    off = CrisisDetector.with_overrides(disabled=["fr.encoder"])
    try:
        on_result, off_result = await asyncio.gather(
            reader.read(CrisisDetector.shipped(), text, "fr"), reader.read(off, text, "fr"),
        )
    finally:
        await reader.close()
    assert on_result.flagged and off_result == NOT_FLAGGED


@pytest.mark.asyncio
async def test_past_a_full_backlog_a_message_keeps_the_fast_reading_and_it_is_counted():
    metrics = HubMetrics()
    reader = SecondReading(metrics, max_backlog=3)
    detector = CrisisDetector.shipped()
    text = second_reading_text("fr")
    try:
        results = await asyncio.gather(*(reader.read(detector, text, "fr") for _ in range(5)))
    finally:
        await reader.close()
    assert [r.flagged for r in results] == [True, True, True, False, False]
    assert reader.skipped == 2 and metrics.second_reading_skipped._value.get() == 2
    assert metrics.second_readings._value.get() == 3 and metrics.second_reading_backlog._value.get() == 0


@pytest.mark.asyncio
async def test_the_reading_thread_runs_below_the_event_loop_s_priority():
    reader = SecondReading()
    try:
        await reader.read(CrisisDetector.shipped(), "bonsoir", "fr")
        assert reader._executor is not None
        nice = reader._executor.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())).result()
    finally:
        await reader.close()
    assert nice == os.getpriority(os.PRIO_PROCESS, 0) + READER_NICE or nice == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < nice  # this thread untouched
