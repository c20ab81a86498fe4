"""The crisis detector's second reading, off the event loop.

The check pipeline's crisis check is the fast reading (tens of microseconds, inline). What it
does not flag, the detector's encoder reads again (`CrisisDetector.second_reading`): a few
milliseconds of numpy per message, too long for the event loop, which would stall every room
meanwhile. So messages wait here, a worker thread reads them in batches (a batch costs little
more than one message: the weights are streamed once), and each caller gets its result back.
A burst of messages makes bigger batches, not a longer queue per message.

One reader per hub; it reads with the detector each message was checked with (an admin's change
applies to the next message, as for the fast reading).

The backlog is bounded (``max_backlog``, about ten seconds of reading): past it, a message is not
read again and keeps the fast reading's result. That only happens when far more messages arrive
than one core can read (a few hundred a second); it is counted and logged, never silent, and
the alternative, an unbounded queue, would deliver every card of the flood late and take the
process's memory with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from chat.metrics import HubMetrics
from moderation.crisis import NOT_FLAGGED, CrisisDetector, CrisisResult

__all__ = ["SecondReading"]

_log = logging.getLogger(__name__)

# The reading thread's nice value (Linux: per thread). The room comes first: when the core is
# busy, the scheduler gives the event loop the CPU and the encoder the rest; on an idle core the
# encoder runs at full speed. Under a flood the backlog then fills and the fast reading stands
# (counted), where an equal share would have slowed every room's messages, fast-path crisis
# alerts included.
READER_NICE = 10


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: run as is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), READER_NICE)


@dataclass(slots=True)
class _Reading:
    """One message waiting for the encoder, and where its result goes."""

    detector: CrisisDetector
    text: str
    lang: str
    result: asyncio.Future[CrisisResult]
    queued: float = field(default_factory=time.perf_counter)


class SecondReading:
    """Queue (detector, text, lang) readings; `read` returns the encoder's result."""

    def __init__(self, metrics: HubMetrics | None = None, max_batch: int = 32, max_backlog: int = 2000) -> None:
        self.metrics = metrics or HubMetrics()
        self.max_batch = max_batch
        self.max_backlog = max_backlog
        self._waiting: list[_Reading] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.failures = 0  # batches the encoder could not read (logged, without the texts)
        self.skipped = 0  # messages not read again because the backlog was full
        self._warned_at = float("-inf")

    @property
    def backlog(self) -> int:
        return len(self._waiting)

    async def read(self, detector: CrisisDetector, text: str, lang: str) -> CrisisResult:
        if detector.encoder is None:
            return NOT_FLAGGED
        if len(self._waiting) >= self.max_backlog:
            self.skipped += 1
            self.metrics.second_reading_skipped.inc()
            now = time.monotonic()
            if now - self._warned_at >= 60:  # once a minute: a flood must not flood the log too
                self._warned_at = now
                _log.warning("crisis second reading: backlog full, messages keep the fast reading's result",
                             extra={"backlog": len(self._waiting), "skipped": self.skipped})
            return NOT_FLAGGED
        future: asyncio.Future[CrisisResult] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Reading(detector, text, lang, future))
        self.metrics.second_reading_backlog.inc()
        self._wake.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        for reading in self._waiting:
            reading.result.cancel()
        self.metrics.second_reading_backlog.dec(len(self._waiting))
        self._waiting.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                self.metrics.second_reading_backlog.dec(len(batch))
                by_detector: dict[int, list[_Reading]] = {}
                for reading in batch:
                    by_detector.setdefault(id(reading.detector), []).append(reading)
                for group in by_detector.values():
                    await self._read(group)

    async def _read(self, group: list[_Reading]) -> None:
        """One batch, all checked with the same detector, read in the worker thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="crisis-reading", initializer=_lower_priority,
            )
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self._executor, group[0].detector.second_reading, [(r.text, r.lang) for r in group],
            )
        except Exception:  # noqa: BLE001 - the fast reading's result stands; never the text in logs
            self.failures += 1
            self.metrics.second_reading_failures.inc()
            _log.exception("crisis second reading failed", extra={"messages": len(group)})
            results = [NOT_FLAGGED] * len(group)
        done = time.perf_counter()
        self.metrics.second_readings.inc(len(group))
        for reading, result in zip(group, results, strict=True):
            self.metrics.second_reading_seconds.observe(done - reading.queued)
            if not reading.result.done():
                reading.result.set_result(result)
