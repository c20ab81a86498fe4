"""`entraide`: serve, and migrate the database.

    entraide serve [--host H] [--port P] [--workers N]
    entraide db upgrade
    entraide user add|disable|list|setup-link   (web/accounts_cli.py)
    entraide crisis check                       (web/crisis_cli.py)
"""

from __future__ import annotations

import argparse
import logging.config
import os
import sys
import tempfile
from pathlib import Path

from rooms.configuration import ConfigError
from web.accounts_cli import add_user_commands, print_setup_link, run_user
from web.config import AppConfig, load_config
from web.crisis_cli import add_crisis_commands, run_crisis
from web.database import upgrade
from web.logs import logging_config

__all__ = ["main"]


def _prepare_multiprocess_metrics() -> None:
    """Workers write their metrics to files in one folder, which `/metrics` adds up.

    It must be set before the workers start (they inherit it) and emptied of a previous
    run's files, or counters would carry on from dead processes.
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder is None:
        folder = tempfile.mkdtemp(prefix="entraide-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def _serve(config: AppConfig, args: argparse.Namespace) -> int:
    import uvicorn

    workers = args.workers or config.server.workers
    if workers > 1 and config.redis is None:
        print(
            "entraide: refusing --workers "
            f"{workers} without REDIS_URL: processes could not see each other's rooms. "
            "Set REDIS_URL=redis://host:6379/0, or run one worker.",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and config.database.url.startswith("sqlite"):
        print(
            "entraide: several workers share one SQLite file; fine for a try-out, but use "
            "PostgreSQL (DATABASE_URL=postgresql+asyncpg://...) for a real deployment.",
            file=sys.stderr,
        )
    if workers > 1:
        _prepare_multiprocess_metrics()
    upgrade(config.database.url)
    print_setup_link(config, args.host or config.server.host, args.port or config.server.port)
    uvicorn.run(
        "web.app:create_app", factory=True,
        host=args.host or config.server.host, port=args.port if args.port is not None else config.server.port,
        workers=workers, ws="websockets-sansio", ws_max_size=config.server.ws_max_size,
        ws_ping_interval=config.server.ws_ping_interval_s, ws_ping_timeout=config.server.ws_ping_timeout_s,
        ws_per_message_deflate=False, access_log=False, log_config=logging_config(),
        proxy_headers=False, server_header=False,
        timeout_graceful_shutdown=config.server.graceful_shutdown_s,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="entraide", description="Entraide peer-support chat server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    add_user_commands(commands)
    add_crisis_commands(commands)
    args = parser.parse_args(argv)
    logging.config.dictConfig(logging_config())
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"entraide: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return _serve(config, args)
    if args.command == "user":
        return run_user(config, args)
    if args.command == "crisis":
        return run_crisis(config, args)
    upgrade(config.database.url)
    print("entraide: database schema is up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
