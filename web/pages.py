"""HTML pages: static shells whose scripts talk to `/ws` and `/api`; French by default."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from moderation.private_rooms import is_private
from web.services import Services

__all__ = ["STATIC", "landing", "room_page"]

STATIC = Path(__file__).parent / "static"


async def landing(_request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def room_page(request: Request) -> Response:
    services: Services = request.app.state.services
    slug = request.path_params["slug"]
    # A tête-à-tête's page is the room page; whether its two people may enter is the
    # websocket's business, so the page says nothing about whether it exists.
    if slug not in services.hub.rooms and not is_private(slug):
        raise HTTPException(404)
    return FileResponse(STATIC / "room.html", headers={"Cache-Control": "no-cache"})
