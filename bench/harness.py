"""What the benchmark drivers (`run.py`, `alert_latency.py`) share: ports, processes, sources."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ROOT", "descendants", "free_ports", "log_tails", "snapshot", "stop_groups"]

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


def log_tails(paths: Sequence[Path], lines: int) -> str:
    """The last `lines` lines of each server log, for an error message."""
    out = []
    for path in paths:
        with contextlib.suppress(OSError):
            out.append(f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
    return "\n".join(out)


def stop_groups(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stop each process group started with `start_new_session`, then wait for it: SIGINT, not
    SIGTERM, because uvicorn re-raises the signal after its graceful shutdown and only an interrupt
    lets cProfile (`run.py --profile`) write its file on the way out; SIGKILL after 20 s."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
