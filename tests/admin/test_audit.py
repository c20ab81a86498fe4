"""The audit log: every admin and helper action, who, what, on what, when and why; append-only."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.admin.conftest import PASSWORD, admin, call, staff_member
from tests.conftest import base_config, test_room

pytestmark = pytest.mark.asyncio

ROOMS = [*base_config()["room"], test_room()]
ROOT = Path(__file__).resolve().parents[2]
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
WRITES = ("update", "delete")
STATEMENTS = ("update audit_log", "delete from audit_log", "truncate audit_log", "drop table audit_log")
CARD = {"title": "Carte", "text": "Texte.", "line": [{"name": "Urgences", "phone": "112"}]}


async def audit(server, who, query: str = "") -> list[dict[str, Any]]:
    response = await call(server, "GET", f"/api/admin/audit{query}", who)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_every_console_action_is_in_the_audit_log(server_factory, database_url):
    """Room create/edit/archive/restore, invite, accept, rooms, disable, helpline edit/reset, logins."""
    server = await server_factory(rooms=ROOMS, database_url=database_url)
    boss = await admin(server, "chef")
    await staff_member(server, "bob", rooms=frozenset())
    assert (await call(server, "POST", "/api/admin/rooms", boss, json={
        "slug": "insomnie", "title": "Insomnie", "description": "La nuit.", "charter": "1. Douceur.",
        "reason": "ouverture",
    })).status_code == 201
    await call(server, "PATCH", "/api/admin/rooms/insomnie", boss, json={"charter": "1. Douceur.\n2. Calme.",
                                                                        "reason": "précision"})
    await call(server, "POST", "/api/admin/rooms/insomnie/archive", boss, json={"reason": "fermeture"})
    await call(server, "POST", "/api/admin/rooms/insomnie/restore", boss)
    invitation = (await call(server, "POST", "/api/admin/invitations", boss, json={"rooms": ["anxiete"]})).json()
    async with httpx.AsyncClient(base_url=server.http) as client:
        token = invitation["url"].split("#", 1)[1]
        await client.post("/api/invitations/accept", json={"token": token, "username": "noor", "password": PASSWORD})
    await call(server, "PUT", "/api/admin/accounts/noor/rooms", boss, json={"rooms": ["deuil"]})
    await call(server, "POST", "/api/admin/accounts/bob/disable", boss, json={"reason": "départ"})
    await call(server, "PUT", "/api/admin/helplines/fr-LU", boss, json=CARD)
    await call(server, "DELETE", "/api/admin/helplines/fr-LU", boss)

    entries = await audit(server, boss)
    seen = [(e["actor"], e["action"], e["target"]) for e in reversed(entries)]
    expected = [
        ("chef", "room.create", "insomnie"), ("chef", "room.update", "insomnie"), ("chef", "room.archive", "insomnie"),
        ("chef", "room.restore", "insomnie"), ("chef", "invitation.create", invitation["id"]),
        ("noor", "invitation.accept", "noor"), ("noor", "session.login", "noor"), ("chef", "account.rooms", "noor"),
        ("chef", "account.disable", "bob"), ("chef", "helplines.update", "fr-LU"), ("chef", "helplines.reset", "fr-LU"),
    ]
    assert [s for s in seen if s[0] != "test-setup" and s not in (
        ("chef", "session.login", "chef"), ("bob", "session.login", "bob"))] == expected
    by_action = {e["action"]: e for e in entries}
    assert by_action["room.create"]["reason"] == "ouverture" and by_action["room.create"]["room"] == "insomnie"
    assert by_action["room.update"]["details"] == {"changed": {"charter": {"length": len("1. Douceur.\n2. Calme.")}}}
    assert by_action["room.archive"]["reason"] == "fermeture"
    assert by_action["account.disable"]["reason"] == "départ" and by_action["account.disable"]["actor_role"] == "admin"
    assert by_action["account.rooms"]["details"] == {"rooms": ["deuil"]}
    assert all(TS.match(e["at"]) for e in entries)


async def test_the_audit_log_filters_by_room_actor_and_action(server):
    """?room=, ?actor=, ?action= (exact, or a prefix ending in a dot)."""
    boss = await admin(server, "chef")
    other = await admin(server, "cheffe")
    await call(server, "PATCH", "/api/admin/rooms/anxiete", boss, json={"slow_mode_s": 5})
    await call(server, "PATCH", "/api/admin/rooms/deuil", other, json={"slow_mode_s": 5})
    await call(server, "POST", "/api/admin/rooms/deuil/archive", other)
    assert [(e["action"], e["actor"]) for e in await audit(server, boss, "?room=deuil")] == [
        ("room.archive", "cheffe"), ("room.update", "cheffe"),
    ]
    assert [e["room"] for e in await audit(server, boss, "?actor=chef&action=room.update")] == ["anxiete"]
    assert {e["action"] for e in await audit(server, boss, "?action=room.")} == {"room.update", "room.archive"}
    page = await audit(server, boss, "?limit=2")
    older = await audit(server, boss, f"?limit=2&before={page[-1]['id']}")
    assert len(page) == 2 and older and older[0]["id"] < page[-1]["id"]


async def test_a_helper_reads_the_log_of_their_own_rooms_only(server):
    """GET /api/staff/rooms/{slug}/audit: 200 for a helper of the room, 403 for another room's."""
    boss = await admin(server)
    helper = await staff_member(server, "alice", rooms=frozenset({"anxiete"}))
    await call(server, "PATCH", "/api/admin/rooms/anxiete", boss, json={"slow_mode_s": 3, "reason": "soirée chargée"})
    mine = await call(server, "GET", "/api/staff/rooms/anxiete/audit", helper)
    assert mine.status_code == 200 and mine.json()[0]["reason"] == "soirée chargée"
    assert (await call(server, "GET", "/api/staff/rooms/deuil/audit", helper)).status_code == 403
    assert (await call(server, "GET", "/api/admin/audit", helper)).status_code == 403


async def test_no_code_updates_or_deletes_audit_rows():
    """Append-only by construction: no module of the project updates or deletes AuditRow."""
    offenders = []
    for path in (ROOT / d for d in ("chat", "moderation", "rooms", "web")):
        for source in path.rglob("*.py"):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in WRITES
                    and any(isinstance(a, ast.Name) and a.id == "AuditRow" for a in node.args)
                ):
                    offenders.append(f"{source.relative_to(ROOT)}:{node.lineno}")
                if isinstance(node, ast.Attribute) and node.attr == "delete" and "AuditRow" in ast.unparse(node):
                    offenders.append(f"{source.relative_to(ROOT)}:{node.lineno}")
            text = source.read_text(encoding="utf-8").lower()
            for statement in STATEMENTS:
                if statement in text and "migrations" not in str(source):
                    offenders.append(f"{source.relative_to(ROOT)}: {statement}")
    assert offenders == []
    store = (ROOT / "moderation" / "audit.py").read_text(encoding="utf-8")
    methods = [n.name for n in ast.walk(ast.parse(store)) if isinstance(n, ast.AsyncFunctionDef)]
    assert methods == ["record", "entries"]
