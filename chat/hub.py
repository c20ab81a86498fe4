"""The hub: what each frame does, in this process, for a deployment of one or many.

Fan-out path (the hot one): a `say` is checked, stored (the database gives its id),
encoded once, and published on the room's channel. `RoomStreams` hears it back in every
process with members in the room, puts it in id order and offers the same string to each
local member; `offer` never waits. Presence, duty and the `say` limits live in the shared
state, so that every process sees the same figures. Changes that every process must apply
(room settings, sanctions, kicks, ended accounts) go on the control channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from chat.broker import Broker
from chat.broker_redis import RESUBSCRIBED
from chat.config import HubConfig
from chat.connection import Connection
from chat.desk import Desk, DeskConfig, held_ack_id
from chat.errors import ChatError, CloseError, RequestError
from chat.messages import error_text, notice_text
from chat.metrics import HubMetrics
from chat.presence import Presence
from chat.private_desk import PrivateDesk
from chat.protocol import (
    Claim,
    Duty,
    EraseMine,
    Inbound,
    Invite,
    Join,
    Leave,
    PrivateAnswer,
    Release,
    Rename,
    Report,
    Resolve,
    Say,
    encode,
    timestamp,
)
from chat.ratelimit import WindowCounter
from chat.second_reading import SecondReading
from chat.sessions import Session, SessionRegistry
from chat.state import SharedState
from chat.streams import ROOM_PREFIX, RoomStreams
from moderation.checks.crisis_check import CRISIS_CHECK, REVIEW_REASON
from moderation.crisis import NOT_FLAGGED, CrisisDetector, CrisisResult
from moderation.helplines import HelplineCard
from moderation.notices import held_text, rejected_text
from moderation.pipeline import Candidate, Outcome, Pipeline
from moderation.pipeline_config import PipelineConfig
from moderation.pointer import about_someone_else, pointer_frame
from moderation.private_rooms import PrivateRoomStore, is_private
from moderation.queue import Item, QueueStore
from moderation.store import ModerationStore, Sanction
from moderation.verdict import Action
from rooms.config import RoomSpec
from rooms.message_store import MessageStore
from rooms.pseudonyms import PseudonymError, Pseudonyms, normalise_name
from rooms.records import StoredMessage, as_utc, format_message_id, parse_message_id
from rooms.session_store import SessionStore

__all__ = ["CLOSE_ACCOUNT_ENDED", "CLOSE_FLOODING", "CLOSE_GOING_AWAY", "CONTROL_CHANNEL", "Hub", "message_frame"]

log = logging.getLogger(__name__)

CLOSE_FLOODING = 4008
CLOSE_GOING_AWAY = 1012  # service restart: reconnect, elsewhere if need be
CLOSE_ACCOUNT_ENDED = 4001  # the token no longer opens anything: like a bad token
CLOSE_BANNED_EVERYWHERE = 4003
#: Control traffic every process subscribes to: room settings, sanctions, account ends.
CONTROL_CHANNEL = "ctl:hub"
_RESUME_MAX = 2000
_PSEUDONYM_TRIES = 30
_BAN_CACHE_S = 10.0
_WARNINGS = ("warned", "muted", "kicked", "banned")  # notices about a sanction; the rest inform
_REPEAT_WINDOW_S = 600  # the repetition check compares with the last ten minutes' messages
_BACKGROUND_GRACE_S = 5.0  # how long stopping waits for second readings under way


def _utcnow() -> datetime:
    return datetime.now(UTC)


def message_frame(m: StoredMessage) -> dict[str, Any]:
    return {
        "type": "message", "room": m.room, "id": m.id,
        "author": {"pseudonym": m.pseudonym, "role": m.role},
        "text": m.text, "cw": m.cw, "ts": timestamp(m.created_at),
    }


def _render(m: StoredMessage) -> str:
    return encode(message_frame(m))


def _until(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


class Hub:
    def __init__(
        self, config: HubConfig, broker: Broker, state: SharedState, messages: MessageStore,
        sessions: SessionStore, moderation: ModerationStore, pseudonyms: Pseudonyms,
        metrics: HubMetrics | None = None,
        clock: Callable[[], float] = time.monotonic, now: Callable[[], datetime] = _utcnow,
        rooms_loader: Callable[[], Awaitable[list[RoomSpec]]] | None = None,
        rooms_last: Callable[[], Awaitable[dict[str, int]]] | None = None,
        staff: Any = None, queue: QueueStore | None = None, desk: DeskConfig | None = None,
        helplines: Callable[[str], Awaitable[HelplineCard | None]] | None = None,
        checks: Pipeline | None = None, check_config: PipelineConfig | None = None,
        private_rooms: PrivateRoomStore | None = None, crisis_detector: CrisisDetector | None = None,
    ) -> None:
        self._helplines = helplines
        self.checks = checks
        # The detector the crisis check reads with: its encoder reads again, off the loop,
        # what the check did not flag (`chat.second_reading`).
        self.crisis_detector = crisis_detector
        self._background: set[asyncio.Task[None]] = set()  # second readings under way
        self.check_config = check_config or PipelineConfig()
        self.config = config
        self.broker = broker
        self.state = state
        self.messages = messages
        self.moderation = moderation
        self.pseudonyms = pseudonyms
        self.metrics = metrics or HubMetrics()
        self.second_reading = SecondReading(self.metrics)
        self.registry = SessionRegistry(config, sessions, moderation, staff=staff)
        self._session_store = sessions
        self.clock = clock
        self.now = now
        self._rooms_loader = rooms_loader
        self._rooms_last = rooms_last
        self.rooms: dict[str, RoomSpec] = {}
        self.streams = RoomStreams(broker, messages, _render, self.metrics, config.reorder_grace_s)
        self.presence_tracker = Presence(state)
        self._locks: dict[str, asyncio.Lock] = {}
        self._connections: set[Connection] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.desk = None if queue is None else Desk(self, queue, desk or DeskConfig())
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        # Tête-à-têtes start from a queue item: no queue, none of them.
        self.private = (
            None if self.desk is None or private_rooms is None
            else PrivateDesk(self, self.desk, private_rooms, desk or DeskConfig())
        )
        self._reports: dict[str, WindowCounter] = {}  # per session: report spam is limited
        self._recent_bans: dict[str, tuple[float, bool]] = {}  # room -> (read at, someone banned lately)

    # -- lifecycle -----------------------------------------------------------------

    def set_rooms(self, specs: list[RoomSpec]) -> None:
        self.rooms = {spec.slug: spec for spec in specs}

    async def start(self) -> None:
        await self.broker.subscribe(CONTROL_CHANNEL)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen()), loop.create_task(self._presence_loop()),
            loop.create_task(self._upkeep_loop()), loop.create_task(self._escalation_loop()),
        ]

    async def stop(self) -> None:
        """Tell every client to reconnect (1012), then stop the background loops."""
        for conn in list(self._connections):
            conn.close_after_queue(CLOSE_GOING_AWAY)
        for conn in list(self._connections):
            await conn.finish()  # bounded by its own grace period
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # A second reading under way may still bring a card and an alert: give it a moment.
        if self._background:
            await asyncio.wait(set(self._background), timeout=_BACKGROUND_GRACE_S)
        for task in list(self._background):
            task.cancel()
        await self.second_reading.close()

    # -- connections -----------------------------------------------------------------

    async def attach(self, conn: Connection, session: Session) -> None:
        conn.session = session
        session.connections.add(conn)
        self._connections.add(conn)
        self.metrics.connections.inc()
        if session.role in ("helper", "admin") and not session.duty:
            # Duty belongs to the session: a reconnect (here or on another process) keeps it.
            session.duty = {r for r in await self.state.duty_of(session.id) if session.may_moderate(r)}

    async def detach(self, conn: Connection) -> None:
        for room in list(conn.rooms):
            await self.leave_room(conn, room)
        if conn in self._connections:
            self._connections.discard(conn)
            self.metrics.connections.dec()
        session = conn.session
        if isinstance(session, Session):
            session.connections.discard(conn)
            self.registry.release(session)

    def send(self, conn: Connection, frame: dict[str, Any]) -> None:
        conn.offer(encode(frame))

    def send_error(self, conn: Connection, error: ChatError, locale: str) -> None:
        frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error_text(error.code, locale)}
        if error.ref is not None:
            frame["ref"] = error.ref
        frame.update(error.extra)
        self.send(conn, frame)

    # -- dispatch ----------------------------------------------------------------------

    async def handle(self, conn: Connection, session: Session, frame: Inbound) -> None:
        match frame:
            case Join():
                await self._join(conn, session, frame)
            case Leave():
                await self.leave_room(conn, frame.room)
                self.send(conn, {"type": "left", "room": frame.room, "ref": frame.ref})
                if self.private is not None and is_private(frame.room):
                    await self.private.left(session, frame.room)  # either of the two leaves: it ends
            case Say():
                await self._say(conn, session, frame)
            case Rename():
                await self._rename(conn, session, frame)
            case Report():
                await self._report(conn, session, frame)
            case EraseMine():
                await self._erase(session)
                self.send(conn, {"type": "ack", "ref": frame.ref, "status": "erased"})
            case Duty():
                await self._duty(conn, session, frame)
            case Claim() | Release() | Resolve() if self.desk is None:
                raise RequestError("forbidden", frame.ref)
            case Claim():
                item = await self._desk().claim(session, frame)
                self.send(conn, {"type": "ack", "ref": frame.ref, "status": "claimed", "item": item.id})
            case Release():
                item = await self._desk().release(session, frame)
                self.send(conn, {"type": "ack", "ref": frame.ref, "status": "released", "item": item.id})
            case Resolve():
                status, item = await self._desk().resolve(session, frame)
                self.send(conn, {"type": "ack", "ref": frame.ref, "status": status, "item": item.id})
            case Invite() | PrivateAnswer() if self.private is None:
                raise RequestError("forbidden", frame.ref)
            case Invite():
                if session.role not in ("helper", "admin"):
                    raise RequestError("forbidden", frame.ref)
                room = await self._private().invite(session, frame)
                self.send(conn, {"type": "ack", "ref": frame.ref, "status": "invited", "item": room.item_id,
                                 "room": room.slug})
            case PrivateAnswer():
                room = await self._private().answer(session, frame)
                self.send(conn, {"type": "ack", "ref": frame.ref, "room": room.slug,
                                 "status": "accepted" if frame.accept else "declined"})
            case _:
                raise RequestError("unknown_type", frame.ref)

    def _desk(self) -> Desk:
        assert self.desk is not None
        return self.desk

    def _private(self) -> PrivateDesk:
        assert self.private is not None
        return self.private

    async def after_welcome(self, conn: Connection, session: Session) -> None:
        """A helper back on a new connection, still on duty: what is waiting comes again; and
        anyone's pending invitations and open tête-à-têtes."""
        if self.desk is not None:
            await self.desk.replay(session, only=conn)
        if self.private is not None:
            await self.private.replay(session, conn)

    # -- rooms -----------------------------------------------------------------------------

    def _room(self, slug: str, ref: str | None, session: Session | None = None) -> RoomSpec:
        spec = self.rooms.get(slug)
        if spec is None and self.private is not None and session is not None:
            spec = self.private.spec(slug, session.id)  # a tête-à-tête of this session's, joined here
        if spec is None:
            raise RequestError("unknown_room", ref)
        return spec

    def room_info(self, spec: RoomSpec, helpers: int | None = None) -> dict[str, Any]:
        now = self.now()
        is_open = self.is_open(spec, now, helpers)
        next_open = None if is_open else spec.schedule.next_open(now)
        return {
            "title": spec.title, "description": spec.description, "charter": spec.charter,
            "lang": spec.lang, "moderation": spec.moderation, "slow_mode_s": spec.slow_mode_s,
            "max_length": spec.max_length, "open": is_open,
            "next_open": None if next_open is None else timestamp(next_open.astimezone(UTC)),
            "theme": spec.theme, "private": is_private(spec.slug),
        }

    def is_open(self, spec: RoomSpec, now: datetime, helpers: int | None = None) -> bool:
        # A pre-moderated room with nobody to approve would swallow messages: closed too.
        if spec.requires_helper or spec.moderation == "pre":
            on_duty = self.presence(spec.slug)[1] if helpers is None else helpers
            if on_duty == 0:
                return False
        return spec.schedule.is_open(now)

    def presence(self, room: str) -> tuple[int, int]:
        """The figures last read for a room with local members: (sessions, helpers on duty)."""
        return self.presence_tracker.figures(room)

    async def presence_all(self) -> dict[str, tuple[int, int]]:
        """Fresh figures for every room, over every process."""
        return await self.presence_tracker.read(self.rooms)

    async def _pseudonym_for(self, session: Session, spec: RoomSpec, wish: str | None, ref: str | None) -> str:
        now = self.now()
        if wish is not None:
            try:
                name = self.pseudonyms.validate(wish)
            except PseudonymError:
                raise RequestError("pseudonym_invalid", ref) from None
            if not await self._session_store.hold_pseudonym(spec.slug, session.id, name, normalise_name(name), now):
                raise RequestError("pseudonym_taken", ref)
            return name
        # Never the name the session has here or in another room: nothing may link its rooms,
        # and a re-roll must change the name.
        avoid = {normalise_name(held) for held in session.pseudonyms.values()}
        for attempt in range(_PSEUDONYM_TRIES):
            name = self.pseudonyms.generate(spec.lang)
            if attempt >= _PSEUDONYM_TRIES // 2:
                name = f"{name} {attempt}"
            if normalise_name(name) in avoid:
                continue
            if await self._session_store.hold_pseudonym(spec.slug, session.id, name, normalise_name(name), now):
                return name
        raise RequestError("pseudonym_taken", ref)

    async def _join(self, conn: Connection, session: Session, frame: Join) -> None:
        fixed_name = None
        if frame.room not in self.rooms and self.private is not None and is_private(frame.room):
            spec, fixed_name = await self.private.admit(session, frame)
        else:
            spec = self._room(frame.room, frame.ref, session)
        now = self.now()
        ban = session.sanction("ban", spec.slug, now)
        if ban is not None:
            raise RequestError("banned", frame.ref, until=_until(ban.until))
        figures = (await self.presence_tracker.read([spec.slug]))[spec.slug]
        here = self.presence_tracker.here(spec.slug, session.id)
        if not here and figures[0] >= spec.capacity:
            raise RequestError("room_full", frame.ref)
        # Per session, not per connection: a second tab must not double the limit.
        session_rooms = {room for other in session.connections for room in other.rooms}
        if spec.slug not in session_rooms and len(session_rooms) >= self.config.max_rooms_per_session:
            raise RequestError("too_many_rooms", frame.ref)
        current = fixed_name or session.pseudonyms.get(spec.slug)  # a tête-à-tête: the names they know
        wish = None if fixed_name is not None else frame.pseudonym
        if wish is not None and (current is None or wish.strip() != current):
            current = await self._pseudonym_for(session, spec, wish, frame.ref)
        elif current is None:
            current = await self._pseudonym_for(session, spec, None, frame.ref)
        session.pseudonyms[spec.slug] = current

        already = conn in self.streams.members(spec.slug)
        if not already:
            await self.streams.open(spec.slug, conn)
        since = None if frame.since is None else parse_message_id(frame.since)
        try:
            history = await self.messages.history(spec.slug, since, spec.history_size, _RESUME_MAX)
        except BaseException:
            if not already:
                await self.streams.abandon(spec.slug, conn)
            raise
        # A `since` that is not one of our ids at all is unknown: the latest, with a gap.
        gap = history.gap or (frame.since is not None and since is None)
        count, helpers = figures
        if not here:
            count += 1
        self.send(conn, {
            "type": "joined", "room": spec.slug, "ref": frame.ref, "pseudonym": current,
            "room_info": self.room_info(spec, helpers),
            "history": [message_frame(m) for m in history.messages],
            "presence": {"count": count, "helpers": helpers}, "gap": gap,
        })
        if not already:
            self.streams.admit(spec.slug, conn, max((m.seq for m in history.messages), default=since or 0))
            conn.rooms.add(spec.slug)
            await self.presence_tracker.enter(spec.slug, session.id)

    async def leave_room(self, conn: Connection, room: str) -> None:
        if not await self.streams.leave(room, conn):
            return
        conn.rooms.discard(room)
        if isinstance(conn.session, Session):
            await self.presence_tracker.exit(room, conn.session.id)

    # -- speaking -------------------------------------------------------------------------------

    def _lock(self, room: str) -> asyncio.Lock:
        lock = self._locks.get(room)
        if lock is None:
            lock = self._locks[room] = asyncio.Lock()
        return lock

    async def _say(self, conn: Connection, session: Session, frame: Say) -> None:
        spec = self._room(frame.room, frame.ref, session)
        if spec.slug not in conn.rooms:
            raise RequestError("not_joined", frame.ref)
        now = self.now()
        helpers = None
        if spec.requires_helper or spec.moderation == "pre":
            # Whether it is open depends on who is on duty right now, on any process.
            helpers = (await self.presence_tracker.read([spec.slug]))[spec.slug][1]
        if not self.is_open(spec, now, helpers):
            raise RequestError("room_closed", frame.ref)
        mute = session.sanction("mute", spec.slug, now)
        if mute is not None:
            raise RequestError("muted", frame.ref, until=_until(mute.until))
        text = frame.text.strip()
        if not text:
            raise RequestError("empty", frame.ref)
        if len(text) > spec.max_length:
            raise RequestError("too_long", frame.ref, max_length=spec.max_length)
        slow = spec.slow_mode_s if session.role == "peer" else 0
        c = self.config
        refusal = await self.state.admit_say(session.id, spec.slug, slow, c.rate_burst, c.rate_per_s)
        if refusal is not None:
            if refusal.code == "rate_limited" and session.refusals.hit(self.clock()):
                raise CloseError("flooding", CLOSE_FLOODING, ref=frame.ref)
            raise RequestError(refusal.code, frame.ref, retry_after_s=round(max(refusal.retry_after_s, 0.1), 1))
        cw = frame.cw.strip() if frame.cw else None
        if is_private(spec.slug):
            await self._say_privately(conn, session, spec, frame, text, cw or None, now)
            return
        review: list[str] = []  # why a helper should see this message (published or held)
        second: CrisisResult | None = None  # the encoder's reading, when it was needed early
        hold, held_code, priority = False, "premoderated", 1
        outcome = self._check(session, spec, text)
        if outcome is not None and session.role == "peer":
            verdict = outcome.verdict
            reasons = [r for r in verdict.reasons if not r.startswith("crisis")]
            if outcome.action is Action.REJECT:
                # As the pipeline does for the fast reading: nobody speaking of distress meets a
                # refusal. What the encoder flags is held for a helper instead.
                second = await self._read_again(session, spec, text, outcome)
                if not second.flagged:
                    raise RequestError("rejected", frame.ref, reason=verdict.code,
                                       message=rejected_text(verdict.code or "", session.locale))
            if outcome.action >= Action.FLAG and reasons:
                review += reasons
                priority = max(priority, min(verdict.priority, 2))
            if outcome.action >= Action.HOLD:
                hold, held_code = True, verdict.code or "held"
        if self.desk is not None and session.role == "peer":
            if spec.moderation == "pre":
                review.append("pre-moderated room")
                hold = True
            elif await self._on_probation(session, spec.slug, now):
                review.append("new session in a room with a recent ban")
                if helpers is None:
                    helpers = (await self.presence_tracker.read([spec.slug]))[spec.slug][1]
                if not hold and helpers > 0:  # held only when someone can approve it
                    hold, held_code = True, "review"
        crisis = None if outcome is None or self.desk is None else outcome.crisis
        if second is not None and second.flagged and self.desk is not None:
            crisis = second
        pseudonym = session.pseudonyms[spec.slug]
        if hold and self.desk is not None:
            # A held message is read again before its item opens: the helper who approves it
            # then knows it is a crisis.
            crisis, review = await self._crisis_after_second_reading(session, spec, text, outcome, crisis, review)
            item = await self.desk.open(
                room=spec.slug, kind="held", priority=priority, session=session, pseudonym=pseudonym,
                text=text, cw=cw or None, reasons=review, message_seq=None,
            )
            self.send(conn, {"type": "ack", "ref": frame.ref, "id": held_ack_id(item), "status": "held",
                             "reason": held_code})
            # Privately, why: personal data is held to protect the writer from outing themselves.
            self.send(conn, {"type": "notice", "room": spec.slug, "level": "info", "code": "held",
                             "reason": held_code, "text": held_text(held_code, session.locale), "until": None})
            if crisis is not None and crisis.flagged:
                await self.desk.crisis(
                    session, spec.slug, pseudonym, text, cw or None, None, held_ack_id(item), crisis,
                    held_item_id=item.id,
                )
            return
        # In this process, one room's messages are stored and published one after the other,
        # so they leave in id order; across processes the streams restore that order.
        async with self._lock(spec.slug):
            stored = await self.messages.append(spec.slug, session.id, pseudonym, session.role, text, cw or None, now)
            self.send(conn, {"type": "ack", "ref": frame.ref, "id": stored.id, "status": "published"})
            await self.streams.publish(spec.slug, stored.seq, _render(stored))
        if self.desk is None:
            return
        if (crisis is None or not crisis.flagged) and self._reads_again(outcome):
            # Published first; the encoder reads in the background, so that neither the room nor
            # this writer's next message waits for it: the card and the alert follow.
            self._in_background(self._after_second_reading(
                session, spec, pseudonym, text, stored, outcome, crisis, review, priority,
            ))
            return
        await self._alert_and_review(session, spec, pseudonym, text, stored, crisis, review, priority)

    async def _after_second_reading(
        self, session: Session, spec: RoomSpec, pseudonym: str, text: str, stored: StoredMessage,
        outcome: Outcome | None, crisis: CrisisResult | None, review: list[str], priority: int,
    ) -> None:
        crisis, review = await self._crisis_after_second_reading(session, spec, text, outcome, crisis, review)
        await self._alert_and_review(session, spec, pseudonym, text, stored, crisis, review, priority)

    async def _alert_and_review(
        self, session: Session, spec: RoomSpec, pseudonym: str, text: str, stored: StoredMessage,
        crisis: CrisisResult | None, review: list[str], priority: int,
    ) -> None:
        """For a published message: the crisis alert and card, and the item for a helper to read."""
        desk = self._desk()
        if crisis is not None and crisis.flagged:
            await desk.crisis(session, spec.slug, pseudonym, text, stored.cw, stored.seq, stored.id, crisis)
        if review:
            await desk.open(
                room=spec.slug, kind="auto", priority=priority, session=session, pseudonym=pseudonym,
                text=text, cw=stored.cw, reasons=review, message_seq=stored.seq,
            )

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` past the frame that started it; kept until done, so that stop waits for it."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work after a message failed", exc_info=task.exception())

    async def _say_privately(
        self, conn: Connection, session: Session, spec: RoomSpec, frame: Say, text: str, cw: str | None,
        now: datetime,
    ) -> None:
        """In a tête-à-tête nothing is held or refused: a helper is reading. A crisis message
        still brings its writer the card; no queue item, since the helper is right there."""
        outcome = self._check(session, spec, text)
        crisis = None if outcome is None else outcome.crisis
        async with self._lock(spec.slug):
            stored = await self.messages.append(spec.slug, session.id, session.pseudonyms[spec.slug], session.role,
                                                text, cw, now)
            self.send(conn, {"type": "ack", "ref": frame.ref, "id": stored.id, "status": "published"})
            await self.streams.publish(spec.slug, stored.seq, _render(stored))
        if session.role != "peer":
            return
        if crisis is not None and crisis.flagged:
            await self.send_pointer(session, spec.slug, stored.id, "private", about_someone_else(crisis.categories))
        elif outcome is not None and self._reads_again(outcome):
            self._in_background(self._private_after_second_reading(session, spec, text, stored.id, outcome))

    async def _private_after_second_reading(
        self, session: Session, spec: RoomSpec, text: str, message_id: str, outcome: Outcome,
    ) -> None:
        crisis = await self._read_again(session, spec, text, outcome)
        if crisis.flagged:
            await self.send_pointer(session, spec.slug, message_id, "private", about_someone_else(crisis.categories))

    def _reads_again(self, outcome: Outcome | None) -> bool:
        """Whether the encoder reads this message again (the fast reading did not flag it)."""
        detector = self.crisis_detector
        return (
            outcome is not None and detector is not None and detector.encoder is not None
            and CRISIS_CHECK in outcome.checks
        )

    async def _read_again(self, session: Session, spec: RoomSpec, text: str, outcome: Outcome) -> CrisisResult:
        """The encoder's reading of a message the fast reading did not flag (NOT_FLAGGED without
        an encoder, or when the check pipeline has no crisis check)."""
        detector = self.crisis_detector
        if detector is None or not self._reads_again(outcome):
            return NOT_FLAGGED
        return await self.second_reading.read(detector, text, self._check_lang(session, spec))

    async def _crisis_after_second_reading(
        self, session: Session, spec: RoomSpec, text: str, outcome: Outcome | None, crisis: CrisisResult | None,
        review: list[str],
    ) -> tuple[CrisisResult | None, list[str]]:
        """The crisis result once the encoder has read what the fast reading did not flag; a
        crisis it finds replaces the "possible distress" item (the alert says more)."""
        if outcome is None or (crisis is not None and crisis.flagged):
            return crisis, review
        second = await self._read_again(session, spec, text, outcome)
        if not second.flagged:
            return crisis, review
        return second, [r for r in review if r != REVIEW_REASON]

    def _check_lang(self, session: Session, spec: RoomSpec) -> str:
        # The room's language, unless the writer's own differs: then both are scanned.
        return spec.lang if session.locale[:2] == spec.lang[:2] else "und"

    def _check(self, session: Session, spec: RoomSpec, text: str) -> Outcome | None:
        """The check pipeline, timed per check; the session's recent texts feed the repetition check."""
        if self.checks is None:
            return None
        recent = session.recent.setdefault(spec.slug, deque(maxlen=5))
        clock = self.clock()
        while recent and recent[0][0] < clock - _REPEAT_WINDOW_S:
            recent.popleft()  # a nightly "bonne nuit à tous" is not a repeat of yesterday's
        lang = self._check_lang(session, spec)
        outcome = self.checks.run(Candidate(
            text=text, lang=lang, room=spec.slug, session_id=session.id, role=session.role,
            link_policy=self.check_config.link_policy_for(spec.slug), recent=tuple(t for _, t in recent), now=clock,
        ))
        recent.append((clock, text))
        self.metrics.check_seconds.observe(outcome.total_ns / 1e9)
        return outcome

    async def _on_probation(self, session: Session, room: str, now: datetime) -> bool:
        if session.created_at is None:
            return False
        if (now - as_utc(session.created_at)).total_seconds() >= self.config.probation_s:
            return False
        # Read at most every few seconds per room: every new session's say would ask otherwise.
        clock = self.clock()
        known = self._recent_bans.get(room)
        if known is None or known[0] < clock - _BAN_CACHE_S:
            known = (clock, await self.moderation.recent_ban(room, now - timedelta(days=self.config.ban_memory_days)))
            self._recent_bans[room] = known
        return known[1]

    async def _rename(self, conn: Connection, session: Session, frame: Rename) -> None:
        spec = self._room(frame.room, frame.ref, session)
        if spec.slug not in conn.rooms:
            raise RequestError("not_joined", frame.ref)
        if is_private(spec.slug):
            raise RequestError("forbidden", frame.ref)  # the two know each other by these names
        name = await self._pseudonym_for(session, spec, frame.pseudonym, frame.ref)
        session.pseudonyms[spec.slug] = name
        for other in session.connections:
            if spec.slug in other.rooms:
                self.send(other, {"type": "renamed", "room": spec.slug, "pseudonym": name,
                                  "ref": frame.ref if other is conn else None})

    async def _report(self, conn: Connection, session: Session, frame: Report) -> None:
        spec = self._room(frame.room, frame.ref, session)
        if is_private(spec.slug):
            raise RequestError("forbidden", frame.ref)  # nobody but the two of them would read it
        seq = parse_message_id(frame.message_id)
        message = None if seq is None else await self.messages.get(spec.slug, seq)
        if message is None or seq is None:
            raise RequestError("not_found", frame.ref)
        reason = frame.reason.strip()[: self.config.report_reason_max_length]
        if self.desk is None:
            await self.moderation.add_report(spec.slug, seq, session.id, reason, self.now())
        else:
            limit = self._reports.get(session.id)
            if limit is None:
                limit = self._reports[session.id] = WindowCounter(
                    self.desk.config.reports_per_window, self.desk.config.report_window_s,
                )
            if limit.hit(self.clock()):
                raise RequestError("rate_limited", frame.ref, retry_after_s=60.0)
            await self.desk.report(session, spec.slug, message, reason)
        self.send(conn, {"type": "ack", "ref": frame.ref, "id": frame.message_id, "status": "reported"})

    async def _erase(self, session: Session) -> None:
        removed = await self.messages.erase_session(session.id)
        if self.desk is not None:
            # What the queue copied of those messages goes with them (crisis items: ids only).
            await self.desk.queue.expire(self.now(), author=session.id)
        for room, seqs in removed.items():
            await self.publish_hidden(room, seqs)

    async def publish_hidden(self, room: str, seqs: list[int]) -> None:
        for seq in seqs:
            frame = {"type": "hidden", "room": room, "id": format_message_id(seq)}
            await self.streams.publish_event(room, encode(frame))

    async def send_pointer(self, session: Session, room: str, message_id: str, stage: str, other: bool) -> None:
        """The crisis card, to the writer alone: only their own connections that are in the room."""
        card = None if self._helplines is None else await self._helplines(session.locale)
        frame = encode(pointer_frame(card, room=room, message_id=message_id, locale=session.locale,
                                     stage=stage, about_someone_else=other))
        for conn in session.connections:
            if room in conn.rooms:
                conn.offer(frame)

    async def republish(self, message: StoredMessage) -> None:
        """A message hidden until a decision, shown again: its frame goes out once more (same id)."""
        await self.streams.publish_event(message.room, _render(message))

    async def publish_approved(self, item: Item) -> int:
        """A held message a helper approved: stored now, under the next id, and published; its seq."""
        pseudonym = item.author_pseudonym
        async with self._lock(item.room):
            stored = await self.messages.append(
                item.room, item.author_session_id, pseudonym, item.author_role, item.text, item.cw, self.now(),
            )
            await self.streams.publish(item.room, stored.seq, _render(stored))
        await self._desk().queue.set_message(item.id, stored.seq, self.now())
        return stored.seq

    # -- duty (protocol §8) ------------------------------------------------------------------

    async def _duty(self, conn: Connection, session: Session, frame: Duty) -> None:
        if session.role not in ("helper", "admin"):
            raise RequestError("forbidden", frame.ref)
        if frame.rooms is None:
            rooms = [slug for slug in self.rooms if session.may_moderate(slug)]
        else:
            for slug in frame.rooms:
                if slug not in self.rooms or not session.may_moderate(slug):
                    raise RequestError("forbidden", frame.ref)
            rooms = list(frame.rooms)
        await self.state.set_duty(session.id, rooms, frame.on)
        if frame.on:
            session.duty.update(rooms)
        else:
            session.duty.difference_update(rooms)
        await self.presence_tracker.read(rooms)  # a room that needs a helper opens now, not in a second
        for other in session.connections:
            self.send(other, {"type": "duty", "on": frame.on, "rooms": rooms,
                              "ref": frame.ref if other is conn else None})
        if frame.on and self.desk is not None:
            await self.desk.replay(session)

    # -- control: changes every process must apply -----------------------------------------

    async def announce(self, op: str, **data: Any) -> None:
        """Tell every process of the deployment (this one included) to apply a change."""
        message = {"op": op, **data}
        if not await self.streams.publish_or_keep(CONTROL_CHANNEL, json.dumps(message).encode()):
            await self._control(message)  # here now; the others when the broker is back

    async def sanction(self, session_id: str, room: str | None, kind: str, until: datetime | None) -> None:
        """Record a mute or ban; every process applies it to the session's live connections."""
        await self.moderation.add_sanction(session_id, room, kind, until, self.now())
        await self.announce("sanction", session=session_id, room=room, kind=kind, until=_until(until))

    async def kick(self, session_id: str, room: str) -> None:
        """Take a session out of a room on every process; it may come back."""
        await self.announce("kick", session=session_id, room=room)

    def on_control(self, op: str, handler: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Let another part of the app apply its own change on every process (`announce(op, ...)`)."""
        self._handlers[op] = handler

    def set_checks(self, checks: Pipeline, crisis_detector: CrisisDetector | None = None) -> None:
        """A new check pipeline (say, after an admin changed the crisis patterns) and the detector
        its crisis check reads with: the next say uses them."""
        self.checks = checks
        self.crisis_detector = crisis_detector

    async def _control(self, message: dict[str, Any]) -> None:
        handler = self._handlers.get(str(message.get("op")))
        if handler is not None:
            await handler(message)
            return
        match message.get("op"):
            case "rooms":
                await self.reload_rooms()
            case "end_account":
                self._end_account(str(message.get("username")))
            case "sanction":
                await self._apply_sanction(message)
            case "kick":
                await self._tell(str(message.get("session")), str(message.get("room")), "kicked", None)
            case "item":
                if self.desk is not None:
                    self.desk.deliver(dict(message["item"]), bool(message.get("new")))
            case "pointer":
                session = self.registry.find(str(message.get("session")))
                if session is not None:
                    await self.send_pointer(session, str(message.get("room")), str(message.get("message_id")),
                                            str(message.get("stage")), bool(message.get("other")))
            case "notice":
                await self._tell(str(message.get("session")), str(message.get("room")),
                                 str(message.get("code")), None, leave=False)
            case other:
                log.warning("unknown control message %r", other)

    async def _apply_sanction(self, message: dict[str, Any]) -> None:
        session_id, room, kind = str(message.get("session")), message.get("room"), str(message.get("kind"))
        until_text = message.get("until")
        until = None if until_text is None else datetime.fromisoformat(str(until_text).replace("Z", "+00:00"))
        if kind == "ban" and room is not None:
            self._recent_bans[str(room)] = (self.clock(), True)
        session = self.registry.find(session_id)
        if session is not None:
            session.sanctions.append(Sanction(kind, None if room is None else str(room), until))
            if kind == "ban" and room is None:
                for conn in list(session.connections):
                    conn.close_after_queue(CLOSE_BANNED_EVERYWHERE)
        if kind in ("ban", "mute") and room is not None:
            code = "banned" if kind == "ban" else "muted"
            await self._tell(session_id, str(room), code, until_text, leave=kind == "ban")

    async def _tell(self, session_id: str, room: str, code: str, until: Any, leave: bool = True) -> None:
        """A `notice` to the session's connections in the room; with `leave`, they are let out too."""
        session = self.registry.find(session_id)
        if session is None:
            return
        level = "warning" if code in _WARNINGS else "info"
        for conn in list(session.connections):
            if room not in conn.rooms:
                continue
            self.send(conn, {"type": "notice", "room": room, "level": level, "code": code,
                             "text": notice_text(code, session.locale), "until": until})
            if leave:
                await self.leave_room(conn, room)
                self.send(conn, {"type": "left", "room": room, "ref": None, "reason": code})

    async def reload_rooms(self) -> None:
        """Take the rooms from the database again and tell the members of changed ones."""
        if self._rooms_loader is None:
            return
        before = self.rooms
        self.set_rooms(await self._rooms_loader())
        for slug in list(self.streams.rooms()):
            if is_private(slug):
                continue  # a tête-à-tête is in no list of rooms; it ends its own way
            spec = self.rooms.get(slug)
            members = list(self.streams.members(slug))
            if spec is None:
                # Archived: its people are let out, and told why.
                for conn in members:
                    await self.leave_room(conn, slug)
                    self.send(conn, {"type": "left", "room": slug, "ref": None, "reason": "archived"})
            elif before.get(slug) != spec:
                frame = encode({"type": "room_info", "room": slug, "room_info": self.room_info(spec)})
                for conn in members:
                    conn.offer(frame)

    def _end_account(self, username: str) -> None:
        for conn in list(self._connections):
            session = conn.session
            if isinstance(session, Session) and session.username == username:
                conn.close_after_queue(CLOSE_ACCOUNT_ENDED)

    # -- background loops ---------------------------------------------------------------------

    async def _listen(self) -> None:
        async for channel, payload in self.broker.messages():
            try:
                if channel.startswith(ROOM_PREFIX):
                    self.streams.hear(channel[len(ROOM_PREFIX):], payload)
                elif channel == CONTROL_CHANNEL:
                    await self._control(json.loads(payload))
                elif channel == RESUBSCRIBED:
                    await self._recover()
            except Exception:
                log.exception("broker message could not be handled")

    async def _recover(self) -> None:
        """The broker is back: what was published meanwhile is read back from the database."""
        self.metrics.broker_reconnects.inc()
        await self.streams.flush_outbox()
        await self.reload_rooms()
        await self.streams.catch_up()
        if self.desk is not None:
            await self.desk.replay_all()

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.presence_interval_s)
            try:
                await self.flush_presence()
            except Exception:
                log.exception("presence could not be read")

    async def flush_presence(self) -> None:
        for room, (count, helpers) in (await self.presence_tracker.changes(self.streams.rooms())).items():
            frame = encode({"type": "presence", "room": room, "count": count, "helpers": helpers})
            for conn in self.streams.members(room):
                conn.offer(frame)

    async def _escalation_loop(self) -> None:
        """Crisis items nobody claims go further, every couple of seconds checked, on every process."""
        while True:
            await asyncio.sleep(min(2.0, self.config.heartbeat_s))
            try:
                if self.desk is not None:
                    await self.desk.escalate_waiting()
            except Exception:
                log.exception("crisis escalation check failed")
            try:
                if self.private is not None:
                    await self.private.sweep()
            except Exception:
                log.exception("tête-à-tête sweep failed")

    async def _upkeep_loop(self) -> None:
        """Every few seconds: keep this process's presence and duty alive, and catch up lagging rooms."""
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            try:
                await self.state.keep_alive({s.id: set(s.duty) for s in self.registry.live() if s.duty})
                if self.desk is not None:
                    open_items = await self.desk.queue.counts_by_priority()
                    for priority in range(4):
                        self.metrics.queue_open.labels(priority=str(priority)).set(open_items.get(priority, 0))
                if self._rooms_last is not None:
                    await self.streams.catch_up(await self._rooms_last())
            except Exception:
                log.exception("upkeep failed")
