"""The pair-aidants' side of the hub: queue items to those on duty, and what they decide.

Delivery is at least once. An item is stored before anyone is told; then every process
sends it to its own sessions on duty for the item's room. A helper who goes on duty, or
whose connection comes back (here or on another process), gets every unresolved item of
their rooms again, and so does every on-duty helper of a process whose broker connection
came back: clients deduplicate by item id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chat.connection import Connection
from chat.errors import RequestError
from chat.protocol import Claim, Release, Resolve, encode
from chat.sessions import Session
from moderation.audit import Actor, AuditEntry
from moderation.crisis import CrisisResult
from moderation.pointer import about_someone_else
from moderation.queue import Conflict, Item, QueueStore, escalated_to, held_reason
from rooms.records import StoredMessage, format_message_id

if TYPE_CHECKING:
    from chat.hub import Hub

__all__ = ["Desk", "DeskConfig"]

log = logging.getLogger(__name__)

STAFF_ROLES = ("helper", "admin")
CRISIS_REASON = "crisis: "  # followed by a category, among a crisis item's reasons


@dataclass(frozen=True, slots=True)
class DeskConfig:
    # A crisis item nobody claims within this goes to every helper on duty, and after as long
    # again to the admins (and the writer is told honestly that nobody is available). Each step
    # counts from when the item began to wait at its level: created, released or escalated.
    crisis_claim_timeout_s: float = 60.0
    # Reports whose summed weight reaches this hide the message until a helper decides.
    report_hide_weight: float = 3.0
    # How many reports one session may file in `report_window_s`.
    reports_per_window: int = 10
    report_window_s: float = 600.0
    # A tête-à-tête invitation nobody answers lapses after this.
    private_invite_ttl_s: float = 600.0
    # A tête-à-tête one of whose two people has had no connection in it for this long ends:
    # long enough for a phone that lost its network to come back.
    private_absent_grace_s: float = 60.0


class Desk:
    def __init__(self, hub: Hub, queue: QueueStore, config: DeskConfig) -> None:
        self._hub = hub
        self.queue = queue
        self.config = config

    # -- who sees what -------------------------------------------------------------------

    @staticmethod
    def sees(session: Session, frame: dict[str, Any]) -> bool:
        """On duty for the item's room; or, once escalated, any helper on duty; then admins."""
        if session.role not in STAFF_ROLES:
            return False
        room = str(frame["room"])
        if room in session.duty and session.may_moderate(room):
            return True
        return escalated_to(int(frame.get("escalation") or 0), session.role, bool(session.duty))

    def deliver(self, frame: dict[str, Any], new: bool) -> None:
        """To this process's sessions that see the item: `alert` when new, `item` when changed."""
        text = encode({"type": "alert" if new else "item", "item": frame})
        for session in self._hub.registry.live():
            if self.sees(session, frame):
                for conn in session.connections:
                    conn.offer(text)

    async def push(self, item: Item, new: bool) -> None:
        await self._hub.announce("item", item=item.frame(), new=new)

    async def replay(self, session: Session, only: Connection | None = None) -> None:
        """Every unresolved item the session sees, as `alert`s (clients drop the ones they have).

        Escalated items reach beyond the room's helpers, so every unresolved item is read;
        an admin sees those escalated to the admins even off duty.
        """
        if session.role not in STAFF_ROLES or not (session.duty or session.role == "admin"):
            return
        for item in await self.queue.unresolved(None):
            frame = item.frame()
            if self.sees(session, frame):
                text = encode({"type": "alert", "item": frame})
                for conn in [only] if only is not None else list(session.connections):
                    conn.offer(text)

    async def replay_all(self) -> None:
        for session in self._hub.registry.live():
            if session.duty:
                await self.replay(session)

    # -- opening items -----------------------------------------------------------------------

    async def open(
        self, *, room: str, kind: str, priority: int, session: Session, pseudonym: str, text: str,
        cw: str | None, reasons: list[str], message_seq: int | None,
    ) -> Item:
        item = await self.queue.create(
            room=room, kind=kind, priority=priority, now=self._hub.now(), author_session_id=session.id,
            author_pseudonym=pseudonym, author_role=session.role, text=text, cw=cw, reasons=reasons,
            message_seq=message_seq,
        )
        await self.push(item, new=True)
        return item

    async def report(self, session: Session, room: str, message: StoredMessage, reason: str) -> None:
        item, hide = await self.queue.report(
            room=room, seq=message.seq, reporter=session.id, reason=reason, now=self._hub.now(),
            author_session_id=message.session_id, author_pseudonym=message.pseudonym, author_role=message.role,
            text=message.text, cw=message.cw, hide_at=self.config.report_hide_weight,
        )
        if item is None:
            return  # the same session again: acknowledged, nothing changes
        if hide:
            await self._hub.messages.set_hidden(room, message.seq, True)
            await self._hub.publish_hidden(room, [message.seq])
        await self.push(item, new=True)

    # -- crisis (protocol §7 and §8) ----------------------------------------------------------

    async def crisis(
        self, session: Session, room: str, pseudonym: str, text: str, cw: str | None, seq: int | None,
        message_id: str, result: CrisisResult, held_item_id: str | None = None,
    ) -> None:
        """A crisis message, published: a priority-3 item to the helpers, and the card to the writer alone.

        A crisis message that is held (``held_item_id``) says so in a reason, so that the helper
        who reads the alert knows the room has not seen it yet and which item approves it.

        The item is stored before anything else, so a failure further on still leaves it for
        the next helper on duty and for the escalation timer.
        """
        hub = self._hub
        item = await self.queue.create(
            room=room, kind="crisis", priority=3, now=hub.now(), author_session_id=session.id,
            author_pseudonym=pseudonym, author_role=session.role, text=text, cw=cw,
            reasons=[CRISIS_REASON + c for c in result.categories] + [f"severity: {result.severity}"]
            + ([held_reason(held_item_id)] if held_item_id is not None else []),
            message_seq=seq,
        )
        figures = await hub.presence_all()
        here = figures.get(room, (0, 0))[1]
        anywhere = sum(helpers for _, helpers in figures.values())
        # Nobody of the room on duty: every helper on duty at once; nobody at all: the admins too.
        level = 0 if here else (1 if anywhere else 2)
        if level:
            item = await self.queue.escalate(item.id, level, hub.now()) or item
        await self.push(item, new=True)
        # Through the control channel: the writer's tabs on other processes get it too.
        await hub.announce("pointer", session=session.id, room=room, message_id=message_id,
                           stage="alerted" if anywhere else "unavailable",
                           other=about_someone_else(result.categories))

    async def escalate_waiting(self) -> None:
        """The escalation timer, run by every process; the database decides who announces each step."""
        hub = self._hub
        timeout = timedelta(seconds=self.config.crisis_claim_timeout_s)
        now = hub.now()
        for item in await self.queue.crisis_waiting(now - timeout):
            # One step per timeout of waiting unclaimed: an item released late goes to every
            # helper on duty first, not straight to the admins.
            level = item.escalation + 1
            raised = await self.queue.escalate(item.id, level, now)
            if raised is None:
                continue
            log.warning("crisis item unclaimed: escalated", extra={"level": level})
            await self.push(raised, new=True)
            if level == 2:
                seq = raised.message_seq
                message_id = held_ack_id(raised) if seq is None else format_message_id(seq)
                await hub.announce("pointer", session=raised.author_session_id, room=raised.room,
                                   message_id=message_id, stage="unavailable",
                                   other=about_someone_else(crisis_categories(raised)))

    # -- helpers' frames -------------------------------------------------------------------------

    async def item_for(self, session: Session, item_id: str, ref: str | None) -> Item:
        if session.role not in STAFF_ROLES:
            raise RequestError("forbidden", ref)
        item = await self.queue.get(item_id)
        if item is None:
            raise RequestError("not_found", ref)
        if not session.may_moderate(item.room) and not escalated_to(item.escalation, session.role, bool(session.duty)):
            raise RequestError("forbidden", ref)
        return item

    def audit(self, session: Session, action: str, item: Item, reason: str | None, **details: Any) -> AuditEntry:
        return AuditEntry(
            actor=Actor(session.username or session.id, session.role), action=f"item.{action}",
            target_kind="item", target=item.id, at=self._hub.now(), room=item.room, reason=reason,
            details={"kind": item.kind, "priority": item.priority, **details},
        )

    async def claim(self, session: Session, frame: Claim) -> Item:
        item = await self.item_for(session, frame.item, frame.ref)
        try:
            item = await self.queue.claim(item.id, self.name(session), self._hub.now(),
                                          self.audit(session, "claim", item, None))
        except Conflict:
            raise RequestError("conflict", frame.ref, claimed_by=item.claimed_by) from None
        await self.push(item, new=False)
        return item

    async def release(self, session: Session, frame: Release) -> Item:
        item = await self.item_for(session, frame.item, frame.ref)
        try:
            item = await self.queue.release(item.id, self.name(session), self._hub.now(),
                                            self.audit(session, "release", item, None))
        except Conflict:
            raise RequestError("conflict", frame.ref, claimed_by=item.claimed_by) from None
        await self.push(item, new=False)
        return item

    async def resolve(self, session: Session, frame: Resolve) -> tuple[str, Item]:
        """Decide on an item; returns the ack status ("resolved", or "escalated") and the item."""
        item = await self.item_for(session, frame.item, frame.ref)
        if frame.action == "approve" and (item.kind != "held" or item.message_seq is not None):
            raise RequestError("bad_field", frame.ref, field="action", detail="only a held message is approved")
        if frame.action == "escalate":
            return "escalated", await self._escalate(item, frame)
        note = frame.note.strip()
        try:
            resolved = await self.queue.resolve(
                item.id, self.name(session), frame.action, note, self._hub.now(),
                self.audit(session, f"resolve.{frame.action}", item, note or None, duration_s=frame.duration_s),
            )
        except Conflict:
            raise RequestError("conflict", frame.ref, claimed_by=item.claimed_by) from None
        await self._apply(resolved, frame)
        await self.push(resolved, new=False)
        if resolved.kind == "report" and resolved.message_seq is not None:
            for reporter in await self.queue.reporters(resolved.room, resolved.message_seq):
                await self._hub.announce("notice", session=reporter, room=resolved.room, code="report_handled")
        return "resolved", resolved

    @staticmethod
    def name(session: Session) -> str:
        return session.username or session.id

    async def _escalate(self, item: Item, frame: Resolve) -> Item:
        escalated = await self.queue.escalate(item.id, 2, self._hub.now()) or await self.queue.get(item.id)
        if escalated is None:
            raise RequestError("not_found", frame.ref)
        await self.push(escalated, new=True)  # new to the admins who now see it
        return escalated

    async def _apply(self, item: Item, frame: Resolve) -> None:
        """What the decision does to the people concerned, on every process."""
        hub, room, author = self._hub, item.room, item.author_session_id
        now = hub.now()
        match frame.action:
            case "dismiss":
                if item.auto_hidden and item.message_seq is not None:
                    # Hidden by reports until a decision: the decision is that it stays.
                    shown = await hub.messages.set_hidden(room, item.message_seq, False)
                    if shown is not None:
                        await hub.republish(shown)
            case "approve":
                seq = await hub.publish_approved(item)
                for linked in await self.queue.link_held(item.id, seq, now):
                    await self.push(linked, new=False)
            case "hide":
                if item.message_seq is not None:
                    await hub.messages.set_hidden(room, item.message_seq, True)
                    await hub.publish_hidden(room, [item.message_seq])
            case "warn":
                await hub.announce("notice", session=author, room=room, code="warned")
            case "timeout":
                await hub.sanction(author, room, "mute", now + timedelta(seconds=frame.duration_s or 0))
            case "kick":
                await hub.kick(author, room)
            case "ban":
                ban_until = None if frame.duration_s is None else now + timedelta(seconds=frame.duration_s)
                await hub.sanction(author, room, "ban", ban_until)


def crisis_categories(item: Item) -> list[str]:
    """The detector's categories, as the crisis item keeps them among its reasons."""
    return [r.removeprefix(CRISIS_REASON) for r in item.reasons if r.startswith(CRISIS_REASON)]


def held_ack_id(item: Item) -> str:
    """The `id` of a held message's ack: not a message id (it has none until approved)."""
    return f"held-{item.id}"
