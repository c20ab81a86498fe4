"""JSON routes of protocol §10: the room list and the health check."""

from __future__ import annotations

import hmac
import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web.services import Services

__all__ = ["healthz", "list_rooms", "metrics"]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def list_rooms(request: Request) -> JSONResponse:
    hub = _services(request).hub
    rooms = []
    figures = await hub.presence_all()
    for spec in hub.rooms.values():
        count, helpers = figures.get(spec.slug, (0, 0))
        info = hub.room_info(spec, helpers)
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


async def metrics(request: Request) -> Response:
    """Prometheus text format; with several workers, the sum of every worker's files."""
    token = os.environ.get("ENTRAIDE_METRICS_TOKEN")
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = _services(request).hub.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
