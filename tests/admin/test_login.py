"""Staff logins: POST /api/login (protocol §10), the token in hello, the cookie, logout, expiry,
rate limits, and re-hashing with the current argon2 parameters."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from moderation.passwords import PARAMETERS, Passwords
from moderation.staff_models import AccountRow, StaffSessionRow
from tests.admin.conftest import PASSWORD, SETUP, add_account, call, hello, log_in, post_login, sql, staff_member
from tests.conftest import base_config, test_room

pytestmark = pytest.mark.asyncio

ROOMS = [*base_config()["room"], test_room()]


async def test_a_helper_logs_in_with_a_username_and_a_password(server):
    """200 with a token, the role and the rooms, and an HttpOnly SameSite=Strict cookie."""
    await add_account(server, "alice", rooms=frozenset({"salon-test"}))
    response = await post_login(server, "alice")
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "helper" and body["username"] == "alice" and body["rooms"] == ["salon-test"]
    assert len(body["token"]) >= 43 and body["csrf"]
    cookie = response.headers["set-cookie"]
    assert f"entraide_staff={body['token']}" in cookie
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; "auto" sets it over https
    assert "no-store" in response.headers["cache-control"]


async def test_usernames_are_case_insensitive(server):
    """Alice and alice are one account."""
    await add_account(server, "alice", rooms=frozenset())
    assert (await post_login(server, "ALICE")).status_code == 200


async def test_the_login_token_opens_a_staff_session_on_the_websocket(server):
    """hello with the login token gets welcome with role helper (admin) and the same token."""
    helper = await staff_member(server, "alice", rooms=frozenset({"salon-test"}))
    boss = await staff_member(server, "boss", "admin", None)
    _, welcome = await hello(server, helper.token)
    assert welcome["type"] == "welcome" and welcome["role"] == "helper" and welcome["token"] == helper.token
    _, welcome = await hello(server, boss.token)
    assert welcome["role"] == "admin"


async def test_a_helper_speaks_with_the_helper_role(server):
    """A helper's message carries author.role "helper", the badge the room page shows."""
    helper = await staff_member(server, "alice", rooms=frozenset({"salon-test"}))
    peer, _ = await hello(server, helper.token)
    await peer.join("salon-test")
    ack = await peer.say("salon-test", "Bonsoir, je suis de permanence.")
    assert ack["type"] == "ack"
    message = await peer.expect("message")
    assert message["author"]["role"] == "helper"


async def test_wrong_password_and_unknown_username_look_alike(server):
    """Same status, same body, and about the same time (each costs one argon2 verification)."""
    await add_account(server, "alice", rooms=frozenset())
    timings: dict[str, list[float]] = {"wrong": [], "unknown": []}
    answers = {}
    for _ in range(3):
        for case, username in (("wrong", "alice"), ("unknown", "nobody-here")):
            started = time.perf_counter()
            response = await post_login(server, username, "not the password at all")
            timings[case].append(time.perf_counter() - started)
            answers[case] = (response.status_code, response.json(), response.headers.get("set-cookie"))
    assert answers["wrong"] == answers["unknown"] == (401, {"error": "bad_credentials"}, None)
    wrong, unknown = statistics.median(timings["wrong"]), statistics.median(timings["unknown"])
    assert abs(wrong - unknown) < max(0.05, 0.5 * max(wrong, unknown)), timings


async def test_a_disabled_account_cannot_log_in_and_looks_like_a_wrong_password(server):
    """The right password of a disabled account gets the same 401 as a wrong one."""
    await add_account(server, "alice", rooms=frozenset())
    staff = server.services.staff
    assert staff is not None
    await staff.service.disable(SETUP, "alice")
    response = await post_login(server, "alice")
    assert (response.status_code, response.json()) == (401, {"error": "bad_credentials"})


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"username": "alice"}', b'{"username": 3, "password": "x"}',
    b'{"username": "", "password": "x"}',
])
async def test_a_malformed_login_is_a_400(server, body):
    """Protocol §10: a body not as described answers 400 {"error": "bad_request"}."""
    response = await call(server, "POST", "/api/login", content=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, {"error": "bad_request"})


async def test_a_login_must_be_json(server):
    """A form post (what another site could make a browser send) is refused with 400."""
    response = await call(server, "POST", "/api/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400


async def test_logins_are_rate_limited_per_username(server_factory):
    """After the allowed failures for one username, even the right password gets 429 for a while."""
    server = await server_factory(rooms=ROOMS, overrides={"accounts": {"login_failures_per_user": 3}})
    await add_account(server, "alice", rooms=frozenset())
    for _ in range(3):
        assert (await post_login(server, "alice", "wrong password!")).status_code == 401
    limited = await post_login(server, "alice")
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited" and limited.json()["retry_after_s"] > 0
    assert int(limited.headers["retry-after"]) >= 1
    # Another username from the same origin is not blocked by alice's failures.
    await add_account(server, "bob", rooms=frozenset())
    assert (await post_login(server, "bob")).status_code == 200


async def test_the_username_limit_does_not_reveal_whether_it_exists(server_factory):
    """An unknown username is limited exactly like a real one."""
    server = await server_factory(rooms=ROOMS, overrides={"accounts": {"login_failures_per_user": 2}})
    for username in ("ghost", "ghost"):
        assert (await post_login(server, username, "wrong password!")).status_code == 401
    assert (await post_login(server, "ghost", "wrong password!")).status_code == 429


async def test_logins_are_rate_limited_per_network_origin(server_factory):
    """Many attempts from one origin, whatever the usernames, get 429."""
    server = await server_factory(rooms=ROOMS, overrides={"accounts": {"login_attempts_per_origin": 4}})
    for i in range(4):
        assert (await post_login(server, f"user{i}", "wrong password!")).status_code == 401
    assert (await post_login(server, "user9", "wrong password!")).status_code == 429


async def test_the_origin_is_kept_as_a_keyed_hash_only(server_factory):
    """The login limiter's keys hold no address: an HMAC of it under the secret key."""
    server = await server_factory(rooms=ROOMS)
    await post_login(server, "someone", "wrong password!")
    staff = server.services.staff
    assert staff is not None
    keys = list(staff.per_origin._hits)
    assert keys and all("127.0.0.1" not in key and len(key) == 32 for key in keys)


async def test_logout_ends_the_login_everywhere(server):
    """After logout the token opens nothing: not the API, not hello; the cookie is cleared."""
    helper = await staff_member(server, "alice", rooms=frozenset())
    response = await call(server, "POST", "/api/logout", helper)
    assert response.status_code == 200
    assert 'entraide_staff=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert (await call(server, "GET", "/api/me", helper)).status_code == 401
    peer, answer = await hello(server, helper.token)
    assert answer["code"] == "bad_token"
    assert await peer.closed() == 4001


async def test_logout_closes_the_live_websockets_of_that_login(server):
    """A websocket opened with the login's token closes (4001) when its login logs out."""
    helper = await staff_member(server, "alice", rooms=frozenset())
    other_login = await log_in(server, "alice")
    peer, welcome = await hello(server, helper.token)
    other, _ = await hello(server, other_login.token)
    assert welcome["type"] == "welcome"
    assert (await call(server, "POST", "/api/logout", helper)).status_code == 200
    assert await peer.closed(timeout=3) == 4001
    # The same person's other login goes on.
    await other.send({"type": "join", "room": "salon-test", "ref": "j"})
    assert (await other.reply("j"))["type"] == "joined"


async def test_a_cookie_write_needs_the_csrf_header(server):
    """With the cookie alone, a change is refused (403 csrf); with X-CSRF-Token it goes through."""
    helper = await staff_member(server, "alice", rooms=frozenset())
    bare = await call(server, "POST", "/api/logout", headers=helper.cookie)
    assert (bare.status_code, bare.json()["error"]) == (403, "csrf")
    wrong = await call(server, "POST", "/api/logout", headers={**helper.cookie, "X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = await call(server, "POST", "/api/logout", headers={**helper.cookie, "X-CSRF-Token": helper.csrf})
    assert ok.status_code == 200


async def test_me_tells_who_is_logged_in_with_the_cookie(server):
    """GET /api/me with the cookie: the account and the CSRF token of that login."""
    helper = await staff_member(server, "alice", rooms=frozenset({"anxiete"}))
    response = await call(server, "GET", "/api/me", headers=helper.cookie)
    assert response.status_code == 200
    assert response.json() == {
        "username": "alice", "role": "helper", "rooms": ["anxiete"], "disabled": False, "csrf": helper.csrf,
    }


async def test_an_idle_login_expires(server):
    """A login unused for longer than session_idle_h opens nothing any more."""
    helper = await staff_member(server, "alice", rooms=frozenset())
    await sql(server, update(StaffSessionRow).values(last_seen_at=datetime.now(UTC) - timedelta(hours=13)))
    assert (await call(server, "GET", "/api/me", helper)).status_code == 401
    _, answer = await hello(server, helper.token)
    assert answer["code"] == "bad_token"


async def test_every_login_ends_after_its_absolute_limit(server):
    """Even in use, a login ends after session_max_days."""
    helper = await staff_member(server, "alice", rooms=frozenset())
    await sql(server, update(StaffSessionRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await call(server, "GET", "/api/me", helper)).status_code == 401


async def test_a_live_websocket_of_an_expired_login_is_closed(server_factory):
    """Each process re-checks its live staff websockets and closes those whose login ended (4001)."""
    server = await server_factory(rooms=ROOMS, overrides={"accounts": {"staff_check_interval_s": 0.2}})
    helper = await staff_member(server, "alice", rooms=frozenset())
    peer, welcome = await hello(server, helper.token)
    assert welcome["type"] == "welcome"
    await sql(server, update(StaffSessionRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert await peer.closed(timeout=3) == 4001


async def test_a_login_in_use_stays_alive(server_factory):
    """A helper's open websocket counts as activity: the idle limit does not cut them off."""
    server = await server_factory(rooms=ROOMS, overrides={"accounts": {"staff_check_interval_s": 0.1}})
    helper = await staff_member(server, "alice", rooms=frozenset())
    await hello(server, helper.token)
    await sql(server, update(StaffSessionRow).values(last_seen_at=datetime.now(UTC) - timedelta(hours=11, minutes=59)))
    await asyncio.sleep(0.5)
    assert (await call(server, "GET", "/api/me", helper)).status_code == 200


async def test_a_hash_with_old_parameters_is_rehashed_at_login(server):
    """After a successful login, a password hashed with weaker parameters gets the current ones."""
    await add_account(server, "alice", rooms=frozenset())
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await sql(server, update(AccountRow).where(AccountRow.username == "alice").values(password_hash=weak))
    assert (await post_login(server, "alice")).status_code == 200
    staff = server.services.staff
    assert staff is not None
    found = await staff.accounts.credentials("alice")
    assert found is not None
    stored = found[1]
    assert stored != weak
    assert f"m={PARAMETERS.memory_cost},t={PARAMETERS.time_cost},p={PARAMETERS.parallelism}" in stored
    assert (await post_login(server, "alice")).status_code == 200


async def test_passwords_are_argon2id_with_rfc_9106_parameters(server):
    """Stored hashes are argon2id, 64 MiB, 3 passes, 4 lanes (RFC 9106's low-memory choice)."""
    await add_account(server, "alice", rooms=frozenset())
    staff = server.services.staff
    assert staff is not None
    found = await staff.accounts.credentials("alice")
    assert found is not None and found[1].startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_the_event_loop_keeps_serving_during_logins(server, monkeypatch):
    """Verifications run off the event loop, in worker threads, and a websocket hello is answered
    while logins run. (The server shares the test's event loop: its thread is the loop's.) Which
    thread verifies is checked, not how long the hello took, which a busy machine stretches."""
    await add_account(server, "alice", rooms=frozenset())
    verifying: list[int] = []
    verify = Passwords._verify

    def recorded(self: Passwords, stored: str | None, password: str) -> bool:
        verifying.append(threading.get_ident())
        return verify(self, stored, password)

    monkeypatch.setattr(Passwords, "_verify", recorded)
    logins = [asyncio.create_task(post_login(server, "alice", "wrong password!")) for _ in range(4)]
    await asyncio.sleep(0.02)
    _, welcome = await hello(server, None)
    assert welcome["type"] == "welcome"
    await asyncio.gather(*logins)
    assert verifying and threading.get_ident() not in verifying
