"""JSON routes of protocol §10: the room list and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from web.services import Services

__all__ = ["healthz", "list_rooms"]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def list_rooms(request: Request) -> JSONResponse:
    hub = _services(request).hub
    rooms = []
    for spec in hub.rooms.values():
        count, helpers = hub.presence(spec.slug)
        info = hub.room_info(spec)
        rooms.append({
            "slug": spec.slug, "title": spec.title, "description": spec.description,
            "lang": spec.lang, "theme": spec.theme, "open": info["open"],
            "next_open": info["next_open"], "presence": {"count": count, "helpers": helpers},
        })
    return JSONResponse(rooms, headers={"Cache-Control": "no-store"})


async def healthz(request: Request) -> JSONResponse:
    ok = await _services(request).healthy()
    return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503,
                        headers={"Cache-Control": "no-store"})
