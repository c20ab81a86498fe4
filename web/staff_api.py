"""The pair-aidants' JSON API beside the websocket: what the dashboard reads about a queue item
(the messages around it, the pseudonym's earlier items, private notes) and the notes it writes.

Claiming and deciding go over the websocket (protocol §8); these routes only read and add
notes. Every route needs a helper of the item's room or an admin (`web.auth.require`), and
every write is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat.hub import message_frame
from chat.protocol import timestamp
from moderation.accounts import AccountError, StaffRecord
from moderation.audit import AuditEntry
from moderation.queue import Item, Note, QueueStore
from web.auth import actor_of, api, read_json, require, staff_services
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
    await require(request, "staff")
    item = await _queue(request).get(request.path_params["id"])
    if item is None:
        raise AccountError(404, "not_found")
    staff = await require(request, "staff", room=item.room)
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
    await _queue(request).add_note(item.room, item.author_session_id, staff.username, text, now)
    # The note itself stays with the notes: the log says who wrote one, when and about which item.
    await staff_services(request).admin.audit.record(AuditEntry(
        actor=actor_of(staff), action="note.add", target_kind="item", target=item.id, at=now, room=item.room,
        details={"kind": item.kind, "length": len(text)},
    ))
    return _json(_note(Note(staff.username, text, now)), 201)


def routes() -> list[Route]:
    return [
        Route("/api/staff/items/{id}/context", item_context, methods=["GET"]),
        Route("/api/staff/items/{id}/notes", add_note, methods=["POST"]),
    ]
