"""The Starlette application: routes, middleware and the lifespan that owns the services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from web import admin, admin_api, staff_api
from web.api import healthz, list_rooms, metrics
from web.config import AppConfig, load_config
from web.logs import AccessLog
from web.pages import STATIC, landing, room_page
from web.security import SecurityHeaders
from web.services import Services
from web.ws import websocket_endpoint

__all__ = ["create_app"]

_ERROR_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{code} · Entraide</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="page narrow"><h1>{fr}</h1><p lang="en">{en}</p>
<p><a href="/">Retour à l'accueil</a> · <a href="/" lang="en">Back to the home page</a></p></main></body></html>
"""
_ERROR_TEXTS = {
    404: ("Cette page n'existe pas.", "This page does not exist."),
    500: ("Un problème est survenu de notre côté.", "Something went wrong on our side."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "not_found" if code == 404 else "error"}, status_code=code)
    fr, en = _ERROR_TEXTS.get(code, ("Erreur.", "Error."))
    return HTMLResponse(_ERROR_PAGE.format(code=code, fr=fr, en=en), status_code=code)


def create_app(config: AppConfig | None = None) -> Starlette:
    """Build the app; uvicorn calls it as a factory (`web.app:create_app`)."""
    settings = config or load_config()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await Services.start(settings)
        app.state.services = services
        try:
            yield
        finally:
            await services.aclose()

    routes = [
        Route("/", landing),
        Route("/r/{slug}", room_page),
        Route("/api/rooms", list_rooms),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        *admin_api.routes(),
        *staff_api.routes(),
        *admin.routes(),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog), Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
        lifespan=lifespan,
    )
