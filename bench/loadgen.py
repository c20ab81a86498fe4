"""The load generator: many lean websocket clients in one process, pinned to its own core.

    python bench/loadgen.py fanout --url ws://127.0.0.1:8101/ws [--url ...] [options]
    python bench/loadgen.py rooms  --url ...
    python bench/loadgen.py idle   --url ...
    python bench/loadgen.py --selftest

A Python websocket library spends far more per received frame than the servers under test
spend per sent one, so the clients here are raw `asyncio.Protocol`s: the HTTP upgrade is
written by hand, server frames (unmasked) are cut out of the byte stream with a few slices,
and a broadcast is recognised by the bytes `"text":"b ` without decoding its JSON. Only the
frames a client waits for (`welcome`, `joined`, `ack`, `error`) are decoded.

A measured message's text is `b <step> <seq> <monotonic_ns at send>`: the publisher and the
receivers live in this one process, so receive time minus that stamp is the end-to-end
latency (server and both kernels' loopback included, plus any delay this process adds: the
process's own CPU use is reported with every step so that a saturated generator shows).

Events and the result go to stdout as JSON lines; the idle scenario waits for a line on
stdin at its two measuring points so that the orchestrator can read the server's memory.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import errno
import heapq
import json
import os
import random
import resource
import select
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MARK = b'"text":"b '
_MARK_LEN = len(MARK)
_ACK = b'"type":"ack"'
_ERROR = b'"type":"error"'
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


# -- client frames ----------------------------------------------------------------------------


def mask_payload(payload: bytes, key: bytes) -> bytes:
    """XOR the payload with the 4-byte key, as RFC 6455 §5.3 asks of every client frame."""
    if not payload:
        return payload
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes, key: bytes | None = None) -> bytes:
    """One final, masked client frame."""
    key = key if key is not None else os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + key + mask_payload(payload, key)


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked frame as a server sends it (used by the self-test)."""
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        return bytes((first, n)) + payload
    if n < 1 << 16:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload


class FrameReader:
    """Cuts server frames out of a byte stream: (opcode, fin, payload) per complete frame."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def feed(self, data: bytes) -> list[tuple[int, bool, bytes]]:
        buf = self._buf + data if self._buf else data
        n = len(buf)
        i = 0
        out: list[tuple[int, bool, bytes]] = []
        while n - i >= 2:
            b0 = buf[i]
            b1 = buf[i + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if n - i < 4:
                    break
                length = int.from_bytes(buf[i + 2 : i + 4], "big")
                head = 4
            elif length == 127:
                if n - i < 10:
                    break
                length = int.from_bytes(buf[i + 2 : i + 10], "big")
                head = 10
            if b1 & 0x80:  # a masked server frame is a protocol error; read it anyway
                key_at = i + head
                head += 4
                if n - i < head + length:
                    break
                payload = mask_payload(buf[i + head : i + head + length], buf[key_at : key_at + 4])
            else:
                end = i + head + length
                if end > n:
                    break
                payload = buf[i + head : end]
            out.append((b0 & 0x0F, bool(b0 & 0x80), payload))
            i += head + length
        self._buf = buf[i:] if i < n else b""
        return out


def parse_mark(payload: bytes, at: int) -> tuple[int, int, int]:
    """(step, seq, sent_ns) of the measured text found at `at` (the index of MARK)."""
    start = at + len(MARK)
    end = payload.index(b'"', start)
    step, seq, sent = payload[start:end].split()
    return int(step), int(seq), int(sent)


# -- the event loop: plain epoll ------------------------------------------------------------------


class Engine:
    """A minimal epoll loop: one callback per ready socket, and a tick for timed work."""

    def __init__(self) -> None:
        self.epoll = select.epoll()
        self.conns: dict[int, Conn] = {}
        self.extra: dict[int, Callable[[], None]] = {}

    def register(self, conn: Conn, writable: bool) -> None:
        self.conns[conn.fd] = conn
        self.epoll.register(conn.fd, select.EPOLLIN | (select.EPOLLOUT if writable else 0))

    def want_write(self, conn: Conn, on: bool) -> None:
        with contextlib.suppress(OSError):
            self.epoll.modify(conn.fd, select.EPOLLIN | (select.EPOLLOUT if on else 0))

    def forget(self, conn: Conn) -> None:
        if self.conns.pop(conn.fd, None) is not None:
            with contextlib.suppress(OSError, ValueError):
                self.epoll.unregister(conn.fd)

    def watch(self, fd: int, callback: Callable[[], None]) -> None:
        self.extra[fd] = callback
        self.epoll.register(fd, select.EPOLLIN)

    def unwatch(self, fd: int) -> None:
        if self.extra.pop(fd, None) is not None:
            self.epoll.unregister(fd)

    def run(self, until: Callable[[], bool], limit_s: float, tick: Callable[[], float | None] | None = None) -> bool:
        """Serve sockets until `until()` or limit_s; `tick()` runs every turn and may ask for a
        shorter wait (seconds until it next has work). True when `until()` became true."""
        deadline = time.monotonic() + limit_s
        conns, extra, poll = self.conns, self.extra, self.epoll.poll
        readable = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP
        while not until():
            now = time.monotonic()
            if now >= deadline:
                return False
            wait = min(0.05, deadline - now)
            if tick is not None:
                soon = tick()
                if soon is not None:
                    wait = max(0.0, min(wait, soon))
            for fd, ev in poll(wait):
                conn = conns.get(fd)
                if conn is None:
                    callback = extra.get(fd)
                    if callback is not None:
                        callback()
                    continue
                if ev & select.EPOLLOUT:
                    conn.on_writable()
                if ev & readable:
                    conn.on_readable()
        return True


# -- one client ---------------------------------------------------------------------------------


@dataclass
class Stats:
    """What the receiving clients add to, per step."""

    steps: int
    latencies: list[list[int]] = field(default_factory=list)
    received: list[int] = field(default_factory=list)
    last_ns: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.latencies = [[] for _ in range(self.steps)]
        self.received = [0] * self.steps
        self.last_ns = [0] * self.steps


CONNECTING, UPGRADING, HELLO, JOINING, READY, CLOSED = range(6)


@dataclass
class Target:
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/ws")


class Conn:
    """One websocket client: opens itself (upgrade, hello, join), then counts measured frames."""

    def __init__(
        self, engine: Engine, target: Target, room: str | None, stats: Stats,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.engine, self.target, self.room, self.stats, self.on_reply = engine, target, room, stats, on_reply
        self.state = CONNECTING
        self.started = time.monotonic()
        self.failure: str | None = None
        self.close_code: int | None = None
        self.reader = FrameReader()
        self.head = b""
        self.out = b""
        self.fragments: list[bytes] = []
        self.counts = [0] * stats.steps
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fd = self.sock.fileno()
        err = self.sock.connect_ex((target.host, target.port))
        if err not in (0, errno.EINPROGRESS):
            self.fail(f"connect: {os.strerror(err)}")
            return
        engine.register(self, writable=True)

    @property
    def opening(self) -> bool:
        return self.state < READY

    # events ------------------------------------------------------------------------------------

    def on_writable(self) -> None:
        if self.state == CONNECTING:
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.fail(f"connect: {os.strerror(err)}")
                return
            self.state = UPGRADING
            key = base64.b64encode(os.urandom(16)).decode()
            self.out = (
                f"GET {self.target.path} HTTP/1.1\r\nHost: {self.target.host}:{self.target.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        self._flush()

    def _flush(self) -> None:
        try:
            sent = self.sock.send(self.out)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self.lost(f"send: {exc}")
            return
        self.out = self.out[sent:]
        self.engine.want_write(self, bool(self.out))

    def write(self, data: bytes) -> None:
        if self.state == CLOSED:
            return
        if self.out:
            self.out += data
            return
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self.lost(f"send: {exc}")
            return
        if sent < len(data):
            self.out = data[sent:]
            self.engine.want_write(self, True)

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as exc:
            self.lost(f"recv: {exc}")
            return
        if not data:
            self.lost("closed by the server")
            return
        if self.state == UPGRADING:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.head[: self.head.find(b"\r\n")]
            data, self.head = self.head[end + 4 :], b""
            if not status.startswith(b"HTTP/1.1 101"):
                self.fail(f"upgrade refused: {status.decode(errors='replace')}")
                return
            self.state = HELLO
            self.send_json({"type": "hello", "token": None, "locale": "fr"})
            if not data:
                return
        now = time.monotonic_ns()
        stats = self.stats
        if self.state == READY and not self.fragments and not self.reader.pending:
            data = self._count_marked(data, now)
            if not data:
                return
        for opcode, fin, payload in self.reader.feed(data):
            if opcode in (OP_TEXT, OP_CONT):
                if not fin or self.fragments:
                    if opcode == OP_TEXT:
                        self.fragments = []
                    self.fragments.append(payload)
                    if not fin:
                        continue
                    payload, self.fragments = b"".join(self.fragments), []
                at = payload.find(MARK)
                if at >= 0:
                    step, _seq, sent = parse_mark(payload, at)
                    if 0 <= step < stats.steps:
                        self.counts[step] += 1
                        stats.received[step] += 1
                        stats.latencies[step].append(now - sent)
                        stats.last_ns[step] = now
                else:
                    self._reply(payload)
            elif opcode == OP_PING:
                self.write(client_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_code = code
                stats.closes[code] += 1
                self.write(client_frame(OP_CLOSE, payload[:2]))
                self.lost(f"closed by the server with {code}")
                return

    def _count_marked(self, data: bytes, now: int) -> bytes:
        """The hot path: count the leading whole measured text frames in place; return the rest."""
        stats = self.stats
        n = len(data)
        i = 0
        while n - i >= 2 and data[i] == 0x81:  # FIN + text, unmasked, as servers send
            length = data[i + 1]
            if length < 126:
                start = i + 2
            elif length == 126 and n - i >= 4:
                length = (data[i + 2] << 8) | data[i + 3]
                start = i + 4
            else:
                break
            end = start + length
            if end > n:
                break
            at = data.find(MARK, start, end)
            if at < 0:
                break
            fields = data[at + _MARK_LEN : data.index(b'"', at + _MARK_LEN, end)].split()
            step = int(fields[0])
            if 0 <= step < stats.steps:
                self.counts[step] += 1
                stats.received[step] += 1
                stats.latencies[step].append(now - int(fields[2]))
                stats.last_ns[step] = now
            i = end
        return data[i:] if i else data

    def _reply(self, payload: bytes) -> None:
        if self.state == HELLO or self.state == JOINING:
            frame = json.loads(payload)
            kind = frame.get("type")
            if kind == "error":
                self.fail(f"{'hello' if self.state == HELLO else 'join'}: error {frame.get('code')}")
            elif self.state == HELLO and kind == "welcome":
                if self.room is None:
                    self.state = READY
                else:
                    self.state = JOINING
                    self.send_json({"type": "join", "room": self.room, "ref": "j1"})
            elif self.state == JOINING and kind == "joined":
                self.state = READY
            return
        if self.on_reply is not None and (_ACK in payload or _ERROR in payload):
            frame = json.loads(payload)
            if frame.get("type") == "error":
                self.stats.errors[str(frame.get("code"))] += 1
            self.on_reply(frame)
        elif _ERROR in payload:
            self.stats.errors[str(json.loads(payload).get("code"))] += 1

    # sending and ending ---------------------------------------------------------------------------

    def send_json(self, frame: dict[str, Any]) -> None:
        self.write(client_frame(OP_TEXT, json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()))

    def fail(self, why: str) -> None:
        self.failure = why
        self.lost(why)

    def lost(self, why: str) -> None:
        if self.state == CLOSED:
            return
        if self.state < READY and self.failure is None:
            self.failure = why
        if self.close_code is None:
            self.close_code = 1006
            self.stats.closes[1006] += 1
        self.state = CLOSED
        self.engine.forget(self)
        with contextlib.suppress(OSError):
            self.sock.close()

    def close(self) -> None:
        """Send a normal close frame and drop the socket (the server's reply is not awaited)."""
        if self.state == CLOSED:
            return
        self.write(client_frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        self.close_code = 1000
        self.state = CLOSED
        self.engine.forget(self)
        with contextlib.suppress(OSError):
            self.sock.close()


def open_many(
    engine: Engine, targets: Sequence[Target], rooms: Sequence[str | None], stats: Stats,
    concurrency: int, timeout: float, on_reply: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[list[Conn], list[str]]:
    """Open len(rooms) clients, the i-th joining rooms[i] on targets[i % len(targets)], with at most
    `concurrency` being opened at once; each gets three tries. Returns the open ones and the failures."""
    todo = list(range(len(rooms)))[::-1]
    tries = [0] * len(rooms)
    opening: dict[int, Conn] = {}
    done: dict[int, Conn] = {}
    failures: list[str] = []

    def tick() -> float | None:
        now = time.monotonic()
        for i, conn in list(opening.items()):
            if conn.state == READY:
                done[i] = opening.pop(i)
            elif conn.state == CLOSED or now - conn.started > timeout:
                opening.pop(i)
                if conn.state != CLOSED:
                    conn.fail("timed out while opening")
                tries[i] += 1
                if tries[i] < 3:
                    todo.append(i)
                else:
                    failures.append(conn.failure or "?")
        while todo and len(opening) < concurrency:
            i = todo.pop()
            opening[i] = Conn(engine, targets[i % len(targets)], rooms[i], stats, on_reply)
        return None

    tick()
    engine.run(lambda: not todo and not opening, limit_s=timeout * 3 + len(rooms), tick=tick)
    return [done[i] for i in sorted(done)], failures


def close_all(engine: Engine, conns: Sequence[Conn]) -> None:
    for conn in conns:
        conn.close()
    engine.run(lambda: False, 0.2)


# -- measuring -----------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index] / 1e6


def summarise(latencies: list[int]) -> dict[str, float]:
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1] / 1e6, 2) if latencies else float("nan"),
    }


def redis_server_pids() -> list[int]:
    """The local redis-server processes: their CPU is the Redis targets' own, not other work."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == "redis-server":
                    found.append(int(entry))
    return found


class CpuMeter:
    """Over an interval, as shares of one core: this process's CPU, the server processes' CPU,
    redis-server's CPU, and how busy each core was in all (softirq included: loopback TCP
    work that the kernel does not always charge to the process that caused it)."""

    def __init__(self, server_pids: Sequence[int]) -> None:
        self.pids = list(server_pids)
        self.redis = redis_server_pids()
        self.tick = os.sysconf("SC_CLK_TCK")
        self._start = self._read()

    def _cpu_of(self, pids: Sequence[int]) -> float:
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / self.tick
        return total

    @staticmethod
    def _cores() -> dict[str, tuple[int, int]]:
        """(busy, total) jiffies per core from /proc/stat."""
        out: dict[str, tuple[int, int]] = {}
        with contextlib.suppress(OSError), open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu") and line[3].isdigit():
                    name, *values = line.split()
                    ticks = [int(v) for v in values[:8]]
                    idle = ticks[3] + ticks[4]
                    out[name] = (sum(ticks) - idle, sum(ticks))
        return out

    def _read(self) -> tuple[float, float, float, float, dict[str, tuple[int, int]]]:
        return time.monotonic(), time.process_time(), self._cpu_of(self.pids), self._cpu_of(self.redis), self._cores()

    def restart(self) -> None:
        self._start = self._read()

    def shares(self) -> dict[str, float]:
        wall, own, server, redis, cores = self._read()
        w0, o0, s0, r0, c0 = self._start
        span = max(wall - w0, 1e-9)
        out = {"loadgen_cpu": round((own - o0) / span, 3), "server_cpu": round((server - s0) / span, 3),
               "redis_cpu": round((redis - r0) / span, 3)}
        busy_all = 0.0
        for name, (busy, total) in cores.items():
            b0, t0 = c0.get(name, (0, 0))
            share = (busy - b0) / max(total - t0, 1)
            busy_all += share
            out[f"{name}_busy"] = round(share, 3)
        # What neither the server nor this process used: other work on the machine, which
        # competes with the measurement (the cores are shared with whatever else runs).
        ours = out["loadgen_cpu"] + out["server_cpu"] + out["redis_cpu"]
        out["foreign_cpu"] = round(max(0.0, busy_all - ours), 3)
        return out


def drain(engine: Engine, stats: Stats, step: int, expected: int, quiet_s: float, limit_s: float) -> None:
    """Serve until `expected` deliveries of the step arrived, or none came for quiet_s."""
    state = {"last": -1, "since": time.monotonic()}

    def done() -> bool:
        got = stats.received[step]
        if got >= expected:
            return True
        now = time.monotonic()
        if got != state["last"]:
            state["last"], state["since"] = got, now
            return False
        return now - state["since"] > quiet_s

    engine.run(done, limit_s)


def emit(event: str, **data: Any) -> None:
    print(json.dumps({"event": event, **data}), flush=True)


def log(message: str) -> None:
    print(f"loadgen: {message}", file=sys.stderr, flush=True)


# -- scenarios ---------------------------------------------------------------------------------------


class Acks:
    """The `say` answers of one or many speakers, by the step in their ref (`s<step>-...`)."""

    def __init__(self, steps: int) -> None:
        self.acked = [0] * steps
        self.refused: Counter[str] = Counter()

    def on_reply(self, frame: dict[str, Any]) -> None:
        ref = frame.get("ref")
        if not isinstance(ref, str) or not ref.startswith("s"):
            return
        step = int(ref[1:].split("-", 1)[0])
        if frame.get("type") == "ack":
            self.acked[step] += 1
        else:
            self.refused[str(frame.get("code"))] += 1

    def answered(self, step: int) -> int:
        return self.acked[step] + sum(self.refused.values())


class Pacer:
    """Sends one step's `say`s at a steady rate, each stamped with its send time."""

    def __init__(self, pub: Conn, room: str, step: int, count: int, rate: int, t0: int) -> None:
        self.pub, self.room, self.step, self.count, self.t0 = pub, room, step, count, t0
        self.interval = 1e9 / rate
        self.sent = 0

    def finished(self) -> bool:
        return self.sent >= self.count

    def tick(self) -> float | None:
        now = time.monotonic_ns()
        while self.sent < self.count and self.t0 + self.sent * self.interval <= now:
            self.pub.send_json({"type": "say", "room": self.room,
                                "text": f"b {self.step} {self.sent} {time.monotonic_ns()}",
                                "ref": f"s{self.step}-{self.sent}"})
            self.sent += 1
        if self.sent >= self.count:
            return None
        return max(0.0, (self.t0 + self.sent * self.interval - time.monotonic_ns()) / 1e9)


def wait_machine_quiet(engine: Engine, args: argparse.Namespace) -> float:
    """Serve the clients while waiting (up to args.quiet_wait) for other work on the machine to stop;
    returns the other CPU seen last (cores)."""
    deadline = time.monotonic() + args.quiet_wait
    while True:
        meter = CpuMeter(args.server_pid)
        engine.run(lambda: False, 1.0)
        foreign = meter.shares()["foreign_cpu"]
        if foreign <= args.max_foreign / 2 or time.monotonic() > deadline:
            return foreign


def fanout_step(
    engine: Engine, args: argparse.Namespace, cpu: CpuMeter, stats: Stats, acks: Acks, subs: list[Conn],
    pub: Conn, rate: int, step: int,
) -> dict[str, Any]:
    """One step: `rate` msg/s for step_seconds, then every answer and delivery drained."""
    wait_machine_quiet(engine, args)
    alive = [c for c in subs if c.state == READY]
    count = max(1, round(rate * args.step_seconds))
    cpu.restart()
    t0 = time.monotonic_ns()
    pacer = Pacer(pub, args.room, step, count, rate, t0)
    engine.run(pacer.finished, args.step_seconds * 3 + 10, tick=pacer.tick)
    sent_ns = time.monotonic_ns()
    engine.run(lambda: acks.answered(step) >= count, args.drain_limit)
    acked = acks.acked[step]
    expected = acked * len(alive)
    drain(engine, stats, step, expected, args.quiet, args.drain_limit)
    shares = cpu.shares()
    received = sum(min(c.counts[step], acked) for c in alive)
    span_s = max(stats.last_ns[step] - t0, 1) / 1e9
    lat = summarise(stats.latencies[step])
    stats.latencies[step] = []
    row: dict[str, Any] = {
        "rate": rate, "subscribers": len(alive), "sent": pacer.sent, "acked": acked,
        "send_s": round((sent_ns - t0) / 1e9, 3), "offered_per_s": rate * len(alive),
        "deliveries": stats.received[step], "deliveries_per_s": round(stats.received[step] / span_s),
        "expected": expected, "loss": expected - received, **lat, **shares,
        "closed": sum(1 for c in subs if c.state == CLOSED),
    }
    row["passed"] = bool(acked == count and row["loss"] == 0 and lat["p99_ms"] < args.p99_ms)
    return row


def fanout(args: argparse.Namespace) -> dict[str, Any]:
    engine = Engine()
    targets = [Target.parse(u) for u in args.url]
    rates = [int(r) for r in args.rates.split(",")]
    slots = len(rates) * (args.retries + 1)
    stats = Stats(slots)
    acks = Acks(slots)
    started = time.monotonic()
    subs, failures = open_many(engine, targets, [args.room] * args.subscribers, stats, args.concurrency,
                               args.timeout)
    # The publisher is in the room too (it must be to speak); what it receives is not counted.
    pubs, pub_failures = open_many(engine, targets[:1], [args.room], Stats(slots), 1, args.timeout,
                                   acks.on_reply)
    if not pubs:
        raise SystemExit(f"loadgen: the publisher could not join: {pub_failures}")
    pub = pubs[0]
    log(f"fanout: {len(subs)} subscribers open in {time.monotonic() - started:.1f}s ({len(failures)} failed)")
    engine.run(lambda: False, args.settle)
    emit("measuring")  # the orchestrator may start a profiler on the server now
    cpu = CpuMeter(args.server_pid)
    results: list[dict[str, Any]] = []
    failed_once = False
    attempts: list[dict[str, Any]] = []
    slot = 0  # every attempt of a step counts in its own slot
    for rate in rates:
        for attempt in range(args.retries + 1):
            row = fanout_step(engine, args, cpu, stats, acks, subs, pub, rate, slot)
            slot += 1
            row["attempt"] = attempt + 1
            attempts.append(row)
            emit("step", **row)
            log(f"fanout step {rate}/s: " + ", ".join(f"{k}={v}" for k, v in row.items()))
            if row["passed"] or row["foreign_cpu"] <= args.max_foreign or attempt == args.retries:
                break
            log(f"fanout step {rate}/s failed while other work used {row['foreign_cpu']} core: again")
        results.append(row)
        if not row["passed"]:
            if failed_once:
                break
            failed_once = True
        engine.run(lambda: False, args.pause)
    passing = [r for r in results if r["passed"]]
    best = max(passing, key=lambda r: r["rate"]) if passing else None
    close_all(engine, [*subs, pub])
    return {
        "scenario": "fanout", "subscribers_requested": args.subscribers, "subscribers_open": len(subs),
        "open_failed": len(failures), "open_failures": failures[:5], "steps": results,
        "attempts": attempts,
        "best_rate": best["rate"] if best else None,
        "best_deliveries_per_s": best["deliveries_per_s"] if best else None,
        "best_p99_ms": best["p99_ms"] if best else None,
        "errors": dict(stats.errors), "refused": dict(acks.refused), "closes": dict(stats.closes),
    }


def rooms(args: argparse.Namespace) -> dict[str, Any]:
    engine = Engine()
    targets = [Target.parse(u) for u in args.url]
    names = [f"r{i:03d}" for i in range(args.rooms)]
    plan: list[str | None] = [names[i % args.rooms] for i in range(args.rooms * args.people)]
    stats = Stats(1)
    acks = Acks(1)
    started = time.monotonic()
    people, failures = open_many(engine, targets, plan, stats, args.concurrency, args.timeout, acks.on_reply)
    members = Counter(c.room for c in people)
    log(f"rooms: {len(people)} people open in {time.monotonic() - started:.1f}s ({len(failures)} failed)")
    engine.run(lambda: False, args.settle)
    emit("measuring")
    wait_machine_quiet(engine, args)
    cpu = CpuMeter(args.server_pid)
    rng = random.Random(7)
    now = time.monotonic()
    # Each person speaks every `period` seconds from a random phase until `duration` is over.
    queue = [(now + rng.uniform(0, args.period), i) for i in range(len(people))]
    heapq.heapify(queue)
    end = now + args.duration
    sent: Counter[str] = Counter()
    seqs = [0] * len(people)

    def speak() -> float | None:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            due, i = heapq.heappop(queue)
            conn = people[i]
            if due >= end or conn.state != READY:
                continue
            room = conn.room or ""
            conn.send_json({"type": "say", "room": room, "text": f"b 0 {seqs[i]} {time.monotonic_ns()}",
                            "ref": f"s0-{i}-{seqs[i]}"})
            seqs[i] += 1
            sent[room] += 1
            heapq.heappush(queue, (due + args.period, i))
        return max(0.0, queue[0][0] - time.monotonic()) if queue else None

    t0 = time.monotonic_ns()
    engine.run(lambda: not queue, args.duration + args.period + 10, tick=speak)
    total = sum(sent.values())
    engine.run(lambda: acks.answered(0) >= total, args.drain_limit)
    # Every message goes to every member of its room, its author included.
    expected = sum(count * members[room] for room, count in sent.items())
    drain(engine, stats, 0, expected, args.quiet, args.drain_limit)
    shares = cpu.shares()
    span_s = max(stats.last_ns[0] - t0, 1) / 1e9
    lat = summarise(stats.latencies[0])
    result: dict[str, Any] = {
        "scenario": "rooms", "rooms": args.rooms, "people_per_room": args.people, "people_open": len(people),
        "open_failed": len(failures), "open_failures": failures[:5], "period_s": args.period,
        "duration_s": args.duration, "sent": total, "acked": acks.acked[0], "expected": expected,
        "deliveries": stats.received[0], "loss": expected - stats.received[0],
        "deliveries_per_s": round(stats.received[0] / span_s), **lat, **shares,
        "errors": dict(stats.errors), "refused": dict(acks.refused), "closes": dict(stats.closes),
        "closed": sum(1 for c in people if c.state == CLOSED),
    }
    result["passed"] = bool(result["loss"] == 0 and result["acked"] == total and lat["p99_ms"] < args.p99_ms)
    close_all(engine, people)
    return result


def wait_for_go(engine: Engine, event: str, **data: Any) -> None:
    """Tell the orchestrator, then keep the clients served (pings) until it answers on stdin."""
    emit(event, **data)
    answered = {"yes": False}

    def on_stdin() -> None:
        os.read(sys.stdin.fileno(), 4096)
        answered["yes"] = True

    engine.watch(sys.stdin.fileno(), on_stdin)
    try:
        engine.run(lambda: answered["yes"], 600)
    finally:
        engine.unwatch(sys.stdin.fileno())


def idle(args: argparse.Namespace) -> dict[str, Any]:
    engine = Engine()
    targets = [Target.parse(u) for u in args.url]
    names = [f"r{i:03d}" for i in range(args.rooms)]
    stats = Stats(1)
    warm, warm_failed = open_many(engine, targets, [names[i % len(names)] for i in range(args.warmup)],
                                  stats, args.concurrency, args.timeout)
    engine.run(lambda: False, args.settle)
    wait_for_go(engine, "baseline", open=len(warm))
    started = time.monotonic()
    held, failures = open_many(engine, targets, [names[i % len(names)] for i in range(args.connections)],
                               stats, args.concurrency, args.timeout)
    open_s = time.monotonic() - started
    log(f"idle: {len(held)} connections open in {open_s:.1f}s ({len(failures)} failed)")
    engine.run(lambda: False, args.hold)
    alive = sum(1 for c in held if c.state == READY)
    wait_for_go(engine, "held", open=len(held), alive=alive)
    alive_after = sum(1 for c in held if c.state == READY)
    close_all(engine, [*held, *warm])
    return {
        "scenario": "idle", "connections_requested": args.connections, "connections_open": len(held),
        "alive_at_measure": alive, "alive_after_measure": alive_after, "open_s": round(open_s, 1),
        "open_failed": len(failures) + len(warm_failed), "open_failures": failures[:5],
        "warmup": len(warm), "closes": dict(stats.closes), "errors": dict(stats.errors),
    }


# -- self-test -------------------------------------------------------------------------------------------


def selftest() -> None:
    """Check the frame codec against the websockets library's own parser and writer."""
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    # 1. Server frames of every length class, split at every byte, come out whole.
    payloads = [b"", b"x", b"a" * 125, b"b" * 126, b"c" * 65535, b"d" * 65536, b"e" * 70000]
    stream = b"".join(server_frame(OP_TEXT, p) for p in payloads)
    for cut in (1, 2, 3, 9, 10, 127, 4096):
        reader, got = FrameReader(), []
        for i in range(0, len(stream), cut):
            got.extend(reader.feed(stream[i : i + cut]))
        assert [p for _, _, p in got] == payloads, f"split every {cut} bytes"
        assert all(op == OP_TEXT and fin for op, fin, _ in got)
    # 2. The websockets library's own server frames (ping, close, text) read back.
    ours = FrameReader().feed(
        Frame(Opcode.PING, b"hi").serialize(mask=False)
        + Frame(Opcode.TEXT, "é".encode() * 200).serialize(mask=False)
        + Frame(Opcode.CLOSE, (4009).to_bytes(2, "big")).serialize(mask=False)
    )
    assert [(op, p) for op, _, p in ours] == [
        (OP_PING, b"hi"), (OP_TEXT, "é".encode() * 200), (OP_CLOSE, (4009).to_bytes(2, "big")),
    ]
    # 3. Fragments are flagged so that the client joins them.
    frags = FrameReader().feed(server_frame(OP_TEXT, b"ab", fin=False) + server_frame(OP_CONT, b"cd"))
    assert frags == [(OP_TEXT, False, b"ab"), (OP_CONT, True, b"cd")]
    # 4. Our masked client frames parse with the websockets library as a server would.
    for payload in (b"", b"{}", b"z" * 126, b"y" * 70000, "b 1 2 3 é".encode()):
        data = client_frame(OP_TEXT, payload)
        sr = StreamReader()
        sr.feed_data(data)
        sr.feed_eof()
        gen = Frame.parse(sr.read_exact, mask=True)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            frame = stop.value
        assert frame.opcode is Opcode.TEXT and frame.data == payload and frame.fin
    # 5. The measured text is found in an Entraide message frame.
    message = json.dumps({"type": "message", "room": "fanout", "id": "000000000001",
                          "author": {"pseudonym": "Héron calme", "role": "peer"},
                          "text": "b 3 17 123456789", "cw": None}, separators=(",", ":"),
                         ensure_ascii=False).encode()
    assert parse_mark(message, message.find(MARK)) == (3, 17, 123456789)
    print("loadgen self-test: ok")


# -- entry -------------------------------------------------------------------------------------------------


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="loadgen", description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("scenario", nargs="?", choices=("fanout", "rooms", "idle"))
    p.add_argument("--selftest", action="store_true")
    p.add_argument("--url", action="append", default=[], help="ws://host:port/ws; repeat to spread clients")
    p.add_argument("--server-pid", type=int, action="append", default=[], help="for the server CPU share")
    p.add_argument("--cpu", type=int, default=1, help="core to pin this process to (-1: do not pin)")
    p.add_argument("--concurrency", type=int, default=50, help="connections being opened at once")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--settle", type=float, default=2.0, help="seconds to wait after opening")
    p.add_argument("--quiet", type=float, default=3.0, help="drain ends after this long without a delivery")
    p.add_argument("--drain-limit", type=float, default=30.0)
    p.add_argument("--p99-ms", type=float, default=250.0, help="a step passes below this p99")
    p.add_argument("--max-foreign", type=float, default=0.25,
                   help="a failed step during which other work used more CPU than this (cores) is run again")
    p.add_argument("--retries", type=int, default=2, help="how often a step spoiled by other work is run again")
    p.add_argument("--quiet-wait", type=float, default=60.0,
                   help="before each step, wait up to this long for other work on the machine to stop")
    # fanout
    p.add_argument("--room", default="fanout")
    p.add_argument("--subscribers", type=int, default=1000)
    p.add_argument("--rates", default="1,2,5,10,20,50,100,200,300,500")
    p.add_argument("--step-seconds", type=float, default=5.0)
    p.add_argument("--pause", type=float, default=1.0, help="seconds between steps")
    # rooms
    p.add_argument("--rooms", type=int, default=100)
    p.add_argument("--people", type=int, default=10)
    p.add_argument("--period", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=30.0)
    # idle
    p.add_argument("--connections", type=int, default=5000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--hold", type=float, default=5.0, help="seconds to hold before measuring")
    args = p.parse_args(argv)
    if not args.selftest and (args.scenario is None or not args.url):
        p.error("a scenario and at least one --url are needed (or --selftest)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.selftest:
        selftest()
        return 0
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    raise_fd_limit()
    scenario = {"fanout": fanout, "rooms": rooms, "idle": idle}[args.scenario]
    if args.scenario == "rooms" and args.p99_ms == 250.0:
        args.p99_ms = 10.0
    result = scenario(args)
    emit("result", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
