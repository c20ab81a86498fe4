"""What the benchmark drivers (`run.py`, `alert_latency.py`) share: ports, processes, sources."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["ROOT", "descendants", "free_ports", "snapshot"]

ROOT = Path(__file__).resolve().parent.parent


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (the sockets are held together so that none repeats)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def descendants(pid: int) -> list[int]:
    """The process and all its children, read from /proc (uvicorn's workers included)."""
    out = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    out.extend(descendants(int(child)))
    return out


def snapshot(rev: str) -> Path:
    """`git archive REV` unpacked in a temporary directory: Entraide as committed, nothing else."""
    dest = Path(tempfile.mkdtemp(prefix="entraide-src-"))
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest
