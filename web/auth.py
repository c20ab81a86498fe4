"""Who is asking, over HTTP: login and logout, the session cookie, CSRF, and route guards.

A staff login gives one token, usable three ways: in `hello` (protocol §1), as
`Authorization: Bearer <token>` for the JSON API, and in the HttpOnly, SameSite=Strict
cookie the pages use. Requests authenticated by the cookie that change something must
also carry `X-CSRF-Token`: HMAC-SHA256 of a fixed label keyed by the login token, so it is
tied to that login, needs no storage and works on every process. A bearer token cannot
be sent by a third-party page, so it needs none.

Logins are rate limited per username (failures) and per network origin (attempts); the
origin is a keyed hash, HMAC(secret_key, address), kept in memory only, never the address.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from moderation.accounts import AccountError, StaffRecord, normalise_username
from moderation.audit import Actor
from moderation.staff_service import LoginResult
from web.services import Services
from web.staff import StaffServices

__all__ = [
    "COOKIE", "CSRF_HEADER", "api", "client_key", "csrf_for", "login", "logout", "me", "read_json", "require",
    "set_login_cookie", "staff_of", "staff_services",
]

COOKIE = "entraide_staff"
CSRF_HEADER = "x-csrf-token"
_MAX_BODY = 64 * 1024
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

Endpoint = Callable[[Request], Awaitable[Response]]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def staff_services(request: Request) -> StaffServices:
    staff = getattr(_services(request), "staff", None)
    if not isinstance(staff, StaffServices):
        raise RuntimeError("staff services are not started")
    return staff


_ORIGIN_KEY_PERIOD_S = 86_400  # the origin hash key changes every day


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"entraide csrf v1", hashlib.sha256).hexdigest()


def client_key(request: Request, now: float | None = None) -> str:
    """The network origin as a rotating keyed hash: enough to count attempts, useless to identify anyone.

    The key is derived from the secret and the current day (UTC), so yesterday's hashes cannot
    be matched with today's, and the address itself is never kept. An attempt counter that
    spans midnight starts again: a small price next to keeping a stable address fingerprint.
    """
    # The address goes into the keyed hash below and nowhere else: not kept, not logged, not returned.
    address = request.client.host if request.client else "unknown"
    day = int((time.time() if now is None else now) // _ORIGIN_KEY_PERIOD_S)
    secret = _services(request).config.secret_key.encode()
    key = hmac.new(secret, f"login-origin:{day}".encode(), hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def api(endpoint: Endpoint) -> Endpoint:
    """A JSON route: a refused request (`AccountError`) answers {"error": code, ...} with its status."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except AccountError as error:
            headers = {"Cache-Control": "no-store"}
            if "retry_after_s" in error.extra:
                headers["Retry-After"] = str(max(1, round(error.extra["retry_after_s"])))
            return JSONResponse({"error": error.code, **error.extra}, status_code=error.status, headers=headers)

    return wrapped


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 400 bad_request otherwise (only JSON: no cross-site form can send it)."""
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != "application/json":
        raise AccountError(400, "bad_request")
    body = await request.body()
    if len(body) > _MAX_BODY:
        raise AccountError(400, "bad_request")
    try:
        data = json.loads(body)
    except ValueError:
        raise AccountError(400, "bad_request") from None
    if not isinstance(data, dict):
        raise AccountError(400, "bad_request")
    return data


def _credentials(request: Request) -> tuple[str | None, bool]:
    """The token and whether it came from the cookie (bearer wins when both are there)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None, False
    cookie = request.cookies.get(COOKIE)
    return (cookie or None), cookie is not None


async def staff_of(request: Request) -> tuple[StaffRecord, str, bool] | None:
    """The valid login of this request, its token, and whether the cookie carried it."""
    if "entraide.staff" in request.scope:
        cached: tuple[StaffRecord, str, bool] | None = request.scope["entraide.staff"]
        return cached
    token, by_cookie = _credentials(request)
    found: tuple[StaffRecord, str, bool] | None = None
    if token is not None and len(token) <= 200:
        staff = await staff_services(request).service.authenticate(token)
        if staff is not None:
            found = (staff, token, by_cookie)
    request.scope["entraide.staff"] = found
    return found


async def require(request: Request, role: str = "staff", room: str | None = None) -> StaffRecord:
    """The login behind the request, allowed to do this; else 401 unauthenticated / 403 forbidden.

    `role` "admin" needs an admin; "staff" any helper or admin, and with `room`, one who
    may moderate it. A cookie-carried request that changes something needs the CSRF header.
    """
    found = await staff_of(request)
    if found is None:
        raise AccountError(401, "unauthenticated")
    staff, token, by_cookie = found
    if by_cookie and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_for(token).encode()):
            raise AccountError(403, "csrf")
    if role == "admin" and staff.role != "admin":
        raise AccountError(403, "forbidden")
    if room is not None and not staff.account.may_moderate(room):
        raise AccountError(403, "forbidden")
    return staff


def actor_of(staff: StaffRecord) -> Actor:
    return Actor(staff.username, staff.role)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    staff = staff_services(request)
    secure = {"always": True, "never": False}.get(staff.config.cookie_secure, request.url.scheme == "https")
    response.set_cookie(
        COOKIE, token, max_age=int(staff.config.session_max_days * 86_400), path="/", secure=secure,
        httponly=True, samesite="strict",
    )


def login_answer(request: Request, result: LoginResult, status: int = 200) -> JSONResponse:
    staff = result.staff
    response = JSONResponse(
        {**staff.account.public(), "token": result.token, "csrf": csrf_for(result.token)},
        status_code=status, headers={"Cache-Control": "no-store"},
    )
    set_login_cookie(request, response, result.token)
    return response


@api
async def login(request: Request) -> Response:
    """POST /api/login (protocol §10)."""
    staff = staff_services(request)
    try:
        body = await read_json(request)
    except AccountError:
        raise AccountError(400, "bad_request") from None
    username, password, locale = body.get("username"), body.get("password"), body.get("locale", "fr")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise AccountError(400, "bad_request")
    if not isinstance(locale, str) or locale not in ("fr", "en"):
        locale = "fr"
    now = time.monotonic()
    user_key, origin_key = "u:" + normalise_username(username)[:64], client_key(request)
    wait = max(staff.per_user.retry_after(user_key, now), staff.per_origin.retry_after(origin_key, now))
    if wait > 0:
        raise AccountError(429, "rate_limited", retry_after_s=round(wait, 1))
    staff.per_origin.hit(origin_key, now)
    result = await staff.service.login(username, password, locale)
    if result is None:
        staff.per_user.hit(user_key, time.monotonic())
        raise AccountError(401, "bad_credentials")
    staff.per_user.clear(user_key)
    return login_answer(request, result)


@api
async def logout(request: Request) -> Response:
    """POST /api/logout: this login ends (its token, cookie and websockets), and the cookie goes."""
    current = await require(request)
    staff = staff_services(request)
    await staff.service.logout(current)
    staff.close_login(current.token_hash)
    response = JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@api
async def me(request: Request) -> Response:
    """GET /api/me: who is logged in, and the CSRF token the pages send back."""
    found = await staff_of(request)
    if found is None:
        raise AccountError(401, "unauthenticated")
    staff, token, _ = found
    return JSONResponse({**staff.account.public(), "csrf": csrf_for(token)}, headers={"Cache-Control": "no-store"})
