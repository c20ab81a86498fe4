"""`entraide serve --workers N`: several processes behind one port, or a clear refusal."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import tomli_w

from tests.conftest import free_port
from tests.scale.conftest import ROOT, Cluster, Process, wait_healthy


def test_more_than_one_worker_without_redis_is_refused(tmp_path: Path) -> None:
    """Without REDIS_URL the processes could not see each other's rooms: refused, saying why."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "serve", "--workers", "2", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 2
    assert "REDIS_URL" in result.stderr and "--workers 2" in result.stderr


@pytest.mark.asyncio
@pytest.mark.redis
@pytest.mark.postgres
async def test_two_workers_behind_one_port_serve_one_room(cluster: Cluster) -> None:
    """With REDIS_URL, `--workers 2` runs two processes; people on either see each other, and /metrics adds them up."""
    port = free_port()
    path = cluster.tmp / "workers.toml"
    path.write_text(tomli_w.dumps(cluster.config()), encoding="utf-8")
    env = {
        **os.environ, "ENTRAIDE_CONFIG": str(path), "DATABASE_URL": cluster.database_url,
        "REDIS_URL": cluster.redis_url, "PROMETHEUS_MULTIPROC_DIR": str(cluster.tmp / "metrics"),
    }
    log = cluster.tmp / "workers.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    process = Process(port, popen, log)
    cluster.processes.append(process)
    await wait_healthy(process.http)
    peers = [await process.peer() for _ in range(8)]  # the kernel spreads them over both workers
    for peer in peers:
        await peer.join("salon-test")
    ack = await peers[0].say("salon-test", "deux ouvriers, un salon")
    for peer in peers:
        assert (await peer.expect("message", text="deux ouvriers, un salon"))["id"] == ack["id"]
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"{process.http}/metrics")).text
    assert "entraide_connections_open 8.0" in body
    assert log.read_text().count("Started server process") == 2, log.read_text()
