"""The JSON API of the people who run Entraide: rooms, helpers, invitations, helpline cards,
the audit log; and the public halves of the setup link and of invitations.

Routes are thin: they parse, ask `web.auth.require` who is asking, call one service, and
make the change live (`Services.rooms_changed`, `Services.end_account_sessions`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat.protocol import timestamp
from moderation.accounts import AccountError, AccountRecord, InvitationRecord
from moderation.audit import AuditRecord
from moderation.crisis_rules import CrisisRules
from moderation.normalise import LANGS
from moderation.room_admin import room_fields
from moderation.staff_service import parse_rooms
from rooms.store import StoredRoom
from web.auth import actor_of, api, login, login_answer, logout, me, read_json, require, staff_services
from web.services import Services

__all__ = ["routes"]

_NO_STORE = {"Cache-Control": "no-store"}
_RELOAD_WAIT_STEPS = 200  # x 10 ms
_MAX_CHECK_TEXT = 10_000


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_NO_STORE)


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else timestamp(moment)


def _reason(body: dict[str, Any]) -> str | None:
    reason = body.pop("reason", None)
    if reason is not None and not isinstance(reason, str):
        raise AccountError(400, "bad_field", field="reason", detail="a string")
    return reason


def _room(stored: StoredRoom, request: Request) -> dict[str, Any]:
    info = None if stored.archived else _services(request).hub.room_info(stored.spec)
    return {
        **room_fields(stored.spec), "archived": stored.archived, "source": stored.source,
        "updated_at": timestamp(stored.updated_at),
        "open": None if info is None else info["open"], "next_open": None if info is None else info["next_open"],
    }


def _account(account: AccountRecord) -> dict[str, Any]:
    return {**account.public(), "created_at": _ts(account.created_at), "last_login_at": _ts(account.last_login_at)}


def _invitation(invitation: InvitationRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": invitation.id, "role": invitation.role,
        "rooms": "all" if invitation.rooms is None else sorted(invitation.rooms),
        "created_by": invitation.created_by, "created_at": _ts(invitation.created_at),
        "expires_at": _ts(invitation.expires_at), "state": invitation.state(now), "used_by": invitation.used_by,
    }


def _audit(entry: AuditRecord) -> dict[str, Any]:
    return {
        "id": entry.id, "at": timestamp(entry.at), "actor": entry.actor, "actor_role": entry.actor_role,
        "action": entry.action, "target_kind": entry.target_kind, "target": entry.target, "room": entry.room,
        "reason": entry.reason, "details": entry.details,
    }


async def _rooms_changed(request: Request, slug: str) -> StoredRoom:
    """Tell every process (the control channel), then wait, briefly, until this one has the
    change: the answer, and the admin's next read, already show it."""
    services = _services(request)
    await services.rooms_changed()
    stored = await staff_services(request).admin.rooms.get(slug)
    assert stored is not None
    wanted = None if stored.archived else stored.spec
    for _ in range(_RELOAD_WAIT_STEPS):
        if services.hub.rooms.get(slug) == wanted:
            break
        await asyncio.sleep(0.01)
    return stored


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


# -- rooms ---------------------------------------------------------------------------------------


@api
async def list_rooms(request: Request) -> Response:
    await require(request, "admin")
    rooms = await staff_services(request).admin.list_rooms()
    return _json([_room(r, request) for r in rooms])


@api
async def get_room(request: Request) -> Response:
    await require(request, "admin")
    stored = await staff_services(request).admin.rooms.get(request.path_params["slug"])
    if stored is None:
        raise AccountError(404, "not_found")
    return _json(_room(stored, request))


@api
async def create_room(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    spec = await staff_services(request).admin.create_room(actor_of(staff), body, reason)
    return _json(_room(await _rooms_changed(request, spec.slug), request), 201)


@api
async def update_room(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    slug = request.path_params["slug"]
    await staff_services(request).admin.update_room(actor_of(staff), slug, body, reason)
    return _json(_room(await _rooms_changed(request, slug), request))


async def _archive(request: Request, archived: bool) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request) if await request.body() else {}
    slug = request.path_params["slug"]
    await staff_services(request).admin.archive_room(actor_of(staff), slug, _reason(body), archived)
    return _json(_room(await _rooms_changed(request, slug), request))


@api
async def archive_room(request: Request) -> Response:
    return await _archive(request, True)


@api
async def restore_room(request: Request) -> Response:
    return await _archive(request, False)


# -- helpers and invitations ------------------------------------------------------------------------


@api
async def list_accounts(request: Request) -> Response:
    await require(request, "admin")
    return _json([_account(a) for a in await staff_services(request).service.list_accounts()])


@api
async def set_account_rooms(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    rooms = parse_rooms(body.get("rooms"))
    staff_parts = staff_services(request)
    account = await staff_parts.service.set_rooms(actor_of(staff), request.path_params["username"], rooms, reason)
    await staff_parts.check_live()  # this process at once; the others at their next check
    return _json(_account(account))


@api
async def disable_account(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request) if await request.body() else {}
    account = await staff_services(request).service.disable(
        actor_of(staff), request.path_params["username"], _reason(body)
    )
    await _services(request).end_account_sessions(account.username)
    return _json(_account(account))


@api
async def list_invitations(request: Request) -> Response:
    await require(request, "admin")
    service = staff_services(request).service
    now = service.now()
    return _json([_invitation(i, now) for i in await service.recent_invitations()])


@api
async def create_invitation(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    role = body.get("role", "helper")
    hours = body.get("hours")
    if not isinstance(role, str):
        raise AccountError(400, "bad_field", field="role", detail="helper or admin")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float)):
        raise AccountError(400, "bad_field", field="hours", detail="a number of hours")
    rooms = None if role == "admin" else parse_rooms(body.get("rooms"))
    service = staff_services(request).service
    token, invitation = await service.invite(
        actor_of(staff), rooms, role, None if hours is None else float(hours), reason
    )
    # The token is in the fragment: browsers never send it to the server, nor in a Referer.
    return _json({**_invitation(invitation, service.now()), "url": f"{_base_url(request)}/invite#{token}"}, 201)


@api
async def revoke_invitation(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request) if await request.body() else {}
    await staff_services(request).service.revoke_invitation(actor_of(staff), request.path_params["id"], _reason(body))
    return _json({"ok": True})


# -- helpline cards ------------------------------------------------------------------------------------


@api
async def list_helplines(request: Request) -> Response:
    await require(request, "admin")
    return _json(await staff_services(request).helplines.all())


@api
async def put_helpline(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    locale = request.path_params["locale"]
    card = await staff_services(request).admin.put_helpline(actor_of(staff), locale, body, reason)
    return _json(card.public())


@api
async def reset_helpline(request: Request) -> Response:
    staff = await require(request, "admin")
    await staff_services(request).admin.reset_helpline(actor_of(staff), request.path_params["locale"])
    return _json({"ok": True})


@api
async def public_helpline(request: Request) -> Response:
    """GET /api/helplines/{locale}: the card shown to everyone (closed rooms, crisis pointer)."""
    helplines = staff_services(request).helplines
    locale = request.path_params["locale"][:16]
    card = await helplines.card(locale)
    if card is None:
        raise AccountError(404, "not_found")
    # Addition: the countries that have a card in this language, for the room page's country choice.
    countries = await helplines.countries(locale.split("-", 1)[0].lower())
    return JSONResponse({**card.public(), "countries": countries}, headers={"Cache-Control": "no-cache"})


# -- crisis patterns ------------------------------------------------------------------------------------


def _crisis(request: Request) -> CrisisRules:
    rules = _services(request).crisis
    if rules is None:
        raise RuntimeError("crisis rules are not started")
    return rules


@api
async def list_crisis_patterns(request: Request) -> Response:
    """GET /api/admin/crisis/patterns?locale=fr: shipped and added patterns, each with its state."""
    await require(request, "admin")
    locale = request.query_params.get("locale") or None
    if locale is not None and locale not in LANGS:
        raise AccountError(400, "bad_field", field="locale", detail=" or ".join(LANGS))
    return _json(await _crisis(request).list(locale))


@api
async def add_crisis_pattern(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request)
    reason = _reason(body)
    pattern = await _crisis(request).add(actor_of(staff), body, staff_services(request).service.now(), reason)
    await _services(request).crisis_changed()
    return _json({"id": pattern.id, "locale": pattern.locale, "phrase": pattern.phrase, "category": pattern.category,
                  "severity": pattern.severity, "source": "admin", "enabled": True}, 201)


async def _set_enabled(request: Request, enabled: bool) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request) if await request.body() else {}
    pattern_id = request.path_params["id"]
    changed = await _crisis(request).set_enabled(
        actor_of(staff), pattern_id, enabled, staff_services(request).service.now(), _reason(body)
    )
    if changed:
        await _services(request).crisis_changed()
    return _json({"id": pattern_id, "enabled": enabled, "changed": changed})


@api
async def disable_crisis_pattern(request: Request) -> Response:
    return await _set_enabled(request, False)


@api
async def enable_crisis_pattern(request: Request) -> Response:
    return await _set_enabled(request, True)


@api
async def remove_crisis_pattern(request: Request) -> Response:
    staff = await require(request, "admin")
    body = await read_json(request) if await request.body() else {}
    await _crisis(request).remove(
        actor_of(staff), request.path_params["id"], staff_services(request).service.now(), _reason(body)
    )
    await _services(request).crisis_changed()
    return _json({"ok": True})


@api
async def check_crisis(request: Request) -> Response:
    """POST /api/admin/crisis/check {"text", "lang"}: what the live detector says of a message."""
    await require(request, "admin")
    body = await read_json(request)
    text, lang = body.get("text"), body.get("lang", "fr")
    if not isinstance(text, str) or len(text) > _MAX_CHECK_TEXT:
        raise AccountError(400, "bad_field", field="text", detail=f"up to {_MAX_CHECK_TEXT} characters")
    if not isinstance(lang, str) or not 0 < len(lang) <= 16:
        raise AccountError(400, "bad_field", field="lang", detail="a language like fr or en")
    detector = _services(request).detector
    if detector is None:
        raise RuntimeError("the crisis detector is not started")
    # Both readings, as the server does them; the encoder's takes milliseconds, off the loop.
    return _json((await asyncio.to_thread(detector.detect_fully, text, lang)).to_json())


# -- the audit log ----------------------------------------------------------------------------------------


def _audit_filters(request: Request) -> dict[str, Any]:
    query = request.query_params
    before, limit = query.get("before"), query.get("limit", "100")
    if (before is not None and not before.isdigit()) or not limit.isdigit():
        raise AccountError(400, "bad_field", field="before" if before is not None and not before.isdigit() else "limit")
    return {
        "actor": query.get("actor") or None, "action": query.get("action") or None,
        "before_id": None if before is None else int(before), "limit": int(limit),
    }


@api
async def audit_log(request: Request) -> Response:
    await require(request, "admin")
    filters = _audit_filters(request)
    entries = await staff_services(request).admin.audit_log(room=request.query_params.get("room") or None, **filters)
    return _json([_audit(e) for e in entries])


@api
async def room_audit_log(request: Request) -> Response:
    """GET /api/staff/rooms/{slug}/audit: what was done in a room, for the helpers of that room."""
    slug = request.path_params["slug"]
    await require(request, "staff", room=slug)
    entries = await staff_services(request).admin.audit_log(room=slug, **_audit_filters(request))
    return _json([_audit(e) for e in entries])


# -- public halves: the setup link and invitations ------------------------------------------------------------


def _token(body: dict[str, Any]) -> str:
    token = body.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        raise AccountError(403, "invalid_link")
    return token


def _new_login(body: dict[str, Any]) -> tuple[str, str, str]:
    username, password, locale = body.get("username"), body.get("password"), body.get("locale", "fr")
    if not isinstance(username, str) or not isinstance(password, str):
        raise AccountError(400, "bad_request")
    return username, password, locale if locale in ("fr", "en") else "fr"


@api
async def check_setup(request: Request) -> Response:
    body = await read_json(request)
    if not await staff_services(request).service.setup_link_valid(_token(body)):
        raise AccountError(403, "invalid_link")
    return _json({"valid": True})


@api
async def use_setup(request: Request) -> Response:
    body = await read_json(request)
    token = _token(body)
    result = await staff_services(request).service.use_setup_link(token, *_new_login(body))
    return login_answer(request, result, 201)


@api
async def check_invitation(request: Request) -> Response:
    body = await read_json(request)
    invitation = await staff_services(request).service.invitation(_token(body))
    if invitation is None:
        raise AccountError(403, "invalid_link")
    return _json({
        "role": invitation.role, "rooms": "all" if invitation.rooms is None else sorted(invitation.rooms),
        "expires_at": _ts(invitation.expires_at),
    })


@api
async def accept_invitation(request: Request) -> Response:
    body = await read_json(request)
    token = _token(body)
    result = await staff_services(request).service.accept_invitation(token, *_new_login(body))
    return login_answer(request, result, 201)


def routes() -> list[Route]:
    return [
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
        Route("/api/me", me, methods=["GET"]),
        Route("/api/admin/rooms", list_rooms, methods=["GET"]),
        Route("/api/admin/rooms", create_room, methods=["POST"]),
        Route("/api/admin/rooms/{slug}", get_room, methods=["GET"]),
        Route("/api/admin/rooms/{slug}", update_room, methods=["PATCH"]),
        Route("/api/admin/rooms/{slug}/archive", archive_room, methods=["POST"]),
        Route("/api/admin/rooms/{slug}/restore", restore_room, methods=["POST"]),
        Route("/api/admin/accounts", list_accounts, methods=["GET"]),
        Route("/api/admin/accounts/{username}/rooms", set_account_rooms, methods=["PUT"]),
        Route("/api/admin/accounts/{username}/disable", disable_account, methods=["POST"]),
        Route("/api/admin/invitations", list_invitations, methods=["GET"]),
        Route("/api/admin/invitations", create_invitation, methods=["POST"]),
        Route("/api/admin/invitations/{id}/revoke", revoke_invitation, methods=["POST"]),
        Route("/api/admin/helplines", list_helplines, methods=["GET"]),
        Route("/api/admin/helplines/{locale}", put_helpline, methods=["PUT"]),
        Route("/api/admin/helplines/{locale}", reset_helpline, methods=["DELETE"]),
        Route("/api/admin/crisis/patterns", list_crisis_patterns, methods=["GET"]),
        Route("/api/admin/crisis/patterns", add_crisis_pattern, methods=["POST"]),
        Route("/api/admin/crisis/patterns/{id}/disable", disable_crisis_pattern, methods=["POST"]),
        Route("/api/admin/crisis/patterns/{id}/enable", enable_crisis_pattern, methods=["POST"]),
        Route("/api/admin/crisis/patterns/{id}", remove_crisis_pattern, methods=["DELETE"]),
        Route("/api/admin/crisis/check", check_crisis, methods=["POST"]),
        Route("/api/admin/audit", audit_log, methods=["GET"]),
        Route("/api/staff/rooms/{slug}/audit", room_audit_log, methods=["GET"]),
        Route("/api/helplines/{locale}", public_helpline, methods=["GET"]),
        Route("/api/setup/check", check_setup, methods=["POST"]),
        Route("/api/setup", use_setup, methods=["POST"]),
        Route("/api/invitations/check", check_invitation, methods=["POST"]),
        Route("/api/invitations/accept", accept_invitation, methods=["POST"]),
    ]
