"""Pages for the people who run Entraide: log in, the admin console, the pair-aidants'
dashboard, one's account, the first-admin setup link and invitations. Static shells (no
inline script or style: CSP) whose scripts talk to the JSON APIs of `web.admin_api` and
`web.staff_api`, and to `/ws`.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from web.auth import staff_of
from web.pages import STATIC

__all__ = ["routes"]

_PAGE_HEADERS = {"Cache-Control": "no-store"}
_FORBIDDEN = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>403 · Entraide</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="page narrow"><h1>Cette page est réservée aux administrateur·ice·s.</h1>
<p lang="en">This page is for admins only.</p>
<p><a href="/account">Mon compte</a> · <a href="/account" lang="en">My account</a></p></main></body></html>
"""


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, headers=_PAGE_HEADERS)


async def _guard(request: Request, admin: bool) -> Response | None:
    """A redirect to the login page, a 403 page, or None when the visitor may see the page."""
    found = await staff_of(request)
    if found is None:
        target = request.url.path
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303, headers=_PAGE_HEADERS)
    if admin and found[0].role != "admin":
        return HTMLResponse(_FORBIDDEN, status_code=403, headers=_PAGE_HEADERS)
    return None


async def login_page(_request: Request) -> Response:
    return _page("login.html")


async def admin_page(request: Request) -> Response:
    return await _guard(request, admin=True) or _page("admin.html")


async def account_page(request: Request) -> Response:
    return await _guard(request, admin=False) or _page("account.html")


async def dashboard_page(request: Request) -> Response:
    """The pair-aidants' dashboard: the moderation queue, live (any helper or admin)."""
    return await _guard(request, admin=False) or _page("dashboard.html")


async def setup_page(_request: Request) -> Response:
    return _page("setup.html")


async def invite_page(_request: Request) -> Response:
    return _page("invite.html")


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/admin", admin_page, methods=["GET"]),
        Route("/account", account_page, methods=["GET"]),
        Route("/staff", dashboard_page, methods=["GET"]),
        Route("/setup", setup_page, methods=["GET"]),
        Route("/invite", invite_page, methods=["GET"]),
    ]
