"""Who may do what: every HTTP route of the app and every privileged websocket action, for each of
anonymous, peer, helper of another room, helper of the room, disabled helper and admin.

The routes are read from `app.routes`: a route added without a row here fails
`test_every_route_has_a_row`, so nothing new goes out unguarded by accident. Expected
outcomes are exact: an unexpected allow fails as surely as an unexpected refusal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.routing import Mount, Route, WebSocketRoute

from tests.admin.conftest import PASSWORD, SETUP, Staff, add_account, admin, call, hello, log_in, staff_member
from tests.conftest import Peer, Server, base_config, test_room

pytestmark = pytest.mark.asyncio

WHO = ("anonymous", "peer", "helper_other", "helper_room", "disabled", "admin")
ROOM = "salon-test"  # "the room"; the other helper looks after "deuil"


@dataclass
class Who:
    name: str
    token: str | None  # what it says in hello
    api: dict[str, str]  # its HTTP credentials for /api/... (bearer)
    page: dict[str, str]  # and for pages (the cookie a browser sends)
    username: str | None = None


@dataclass
class World:
    server: Server
    boss: Staff
    who: dict[str, Who]
    serial: itertools.count[int]

    @property
    def staff(self) -> Any:
        return self.server.services.staff


Request = tuple[str, dict[str, Any]]  # path, httpx keyword arguments
Build = Callable[[World, Who], Awaitable[Request]]


def fixed(path: str, **kwargs: Any) -> Build:
    async def build(_world: World, _who: Who) -> Request:
        return path, kwargs
    return build


def outcome(*statuses: int) -> dict[str, int]:
    """Statuses in the order of WHO: anonymous, peer, helper_other, helper_room, disabled, admin."""
    return dict(zip(WHO, statuses, strict=True))


EVERYONE_200 = outcome(200, 200, 200, 200, 200, 200)
STAFF = outcome(401, 401, 200, 200, 401, 200)
ROOM_STAFF = outcome(401, 401, 403, 200, 401, 200)
ADMIN = outcome(401, 401, 403, 403, 401, 200)
ADMIN_CREATES = outcome(401, 401, 403, 403, 401, 201)
ROOM_STAFF_CREATES = outcome(401, 401, 403, 201, 401, 201)
BAD_LINK = outcome(403, 403, 403, 403, 403, 403)

CARD = {"title": "Carte", "text": "Texte.", "line": [{"name": "Urgences", "phone": "112"}]}


# -- requests that need something to act on: each call makes its own, so cells are independent --


async def new_room(world: World, _who: Who) -> Request:
    slug = f"matrix-{next(world.serial)}"
    return "/api/admin/rooms", {"json": {"slug": slug, "title": "Matrice", "description": "d", "charter": "c"}}


async def archivable_room(world: World, _who: Who) -> Request:
    slug = f"arch-{next(world.serial)}"
    await world.staff.admin.create_room(SETUP, {"slug": slug, "title": "À archiver", "description": "d",
                                                "charter": "c"})
    await world.server.services.rooms_changed()
    return f"/api/admin/rooms/{slug}/archive", {}


async def archived_room(world: World, _who: Who) -> Request:
    slug = f"rest-{next(world.serial)}"
    await world.staff.admin.create_room(SETUP, {"slug": slug, "title": "Archivé", "description": "d", "charter": "c"})
    await world.staff.admin.archive_room(SETUP, slug)
    return f"/api/admin/rooms/{slug}/restore", {}


async def someone_to_disable(world: World, _who: Who) -> Request:
    username = f"temp{next(world.serial)}"
    await add_account(world.server, username, rooms=frozenset())
    return f"/api/admin/accounts/{username}/disable", {}


async def an_invitation(world: World, _who: Who) -> Request:
    _, invitation = await world.staff.service.invite(SETUP, frozenset({ROOM}))
    return f"/api/admin/invitations/{invitation.id}/revoke", {}


async def an_override(world: World, _who: Who) -> Request:
    await world.staff.admin.put_helpline(SETUP, "fr-LU", CARD)
    return "/api/admin/helplines/fr-LU", {}


async def a_crisis_pattern(world: World, _who: Who) -> str:
    """A pattern an admin added (through the store), its id."""
    rules = world.server.services.crisis
    assert rules is not None
    pattern = await rules.add(SETUP, {"locale": "fr", "phrase": f"matrice crise {next(world.serial)}",
                                      "category": "ideation", "severity": "low"}, datetime.now(UTC))
    return pattern.id


def crisis_pattern(action: str | None) -> Build:
    async def build(world: World, who: Who) -> Request:
        pattern_id = await a_crisis_pattern(world, who)
        return f"/api/admin/crisis/patterns/{pattern_id}" + ("" if action is None else f"/{action}"), {}
    return build


async def a_fresh_login(world: World, who: Who) -> Request:
    """Log out a fresh login of the same person, so that the principal's own login lives on."""
    if who.username is not None and who.name != "disabled":
        fresh = await log_in(world.server, who.username)
        return "/api/logout", {"headers": fresh.bearer}
    return "/api/logout", {}


def an_item(action: str, **kwargs: Any) -> Build:
    """A queue item of the room (a report on a message), and the route `action` about it."""
    async def build(world: World, _who: Who) -> Request:
        queue = world.server.services.queue
        assert queue is not None
        item = await queue.create(
            room=ROOM, kind="report", priority=1, now=world.server.services.hub.now(),
            author_session_id=f"s{next(world.serial)}", author_pseudonym="Héron calme", author_role="peer",
            text="un message", cw=None, reasons=["report"],
        )
        return f"/api/staff/items/{item.id}/{action}", dict(kwargs)
    return build


@dataclass(frozen=True)
class Row:
    build: Build
    expect: dict[str, int]


ROWS: dict[tuple[str, str], Row] = {
    # Peers' pages and API (protocol §10), health and metrics (scraped by the platform).
    ("GET", "/"): Row(fixed("/"), EVERYONE_200),
    ("GET", "/r/{slug}"): Row(fixed(f"/r/{ROOM}"), EVERYONE_200),
    ("GET", "/api/rooms"): Row(fixed("/api/rooms"), EVERYONE_200),
    ("GET", "/healthz"): Row(fixed("/healthz"), EVERYONE_200),
    ("GET", "/metrics"): Row(fixed("/metrics"), EVERYONE_200),
    ("GET", "/static/{path}"): Row(fixed("/static/style.css"), EVERYONE_200),
    ("GET", "/api/helplines/{locale}"): Row(fixed("/api/helplines/fr-BE"), EVERYONE_200),
    # Logging in and out.
    ("POST", "/api/login"): Row(fixed("/api/login", json={"username": "admin", "password": "not it at all"}),
                                outcome(401, 401, 401, 401, 401, 401)),
    ("POST", "/api/logout"): Row(a_fresh_login, STAFF),
    ("GET", "/api/me"): Row(fixed("/api/me"), STAFF),
    # Staff pages: anonymous visitors are sent to the login page; helpers may not see the console.
    ("GET", "/login"): Row(fixed("/login"), EVERYONE_200),
    ("GET", "/setup"): Row(fixed("/setup"), EVERYONE_200),
    ("GET", "/invite"): Row(fixed("/invite"), EVERYONE_200),
    ("GET", "/account"): Row(fixed("/account"), outcome(303, 303, 200, 200, 303, 200)),
    ("GET", "/admin"): Row(fixed("/admin"), outcome(303, 303, 403, 403, 303, 200)),
    ("GET", "/staff"): Row(fixed("/staff"), outcome(303, 303, 200, 200, 303, 200)),
    # One-time links: without a valid token nobody gets anything, whoever they are.
    ("POST", "/api/setup/check"): Row(fixed("/api/setup/check", json={"token": "x" * 43}), BAD_LINK),
    ("POST", "/api/setup"): Row(fixed("/api/setup", json={"token": "x" * 43, "username": "eve", "password": PASSWORD}),
                                BAD_LINK),
    ("POST", "/api/invitations/check"): Row(fixed("/api/invitations/check", json={"token": "x" * 43}), BAD_LINK),
    ("POST", "/api/invitations/accept"): Row(
        fixed("/api/invitations/accept", json={"token": "x" * 43, "username": "eve", "password": PASSWORD}), BAD_LINK),
    # A room's log, for the helpers of that room.
    ("GET", "/api/staff/rooms/{slug}/audit"): Row(fixed(f"/api/staff/rooms/{ROOM}/audit"), ROOM_STAFF),
    # The dashboard's reads and notes about a queue item, for the helpers of its room.
    ("GET", "/api/staff/items/{id}/context"): Row(an_item("context"), ROOM_STAFF),
    ("POST", "/api/staff/items/{id}/notes"): Row(an_item("notes", json={"text": "Une note."}), ROOM_STAFF_CREATES),
    # The queue's actions over HTTP (protocol §8): as over the websocket.
    ("POST", "/api/staff/items/{id}/claim"): Row(an_item("claim"), ROOM_STAFF),
    # Nobody holds the fresh item: releasing it is a conflict even for those allowed to try.
    ("POST", "/api/staff/items/{id}/release"): Row(an_item("release"), outcome(401, 401, 403, 409, 401, 409)),
    ("POST", "/api/staff/items/{id}/resolve"): Row(
        an_item("resolve", json={"action": "dismiss", "note": "rien à signaler"}), ROOM_STAFF),
    # The admin console's API.
    ("GET", "/api/admin/rooms"): Row(fixed("/api/admin/rooms"), ADMIN),
    ("POST", "/api/admin/rooms"): Row(new_room, ADMIN_CREATES),
    ("GET", "/api/admin/rooms/{slug}"): Row(fixed(f"/api/admin/rooms/{ROOM}"), ADMIN),
    ("PATCH", "/api/admin/rooms/{slug}"): Row(fixed(f"/api/admin/rooms/{ROOM}", json={"slow_mode_s": 2}), ADMIN),
    ("POST", "/api/admin/rooms/{slug}/archive"): Row(archivable_room, ADMIN),
    ("POST", "/api/admin/rooms/{slug}/restore"): Row(archived_room, ADMIN),
    ("GET", "/api/admin/accounts"): Row(fixed("/api/admin/accounts"), ADMIN),
    ("PUT", "/api/admin/accounts/{username}/rooms"): Row(
        fixed("/api/admin/accounts/other/rooms", json={"rooms": ["deuil"]}), ADMIN),
    ("POST", "/api/admin/accounts/{username}/disable"): Row(someone_to_disable, ADMIN),
    ("GET", "/api/admin/invitations"): Row(fixed("/api/admin/invitations"), ADMIN),
    ("POST", "/api/admin/invitations"): Row(fixed("/api/admin/invitations", json={"rooms": [ROOM]}), ADMIN_CREATES),
    ("POST", "/api/admin/invitations/{id}/revoke"): Row(an_invitation, ADMIN),
    ("GET", "/api/admin/helplines"): Row(fixed("/api/admin/helplines"), ADMIN),
    ("PUT", "/api/admin/helplines/{locale}"): Row(fixed("/api/admin/helplines/fr-LU", json=CARD), ADMIN),
    ("DELETE", "/api/admin/helplines/{locale}"): Row(an_override, ADMIN),
    ("GET", "/api/admin/audit"): Row(fixed("/api/admin/audit"), ADMIN),
    ("GET", "/api/admin/crisis/patterns"): Row(fixed("/api/admin/crisis/patterns?locale=fr"), ADMIN),
    ("POST", "/api/admin/crisis/patterns"): Row(fixed("/api/admin/crisis/patterns", json={
        "locale": "fr", "phrase": "matrice ajoutée", "category": "ideation", "severity": "low"}), ADMIN_CREATES),
    ("POST", "/api/admin/crisis/patterns/{id}/disable"): Row(crisis_pattern("disable"), ADMIN),
    ("POST", "/api/admin/crisis/patterns/{id}/enable"): Row(crisis_pattern("enable"), ADMIN),
    ("DELETE", "/api/admin/crisis/patterns/{id}"): Row(crisis_pattern(None), ADMIN),
    ("POST", "/api/admin/crisis/check"): Row(fixed("/api/admin/crisis/check", json={"text": "je veux mourir",
                                                                                  "lang": "fr"}), ADMIN),
}


def app_routes(server: Server) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, HEAD aside (Starlette adds it to each GET)."""
    found = set()
    for route in server.app.routes:
        if isinstance(route, Route):
            found |= {(method, route.path) for method in (route.methods or ()) if method != "HEAD"}
        elif isinstance(route, Mount):
            found.add(("GET", route.path + "/{path}"))
        elif isinstance(route, WebSocketRoute):
            found.add(("WS", route.path))
        else:
            found.add(("?", repr(route)))
    return found


@pytest_asyncio.fixture
async def world(server_factory) -> World:
    server = await server_factory(
        rooms=[*base_config()["room"], test_room(ROOM)], overrides={"accounts": {"login_failures_per_user": 100}},
    )
    boss = await admin(server, "admin")
    other = await staff_member(server, "other", rooms=frozenset({"deuil"}))
    mine = await staff_member(server, "mine", rooms=frozenset({ROOM}))
    gone = await staff_member(server, "gone", rooms=frozenset({ROOM}))
    await server.services.staff.service.disable(SETUP, "gone")
    peer = await server.peer()
    await peer.ws.close()

    def staff(name: str, s: Staff) -> Who:
        return Who(name, s.token, s.bearer, s.cookie, s.username)

    who = {
        "anonymous": Who("anonymous", None, {}, {}),
        "peer": Who("peer", peer.token, {"Authorization": f"Bearer {peer.token}"}, {}),
        "helper_other": staff("helper_other", other),
        "helper_room": staff("helper_room", mine),
        "disabled": staff("disabled", gone),
        "admin": staff("admin", boss),
    }
    return World(server, boss, who, itertools.count())


async def test_every_route_has_a_row(world):
    """The table covers exactly the application's routes (plus the websocket, tested below)."""
    assert app_routes(world.server) - {("WS", "/ws")} == set(ROWS)
    assert ("WS", "/ws") in app_routes(world.server)


async def test_http_routes(world):
    """Each principal gets exactly the expected status on every route (the whole table at once)."""
    got: dict[str, dict[str, int]] = {}
    async with httpx.AsyncClient(base_url=world.server.http, follow_redirects=False) as client:
        for (method, template), row in sorted(ROWS.items()):
            cells = got[f"{method} {template}"] = {}
            for name in WHO:
                who = world.who[name]
                path, kwargs = await row.build(world, who)
                headers = {**(who.api if path.startswith("/api/") else who.page), **kwargs.pop("headers", {})}
                client.cookies.clear()
                response = await client.request(method, path, headers=headers, **kwargs)
                cells[name] = response.status_code
    expected = {f"{method} {template}": row.expect for (method, template), row in sorted(ROWS.items())}
    wrong = {route: {n: (got[route][n], expected[route][n]) for n in WHO if got[route][n] != expected[route][n]}
             for route in expected if got[route] != expected[route]}
    assert wrong == {}, "route: {principal: (got, expected)}"


async def test_cookie_writes_without_the_csrf_token_are_refused(world):
    """Every change an admin could make with the pages' cookie needs the X-CSRF-Token header."""
    admin_cookie = world.who["admin"].page
    for (method, template), row in sorted(ROWS.items()):
        if method == "GET" or not template.startswith(("/api/admin/", "/api/staff/")):
            continue
        path, kwargs = await row.build(world, world.who["admin"])
        response = await call(world.server, method, path, headers=admin_cookie, **kwargs)
        assert (response.status_code, response.json()["error"]) == (403, "csrf"), (method, path)


# -- the websocket -------------------------------------------------------------------------------------

WS_EXPECT = {
    # hello with the principal's token (none for anonymous): the role, or bad_token and 4001.
    "hello": {"anonymous": "peer", "peer": "peer", "helper_other": "helper", "helper_room": "helper",
              "disabled": "bad_token", "admin": "admin"},
    # duty for the room (protocol §8).
    "duty": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "forbidden", "helper_room": "duty",
             "disabled": "closed", "admin": "duty"},
    # duty for "all": every room the principal may moderate, nothing for those who may not.
    "duty_all": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "duty:deuil",
                 "helper_room": f"duty:{ROOM}", "disabled": "closed", "admin": "duty:*"},
    # duty for another helper's room.
    "duty_other_room": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "duty",
                        "helper_room": "forbidden", "disabled": "closed", "admin": "duty"},
    # claim, release and resolve an item of the room (protocol §8); a fresh item each time.
    "claim": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "forbidden",
              "helper_room": "claimed", "disabled": "closed", "admin": "claimed"},
    "release": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "forbidden",
                "helper_room": "conflict", "disabled": "closed", "admin": "conflict"},
    "resolve": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "forbidden",
                "helper_room": "resolved", "disabled": "closed", "admin": "resolved"},
    # invite the item's author into a tête-à-tête (docs/protocol.md).
    "invite": {"anonymous": "forbidden", "peer": "forbidden", "helper_other": "forbidden",
               "helper_room": "invited", "disabled": "closed", "admin": "invited"},
}


async def ws_outcome(world: World, who: Who, action: str) -> str:
    peer: Peer
    peer, first = await hello(world.server, who.token)
    if first["type"] == "error":
        code = first["code"]
        assert await peer.closed() == 4001
        return code if action == "hello" else "closed"
    assert first["type"] == "welcome"
    if action == "hello":
        return str(first["role"])
    if action in ("claim", "release", "resolve", "invite"):
        path, _ = await an_item(action)(world, who)
        item_id = path.split("/")[4]
        frame: dict[str, Any] = {"type": action, "item": item_id, "ref": "q"}
        if action == "resolve":
            frame.update(action="dismiss", note="rien")
        await peer.send(frame)
        answer = await peer.reply("q")
        await peer.ws.close()
        return str(answer["code"] if answer["type"] == "error" else answer["status"])
    rooms: Any = {"duty": [ROOM], "duty_all": "all", "duty_other_room": ["deuil"]}[action]
    await peer.send({"type": "duty", "on": True, "rooms": rooms, "ref": "d"})
    reply = await peer.reply("d")
    await peer.send({"type": "duty", "on": False, "rooms": rooms, "ref": "off"})
    await peer.ws.close()
    if reply["type"] == "error":
        return str(reply["code"])
    if action != "duty_all":
        return "duty"
    granted = set(reply["rooms"])
    return "duty:*" if granted == set(world.server.services.hub.rooms) else "duty:" + ",".join(sorted(granted))


async def test_websocket_actions(world):
    """hello, duty, claim, release, resolve and invite, for each principal."""
    got = {action: {name: await ws_outcome(world, world.who[name], action) for name in WHO} for action in WS_EXPECT}
    assert got == WS_EXPECT, json.dumps(got, indent=1)
