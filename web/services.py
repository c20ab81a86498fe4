"""The composition root: every long-lived part, built once from the configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from chat import broker_redis
from chat.broker import Broker, MemoryBroker
from chat.hub import Hub
from chat.metrics import HubMetrics
from chat.retention import Purger
from chat.state import MemoryState, SharedState
from moderation.crisis import CrisisDetector
from moderation.crisis_rules import CrisisRules, live_detector
from moderation.pipeline import default_pipeline
from moderation.private_rooms import PrivateRoomStore
from moderation.queue import QueueStore
from moderation.store import ModerationStore
from rooms.db import make_engine, make_sessionmaker
from rooms.message_store import MessageStore
from rooms.pseudonyms import Pseudonyms
from rooms.session_store import SessionStore
from rooms.store import RoomStore
from web.config import AppConfig
from web.staff import StaffServices

__all__ = ["Services"]

_log = logging.getLogger(__name__)
_CRISIS_WAIT_S = 10.0


@dataclass
class Services:
    config: AppConfig
    engine: AsyncEngine
    broker: Broker
    state: SharedState
    rooms: RoomStore
    hub: Hub
    purger: Purger
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    staff: StaffServices | None = None  # helpers and admins: accounts, console, audit, helplines
    queue: QueueStore | None = None  # the moderation queue (helpers' dashboard, alerts)
    crisis: CrisisRules | None = None  # the admins' changes to the crisis patterns
    detector: CrisisDetector | None = None  # the live crisis detector (shipped patterns + admins' changes)
    _crisis_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _crisis_rebuilt: asyncio.Condition = field(default_factory=asyncio.Condition)
    _crisis_started: int = 0  # rebuilds that began (and read the database) on this process
    _crisis_done: int = 0  # the latest rebuild finished

    @classmethod
    async def start(cls, config: AppConfig) -> Services:
        engine = make_engine(config.database)
        sessionmaker = make_sessionmaker(engine)
        broker: Broker
        state: SharedState
        if config.redis is None:
            broker, state = MemoryBroker(), MemoryState()
        else:
            broker, state = broker_redis.connect(config.redis)
        rooms = RoomStore(sessionmaker)
        messages = MessageStore(sessionmaker)
        sessions = SessionStore(sessionmaker)
        staff = StaffServices.build(config.accounts, config.helplines, sessionmaker, rooms, config.chat.history_size)
        queue = QueueStore(sessionmaker)
        private_rooms = PrivateRoomStore(sessionmaker)
        # Built once (up to a second): the patterns compile into one automaton. Again on every
        # process after an admin changes the patterns (the "crisis_patterns" control message).
        crisis = CrisisRules(sessionmaker)
        detector = await live_detector(crisis)
        hub = Hub(
            config.chat, broker, state, messages, sessions, ModerationStore(sessionmaker), Pseudonyms(),
            metrics=HubMetrics(), rooms_loader=rooms.active, rooms_last=messages.last_seqs,
            staff=staff.accounts, queue=queue, desk=config.queue,
            helplines=staff.helplines.card, checks=default_pipeline(detector, config.moderation),
            check_config=config.moderation, private_rooms=private_rooms, crisis_detector=detector,
        )
        await rooms.seed(config.rooms.seed, datetime.now(UTC))
        hub.set_rooms(await rooms.active())
        purger = Purger(
            messages, sessions, config.rooms.purge_interval_s, config.chat.session_idle_days,
            hub.now, lambda: [s.id for s in hub.registry.live()], private_rooms=private_rooms, queue=queue,
        )
        services = cls(config, engine, broker, state, rooms, hub, purger)
        services.staff = staff
        services.queue = queue
        services.crisis, services.detector = crisis, detector
        hub.on_control("crisis_patterns", services._rebuild_crisis)
        staff.attach(hub.registry)
        await hub.start()
        services.tasks.append(asyncio.get_running_loop().create_task(purger.run()))
        services.tasks.append(asyncio.get_running_loop().create_task(staff.watch()))
        return services

    async def rooms_changed(self) -> None:
        """After any write to the rooms table: every process reloads and tells the rooms' members."""
        await self.hub.announce("rooms")

    async def crisis_changed(self) -> None:
        """After any write to the crisis patterns: every process rebuilds its detector. Waits
        (a few seconds at most) until this one has, so the admin's next message already meets it."""
        before = self._crisis_started
        await self.hub.announce("crisis_patterns")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_CRISIS_WAIT_S), self._crisis_rebuilt:
                await self._crisis_rebuilt.wait_for(lambda: self._crisis_done > before)

    async def _rebuild_crisis(self, _message: dict[str, object]) -> None:
        if self.crisis is None:
            return
        async with self._crisis_lock:
            self._crisis_started += 1
            ticket = self._crisis_started
            try:
                detector = await live_detector(self.crisis)
            except Exception:  # noqa: BLE001 - a failed rebuild must not stop the control channel
                _log.exception("crisis patterns: the detector could not be rebuilt; the previous one stays")
            else:
                self.detector = detector
                self.hub.set_checks(default_pipeline(detector, self.config.moderation), detector)
            async with self._crisis_rebuilt:
                self._crisis_done = ticket
                self._crisis_rebuilt.notify_all()

    async def end_account_sessions(self, username: str) -> None:
        """A disabled account: its websockets close (4001) on every process, at once."""
        await self.hub.announce("end_account", username=username)

    async def healthy(self) -> bool:
        try:
            async with asyncio.timeout(2):
                await self.rooms.ping()
                return await self.broker.ping()
        except Exception:  # noqa: BLE001 - any failure is "unhealthy", said by the status code
            return False

    async def aclose(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.hub.stop()
        await self.state.aclose()
        await self.broker.aclose()
        await self.engine.dispose()
