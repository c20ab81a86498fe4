"""Where a server's CPU went, from py-spy's collapsed stacks (`run.py --pyspy DIR`).

    python bench/pyspy_summary.py DIR/memory-fanout-0.txt [--top 25]

Prints, as shares of all samples (py-spy leaves idle waits out, so a share is a share of
the CPU the process used): self time by layer (Entraide's writer task, Starlette, uvicorn,
websockets framing, asyncio scheduling, transport.write, storage...), then the functions
with the most self time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>.*?)(?::\d+)?\)$")

# Layers by the file of the innermost frame (self time); first match wins. Self time is what
# survives py-spy's occasionally truncated coroutine stacks, so the layers are read from it.
LAYERS = [
    ("asyncio transport.write (incl. the send() syscall)", ("asyncio/selector_events.py",), ("write",)),
    ("asyncio loop, tasks, futures, queues, select",
     ("asyncio/", "selectors.py"), ()),
    ("uvicorn websockets-sansio ASGI send/receive", ("uvicorn/",), ()),
    ("websockets framing (sansio Protocol, Frame.serialize)", ("websockets/",), ()),
    ("Starlette WebSocket wrappers", ("starlette/",), ()),
    ("Entraide writer and transport adapter (chat/connection.py, web/ws.py)",
     ("chat/connection.py", "web/ws.py"), ()),
    ("Entraide fan-out, hub, streams, say path (chat/)", ("chat/",), ()),
    ("Storage (SQLAlchemy, aiosqlite, sqlite3, asyncpg)", ("sqlalchemy/", "aiosqlite/", "sqlite3/", "asyncpg/"), ()),
    ("Redis client", ("redis/",), ()),
    ("json", ("json/",), ()),
]


def layer_of(name: str, file: str) -> str:
    for label, files, funcs in LAYERS:
        if any(f in file for f in files) and (not funcs or name.rsplit(".", 1)[-1] in funcs):
            return label
    return "other"


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    for path in args.files:
        stacks = parse(path)
        # aiosqlite's worker threads waiting for work are not flagged idle by py-spy: leave them out.
        waiting = sum(c for frames, c in stacks if frames and frames[-1][0] == "_connection_worker_thread")
        stacks = [(f, c) for f, c in stacks if not (f and f[-1][0] == "_connection_worker_thread")]
        total = sum(c for _, c in stacks) or 1
        print(f"\n## {path.name}: {total} samples (left out: {waiting} of aiosqlite threads waiting)\n")
        layers: Counter[str] = Counter()
        for frames, c in stacks:
            if frames:
                layers[layer_of(*frames[-1])] += c
        print("| layer (by self time) | share of the process's CPU samples |\n|---|---:|")
        for label, n in layers.most_common():
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
