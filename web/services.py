"""The composition root: every long-lived part, built once from the configuration."""

from __future__ import annotations

import asyncio
import contextlib
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
from moderation.pipeline import default_pipeline
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
        # Built once (up to a second): the patterns compile into one automaton.
        detector = await asyncio.to_thread(CrisisDetector.shipped)
        hub = Hub(
            config.chat, broker, state, messages, sessions, ModerationStore(sessionmaker), Pseudonyms(),
            metrics=HubMetrics(), rooms_loader=rooms.active, rooms_last=messages.last_seqs,
            staff=staff.accounts, queue=queue, desk=config.queue,
            helplines=staff.helplines.card, checks=default_pipeline(detector, config.moderation),
            check_config=config.moderation,
        )
        await rooms.seed(config.rooms.seed, datetime.now(UTC))
        hub.set_rooms(await rooms.active())
        purger = Purger(
            messages, sessions, config.rooms.purge_interval_s, config.chat.session_idle_days,
            hub.now, lambda: [s.id for s in hub.registry.live()],
        )
        services = cls(config, engine, broker, state, rooms, hub, purger)
        services.staff = staff
        services.queue = queue
        staff.attach(hub.registry)
        await hub.start()
        services.tasks.append(asyncio.get_running_loop().create_task(purger.run()))
        services.tasks.append(asyncio.get_running_loop().create_task(staff.watch()))
        return services

    async def rooms_changed(self) -> None:
        """After any write to the rooms table: every process reloads and tells the rooms' members."""
        await self.hub.announce("rooms")

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
