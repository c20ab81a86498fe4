"""Tête-à-têtes in the hub: a helper invites, the person answers, the two talk, either ends it.

The database holds who may enter and where each tête-à-tête stands; every change is
announced on the control channel with the two session ids, and each process that holds a
connection of either session reads the record back and tells them (`private_room`, and
`private_invite` to the person while it is pending). Those frames come again at each
`hello`, so a change seen by nobody (both offline, broker down) is not lost.

A tête-à-tête ends when either person leaves it, or when one of them has had no
connection in it for `private_absent_grace_s` (a phone that lost its network may come
back meanwhile); an invitation nobody answers lapses. Every process runs that check; the
conditional UPDATE picks the one that announces it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chat.connection import Connection
from chat.desk import Desk, DeskConfig
from chat.errors import RequestError
from chat.messages import invitation_text
from chat.protocol import Invite, Join, PrivateAnswer, encode, timestamp
from chat.sessions import Session
from moderation.audit import Actor, AuditEntry
from moderation.private_rooms import ENDED, PrivateRoom, PrivateRoomStore, is_private
from moderation.queue import Conflict
from rooms.config import RoomSpec

if TYPE_CHECKING:
    from chat.hub import Hub

__all__ = ["PrivateDesk"]

log = logging.getLogger(__name__)

CONTROL_OP = "private"


class PrivateDesk:
    def __init__(self, hub: Hub, desk: Desk, store: PrivateRoomStore, config: DeskConfig) -> None:
        self._hub = hub
        self._desk = desk
        self.store = store
        self.config = config
        #: The open tête-à-têtes with a member on this process: their settings, for `say`.
        self._open: dict[str, tuple[PrivateRoom, RoomSpec]] = {}
        self._absent_since: dict[str, float] = {}  # slug -> when this process first saw one of them missing
        hub.on_control(CONTROL_OP, self._on_control)

    def spec(self, slug: str, session_id: str) -> RoomSpec | None:
        """The settings of an open tête-à-tête joined on this process, for its two people only:
        to anyone else it does not exist."""
        known = self._open.get(slug)
        return None if known is None or not known[0].has(session_id) else known[1]

    # -- the helper invites ----------------------------------------------------------------

    async def invite(self, session: Session, frame: Invite) -> PrivateRoom:
        hub, desk = self._hub, self._desk
        item = await desk.item_for(session, frame.item, frame.ref)
        if item.state == "resolved":
            raise RequestError("not_found", frame.ref)
        if item.author_role != "peer":
            raise RequestError("forbidden", frame.ref)
        name = desk.name(session)
        existing = await self.store.live_for_item(item.id)
        if existing is not None:
            if existing.helper_session_id != session.id:
                raise RequestError("conflict", frame.ref, claimed_by=existing.helper_username)
            await self._announce(existing)  # asked again: the person is told again
            return existing
        origin = hub.rooms.get(item.room)
        if origin is None:  # archived since: there is nowhere to take the retention from
            raise RequestError("not_found", frame.ref)
        now = hub.now()
        if item.claimed_by != name:
            try:
                claimed = await desk.queue.claim(item.id, name, now, desk.audit(session, "claim", item, None))
            except Conflict:
                raise RequestError("conflict", frame.ref, claimed_by=item.claimed_by) from None
            await desk.push(claimed, new=False)
        draft = PrivateRoom(
            slug="", item_id=item.id, origin_room=origin.slug, helper_session_id=session.id,
            helper_username=name, helper_pseudonym=self._helper_name(session, origin),
            person_session_id=item.author_session_id, person_pseudonym=item.author_pseudonym,
            state="invited", reason=None, created_at=now,
            expires_at=now + timedelta(seconds=self.config.private_invite_ttl_s), opened_at=None, ended_at=None,
        )
        audit = AuditEntry(actor=Actor(name, session.role), action="private.invite", target_kind="item",
                           target=item.id, at=now, room=item.room, details={"kind": item.kind})
        room = await self.store.create(draft, origin, now, also=[audit.row()])
        await self._announce(room)
        return room

    def _helper_name(self, session: Session, origin: RoomSpec) -> str:
        """The helper's pseudonym in the room the item came from: the person may know it already."""
        return session.pseudonyms.get(origin.slug) or self._hub.pseudonyms.generate(origin.lang)

    # -- the person answers -------------------------------------------------------------------

    async def answer(self, session: Session, frame: PrivateAnswer) -> PrivateRoom:
        room = await self.store.get(frame.room) if is_private(frame.room) else None
        now = self._hub.now()
        if room is None or room.person_session_id != session.id or room.state != "invited" or room.expires_at <= now:
            raise RequestError("not_found", frame.ref)
        to = "open" if frame.accept else "declined"
        audit = AuditEntry(
            actor=Actor(room.person_pseudonym, "peer"), action=f"private.{'accept' if frame.accept else 'decline'}",
            target_kind="private_room", target=room.slug, at=now, room=room.origin_room,
            details={"item": room.item_id},
        )
        moved = await self.store.move(room.slug, ("invited",), to, now,
                                      reason=None if frame.accept else "declined", also=[audit.row()])
        if moved is None:
            raise RequestError("not_found", frame.ref)
        await self._announce(moved)
        return moved

    # -- entering, leaving ------------------------------------------------------------------------

    async def admit(self, session: Session, frame: Join) -> tuple[RoomSpec, str]:
        """The room's settings and the session's fixed name there; `unknown_room` for anyone else.

        Anyone but its two people, before it opens and after it ends, meets exactly what a
        room that does not exist answers: nothing tells them there is one.
        """
        room = await self.store.get(frame.room)
        if room is None or room.state != "open" or not room.has(session.id):
            raise RequestError("unknown_room", frame.ref)
        spec = await self.store.spec(room.slug)
        if spec is None:
            raise RequestError("unknown_room", frame.ref)
        name = room.pseudonym_of(session.id)
        if frame.pseudonym is not None and frame.pseudonym.strip() != name:
            raise RequestError("forbidden", frame.ref)
        self._open[room.slug] = (room, spec)
        return spec, name

    async def left(self, session: Session, slug: str) -> None:
        """One of the two left on purpose: it ends for both."""
        known = self._open.get(slug)
        room = known[0] if known is not None else await self.store.get(slug)
        if room is None or not room.has(session.id):
            return
        await self._end(room, "left", Actor(room.helper_username if session.id == room.helper_session_id
                                             else room.pseudonym_of(session.id), session.role))

    async def _end(self, room: PrivateRoom, reason: str, actor: Actor) -> None:
        now = self._hub.now()
        audit = AuditEntry(actor=actor, action="private.close", target_kind="private_room", target=room.slug,
                           at=now, room=room.origin_room, details={"item": room.item_id, "reason": reason})
        moved = await self.store.move(room.slug, ("open",), "closed", now, reason=reason, also=[audit.row()])
        if moved is not None:
            await self._announce(moved)

    # -- telling the two of them ---------------------------------------------------------------------

    async def _announce(self, room: PrivateRoom) -> None:
        await self._hub.announce(CONTROL_OP, room=room.slug,
                                 sessions=[room.helper_session_id, room.person_session_id])

    async def _on_control(self, message: dict[str, Any]) -> None:
        slug = str(message.get("room"))
        sessions = [str(s) for s in message.get("sessions") or ()]
        registry = self._hub.registry
        if slug not in self._open and not any(registry.find(s) is not None for s in sessions):
            return  # neither of them is here
        room = await self.store.get(slug)
        if room is None:
            return
        if room.state in ENDED:
            await self._shut(slug)  # `left` first, then what happened (`private_room`)
        for session_id in (room.helper_session_id, room.person_session_id):
            session = registry.find(session_id)
            if session is not None:
                self._tell(session, room, list(session.connections))

    def _tell(self, session: Session, room: PrivateRoom, conns: list[Connection]) -> None:
        frames = []
        if room.state == "invited" and session.id == room.person_session_id:
            frames.append(encode({
                "type": "private_invite", "room": room.slug, "from_room": room.origin_room,
                "helper": room.helper_pseudonym, "text": invitation_text(room.helper_pseudonym, session.locale),
                "expires": timestamp(room.expires_at),
            }))
        frames.append(encode(room.frame_for(session.id)))
        for conn in conns:
            for text in frames:
                conn.offer(text)

    async def _shut(self, slug: str) -> None:
        """Ended: whoever is still in it here is let out, and told why."""
        self._open.pop(slug, None)
        self._absent_since.pop(slug, None)
        hub = self._hub
        for conn in list(hub.streams.members(slug)):
            await hub.leave_room(conn, slug)
            hub.send(conn, {"type": "left", "room": slug, "ref": None, "reason": "closed"})

    async def replay(self, session: Session, conn: Connection) -> None:
        """At `hello`: the session's pending invitations and open tête-à-têtes, once more."""
        now = self._hub.now()
        for room in await self.store.live_for_session(session.id):
            if room.state == "invited" and room.expires_at <= now:
                continue  # lapsed; the sweep is about to say so
            self._tell(session, room, [conn])

    # -- the sweep: lapsed invitations, people gone --------------------------------------------------

    async def sweep(self) -> None:
        hub = self._hub
        now, clock = hub.now(), hub.clock()
        grace = self.config.private_absent_grace_s
        live = await self.store.live()
        opened = [room for room in live if room.state == "open"]
        counts = await hub.state.counts([room.slug for room in opened]) if opened else {}
        for room in live:
            if room.state == "invited" and room.expires_at <= now:
                audit = AuditEntry(actor=Actor("system", "system"), action="private.expire",
                                   target_kind="private_room", target=room.slug, at=now, room=room.origin_room,
                                   details={"item": room.item_id})
                moved = await self.store.move(room.slug, ("invited",), "expired", now, reason="expired",
                                              also=[audit.row()])
                if moved is not None:
                    await self._announce(moved)
        for room in opened:
            if counts.get(room.slug, (0, 0))[0] >= 2:
                self._absent_since.pop(room.slug, None)
                continue
            since = self._absent_since.setdefault(room.slug, clock)
            opened_for = (now - room.opened_at).total_seconds() if room.opened_at is not None else grace
            if clock - since >= grace and opened_for >= grace:
                await self._end(room, "absent", Actor("system", "system"))
        still = {room.slug for room in opened}
        for slug in [s for s in self._absent_since if s not in still]:
            del self._absent_since[slug]
        for slug in [s for s in self._open if s not in still and s not in {r.slug for r in live}]:
            await self._shut(slug)  # ended while this process did not hear it (broker away)

