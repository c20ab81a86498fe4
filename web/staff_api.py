"""The pair-aidants' JSON API beside the websocket: what the dashboard reads about a queue item
(the messages around it, the pseudonym's earlier items, private notes) and the notes it writes.

Claiming and deciding exist over HTTP too (protocol §8: "the same actions exist over
HTTP"), through the same desk as the websocket, with the same answers. Every route needs a
helper of the item's room or an admin (`web.auth.require`), and every write is audited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat.errors import FrameError, RequestError
from chat.hub import message_frame
from chat.protocol import Claim, Release, Resolve, decode_inbound, timestamp
from chat.ratelimit import WindowCounter
from chat.sessions import Session
from moderation.accounts import AccountError, StaffRecord
from moderation.audit import AuditEntry
from moderation.queue import Item, Note, QueueStore, escalated_to
from web.auth import actor_of, api, read_json, require
from web.services import Services

__all__ = ["CONTEXT_AFTER", "CONTEXT_BEFORE", "MAX_NOTE", "routes"]

CONTEXT_BEFORE = 10
CONTEXT_AFTER = 5
MAX_NOTE = 2000
_NO_STORE = {"Cache-Control": "no-store"}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _queue(request: Request) -> QueueStore:
    queue = _services(request).queue
    if queue is None:
        raise RuntimeError("the moderation queue is not started")
    return queue


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_NO_STORE)


def _note(note: Note) -> dict[str, Any]:
    return {"author": note.author, "text": note.text, "created": timestamp(note.created_at)}


async def _item(request: Request) -> tuple[StaffRecord, Item]:
    """The item of the path, for a helper of its room or an admin.

    Who is asking is checked first (401 before anything is said about an item), then the
    item (404), then the room (403).
    """
    staff = await require(request, "staff")
    item = await _queue(request).get(request.path_params["id"])
    if item is None:
        raise AccountError(404, "not_found")
    if not staff.account.may_moderate(item.room):
        # An escalated crisis reaches every helper on duty, then the admins: they may act on it.
        on_duty = bool(await _services(request).hub.state.duty_of(staff.chat_session_id))
        if not escalated_to(item.escalation, staff.role, on_duty):
            raise AccountError(403, "forbidden")
    return staff, item


@api
async def item_context(request: Request) -> Response:
    """GET /api/staff/items/{id}/context: the item, the messages around it, what is known of its author."""
    _, item = await _item(request)
    queue = _queue(request)
    before, after = await _services(request).hub.messages.around(
        item.room, item.message_seq, CONTEXT_BEFORE, CONTEXT_AFTER,
    )
    earlier = await queue.earlier_items(item.room, item.author_session_id, item.id)
    notes = await queue.notes(item.room, item.author_session_id)
    return _json({
        "item": item.frame(),
        "before": [message_frame(m) for m in before],
        "after": [message_frame(m) for m in after],
        "earlier_items": [e.frame() for e in earlier],
        "notes": [_note(n) for n in notes],
    })


@api
async def add_note(request: Request) -> Response:
    """POST /api/staff/items/{id}/notes {"text"}: a private note on the author's session in that room."""
    staff, item = await _item(request)
    body = await read_json(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE:
        raise AccountError(400, "bad_field", field="text", detail=f"1 to {MAX_NOTE} characters")
    text = text.strip()
    now = datetime.now(UTC)
    # The note itself stays with the notes: the log says who wrote one, when and about which item,
    # written in the same transaction as the note.
    await _queue(request).add_note(item.room, item.author_session_id, staff.username, text, now, AuditEntry(
        actor=actor_of(staff), action="note.add", target_kind="item", target=item.id, at=now, room=item.room,
        details={"kind": item.kind, "length": len(text)},
    ))
    return _json(_note(Note(staff.username, text, now)), 201)


_STATUS = {"forbidden": 403, "not_found": 404, "conflict": 409, "bad_field": 400}


def _acting(staff: StaffRecord) -> Session:
    """The staff member as the desk knows a session: who, which role, which rooms."""
    return Session(
        id=staff.chat_session_id, token="", role=staff.role, locale="fr", pseudonyms=dict(staff.pseudonyms),
        sanctions=[], refusals=WindowCounter(1, 1), username=staff.username, moderates=staff.rooms,
    )


async def _act(request: Request, kind: str) -> Response:
    staff, item = await _item(request)
    desk = _services(request).hub.desk
    if desk is None:
        raise RuntimeError("the moderation queue is not started")
    body = await read_json(request) if kind == "resolve" else {}
    try:
        frame = decode_inbound(json.dumps({**body, "type": kind, "item": item.id}))
        session = _acting(staff)
        if isinstance(frame, Claim):
            status, done = "claimed", await desk.claim(session, frame)
        elif isinstance(frame, Release):
            status, done = "released", await desk.release(session, frame)
        elif isinstance(frame, Resolve):
            status, done = await desk.resolve(session, frame)
        else:  # pragma: no cover - decode_inbound returns the type asked for
            raise AccountError(400, "bad_request")
    except (FrameError, RequestError) as error:
        raise AccountError(_STATUS.get(error.code, 400), error.code, **error.extra) from None
    return _json({"status": status, "item": done.frame()})


@api
async def claim_item(request: Request) -> Response:
    """POST /api/staff/items/{id}/claim: as the websocket's `claim`."""
    return await _act(request, "claim")


@api
async def release_item(request: Request) -> Response:
    """POST /api/staff/items/{id}/release: as the websocket's `release`."""
    return await _act(request, "release")


@api
async def resolve_item(request: Request) -> Response:
    """POST /api/staff/items/{id}/resolve {"action", "duration_s", "note"}: as the websocket's `resolve`."""
    return await _act(request, "resolve")


def routes() -> list[Route]:
    return [
        Route("/api/staff/items/{id}/context", item_context, methods=["GET"]),
        Route("/api/staff/items/{id}/notes", add_note, methods=["POST"]),
        Route("/api/staff/items/{id}/claim", claim_item, methods=["POST"]),
        Route("/api/staff/items/{id}/release", release_item, methods=["POST"]),
        Route("/api/staff/items/{id}/resolve", resolve_item, methods=["POST"]),
    ]
