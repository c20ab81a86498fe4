"""Where a server's CPU went, from py-spy's collapsed stacks (`run.py --pyspy DIR`).

    python bench/pyspy_summary.py DIR/memory-fanout-0.txt [--top 25]

Prints, as shares of all samples (py-spy leaves idle waits out, so a share is a share of
the CPU the process used): the per-recipient fan-out chain of Entraide (writer task →
Starlette → uvicorn → websockets framing → transport.write), then the functions with
the most inclusive and the most self time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>.*?)(?::\d+)?\)$")

# (label, function, end of the file path) on the per-recipient path, outermost first.
CHAIN = [
    ("hub/streams: deliver one message to the local members (offer to each queue)", "_deliver", "streams.py"),
    ("Connection.offer (put_nowait on the connection's queue)", "offer", "chat/connection.py"),
    ("Connection._write: the per-connection writer task", "_write", "chat/connection.py"),
    ("  asyncio.Queue.get in the writer", "get", "asyncio/queues.py"),
    ("  StarletteTransport.send_text (web/ws.py)", "send_text", "web/ws.py"),
    ("    starlette WebSocket.send", "send", "starlette/websockets.py"),
    ("      uvicorn sansio asgi_send", "asgi_send", "websockets_sansio_impl.py"),
    ("        websockets send_text (framing: Protocol.send_frame)", "send_text", "websockets/protocol.py"),
    ("          websockets Frame.serialize", "serialize", "websockets/frames.py"),
    ("        transport.write (asyncio selector transport, incl. the send syscall)", "write",
     "asyncio/selector_events.py"),
    ("asyncio event loop: _run_once (scheduling, select)", "_run_once", "asyncio/base_events.py"),
    ("  selector select (epoll_wait)", "select", "selectors.py"),
    ("say path: Hub._say (checks, storage, publish)", "_say", "chat/hub.py"),
    ("SQLAlchemy (anywhere)", "*", "sqlalchemy/"),
    ("json encode/decode (anywhere)", "*", "json/"),
]


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        frames = []
        for raw in head.split(";"):
            m = _FRAME.match(raw.strip())
            if m:
                frames.append((m["func"], m["file"]))
        stacks.append((frames, int(count)))
    return stacks


def matches(frame: tuple[str, str], func: str, suffix: str) -> bool:
    name, file = frame
    if func == "*":
        return suffix in file
    return name == func and file.endswith(suffix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    for path in args.files:
        stacks = parse(path)
        total = sum(c for _, c in stacks) or 1
        print(f"\n## {path.name}: {total} samples\n")
        print("| on the path | inclusive share |\n|---|---:|")
        for label, func, suffix in CHAIN:
            n = sum(c for frames, c in stacks if any(matches(f, func, suffix) for f in frames))
            print(f"| {label} | {100 * n / total:.1f} % |")
        inclusive: Counter[str] = Counter()
        own: Counter[str] = Counter()
        for frames, c in stacks:
            seen = set()
            for name, file in frames:
                key = f"{name} ({'/'.join(file.split('/')[-2:])})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += c
            if frames:
                name, file = frames[-1]
                own[f"{name} ({'/'.join(file.split('/')[-2:])})"] += c
        print(f"\nTop {args.top} by self time:\n\n| function | self |\n|---|---:|")
        for key, n in own.most_common(args.top):
            print(f"| `{key}` | {100 * n / total:.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
