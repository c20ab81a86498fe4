"""Alert latency: how long a crisis message takes to reach an on-duty helper, end to end.

    .venv/bin/python bench/alert_latency.py [--messages 200] [--rate 10] [--background 50]
                                            [--background-interval 5] [--scenario one|two|both]
                                            [--entraide-rev REV] [--json] [--out FILE]

Real `entraide serve` processes, real websocket clients (the `websockets` library, asyncio):

  one  one process, the embedded default: a fresh SQLite file, the in-memory broker;
  two  two processes sharing Redis (a key prefix of this run's own) and a fresh PostgreSQL
       database; the writers speak on process 1, the helper listens on process 2.

In each scenario a helper account is made with `entraide user add`, logs in (POST /api/login),
says `hello` with the login token and goes on duty for every room. Crisis messages (French
and English, from several peer sessions so that the say limit of 5 then 1/s is never hit) are
sent to one room at a steady rate (open loop: a send never waits for the previous answer).
Per message: from just before the `say` leaves the client to
  ack      the writer's `ack` (the message is stored),
  pointer  the writer's `pointer` frame (the helplines card, protocol §7),
  alert    the helper's `alert` whose item.kind is "crisis" and item.message.id is the ack's id
           (and "alert after ack": from the ack to that alert, the crisis path's own share).
An alert that has not come 10 s after its `say` is a failure: printed loudly, exit status 1.

Two variants per scenario: `quiet` (only the writers in the room), then `load`, with
`--background` more peers in the same room each saying an ordinary message every
`--background-interval` seconds (random phase) while the crisis messages are sent. With
each variant: the cores used by the servers, by this client and by other work on the machine.

Crisis items are left open, and `[queue] crisis_claim_timeout_s` is set to 3600 s in the
configuration given to the servers, so the escalation timer never fires during a run.
Everything is made for the run and removed after it: a temporary folder (configuration,
SQLite file, server logs; kept, its path printed, when the run failed), the PostgreSQL
database, the Redis keys under the run's prefix. Message texts are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import descendants, free_ports, log_tails, snapshot, stop_groups  # bench/ is the script's own folder
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Not database 15: bench/run.py flushes it. The tests share database 0 too, each under its own prefix.
REDIS_URL = os.environ.get("BENCH_ALERT_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOM = "bench-alerte"
HELPER = "bench.helper"
PASSWORD = "bench alert helper " + secrets.token_hex(8)
ALERT_DEADLINE_S = 10.0
CLOSE_GRACE_S = 0.5

# Each is flagged by the shipped detector (ideation, plan, self-harm, farewell, concern for
# someone else; high and medium severity). French ones are sent by sessions whose locale is
# fr, English ones by sessions whose locale is en (the room is French: an English writer's
# text is then scanned in both languages, as the hub does).
CRISIS_FR = (
    "je veux mourir",
    "jveux plus vivre ce soir",
    "j'ai envie de me suicider",
    "je pense à en finir, je n'en peux plus",
    "je veux en finir avec tout ça ce soir",
    "j'aimerais ne pas me réveiller demain matin",
    "envie de me couper encore une fois",
    "adieu à tous, c'est mon dernier message",
    "mon frère parle de se suicider, j'ai peur pour lui",
    "chui fatigué de tout, jveux mourir",
    "je n'ai vraiment plus envie de vivre",
    "je veux disparaître pour toujours, ce soir c'est trop",
)
CRISIS_EN = (
    "I want to kill myself tonight",
    "i want to die",
    "I wish I wasn't here anymore",
    "im going to end my life tonight",
    "i cut myself again last night",
    "my friend wants to kill herself and I don't know what to do",
    "i dont want to live anymore",
    "this is my last message, goodbye everyone",
    "I'm thinking about suicide every night now",
    "honestly i just want to die, nothing helps",
)
# With --second-reading: crises no phrase, rule or word model flags and the encoder does (checked
# at start), from French writers only, so that the alert comes from the second reading.
CRISIS_SECOND_FR = (
    "ce soir je lâche tout, définitivement",
    "demain personne n'aura plus à s'inquiéter pour moi",
    "demain il sera trop tard pour moi",
    "demain je ne serai plus un souci pour personne",
    "je ne crois pas que je tiendrai jusqu'à dimanche",
    "ce soir je lâche prise, définitivement",
)
# Ordinary chat for the background peers: three fragments, so that no session repeats itself.
_OPEN = ("bonsoir à tous", "coucou", "merci pour vos messages", "petite nouvelle", "ici il pleut encore",
         "je sors du travail", "je reviens de promenade", "pas facile aujourd'hui")
_MIDDLE = ("j'ai réussi à appeler mon médecin", "j'ai bu un thé au calme", "mon chat dort sur mes genoux",
           "j'ai rangé un peu la cuisine", "la séance de groupe m'a fait du bien", "j'ai marché au parc",
           "j'ai lu quelques pages de mon livre", "ma sœur est passée me voir", "j'ai préparé une soupe",
           "la respiration carrée m'aide un peu")
_CLOSE = ("et vous, comment ça va", "bonne soirée", "on se parle demain", "courage à celles et ceux qui en ont besoin",
          "je vous lis", "ça fait du bien d'être ici", "prenez soin de vous")


def background_text(peer: int, k: int) -> str:
    return (f"{_OPEN[k % len(_OPEN)]}, {_MIDDLE[(peer + 3 * k) % len(_MIDDLE)]}, "
            f"{_CLOSE[(peer * 7 + k) % len(_CLOSE)]}")


# -- configuration ---------------------------------------------------------------------------------------------

_ROOM = f"""
[[room]]
slug = "{ROOM}"
title = "Mesure des alertes"
theme = "general"
lang = "fr"
description = "Salon de mesure."
charter = "1. Bienveillance."
capacity = 2000
moderation = "post"
slow_mode_s = 0
max_length = 2000
retention_s = 86400
schedule = []
requires_helper = false
"""


def set_key(text: str, table: str, key: str, value: str) -> str:
    """`key = value` in `[table]` of a TOML text: the key's line replaced, or added under the header, or a new table."""
    lines = text.splitlines(keepends=True)
    header = re.compile(rf"^\[{re.escape(table)}\]\s*(#.*)?$")
    assignment = re.compile(rf"^{re.escape(key)}\s*=")
    for i, line in enumerate(lines):
        if header.match(line.strip()):
            j = i + 1
            while j < len(lines) and not lines[j].lstrip().startswith("["):
                if assignment.match(lines[j].lstrip()):
                    lines[j] = f"{key} = {value}  # set by bench/alert_latency.py\n"
                    return "".join(lines)
                j += 1
            lines.insert(i + 1, f"{key} = {value}  # set by bench/alert_latency.py\n")
            return "".join(lines)
    return text + f"\n[{table}]\n{key} = {value}  # set by bench/alert_latency.py\n"


def config_text(source: Path, redis_prefix: str | None) -> str:
    """The shipped config.toml with a bench room, no escalation during a run and the run's Redis prefix."""
    text = set_key((source / "config.toml").read_text(encoding="utf-8"), "queue", "crisis_claim_timeout_s", "3600")
    if redis_prefix is not None:
        text = set_key(text, "redis", "prefix", f'"{redis_prefix}"')
    text += _ROOM
    parsed = tomllib.loads(text)  # what we wrote must parse, and mean what we meant
    if parsed["queue"]["crisis_claim_timeout_s"] != 3600 or (
        redis_prefix is not None and parsed["redis"]["prefix"] != redis_prefix
    ) or parsed["room"][-1]["slug"] != ROOM:
        raise RuntimeError("bench/alert_latency.py could not set its keys in config.toml")
    return text


# -- processes -------------------------------------------------------------------------------------------------



def entraide_command() -> str:
    beside = Path(sys.executable).parent / "entraide"
    found = str(beside) if beside.exists() else shutil.which("entraide")
    if found is None:
        raise RuntimeError("no `entraide` command: run with the project's venv (.venv/bin/python)")
    return found


@dataclass
class Servers:
    ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def http(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def ws(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.ports[i]}/ws"

    def log_tail(self, lines: int = 20) -> str:
        return log_tails(self.logs, lines)

    def start(self, env: dict[str, str], workdir: Path) -> None:
        port = free_ports(1)[0]
        log = workdir / f"serve-{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [entraide_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.ports.append(port)
        self.procs.append(proc)
        self.logs.append(log)
        self.wait_healthy(len(self.procs) - 1)

    def wait_healthy(self, i: int, limit_s: float = 60.0) -> None:
        deadline = time.monotonic() + limit_s
        while True:
            if self.procs[i].poll() is not None:
                raise RuntimeError(f"entraide serve exited with {self.procs[i].returncode}\n{self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.http(i)}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz did not answer 200 within {limit_s:.0f} s\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_groups(self.procs)


def add_helper(env: dict[str, str], workdir: Path) -> None:
    done = subprocess.run(
        [entraide_command(), "user", "add", HELPER, "--role", "helper", "--rooms", "all", "--password-stdin"],
        input=PASSWORD + "\n", env=env, cwd=workdir, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"entraide user add failed ({done.returncode}): {done.stderr.strip()}")


def log_in(http: str) -> str:
    body = json.dumps({"username": HELPER, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{http}/api/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.loads(response.read())["token"]
    return str(token)


async def _pg(statement: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def create_database(name: str) -> str:
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


def drop_database(name: str) -> None:
    try:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as exc:  # noqa: BLE001 - say so, and keep cleaning up
        print(f"alert_latency: could not drop database {name}: {exc}", file=sys.stderr)


def redis_check() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    finally:
        client.close()


def redis_forget(prefix: str) -> int:
    """Delete this run's keys (and only them: the prefix is the run's own)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    removed = 0
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=500):
            removed += int(client.delete(key))
    finally:
        client.close()
    return removed


# -- CPU accounting ------------------------------------------------------------------------------------------



def _process_seconds(pids: list[int]) -> float:
    ticks = 0
    for root in pids:
        for pid in descendants(root):
            with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_seconds() -> float:
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


@dataclass
class CpuMeter:
    """Cores used over an interval: by the servers, by this client, and by everything else on the machine."""

    pids: list[int]
    t0: float = 0.0
    server0: float = 0.0
    client0: float = 0.0
    machine0: float = 0.0

    def start(self) -> None:
        self.t0, self.server0 = time.monotonic(), _process_seconds(self.pids)
        self.client0, self.machine0 = time.process_time(), _machine_seconds()

    def read(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.t0, 1e-6)
        server = (_process_seconds(self.pids) - self.server0) / wall
        client = (time.process_time() - self.client0) / wall
        machine = (_machine_seconds() - self.machine0) / wall
        return {"server_cores": round(server, 2), "client_cores": round(client, 2),
                "other_cores": round(max(machine - server - client, 0.0), 2), "seconds": round(wall, 1)}


# -- the clients -----------------------------------------------------------------------------------------------


@dataclass
class Probe:
    """One crisis message and what came back for it (times from time.perf_counter)."""

    index: int
    writer: int
    lang: str
    ref: str
    sent: float = 0.0
    ack_at: float | None = None
    ack_id: str | None = None
    ack_status: str | None = None
    held_reason: Any = None
    error: str | None = None


@dataclass
class Board:
    """What the readers saw; alerts and pointers by message id, whatever order they come in."""

    probes: dict[str, Probe] = field(default_factory=dict)  # by ref
    alerts: dict[str, tuple[float, int]] = field(default_factory=dict)  # message id -> (time, escalation)
    pointers: dict[str, tuple[float, str]] = field(default_factory=dict)  # message id -> (time, stage)
    bg_sent: dict[str, float] = field(default_factory=dict)
    bg_acks: list[float] = field(default_factory=list)
    bg_errors: dict[str, int] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)  # connections the server closed during the run
    said: dict[int, int] = field(default_factory=dict)  # writer -> crisis messages so far (all variants)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # an ack, error, pointer or alert came

    def on_writer(self, frame: dict[str, Any], at: float) -> None:
        kind, ref = frame.get("type"), frame.get("ref")
        if kind == "ack" and ref in self.probes:
            probe = self.probes[ref]
            probe.ack_at, probe.ack_id, probe.ack_status = at, str(frame.get("id")), str(frame.get("status"))
            probe.held_reason = frame.get("reason")
            self.changed.set()
        elif kind == "error" and ref in self.probes:
            self.probes[ref].error = str(frame.get("code"))
            self.changed.set()
        elif kind == "pointer":
            self.pointers.setdefault(str(frame.get("message_id")), (at, str(frame.get("stage"))))
            self.changed.set()
        elif kind == "error":
            self.bg_errors["writer:" + str(frame.get("code"))] = self.bg_errors.get("writer:" + str(frame.get("code")),
                                                                                     0) + 1

    def on_helper(self, frame: dict[str, Any], at: float) -> None:
        if frame.get("type") != "alert":
            return
        item = frame.get("item") or {}
        if item.get("kind") == "crisis":
            message_id = (item.get("message") or {}).get("id")
            if message_id is not None:
                self.alerts.setdefault(str(message_id), (at, int(item.get("escalation") or 0)))
                self.changed.set()

    def on_background(self, frame: dict[str, Any], at: float) -> None:
        kind, ref = frame.get("type"), frame.get("ref")
        if kind == "ack" and ref in self.bg_sent:
            self.bg_acks.append(at - self.bg_sent.pop(ref))
        elif kind == "error":
            code = str(frame.get("code"))
            self.bg_errors[code] = self.bg_errors.get(code, 0) + 1


class Client:
    """A websocket that said hello; a reader task hands every frame, with its arrival time, to a handler."""

    def __init__(self, ws: ClientConnection, name: str, board: Board) -> None:
        self.ws = ws
        self.name = name
        self.board = board
        self.handler: Any = None
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    @classmethod
    async def open(cls, url: str, name: str, board: Board, token: str | None = None,
                   locale: str = "fr") -> Client:
        ws = await connect(url, compression=None, max_size=2**20, open_timeout=20)
        client = cls(ws, name, board)
        welcome = await client.request({"type": "hello", "token": token, "locale": locale}, "welcome")
        if token is not None and welcome.get("role") not in (None, "helper"):
            raise RuntimeError(f"{name}: hello answered role {welcome.get('role')!r}")
        return client

    async def request(self, frame: dict[str, Any], kind: str, ref: str | None = None,
                      within_s: float = 20.0) -> dict[str, Any]:
        """Before the reader starts: send, then read until a frame of this type (and ref)."""
        await self.ws.send(json.dumps(frame))
        async with asyncio.timeout(within_s):
            while True:
                answer: dict[str, Any] = json.loads(await self.ws.recv())
                if answer.get("type") == "error" and (ref is None or answer.get("ref") == ref):
                    raise RuntimeError(f"{self.name}: {frame['type']} refused: {answer.get('code')}")
                if answer.get("type") == kind and (ref is None or answer.get("ref") == ref):
                    return answer

    async def join(self) -> None:
        await self.request({"type": "join", "room": ROOM, "ref": "j"}, "joined", ref="j")

    def start(self, handler: Any) -> None:
        self.handler = handler
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                at = time.perf_counter()
                self.handler(json.loads(raw), at)
        except ConnectionClosed:
            pass
        if not self.closing:
            self.board.closed.append(f"{self.name}: closed by the server ({self.ws.close_code})")

    async def say(self, text: str, ref: str) -> None:
        await self.ws.send(json.dumps({"type": "say", "room": ROOM, "text": text, "ref": ref}))

    async def close(self) -> None:
        self.closing = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def open_many(count: int, urls: list[str], prefix: str, board: Board, handler: Any,
                    locale_of: Any = None) -> list[Client]:
    """`count` peers that said hello and joined the room, alternating over `urls`, a few at a time.

    Each one's reader runs from its join on, so that no connection stops reading (the server
    would close it after 512 unread frames)."""
    gate = asyncio.Semaphore(20)

    async def one(i: int) -> Client:
        async with gate:
            locale = locale_of(i) if locale_of is not None else "fr"
            client = await Client.open(urls[i % len(urls)], f"{prefix}{i}", board, locale=locale)
            await client.join()
            client.start(handler)
            return client

    return list(await asyncio.gather(*(one(i) for i in range(count))))


# -- one variant -----------------------------------------------------------------------------------------------


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(values_s: list[float]) -> dict[str, Any]:
    if not values_s:
        return {"n": 0}
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "median_ms": round(nearest_rank(ms, 0.5), 1), "p95_ms": round(nearest_rank(ms, 0.95), 1),
            "p99_ms": round(nearest_rank(ms, 0.99), 1), "max_ms": round(max(ms), 1)}


async def background_chatter(peers: list[Client], board: Board, interval_s: float, stop: asyncio.Event) -> int:
    """Every peer says an ordinary message every `interval_s`, each with a random phase."""
    sent = 0

    async def talk(i: int, peer: Client) -> None:
        nonlocal sent
        loop = asyncio.get_running_loop()
        next_at = loop.time() + random.uniform(0, interval_s)
        k = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - loop.time()))
            if stop.is_set():
                return
            ref = f"b{i}-{k}"
            board.bg_sent[ref] = time.perf_counter()
            with contextlib.suppress(ConnectionClosed):
                await peer.say(background_text(i, k), ref)
                sent += 1
            k += 1
            next_at += interval_s

    await asyncio.gather(*(talk(i, p) for i, p in enumerate(peers)))
    return sent


async def run_variant(
    name: str, writers: list[Client], board: Board, args: argparse.Namespace, background: list[Client],
    meter: CpuMeter,
) -> dict[str, Any]:
    stop = asyncio.Event()
    chatter: asyncio.Task[int] | None = None
    if background:
        chatter = asyncio.create_task(background_chatter(background, board, args.background_interval, stop))
        await asyncio.sleep(args.warmup)  # the room is busy before the first crisis message
    meter.start()
    loop = asyncio.get_running_loop()
    period = 1.0 / args.rate
    start = loop.time() + 0.2
    probes: list[Probe] = []
    for i in range(args.messages):
        w = i % len(writers)
        lang = "fr" if w % 2 == 0 or args.second_reading else "en"
        phrases = CRISIS_SECOND_FR if args.second_reading else CRISIS_FR if lang == "fr" else CRISIS_EN
        # A writer never repeats itself: its last five texts are five different phrases (a repeat
        # would be held by the repetition check, and a held message's crisis item has no message id).
        k = board.said.get(w, 0)
        board.said[w] = k + 1
        text = phrases[(w // 2 + k) % len(phrases)]
        probe = Probe(index=i, writer=w, lang=lang, ref=f"{name}-c{i}")
        board.probes[probe.ref] = probe
        probes.append(probe)
        delay = start + i * period - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        probe.sent = time.perf_counter()
        try:
            await writers[w].say(text, probe.ref)
        except ConnectionClosed:
            probe.error = "connection_closed"

    def settled(p: Probe) -> bool:
        if p.error is not None:
            return True
        if p.ack_id is None:
            return False
        return p.ack_id in board.alerts and p.ack_id in board.pointers

    last_deadline = max(p.sent for p in probes) + ALERT_DEADLINE_S if probes else time.perf_counter()
    while not all(settled(p) for p in probes) and time.perf_counter() < last_deadline:
        board.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(board.changed.wait(), max(0.01, last_deadline - time.perf_counter()))
    await asyncio.sleep(CLOSE_GRACE_S)
    cpu = meter.read()
    bg_sent = 0
    if chatter is not None:
        stop.set()
        bg_sent = await chatter
        await asyncio.sleep(1.0)  # the last background acks
    return {**report_variant(name, probes, board, len(background), bg_sent, args), "cpu": cpu}


def report_variant(name: str, probes: list[Probe], board: Board, background: int, bg_sent: int,
                   args: argparse.Namespace) -> dict[str, Any]:
    ack, pointer, alert, after_ack = [], [], [], []
    failures: list[dict[str, Any]] = []
    refused: dict[str, int] = {}
    escalation: dict[str, int] = {}
    stages: dict[str, int] = {}
    for p in probes:
        if p.error is not None or p.ack_id is None:
            code = p.error or "no_ack"
            refused[code] = refused.get(code, 0) + 1
            failures.append({"message": p.index, "writer": p.writer, "lang": p.lang, "why": f"say refused: {code}"})
            continue
        assert p.ack_at is not None
        ack.append(p.ack_at - p.sent)
        if p.ack_id in board.pointers:
            at, stage = board.pointers[p.ack_id]
            pointer.append(at - p.sent)
            stages[stage] = stages.get(stage, 0) + 1
        got = board.alerts.get(p.ack_id)
        if got is None or got[0] - p.sent > ALERT_DEADLINE_S:
            failures.append({"message": p.index, "writer": p.writer, "lang": p.lang, "id": p.ack_id,
                             "ack_status": p.ack_status if p.held_reason is None else f"{p.ack_status} "
                             f"({p.held_reason}: a held message's crisis item carries no message id)",
                             "pointer": p.ack_id in board.pointers,
                             "why": f"no alert within {ALERT_DEADLINE_S:.0f} s"})
        else:
            alert.append(got[0] - p.sent)
            after_ack.append(got[0] - p.ack_at)
            escalation[str(got[1])] = escalation.get(str(got[1]), 0) + 1
    out: dict[str, Any] = {
        "variant": name, "messages": len(probes), "rate_per_s": args.rate,
        "ack": summary(ack), "pointer": summary(pointer), "alert": summary(alert),
        "alert_after_ack": summary(after_ack),
        "alerts_over_2s": sum(1 for v in alert if v > 2.0),
        "failures": failures, "refused": refused, "alert_escalation_levels": escalation, "pointer_stages": stages,
        "pointers_missing": len(ack) - len(pointer),
    }
    if background:
        out["background"] = {
            "peers": background, "interval_s": args.background_interval, "sent": bg_sent,
            "acked": len(board.bg_acks), "ack": summary(board.bg_acks), "errors": dict(board.bg_errors),
        }
        board.bg_acks.clear()
        board.bg_errors.clear()
        board.bg_sent.clear()
    out["connections_closed_by_server"] = list(board.closed)
    board.closed.clear()
    return out


async def measure(servers: Servers, token: str, writer_proc: int, helper_proc: int,
                  args: argparse.Namespace) -> list[dict[str, Any]]:
    board = Board()
    meter = CpuMeter([p.pid for p in servers.procs])
    helper = await Client.open(servers.ws(helper_proc), "helper", board, token=token)
    duty = await helper.request({"type": "duty", "on": True, "rooms": "all", "ref": "d"}, "duty", ref="d")
    if ROOM not in duty.get("rooms", []):
        raise RuntimeError(f"the helper is not on duty for {ROOM}: {duty.get('rooms')}")
    helper.start(board.on_helper)
    # Enough writers that each speaks at most every 2 s: the say limit (5 at once, then 1/s) never bites.
    count = max(2, math.ceil(args.rate * 2))
    count += count % 2
    writer_urls = [servers.ws(writer_proc)]
    clients: list[Client] = [helper]
    results = []
    try:
        writers = await open_many(count, writer_urls, "writer", board, board.on_writer,
                                  lambda i: "fr" if i % 2 == 0 or args.second_reading else "en")
        clients += writers
        results.append(await run_variant("quiet", writers, board, args, [], meter))
        if args.background > 0:
            urls = [servers.ws(i) for i in range(len(servers.ports))]
            background = await open_many(args.background, urls, "peer", board, board.on_background)
            clients += background
            results.append(await run_variant("load", writers, board, args, background, meter))
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    return results


# -- scenarios -------------------------------------------------------------------------------------------------


def run_scenario(scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"entraide-alert-{scenario}-"))
    tag = secrets.token_hex(5)
    prefix = f"benchalert{tag}" if scenario == "two" else None
    database = f"entraide_alert_{tag}" if scenario == "two" else None
    servers = Servers()
    ok = False
    try:
        config = workdir / "config.toml"
        config.write_text(config_text(args.entraide_src, prefix), encoding="utf-8")
        env = dict(os.environ)
        for name in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL"):
            env.pop(name, None)
        env.update(ENTRAIDE_CONFIG=str(config), ENTRAIDE_SECRET_KEY=secrets.token_urlsafe(48), PYTHONUNBUFFERED="1")
        if args.entraide_src != ROOT:
            env["PYTHONPATH"] = str(args.entraide_src)
        if scenario == "one":
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'entraide.db'}"
            servers.start(env, workdir)
            add_helper(env, workdir)
            writer_proc = helper_proc = 0
        else:
            redis_check()
            assert database is not None
            env["DATABASE_URL"] = create_database(database)
            env["REDIS_URL"] = REDIS_URL
            servers.start(env, workdir)  # one after the other: each migrates at start-up
            servers.start(env, workdir)
            add_helper(env, workdir)
            writer_proc, helper_proc = 0, 1
        token = log_in(servers.http(helper_proc))
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        variants = asyncio.run(measure(servers, token, writer_proc, helper_proc, args))
        load_after = Path("/proc/loadavg").read_text().split()[:3]
        alive = all(p.poll() is None for p in servers.procs)
        ok = alive and not any(v["failures"] for v in variants)
        return {"scenario": scenario, "processes": len(servers.procs),
                "database": "sqlite" if scenario == "one" else "postgresql",
                "broker": "memory" if scenario == "one" else "redis",
                "loadavg_before": load_before, "loadavg_after": load_after, "servers_alive_after": alive,
                "variants": variants}
    finally:
        servers.stop()
        if database is not None:
            drop_database(database)
        if prefix is not None:
            with contextlib.suppress(Exception):
                redis_forget(prefix)
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"alert_latency: {scenario}: configuration and server logs kept in {workdir}", file=sys.stderr)


# -- report ----------------------------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    lines = [f"scenario {result['scenario']}: {result['processes']} process(es), {result['database']}, "
             f"{result['broker']} broker; load average before {' '.join(result['loadavg_before'])}, "
             f"after {' '.join(result['loadavg_after'])}", "",
             "| variant | measure | n | median ms | p95 ms | p99 ms | max ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for v in result["variants"]:
        label = v["variant"]
        if "background" in v:
            b = v["background"]
            label += f" ({b['peers']} peers, 1 msg / {b['interval_s']:g} s each)"
        for measure_name in ("ack", "pointer", "alert", "alert_after_ack"):
            s = v[measure_name]
            shown = measure_name.replace("_", " ")
            if s["n"]:
                lines.append(f"| {label} | {shown} | {s['n']} | {s['median_ms']:,.1f} | {s['p95_ms']:,.1f} "
                             f"| {s['p99_ms']:,.1f} | {s['max_ms']:,.1f} |")
            else:
                lines.append(f"| {label} | {shown} | 0 | — | — | — | — |")
    lines.append("")
    for v in result["variants"]:
        extra = [f"{v['variant']}: {v['messages']} crisis messages at {v['rate_per_s']:g}/s",
                 f"alerts over 2 s: {v['alerts_over_2s']}", f"failures: {len(v['failures'])}",
                 f"alert escalation levels: {v['alert_escalation_levels']}", f"pointer stages: {v['pointer_stages']}"]
        if "background" in v:
            b = v["background"]
            ack = b["ack"]
            extra.append(f"background: {b['sent']} sent, {b['acked']} acked"
                         + (f" (ack median {ack['median_ms']} ms, p99 {ack['p99_ms']} ms)" if ack["n"] else "")
                         + (f", errors {b['errors']}" if b["errors"] else ""))
        c = v["cpu"]
        extra.append(f"CPU over {c['seconds']:g} s: servers {c['server_cores']:.2f}, this client "
                     f"{c['client_cores']:.2f}, other work {c['other_cores']:.2f} cores")
        if v["connections_closed_by_server"]:
            extra.append(f"closed by the server: {len(v['connections_closed_by_server'])}")
        lines.append("; ".join(extra))
    return "\n".join(lines)


def loud(results: list[dict[str, Any]]) -> int:
    """Print every failure where nobody can miss it; how many there were."""
    count = 0
    for r in results:
        if not r.get("servers_alive_after", True):
            print(f"\n!!! scenario {r['scenario']}: a server process died during the run", file=sys.stderr)
            count += 1
        for v in r.get("variants", []):
            for f in v["failures"]:
                count += 1
                print(f"!!! FAILURE scenario {r['scenario']} / {v['variant']}: message {f['message']} "
                      f"(writer {f['writer']}, {f['lang']}): {f['why']}"
                      + (f"; ack {f.get('ack_status')}, pointer {'came' if f.get('pointer') else 'never came'}"
                         if "id" in f else ""), file=sys.stderr)
            if v["alerts_over_2s"]:
                print(f"!!! scenario {r['scenario']} / {v['variant']}: {v['alerts_over_2s']} alert(s) slower than "
                      "the 2 s target (arrived, so not counted as failures)", file=sys.stderr)
            for closed in v["connections_closed_by_server"]:
                print(f"!!! scenario {r['scenario']} / {v['variant']}: {closed}", file=sys.stderr)
        if "error" in r:
            count += 1
            print(f"!!! scenario {r['scenario']} could not run: {r['error']}", file=sys.stderr)
    if count:
        print(f"\n!!! {count} failure(s): see above", file=sys.stderr)
    return count


def git_rev(rev: str) -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    return "?"



def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("websockets", "uvicorn", "starlette", "redis", "sqlalchemy", "aiosqlite", "asyncpg"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that the servers are stopped by the `finally` blocks


def only_second_reading(texts: tuple[str, ...]) -> None:
    """Exit unless the fast reading misses every text and the encoder flags it (as a French
    writer in a French room: the language the hub scans them in)."""
    sys.path.insert(0, str(ROOT))
    from moderation.crisis import CrisisDetector

    detector = CrisisDetector.shipped()
    wrong = [i for i, text in enumerate(texts) if detector.detect(text, "fr").flagged
             or not detector.second_reading([(text, "fr")])[0].flagged]
    if wrong:
        sys.exit(f"alert_latency: --second-reading texts {wrong} are not flagged by the encoder alone")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    parser = argparse.ArgumentParser(prog="bench/alert_latency.py",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=200, help="crisis messages per variant (default 200)")
    parser.add_argument("--rate", type=float, default=10.0, help="crisis messages per second (default 10)")
    parser.add_argument("--background", type=int, default=50,
                        help="peers chatting in the room during the `load` variant (default 50; 0: no load variant)")
    parser.add_argument("--background-interval", type=float, default=5.0,
                        help="seconds between two messages of one background peer (default 5; at least 1.2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of background chat before measuring")
    parser.add_argument("--scenario", choices=("one", "two", "both"), default="both")
    parser.add_argument("--second-reading", action="store_true",
                        help="crisis messages only the encoder flags (the alert comes from the second reading)")
    parser.add_argument("--entraide-rev", help="run Entraide from `git archive REV` instead of the working tree")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout (tables omitted)")
    parser.add_argument("--out", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.rate <= 0:
        parser.error("--messages and --rate must be positive")
    if args.background_interval < 1.2:
        parser.error("--background-interval below 1.2 s would meet the say limit (1/s)")
    if args.second_reading:
        only_second_reading(CRISIS_SECOND_FR)
    args.entraide_src = snapshot(args.entraide_rev) if args.entraide_rev else ROOT
    scenarios = ["one", "two"] if args.scenario == "both" else [args.scenario]
    started = dt.datetime.now(dt.UTC)
    results: list[dict[str, Any]] = []
    try:
        for scenario in scenarios:
            print(f"alert_latency: scenario {scenario} …", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            try:
                result = run_scenario(scenario, args)
            except Exception as exc:  # noqa: BLE001 - one scenario failing must not lose the other's figures
                result = {"scenario": scenario, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                          "detail": str(exc)[-3000:]}
            result["seconds"] = round(time.monotonic() - t0, 1)
            results.append(result)
            if not args.json and "variants" in result:
                print(table(result) + "\n", flush=True)
    finally:
        if args.entraide_rev:
            shutil.rmtree(args.entraide_src, ignore_errors=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "entraide": {"source": f"git archive {args.entraide_rev}" if args.entraide_rev else "working tree",
                     "rev": git_rev(args.entraide_rev or "HEAD")},
        "cores": os.cpu_count(), "kernel": platform.release(), "versions": versions(),
        "settings": {"messages": args.messages, "rate_per_s": args.rate, "background": args.background,
                     "second_reading": args.second_reading,
                     "background_interval_s": args.background_interval, "warmup_s": args.warmup,
                     "alert_deadline_s": ALERT_DEADLINE_S, "crisis_claim_timeout_s": 3600},
        "results": results,
    }
    if args.json:
        print(json.dumps(document, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    for r in results:
        if "error" in r and "detail" in r:
            print(r["detail"], file=sys.stderr)
    return 1 if loud(results) else 0


if __name__ == "__main__":
    sys.exit(main())
